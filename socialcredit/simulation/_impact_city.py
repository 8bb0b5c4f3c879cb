"""The synthetic city in memory, for impact assessments: records as arrays, no ledger.

:func:`synthetic_city` draws the same seeded city as :func:`socialcredit.demo._city.build_city`
(the same generator, the same random stream, so the same subjects and records) and, instead
of filing it month by month into a ledger, validates the rows against the engine's
catalogue (:func:`socialcredit.catalogue._batch.validate_batch`, the ingest path's check) and
keeps the accepted ones as arrays: dense subject ids, kinds, times, amounts. ``recorded_at``
is what the ledger would say: the end of the month a record occurred in.

:meth:`CityRecords.misattributed` is the documented observation error of the assessment:
each record is, with probability ε, attributed to another subject of the same kind drawn
uniformly at random (the true subject loses it, an innocent one gains it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

import numpy as np

from socialcredit.catalogue import (
    Catalogue,
    EncodedRecord,
    make_uscc,
    person_facts_columns,
    validate_batch,
)
from socialcredit.demo import (
    DISTRICTS,
    ORGANISATION_KINDS,
    PERSON_KINDS,
    city_people,
    city_records,
    month_end,
)
from socialcredit.records import RecordRow
from socialcredit.timeutil import DAY_US, to_us

__all__ = ["AGE_BANDS", "CityRecords", "synthetic_city"]

#: Age bands of residents (lower bound in years, label), youngest first.
AGE_BANDS = ((18, "18-29"), (30, "30-44"), (45, "45-59"), (60, "60+"))
_US_PER_YEAR = 3_652_425 * DAY_US // 10_000  # the mean Gregorian year, 365.2425 days


@dataclass(frozen=True, eq=False)
class CityRecords:
    """A synthetic city's subjects and accepted records, as arrays.

    Subjects ``0 .. people - 1`` are residents, the rest organisations. Records are sorted
    by subject, then by time.

    Attributes:
        ids: every subject's external identifier, by dense id.
        people: how many subjects are residents.
        kinds: the record kinds present, by kind index.
        subject, kind, occurred_us, recorded_us, amount: one entry per record (``kind`` is
            an index into :attr:`kinds`; ``amount`` is -1 where absent).
        refused: rows of the generated city the catalogue refused.
        as_of_us: the end of the city's history, when it is assessed.
    """

    ids: tuple[str, ...]
    people: int
    kinds: tuple[str, ...]
    subject: np.ndarray
    kind: np.ndarray
    occurred_us: np.ndarray
    recorded_us: np.ndarray
    amount: np.ndarray
    refused: int
    as_of_us: int
    _rows: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def size(self) -> int:
        """The number of subjects."""
        return len(self.ids)

    @property
    def records(self) -> int:
        """The number of accepted records."""
        return int(self.subject.size)

    def subject_kind(self, subject: int) -> str:
        """``person`` or ``organisation``."""
        return "person" if subject < self.people else "organisation"

    def amounts_or_zero(self) -> np.ndarray:
        """Amounts with 0 where absent (how the scoring definition reads a missing amount)."""
        return np.maximum(self.amount, 0)

    def subject_rows(self) -> Iterator[tuple[int, tuple[RecordRow, ...]]]:
        """Each subject with records, and its records as :class:`RecordRow` (position = the
        record's index), in subject order."""
        rows: list[tuple[int, tuple[RecordRow, ...]]] | None = self._rows.get("rows")
        if rows is None:
            rows = self._rows["rows"] = list(self._build_rows())
        return iter(rows)

    def _build_rows(self) -> Iterator[tuple[int, tuple[RecordRow, ...]]]:
        if not self.records:
            return
        cuts = np.flatnonzero(np.diff(self.subject)) + 1
        starts = [0, *cuts.tolist()]
        stops = [*cuts.tolist(), self.records]
        columns = zip(
            self.subject.tolist(), self.kind.tolist(), self.occurred_us.tolist(),
            self.recorded_us.tolist(), self.amount.tolist(), strict=True,
        )  # fmt: skip
        all_rows = [
            RecordRow(
                i, self.subject_kind(s), self.ids[s], self.kinds[k], o, r, None if a < 0 else a
            )
            for i, (s, k, o, r, a) in enumerate(columns)
        ]
        for start, stop in zip(starts, stops, strict=True):
            yield int(self.subject[start]), tuple(all_rows[start:stop])

    def misattributed(self, epsilon: float, seed: int) -> tuple[CityRecords, int]:
        """The city as observed with attribution error ``epsilon``, and how many records moved.

        Each record independently, with probability ``epsilon``, is attributed to another
        subject of the same kind, drawn uniformly. The draws for a record do not depend on
        ``epsilon`` (one uniform number decides), so a larger error moves a superset of the
        records a smaller one moves, each to the same wrong subject.
        """
        rng = np.random.default_rng([seed, 0x0B5E])
        decide = rng.random(self.records)
        offset = rng.random(self.records)
        moved = decide < epsilon
        if not moved.any():
            return self, 0
        person = self.subject < self.people
        low = np.where(person, 0, self.people)
        count = np.where(person, self.people, self.size - self.people)
        # another subject of the same kind: shift by 1 .. count-1 places, wrapping around
        shift = 1 + (offset * np.maximum(count - 1, 1)).astype(np.int64)
        other = low + (self.subject - low + shift) % np.maximum(count, 1)
        subject = np.where(moved & (count > 1), other, self.subject)
        order = np.lexsort((self.occurred_us, subject))
        observed = replace(
            self,
            subject=subject[order],
            kind=self.kind[order],
            occurred_us=self.occurred_us[order],
            recorded_us=self.recorded_us[order],
            amount=self.amount[order],
            _rows={},
        )
        return observed, int(np.count_nonzero(subject != self.subject))

    @cached_property
    def age_band(self) -> np.ndarray:
        """Each resident's age band label at :attr:`as_of_us` (organisations: empty)."""
        chars = np.frombuffer("".join(self.ids[: self.people]).encode(), dtype=np.uint8)
        _, born_us, _ = person_facts_columns(chars.reshape(self.people, 18))
        age = (self.as_of_us - born_us) // _US_PER_YEAR
        bounds = np.array([low for low, _ in AGE_BANDS[1:]])
        labels = np.array([label for _, label in AGE_BANDS], dtype=object)
        bands = labels[np.searchsorted(bounds, age, side="right")]
        return np.concatenate([bands, np.full(self.size - self.people, "", dtype=object)])

    @cached_property
    def region(self) -> np.ndarray:
        """Each subject's district code: digits 1-6 of a resident identity number, 3-8 of a
        Unified Social Credit Code."""
        people = [i[:6] for i in self.ids[: self.people]]
        firms = [i[2:8] for i in self.ids[self.people :]]
        return np.array(people + firms, dtype=object)


def synthetic_city(
    catalogue: Catalogue,
    *,
    residents: int,
    organisations: int,
    seed: int,
    years: int = 3,
    end: date = date(2026, 11, 1),
) -> CityRecords:
    """The demo city of ``seed`` in memory, its rows checked against ``catalogue``.

    Raises:
        ValueError: if a size is negative or ``years`` is not positive.
    """
    if residents < 0 or organisations < 0 or years < 1:
        raise ValueError("residents and organisations must be >= 0 and years >= 1")
    rng = np.random.default_rng(seed)
    start = end.replace(year=end.year - years)
    people = city_people(rng, residents, start)
    districts = DISTRICTS
    firms = [make_uscc(districts[i % len(districts)], 10_000 + i) for i in range(organisations)]
    rows = [
        *city_records(rng, people, "person", PERSON_KINDS, 0.9, catalogue, start, end),
        *city_records(rng, firms, "organisation", ORGANISATION_KINDS, 6.0, catalogue, start, end),
    ]
    as_of = datetime.combine(end, datetime.min.time(), UTC)
    results = validate_batch(catalogue, rows, now=as_of) if rows else []
    accepted = [row for row, result in zip(rows, results, strict=True) if _ok(result)]
    return _arrays((*people, *firms), len(people), accepted, len(rows) - len(accepted), as_of)


def _ok(result: object) -> bool:
    return isinstance(result, EncodedRecord)


def _arrays(
    ids: tuple[str, ...],
    people: int,
    rows: list[dict[str, Any]],
    refused: int,
    as_of: datetime,
) -> CityRecords:
    """The accepted ``rows`` as arrays sorted by subject and time."""
    dense = {subject_id: i for i, subject_id in enumerate(ids)}
    kinds = tuple(sorted({row["kind"] for row in rows}))
    kind_index = {kind: i for i, kind in enumerate(kinds)}
    occurred = [_us(row["occurred_at"]) for row in rows]
    filed = {month: to_us(_filed(month)) for month in {row["occurred_at"][:7] for row in rows}}
    columns = (
        np.array([dense[row["subject_id"]] for row in rows], dtype=np.int64),
        np.array([kind_index[row["kind"]] for row in rows], dtype=np.int64),
        np.array(occurred, dtype=np.int64),
        np.array([filed[row["occurred_at"][:7]] for row in rows], dtype=np.int64),
        np.array([int(row.get("amount", -1)) for row in rows], dtype=np.int64),
    )
    order = np.lexsort((columns[2], columns[0]))
    subject, kind, occurred_us, recorded_us, amount = (c[order] for c in columns)
    return CityRecords(
        ids, people, kinds, subject, kind, occurred_us, recorded_us, amount, refused, to_us(as_of)
    )


def _us(text: str) -> int:
    """Microseconds of the city's ``YYYY-MM-DDTHH:MM:SSZ`` timestamps."""
    return to_us(datetime.fromisoformat(text))


def _filed(month: str) -> datetime:
    """When the city files the records of ``month`` (``YYYY-MM``): the first day after it."""
    return datetime.combine(month_end(month), datetime.min.time(), UTC)

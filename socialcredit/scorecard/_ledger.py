"""Credit data from the ledger as known at a date: the input of ``socialcredit scorecard fit``.

Records are the effective rows of the one record index (:func:`~socialcredit.records.
ledger_index`: corrections applied, withdrawn and suspended records left out) known at
``as_of``. Each outcome record (:data:`~socialcredit.demo._credit_outcomes.OUTCOME_KINDS`) is
one obligation, originated :data:`~socialcredit.demo._credit_outcomes.PERFORMANCE_DAYS` before
the outcome occurred; its features count only records known at origination.
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from socialcredit.demo import OUTCOME_KINDS, PERFORMANCE_DAYS
from socialcredit.ledger import Ledger
from socialcredit.records import ledger_index
from socialcredit.scorecard._learn import CreditData
from socialcredit.timeutil import DAY_US, to_us

__all__ = ["credit_data"]

_AGE_BANDS = ((60, "60+"), (45, "45-59"), (30, "30-44"), (0, "18-29"))


def credit_data(ledger: Ledger, as_of: datetime) -> CreditData:
    """The ledger's records and outcomes as known at ``as_of``, as :class:`CreditData`.

    Raises:
        ValueError: if ``as_of`` is naive or the ledger holds no outcome record then.
    """
    known_us = to_us(as_of)
    rows = sorted(
        ledger_index(ledger).effective_rows(known_us), key=lambda r: (r.subject_kind, r.subject_id)
    )
    ids = sorted({(r.subject_kind, r.subject_id) for r in rows})
    dense = {key: i for i, key in enumerate(ids)}
    history = [r for r in rows if r.kind not in OUTCOME_KINDS]
    outcomes = [r for r in rows if r.kind in OUTCOME_KINDS and r.occurred_at_us <= known_us]
    if not outcomes:
        raise ValueError(f"no outcome of a credit obligation is known at {as_of.isoformat()}")
    kinds = tuple(sorted({r.kind for r in history}))
    code = {k: i for i, k in enumerate(kinds)}

    def column(values: list[int]) -> np.ndarray:
        return np.array(values, dtype=np.int64)

    return CreditData(
        kinds=kinds,
        subject=column([dense[(r.subject_kind, r.subject_id)] for r in history]),
        kind=column([code[r.kind] for r in history]),
        occurred_us=column([r.occurred_at_us for r in history]),
        recorded_us=column([r.recorded_at_us for r in history]),
        obligor=column([dense[(r.subject_kind, r.subject_id)] for r in outcomes]),
        originated_us=column([r.occurred_at_us - PERFORMANCE_DAYS * DAY_US for r in outcomes]),
        bad=np.array([r.kind != OUTCOME_KINDS[0] for r in outcomes], dtype=bool),
        groups=_groups(ids, as_of.date()),
        ids=ids,
    )


def _groups(ids: list[tuple[str, str]], today: date) -> dict[str, np.ndarray]:
    """Age band (persons), district and subject kind, read from the identifiers."""
    age, region = [], []
    for kind, value in ids:
        if kind == "person" and len(value) == 18 and value[6:14].isdigit():
            born = int(value[6:10])
            age.append(next(label for low, label in _AGE_BANDS if today.year - born >= low))
            region.append(value[:6])
        else:
            age.append("")
            region.append(value[2:8])
    kinds = np.array([k for k, _ in ids], dtype=object)
    return {"age_band": np.array(age, dtype=object), "region": np.array(region, dtype=object),
            "subject_kind": kinds}  # fmt: skip

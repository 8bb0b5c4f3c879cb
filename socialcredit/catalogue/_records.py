"""The catalogue object and the validation of incoming records -- the hot path of ingest.

:meth:`Catalogue.validate` turns one raw record (a CSV row of strings, a JSON object, or a row of
Parquet/Arrow-typed Python values) into a :class:`~socialcredit.catalogue._model.ValidRecord`, or
refuses it with every problem listed.

Two paths give the same answers. A fast path handles the common shape (text values, a string or
int amount) with no exceptions raised and no regexes, using per-kind rules compiled at load and
bounded memos of identifier checks, sources and timestamps (:mod:`._fast_facts`, shared with the
batch path; ``YYYY-MM-DDTHH:MM:SSZ`` is cheaper to parse than to memoise, so only other forms are
remembered); on anything unusual it gives up and the thorough path (``_values.check_record``)
re-examines the record, collecting every problem. Tests check that the two agree.

Evidence is accepted for every kind unless its catalogue entry says otherwise: a reference to the
document behind a record (case or decision number) is what lets the subject contest it. It must
have the reference form of the authority kind of the record's source (the source's name carries
it: ``court:beijing-chaoyang``), and that authority kind must be one that may establish the
kind's category (:mod:`socialcredit.catalogue._sources`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Any

from socialcredit.catalogue import _values
from socialcredit.catalogue._batch import EncodedRecord, validate_batch
from socialcredit.catalogue._fast_facts import (
    ORG_FACTS,
    PARSED,
    PERSON_FACTS,
    filer_facts,
    organisation_facts_checked,
    parse_checked,
    person_facts_checked,
)
from socialcredit.catalogue._legal_basis import registry
from socialcredit.catalogue._model import RecordKind, SubjectKind, ValidRecord
from socialcredit.catalogue._sources import Source
from socialcredit.catalogue._taxonomy import conduct_taxonomy
from socialcredit.catalogue._timestamps import EARLIEST_US, UTC, to_us
from socialcredit.catalogue._values import (
    FUTURE_TOLERANCE_US,
    MAX_AMOUNT,
    MAX_EVIDENCE,
    MAX_IDEMPOTENCY_KEY,
    RECORD_FIELDS,
    KindRule,
)
from socialcredit.errors import CatalogueError, NotFoundError, Problem, RecordRefusedError

__all__ = ["RECORD_FIELDS", "Catalogue"]

_FIELD_SET = frozenset(RECORD_FIELDS)
_SUBJECT_KINDS = {kind.value: kind for kind in SubjectKind}
_new = object.__new__


def _slot_setter(name: str) -> Callable[[ValidRecord, Any], None]:
    setter: Callable[[ValidRecord, Any], None] = ValidRecord.__dict__[name].__set__
    return setter


# A frozen dataclass's __init__ assigns each field through object.__setattr__, which costs about
# twice as much as setting the slots directly; the fast path builds records with these setters.
_set_subject_id = _slot_setter("subject_id")
_set_subject_kind = _slot_setter("subject_kind")
_set_kind = _slot_setter("kind")
_set_occurred_at = _slot_setter("occurred_at")
_set_occurred_at_us = _slot_setter("occurred_at_us")
_set_source = _slot_setter("source")
_set_amount = _slot_setter("amount")
_set_evidence = _slot_setter("evidence")
_set_idempotency_key = _slot_setter("idempotency_key")


class Catalogue:
    """The whitelist of record kinds, and the validator of incoming records.

    Build one with :func:`~socialcredit.catalogue.load_catalogue` (which runs every load-time
    check); the constructor only refuses duplicate ids, and each :class:`RecordKind` refuses
    on its own anything outside the taxonomy, the registry or the firewall.

    Attributes:
        version: the catalogue format version.
        contexts: the engine's contexts (the taxonomy's; a bundle cannot add any).
        categories: the taxonomy's category ids.
        taxonomy_version: the taxonomy version the catalogue was checked against.
        registry_version: the legal-basis registry version its kinds cite.

    Raises:
        CatalogueError: if two kinds share an id.
    """

    def __init__(
        self,
        kinds: Iterable[RecordKind],
        *,
        contexts: Iterable[str] | None = None,
        categories: Iterable[str] | None = None,
        version: int = 2,
        taxonomy_version: int | None = None,
        registry_version: int | None = None,
    ) -> None:
        shipped = conduct_taxonomy()
        self.version = version
        self.contexts: tuple[str, ...] = tuple(shipped.contexts if contexts is None else contexts)
        self.categories: tuple[str, ...] = tuple(
            shipped.categories if categories is None else categories
        )
        self.taxonomy_version = shipped.version if taxonomy_version is None else taxonomy_version
        self.registry_version = registry().version if registry_version is None else registry_version
        by_id: dict[str, RecordKind] = {}
        for kind in kinds:
            if kind.id in by_id:
                raise CatalogueError("duplicate kind", [Problem(kind.id, "duplicate kind id")])
            by_id[kind.id] = kind
        self._kinds = MappingProxyType(by_id)
        self._rules = {kind_id: KindRule(kind) for kind_id, kind in by_id.items()}
        self._clock: tuple[datetime | None, int] = (None, 0)

    @property
    def kinds(self) -> Mapping[str, RecordKind]:
        """Read-only mapping of kind id to kind, in catalogue order."""
        return self._kinds

    def kind(self, kind_id: str) -> RecordKind:
        """Return the kind with this id.

        Raises:
            NotFoundError: if the catalogue has no such kind.
        """
        try:
            return self._kinds[kind_id]
        except KeyError:
            raise NotFoundError(f"no record kind {kind_id!r} in the catalogue") from None

    def __iter__(self) -> Iterator[RecordKind]:
        return iter(self._kinds.values())

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, kind_id: object) -> bool:
        return kind_id in self._kinds

    def __repr__(self) -> str:
        return f"<Catalogue version={self.version} kinds={len(self._kinds)}>"

    def as_dict(self) -> dict[str, Any]:
        """The catalogue as it is written in YAML; ``load_catalogue`` of it gives an equal one."""
        return {
            "version": self.version,
            "taxonomy": self.taxonomy_version,
            "legal_basis_registry": self.registry_version,
            "kinds": [kind.as_dict() for kind in self],
        }

    def validate(
        self, raw: Mapping[str, object], *, now: datetime, source: Source | None = None
    ) -> ValidRecord:
        """Check one incoming record against the catalogue and normalise it.

        Beyond the catalogue's kinds, the record is held to the conduct taxonomy: its source's
        authority kind must be one that may establish the kind's category, and its evidence
        must have that authority kind's reference form.

        Args:
            raw: the record's fields (``subject_id``, ``subject_kind``, ``kind``, ``occurred_at``,
                ``source`` and optionally ``amount``, ``evidence``, ``idempotency_key``) as text
                (an empty string means absent), JSON values or Arrow-typed Python values.
            now: the current time (aware); bounds ``occurred_at`` and the minors check. Passing
                the same object for a whole batch saves converting it each time.
            source: the registered source filing the record, when the caller knows who files
                (an API source account, an ingest configured with its source): the record is
                filed under its name, and a record whose ``source`` is neither absent nor that
                name is refused. Without it the record's own ``source`` says who files.

        Returns:
            The record with normalised values.

        Raises:
            RecordRefusedError: listing every problem (field and reason) if the record is refused.
            ValueError: if ``now`` is naive.
        """
        clock = self._clock
        now_us = clock[1] if clock[0] is now else self._set_clock(now)
        # Fast path: every check inline, no exceptions; any doubt -> the thorough path decides.
        get: Callable[[str], Any] = raw.get
        subject_id = get("subject_id")
        subject_kind = get("subject_kind")
        when = get("occurred_at")
        try:
            rule = self._rules.get(get("kind"))
            if rule is None or not _FIELD_SET.issuperset(raw):
                return _values.check_record(self._rules, raw, now_us, source)
            facts: Any = None
            if subject_kind == "person":
                if rule.person:
                    facts = PERSON_FACTS.get(subject_id) or person_facts_checked(subject_id)
            elif subject_kind == "organisation" and rule.organisation:
                facts = ORG_FACTS.get(subject_id) or organisation_facts_checked(subject_id)
            parsed: Any = PARSED.get(when) or parse_checked(when)
            filer: Any = filer_facts(source, get("source"))
        except TypeError:  # an unhashable value; the thorough path names it
            return _values.check_record(self._rules, raw, now_us, source)
        if (
            facts is None
            or facts.__class__ is str
            or parsed.__class__ is str
            or filer is None
            or filer.__class__ is str
        ):
            return _values.check_record(self._rules, raw, now_us, source)
        occurred_at, us = parsed
        name, authority = filer
        if (
            us > now_us + FUTURE_TOLERANCE_US
            or us < EARLIEST_US
            or (len(facts) == 3 and (us < facts[2] or now_us < facts[2]))
            or authority.id not in rule.authorities
        ):
            return _values.check_record(self._rules, raw, now_us, source)
        amount = get("amount")
        if amount is None or (amount.__class__ is str and not amount):
            amount = None
            if rule.amount_required:
                return _values.check_record(self._rules, raw, now_us, source)
        elif rule.amount is None:
            return _values.check_record(self._rules, raw, now_us, source)
        elif amount.__class__ is str:
            # At most 15 digits keeps below MAX_AMOUNT and clear of int()'s 4300-digit limit.
            if not (len(amount) <= 15 and amount.isdigit() and amount.isascii()):
                return _values.check_record(self._rules, raw, now_us, source)
            amount = int(amount)
        elif amount.__class__ is not int or not 0 <= amount <= MAX_AMOUNT:
            return _values.check_record(self._rules, raw, now_us, source)
        evidence = get("evidence")
        if evidence is not None:
            if evidence.__class__ is not str:
                return _values.check_record(self._rules, raw, now_us, source)
            evidence = evidence.strip() or None
            if evidence is not None and (
                rule.evidence is None
                or len(evidence) > MAX_EVIDENCE
                or authority.pattern.fullmatch(evidence) is None
            ):
                return _values.check_record(self._rules, raw, now_us, source)
        if evidence is None and rule.evidence_required:
            return _values.check_record(self._rules, raw, now_us, source)
        key = get("idempotency_key")
        if key is not None:
            if key.__class__ is not str or len(key) > MAX_IDEMPOTENCY_KEY:
                return _values.check_record(self._rules, raw, now_us, source)
            key = key or None
        record = _new(ValidRecord)
        _set_subject_id(record, facts[0])
        _set_subject_kind(record, _SUBJECT_KINDS[subject_kind])
        _set_kind(record, rule.kind.id)
        _set_occurred_at(record, occurred_at)
        _set_occurred_at_us(record, us)
        _set_source(record, name)
        _set_amount(record, amount)
        _set_evidence(record, evidence)
        _set_idempotency_key(record, key)
        return record

    def validate_batch(
        self,
        rows: Sequence[Mapping[str, object]],
        *,
        now: datetime,
        source: Source | None = None,
    ) -> list[EncodedRecord | RecordRefusedError]:
        """Validate many records at once, each to ledger-ready canonical JSON or its refusal.

        The bulk form of :meth:`validate` (same answers, ``source`` included, several times
        faster per record); see :mod:`socialcredit.catalogue._batch`.

        Raises:
            ValueError: if ``now`` is naive.
        """
        return validate_batch(self, rows, now=now, source=source)

    def _set_clock(self, now: datetime) -> int:
        if now.utcoffset() is None:
            raise ValueError("now must be timezone-aware")
        now_us = to_us(now.astimezone(UTC))
        self._clock = (now, now_us)  # one tuple, so concurrent readers never see a torn pair
        return now_us

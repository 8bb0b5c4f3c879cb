"""The thorough path of record validation: every field checked, every problem collected.

This is the reference definition of what a valid record is. ``Catalogue.validate`` first tries a
fast path for the common shape and falls back to :func:`check_record` for everything else; both
must give the same answer, and the tests check that they do.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from numbers import Integral

from socialcredit.catalogue._identifiers import organisation_facts, person_facts
from socialcredit.catalogue._model import RecordKind, SubjectKind, ValidRecord
from socialcredit.catalogue._sources import MAX_SOURCE, Source, source_facts
from socialcredit.catalogue._taxonomy import AuthorityKind, conduct_taxonomy
from socialcredit.catalogue._timestamps import (
    EARLIEST_US,
    UTC,
    from_date,
    from_datetime,
    parse_timestamp,
)
from socialcredit.errors import Problem, RecordRefusedError

__all__ = [
    "FUTURE_TOLERANCE_US",
    "MAX_AMOUNT",
    "MAX_EVIDENCE",
    "MAX_IDEMPOTENCY_KEY",
    "MAX_SOURCE",
    "RECORD_FIELDS",
    "UTC",
    "KindRule",
    "check_record",
    "reference_reason",
]

#: The fields an incoming record may have; anything else is refused.
RECORD_FIELDS = (
    "subject_id",
    "subject_kind",
    "kind",
    "occurred_at",
    "source",
    "amount",
    "evidence",
    "idempotency_key",
)
#: Clock skew allowed between a filer and the ledger before a record counts as "in the future".
FUTURE_TOLERANCE_US = 5 * 60 * 1_000_000
MAX_AMOUNT = 10**15
MAX_EVIDENCE = 1000
MAX_IDEMPOTENCY_KEY = 200
_MINOR = "records about minors are refused"
_WHOLE = "must be a whole number"


class KindRule:
    """What a record of one kind may carry, compiled once per kind for the hot path."""

    __slots__ = (
        "amount",
        "amount_required",
        "authorities",
        "evidence",
        "evidence_required",
        "kind",
        "organisation",
        "person",
    )

    def __init__(self, kind: RecordKind) -> None:
        self.kind = kind
        self.person = SubjectKind.PERSON in kind.subject_kinds
        self.organisation = SubjectKind.ORGANISATION in kind.subject_kinds
        self.amount = kind.amount
        self.amount_required = kind.amount is not None and kind.amount.required
        self.evidence = kind.evidence
        self.evidence_required = kind.evidence is not None and kind.evidence.required
        category = conduct_taxonomy().category(kind.category)
        #: The authority kinds that may establish the kind's category (who may file it).
        self.authorities: tuple[str, ...] = () if category is None else category.authorities

    def refuses(self, authority: AuthorityKind) -> str | None:
        """Why a source of ``authority`` may not file this kind, or None if it may."""
        if authority.id in self.authorities:
            return None
        return (
            f"a source of authority kind {authority.id!r} may not file {self.kind.id!r}: its "
            f"category {self.kind.category!r} is established only by "
            f"{', '.join(self.authorities)}"
        )


def _absent(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Check:
    """One pass over one record, collecting problems field by field."""

    def __init__(self, raw: Mapping[str, object], now_us: int) -> None:
        self.raw = raw
        self.now_us = now_us
        self.problems: list[Problem] = []
        self.born_us = 0

    def refuse(self, field: str, reason: str) -> None:
        self.problems.append(Problem(field, reason))

    def text(self, field: str, limit: int, *, required: bool, strip: bool = True) -> str | None:
        value = self.raw.get(field)
        if value is None or value == "":
            if required:
                self.refuse(field, "required")
            return None
        if not isinstance(value, str):
            self.refuse(field, f"must be text, not {type(value).__name__}")
            return None
        if strip:
            value = value.strip()
            if not value:
                if required:
                    self.refuse(field, "required (blank)")
                return None
        if len(value) > limit:
            self.refuse(field, f"at most {limit} characters, got {len(value)}")
            return None
        return value

    def occurred_at(self) -> tuple[datetime, int] | None:
        value = self.raw.get("occurred_at")
        if _absent(value):
            self.refuse("occurred_at", "required")
            return None
        parsed: tuple[datetime, int] | str
        if isinstance(value, str):
            # Over-long text is refused before it can reach (and crowd) the parse cache.
            parsed = parse_timestamp(value) if len(value) < 40 else "is not an ISO 8601 date-time"
        elif isinstance(value, datetime):
            parsed = from_datetime(value)
        elif isinstance(value, date):
            parsed = from_date(value)
        else:
            parsed = f"must be an ISO 8601 date-time or a timestamp, not {type(value).__name__}"
        if isinstance(parsed, str):
            self.refuse("occurred_at", parsed)
            return None
        if parsed[1] > self.now_us + FUTURE_TOLERANCE_US:
            self.refuse("occurred_at", "is in the future (more than 5 minutes after now)")
        elif parsed[1] < EARLIEST_US:
            self.refuse("occurred_at", "is before 1949-10-01")
        else:
            return parsed
        return None

    def amount(self, rule: KindRule | None) -> int | None:
        value = self.raw.get("amount")
        if _absent(value):
            if rule is not None and rule.amount is not None and rule.amount.required:
                self.refuse("amount", f"required for kind {rule.kind.id!r} ({rule.amount.unit})")
            return None
        if rule is not None and rule.amount is None:
            self.refuse("amount", f"kind {rule.kind.id!r} takes no amount")
            return None
        amount, reason = _whole_number(value)
        if reason is not None:
            self.refuse("amount", reason)
        return amount

    def source(self, filer: Source | None) -> tuple[str | None, AuthorityKind | None]:
        """The record's source and its authority kind (None where refused or unknown).

        With a ``filer`` the record is the filer's: its ``source`` may be absent or the
        filer's name, and the filer's authority kind applies either way.
        """
        if filer is not None:
            value = self.raw.get("source")
            if _absent(value) or (isinstance(value, str) and value.strip() == filer.name):
                return filer.name, filer.authority_kind
            self.refuse("source", _not_the_filer(filer, value))
            return None, filer.authority_kind
        name = self.text("source", MAX_SOURCE, required=True)
        if name is None:
            return None, None
        facts = source_facts(name)
        if isinstance(facts, str):
            self.refuse("source", facts)
            return None, None
        return facts

    def evidence(self, rule: KindRule | None, authority: AuthorityKind | None) -> str | None:
        evidence = self.text("evidence", MAX_EVIDENCE, required=False)
        if rule is not None and evidence is None and rule.evidence_required:
            self.refuse("evidence", f"required for kind {rule.kind.id!r}")
        elif rule is not None and evidence is not None and rule.evidence is None:
            self.refuse("evidence", f"kind {rule.kind.id!r} takes no evidence")
        elif evidence is not None and authority is not None and not authority.matches(evidence):
            self.refuse("evidence", reference_reason(authority))
        elif evidence is not None and authority is None and not _any_form(evidence):
            self.refuse("evidence", _NO_FORM)
        return evidence

    def subject(self, rule: KindRule | None) -> tuple[SubjectKind | None, str | None, int | None]:
        """Subject kind, normalised id, and the instant the person turns 18 (persons only)."""
        raw_kind = self.raw.get("subject_kind")
        subject_kind = _SUBJECT_KINDS.get(raw_kind) if isinstance(raw_kind, str) else None
        if subject_kind is None:
            self.refuse("subject_kind", "must be person or organisation")
        elif rule is not None and subject_kind not in rule.kind.subject_kinds:
            self.refuse("subject_kind", f"kind {rule.kind.id!r} is not recorded about {raw_kind}s")
        value = self.text("subject_id", 32, required=True, strip=False)
        if value is None or subject_kind is None:
            return subject_kind, None, None
        if subject_kind is SubjectKind.PERSON:
            facts = person_facts(value)
            if isinstance(facts, str):
                self.refuse("subject_id", f"not a valid resident identity number: {facts}")
                return subject_kind, None, None
            self.born_us = facts[1]
            return subject_kind, facts[0], facts[2]
        org = organisation_facts(value)
        if isinstance(org, str):
            self.refuse("subject_id", f"not a valid Unified Social Credit Code: {org}")
            return subject_kind, None, None
        return subject_kind, org[0], None

    def minor(self, adult_us: int, occurred_us: int | None) -> None:
        if occurred_us is not None and occurred_us < self.born_us:
            self.refuse("subject_id", f"subject was not yet born at occurred_at; {_MINOR}")
        elif occurred_us is not None and occurred_us < adult_us:
            self.refuse("subject_id", f"subject was a minor (under 18) at occurred_at; {_MINOR}")
        elif self.now_us < adult_us:
            self.refuse("subject_id", f"subject is a minor (under 18) now; {_MINOR}")


_SUBJECT_KINDS = {kind.value: kind for kind in SubjectKind}


def reference_reason(authority: AuthorityKind) -> str:
    """Why evidence not of ``authority``'s reference form is refused, naming the form."""
    return (
        f"must be a reference of its source's authority kind {authority.id!r}, not free "
        f"text: {authority.form}"
    )


_NO_FORM = "must be a reference, not free text: it has the form of no authority kind's references"


def _any_form(evidence: str) -> bool:
    """Whether ``evidence`` has some authority kind's reference form (for a record whose
    source is refused, so that prose is named as well)."""
    return any(a.matches(evidence) for a in conduct_taxonomy().authority_kinds.values())


def _not_the_filer(filer: Source, value: object) -> str:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return (
        f"records are filed as {filer.name!r} (the filer's own source); a record may leave "
        f"source out or repeat it, not name {shown}"
    )


def _whole_number(value: object) -> tuple[int | None, str | None]:
    """A non-negative whole number up to MAX_AMOUNT from text, an integer, a float or a Decimal."""
    if isinstance(value, bool):
        return None, f"{_WHOLE}, not a boolean"
    number: Decimal
    if isinstance(value, Integral):  # int, and NumPy's integers from pandas-made rows
        number = Decimal(int(value))
    elif isinstance(value, str):
        text = value.strip()
        # Only plain decimal notation: no exponents, separators, signs other than '-', or NaN.
        digits = text[1:] if text.startswith("-") else text
        whole, _, fraction = digits.partition(".")
        if not (whole.isascii() and whole.isdigit() and (not fraction or fraction.isdigit())):
            return None, f"{_WHOLE} (plain digits, e.g. 1200), got {value!r}"
        number = Decimal(text)
    elif isinstance(value, float | Decimal):
        number = Decimal(value)
        if not number.is_finite():
            return None, f"{_WHOLE}, got {value!r}"
    else:
        return None, f"{_WHOLE}, not {type(value).__name__}"
    if number != number.to_integral_value():
        return None, f"fractions are not allowed: a whole number of units, got {value!r}"
    if number < 0:
        return None, f"must not be negative, got {value!r}"
    if number > MAX_AMOUNT:
        return None, f"at most {MAX_AMOUNT}, got {value!r}"
    return int(number), None


def check_record(
    rules: Mapping[str, KindRule],
    raw: Mapping[str, object],
    now_us: int,
    filer: Source | None = None,
) -> ValidRecord:
    """Validate one record the slow, thorough way.

    Args:
        rules: the catalogue's kinds, compiled.
        raw: the record as it arrived.
        now_us: the current time, in microseconds since the epoch.
        filer: the source filing it, if the caller knows it (then ``source`` may be absent
            or must be the filer's name); else the record's own ``source`` names it.

    Returns:
        The normalised record, if nothing is wrong.

    Raises:
        RecordRefusedError: listing every problem found.
    """
    check = _Check(raw, now_us)
    for field in raw:
        if field not in _FIELD_SET:
            check.refuse(str(field), "not part of the record schema")
    kind = check.text("kind", 100, required=True)
    rule = rules.get(kind) if kind is not None else None
    if kind is not None and rule is None:
        check.refuse("kind", f"unknown record kind {kind!r} (not in the catalogue)")
    subject_kind, subject_id, adult_us = check.subject(rule)
    when = check.occurred_at()
    if adult_us is not None:
        check.minor(adult_us, when[1] if when is not None else None)
    source, authority = check.source(filer)
    if rule is not None and authority is not None and (reason := rule.refuses(authority)):
        check.refuse("kind", reason)
    amount = check.amount(rule)
    evidence = check.evidence(rule, authority)
    key = check.text("idempotency_key", MAX_IDEMPOTENCY_KEY, required=False, strip=False)
    if check.problems:
        raise RecordRefusedError("record refused", check.problems)
    assert subject_kind is not None and subject_id is not None and kind is not None
    assert when is not None and source is not None
    return ValidRecord(
        subject_id=subject_id,
        subject_kind=subject_kind,
        kind=kind,
        occurred_at=when[0],
        occurred_at_us=when[1],
        source=source,
        amount=amount,
        evidence=evidence,
        idempotency_key=key,
    )


_FIELD_SET = frozenset(RECORD_FIELDS)

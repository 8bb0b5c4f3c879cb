"""The catalogue's value types: subject kinds, gravity tiers, record kinds and valid records.

A :class:`RecordKind` is one entry of the whitelist of what may be recorded. It re-checks the
taxonomy, the legal-basis registry and the prohibited-grounds firewall when it is constructed,
so that no code path -- not even one that bypasses the loader -- can make a kind outside the
engine's taxonomy, without an authorising legal basis, or naming a prohibited ground.

A :class:`ValidRecord` is an incoming record that passed validation, with every value normalised;
:meth:`ValidRecord.payload` is the canonical JSON-able content of its ledger entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from socialcredit.catalogue import _firewall as firewall
from socialcredit.catalogue._legal_basis import registry
from socialcredit.catalogue._taxonomy import conduct_taxonomy
from socialcredit.catalogue._timestamps import format_us, parse_canonical
from socialcredit.errors import CatalogueError, Problem, RecordRefusedError

__all__ = ["FieldSpec", "Gravity", "RecordKind", "SubjectKind", "ValidRecord"]


class SubjectKind(StrEnum):
    """Who a record is about."""

    PERSON = "person"
    ORGANISATION = "organisation"


class Gravity(StrEnum):
    """How grave the recorded conduct is; ``neutral`` facts carry no points by themselves.

    Neutral kinds (an obligation performed, inability to pay declared) exist so that later rules
    can restore a subject to good standing or freeze sanctions for hardship.
    """

    MINOR = "minor"
    GENERAL = "general"
    SERIOUS = "serious"
    POSITIVE = "positive"
    NEUTRAL = "neutral"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How a kind takes one optional record field (``amount`` or ``evidence``).

    Attributes:
        required: whether a record of this kind must carry the field.
        unit: the unit of an ``amount`` (``CNY``, ``hours``, ``ml``, ...); None for ``evidence``.
    """

    required: bool = False
    unit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The spec as it is written in catalogue YAML."""
        out: dict[str, Any] = {} if self.unit is None else {"unit": self.unit}
        out["required"] = self.required
        return out


@dataclass(frozen=True, slots=True)
class RecordKind:
    """One kind of record the catalogue allows: a choice within the engine's taxonomy.

    Attributes:
        id: snake_case identifier used in records.
        name: human-readable name.
        subject_kinds: who a record of this kind may be about (within the category's).
        context: the context the conduct belongs to: always the category's (purpose binding
            starts here).
        gravity: gravity tier (one the category allows).
        legal_basis: the id of the legal-basis registry entry that authorises recording the
            category (``spc-dishonest-debtors-2017/art1-1``).
        retention: the retention period as written (``5y``, ``180d``).
        retention_days: the same period in days (a year counts 365 days, a month 30, a week 7);
            at most the category's maximum.
        category: the taxonomy category the kind belongs to.
        amount: how the kind takes an ``amount``, or None if it takes none.
        evidence: how the kind takes ``evidence``, or None if it takes none.

    Raises:
        CatalogueError: on construction, if the kind leaves its taxonomy category, cites a
            registry entry that does not authorise the category, or names a prohibited ground.
    """

    id: str
    name: str
    subject_kinds: tuple[SubjectKind, ...]
    context: str
    gravity: Gravity
    legal_basis: str
    retention: str
    retention_days: int
    category: str = ""
    amount: FieldSpec | None = None
    evidence: FieldSpec | None = None

    def __post_init__(self) -> None:
        # Defence in depth: the loader reports these with key paths; this refuses them anywhere.
        problems = [Problem(f"kind {self.id}", reason) for reason in _refusals(self)]
        if problems:
            raise CatalogueError(f"record kind {self.id!r} refused", problems)

    @property
    def citation(self) -> str:
        """The full citation of the kind's legal basis, with its registry id."""
        entry = registry().entry(self.legal_basis)
        return self.legal_basis if entry is None else f"{entry.citation} [{entry.id}]"

    def as_dict(self) -> dict[str, Any]:
        """The kind as it is written in catalogue YAML (loading it gives an equal kind)."""
        fields = {
            name: spec.as_dict()
            for name, spec in (("amount", self.amount), ("evidence", self.evidence))
            if spec is not None
        }
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "subject_kinds": [s.value for s in self.subject_kinds],
            "gravity": self.gravity.value,
            "legal_basis": self.legal_basis,
            "retention": self.retention,
            "fields": fields,
        }


def _refusals(kind: RecordKind) -> list[str]:
    """Every reason the taxonomy, the registry or the firewall refuses ``kind`` (empty if none)."""
    texts = [kind.id, kind.name, kind.context, kind.category, kind.legal_basis]
    texts += [spec.unit for spec in (kind.amount, kind.evidence) if spec and spec.unit]
    reasons = [r for text in texts for r in firewall.term_reasons(text)]
    category = conduct_taxonomy().category(kind.category)
    if category is None:
        return [*reasons, f"category {kind.category!r} is not in the engine's taxonomy"]
    if kind.context != category.context:
        reasons.append(f"context {kind.context!r} is not its category's ({category.context})")
    outside = [s.value for s in kind.subject_kinds if s.value not in category.subject_kinds]
    if outside:
        reasons.append(f"subject kinds {outside} are outside category {category.id!r}")
    if kind.gravity.value not in category.gravities:
        reasons.append(f"gravity {kind.gravity.value!r} is outside category {category.id!r}")
    if kind.retention_days > category.max_retention_days:
        reasons.append(f"retention {kind.retention} exceeds {category.max_retention}")
    basis = registry().record_reason(kind.legal_basis, category.id)
    return reasons + ([basis] if basis else [])


@dataclass(frozen=True, slots=True)
class ValidRecord:
    """An incoming record that passed validation, with normalised values.

    Attributes:
        subject_id: normalised resident id or USCC.
        subject_kind: ``person`` or ``organisation``.
        kind: the record kind's id.
        occurred_at: when the conduct happened, aware, in UTC.
        occurred_at_us: the same instant in microseconds since the Unix epoch.
        source: who filed the record.
        amount: a whole, non-negative amount in the kind's unit, if the kind takes one.
        evidence: a reference to the evidence (document number, case number), if given.
        idempotency_key: the filer's key for deduplicating retries, if given.
    """

    subject_id: str
    subject_kind: SubjectKind
    kind: str
    occurred_at: datetime
    occurred_at_us: int
    source: str
    amount: int | None = None
    evidence: str | None = None
    idempotency_key: str | None = None

    def payload(self) -> dict[str, Any]:
        """Canonical JSON-able content of the ledger entry (no floats; absent options omitted)."""
        out: dict[str, Any] = {
            "subject": {"kind": self.subject_kind.value, "id": self.subject_id},
            "kind": self.kind,
            "occurred_at": format_us(self.occurred_at_us),
            "source": self.source,
        }
        if self.amount is not None:
            out["amount"] = self.amount
        if self.evidence is not None:
            out["evidence"] = self.evidence
        if self.idempotency_key is not None:
            out["idempotency_key"] = self.idempotency_key
        return out

    def payload_json(self) -> bytes:
        """:meth:`payload` in canonical JSON (sorted keys, compact): the ingest hot path.

        Equal, byte for byte, to ``orjson.dumps(self.payload(), option=OPT_SORT_KEYS)``
        (tests/test_records.py checks it).
        """
        return encode_payload(
            self.kind,
            self.subject_kind.value,
            self.subject_id,
            self.occurred_at_us,
            self.source,
            self.amount,
            self.evidence,
            self.idempotency_key,
        )

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> ValidRecord:
        """Rebuild a record from :meth:`payload` output (e.g. read back from the ledger).

        Only the shape is checked, not the catalogue: a record filed under an earlier catalogue
        must still decode after the catalogue changes.

        Raises:
            RecordRefusedError: listing every problem, if ``payload`` is not a canonical payload.
        """
        problems = [
            Problem(str(key), "not part of a record payload")
            for key in sorted(set(payload) - _PAYLOAD_KEYS, key=str)
        ]
        subject = payload.get("subject")
        if not isinstance(subject, Mapping) or set(subject) != {"kind", "id"}:
            problems.append(Problem("subject", "must be a mapping with exactly kind and id"))
            subject = {}
        if subject.get("kind") not in _SUBJECT_KIND_VALUES:
            problems.append(Problem("subject.kind", "must be person or organisation"))
        texts = {"subject.id": subject.get("id"), "kind": payload.get("kind")}
        texts["source"] = payload.get("source")
        texts.update((key, payload[key]) for key in _OPTIONAL_TEXT if key in payload)
        problems.extend(Problem(k, "must be text") for k, v in texts.items() if type(v) is not str)
        when = payload.get("occurred_at")
        parsed = parse_canonical(when) if isinstance(when, str) else None
        if parsed is None:
            problems.append(Problem("occurred_at", "must be canonical YYYY-MM-DDTHH:MM:SS[.f]Z"))
        amount = payload.get("amount")
        if "amount" in payload and (type(amount) is not int or amount < 0):
            problems.append(Problem("amount", "must be a non-negative integer"))
        if problems or parsed is None:
            raise RecordRefusedError("not a canonical record payload", problems)
        return cls(
            subject_id=subject["id"],
            subject_kind=SubjectKind(subject["kind"]),
            kind=payload["kind"],
            occurred_at=parsed[0],
            occurred_at_us=parsed[1],
            source=payload["source"],
            amount=amount,
            evidence=payload.get("evidence"),
            idempotency_key=payload.get("idempotency_key"),
        )


_json_text = orjson.dumps  # a str as a JSON string literal, escaped exactly as orjson does

# Conduct dates repeat a great deal in real feeds; formatting is most of encoding's cost.
_OCCURRED_TEXTS: dict[int, bytes] = {}


def encode_payload(
    kind: str,
    subject_kind: str,
    subject_id: str,
    occurred_at_us: int,
    source: str,
    amount: int | None,
    evidence: str | None,
    idempotency_key: str | None,
) -> bytes:
    """The canonical JSON of a record payload from already-validated values.

    Assembled directly because building the dict and sorting its keys cost more than the rest
    of encoding; the key order below is the sorted order.
    """
    parts = []
    if amount is not None:
        parts.append(b'"amount":%d' % amount)
    if evidence is not None:
        parts.append(b'"evidence":' + _json_text(evidence))
    if idempotency_key is not None:
        parts.append(b'"idempotency_key":' + _json_text(idempotency_key))
    # Kind ids, canonical times and validated identifiers need no escaping.
    parts.append(
        b'"kind":"%s","occurred_at":"%s","source":%s,"subject":{"id":"%s","kind":"%s"}'
        % (
            kind.encode(),
            _occurred_text(occurred_at_us),
            _json_text(source),
            subject_id.encode(),
            subject_kind.encode(),
        )
    )
    return b"{" + b",".join(parts) + b"}"


def _occurred_text(us: int) -> bytes:
    text = _OCCURRED_TEXTS.get(us)
    if text is None:
        if len(_OCCURRED_TEXTS) >= 2**16:
            _OCCURRED_TEXTS.clear()
        text = _OCCURRED_TEXTS[us] = format_us(us).encode()
    return text


_PAYLOAD_KEYS = frozenset(
    {"subject", "kind", "occurred_at", "source", "amount", "evidence", "idempotency_key"}
)
_SUBJECT_KIND_VALUES = frozenset(s.value for s in SubjectKind)
_OPTIONAL_TEXT = ("evidence", "idempotency_key")

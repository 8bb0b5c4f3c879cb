"""Joint memoranda: which agency's list triggers which other agency's measure, signed by all.

A memorandum (the joint reward or punishment memoranda, such as the 2016 memorandum on
dishonest judgment debtors) is drafted as a YAML document and signed offline by every agency
it names (:func:`sign_memorandum_file`), then recorded as one ``MemorandumConcluded`` entry
(:func:`record_memorandum`)::

    id: joint-punishment-debtors-2016        # a lower-case slug, unique in the ledger
    title: Memorandum on joint punishment of dishonest judgment debtors
    reference: Fa Gai Cai Jin [2016] No. 141  # optional
    effective: 2026-01-01                     # optional (default: when recorded); UTC day
    ends: null                                # optional
    links:
      - list: dishonest_judgment_debtors      # a list of the policy in force ...
        of: court:supreme-peoples-court       # ... kept by this agency
        measure: no_air_travel                # a measure of the policy in force ...
        by: transport_operator:civil-aviation # ... applied by this agency
        context: transport                    # the measure's context
        legal_basis: spc-high-consumption-2015/art3-1
    signatures: [...]                         # one per agency named, over the digest

The digest is SHA-256 of the canonical JSON of the document without ``signatures``; each
signature is Ed25519 by the agency's registered key over ``b"socialcredit memorandum v1\\n"``
and the digest (the same signature items as policy bundles use,
:mod:`socialcredit.policy._signatures`, with the agency's name as the role).

Refused, with every problem keyed by its field and nothing written: a signature missing,
by another key than the agency's registered one, or not verifying; an unknown agency, list,
measure or legal basis; a context that is not the measure's; a list outside the listing
agency's competence or a measure outside the applying agency's
(:func:`socialcredit.agencies._registry.competence`); a restriction on a red list or a reward
on a black one; a legal basis that does not authorise the measure type in its context when
triggered from the list's context (purpose binding); and any text the prohibited-grounds
firewall refuses.

**Semantics.** A memorandum documents and attributes cross-agency links; it never adds a
restriction to the policy. A link takes effect only where the policy in force links the list
to the measure as well (a policy goes through governance, notice and impact assessment; a
memorandum must not be a way round them). Where both hold, a decision that applies the
measure because of the list cites the memorandum (:func:`citations`); a memorandum link the
policy does not carry is shown as not applied.

The n-th memorandum's idempotency key is ``memorandum#n``, so readers find every memorandum
with a few key lookups instead of a ledger scan.

**Ending early.** A joining agency may end a memorandum before its ``ends`` day with a
``MemorandumEnded`` entry (:mod:`.endings`): signed by that agency with its key in force, with a
reason. From the entry's ledger time the memorandum is no longer in force, so decisions no
longer cite it. Its idempotency key is ``memorandum-ended:<id>``: one ending per memorandum,
found by key lookup (:attr:`RecordedMemorandum.ended`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import yaml

from socialcredit.agencies._registry import Agency, find_agency
from socialcredit.agencies.events import MemorandumConcludedV1, MemorandumEndedV1
from socialcredit.catalogue import (
    UniqueKeyLoader,
    prohibited_category_reason,
    registry,
    term_reasons,
)
from socialcredit.errors import NotFoundError, Problem, ValidationError
from socialcredit.events import EVENTS
from socialcredit.ledger import Entry, Ledger, Signer, entry_of, utc_now_us
from socialcredit.policy import (
    PolicyBundle,
    Signature,
    SignatureSet,
    bundle_in_force,
    default_bundle,
    sign_digest,
    signature_set,
    verifies,
    with_signature,
)
from socialcredit.timeutil import format_time, from_us, to_us

__all__ = [
    "MEMORANDUM_CONCLUDED",
    "MEMORANDUM_DOMAIN",
    "Citation",
    "Ending",
    "Memorandum",
    "MemorandumLink",
    "RecordedMemorandum",
    "check_memorandum",
    "citations",
    "ending_key",
    "load_memorandum_file",
    "memoranda",
    "memorandum",
    "parse_memorandum",
    "record_memorandum",
    "sign_memorandum_file",
]

MEMORANDUM_CONCLUDED = MemorandumConcludedV1.TYPE
MEMORANDUM_DOMAIN = b"socialcredit memorandum v1\n"
_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEYS = {"id", "title", "reference", "effective", "ends", "links", "signatures"}
_LINK_KEYS = ("list", "of", "measure", "by", "context", "legal_basis")
_PROBE = 32  # idempotency keys asked for at a time when listing memoranda


@dataclass(frozen=True, slots=True)
class MemorandumLink:
    """List ``list`` kept by agency ``of`` triggers measure ``measure`` applied by ``by``."""

    list: str
    of: str
    measure: str
    by: str
    context: str
    legal_basis: str

    def as_dict(self) -> dict[str, str]:
        """The link as written in a memorandum."""
        return {k: getattr(self, k) for k in _LINK_KEYS}


@dataclass(frozen=True, slots=True)
class Memorandum:
    """A memorandum's content (what its parties sign)."""

    id: str
    title: str
    links: tuple[MemorandumLink, ...]
    reference: str | None = None
    effective: str | None = None
    ends: str | None = None

    @property
    def parties(self) -> tuple[str, ...]:
        """Every agency the memorandum names, in order of first mention."""
        return tuple(dict.fromkeys(name for k in self.links for name in (k.of, k.by)))

    def as_dict(self) -> dict[str, Any]:
        """The document without signatures."""
        return {
            "id": self.id,
            "title": self.title,
            "reference": self.reference,
            "effective": self.effective,
            "ends": self.ends,
            "links": [k.as_dict() for k in self.links],
        }

    def digest(self) -> str:
        """SHA-256 (hex) of the canonical JSON of :meth:`as_dict`: what the parties sign."""
        return hashlib.sha256(orjson.dumps(self.as_dict(), option=orjson.OPT_SORT_KEYS)).hexdigest()


class Ending(NamedTuple):
    """How a memorandum was ended early: by which agency, why, in which entry and when."""

    agency: str
    reason: str
    position: int
    recorded_us: int


class Citation(NamedTuple):
    """What a decision cites: the memorandum that links a list to a measure."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class RecordedMemorandum:
    """A memorandum as recorded: content, signatures, position and time, and its early end
    (None while none is recorded)."""

    memorandum: Memorandum
    signatures: tuple[Signature, ...]
    position: int
    recorded_us: int
    ended: Ending | None = None

    @property
    def effective_us(self) -> int:
        """When it takes effect: its ``effective`` day, else when it was recorded."""
        text = self.memorandum.effective
        return self.recorded_us if text is None else _day_us(text)

    @property
    def ends_us(self) -> int | None:
        """When it ends (its ``ends`` day), or None."""
        text = self.memorandum.ends
        return None if text is None else _day_us(text)

    def in_force(self, at_us: int) -> bool:
        """Whether it is in force at ``at_us`` (and was recorded by then, and not ended early
        by then)."""
        ends = self.ends_us
        return (
            self.recorded_us <= at_us
            and self.effective_us <= at_us
            and (ends is None or at_us < ends)
            and (self.ended is None or at_us < self.ended.recorded_us)
        )

    def to_json(
        self, bundle: PolicyBundle | None = None, at_us: int | None = None
    ) -> dict[str, Any]:
        """The memorandum as JSON-able values; with ``bundle``, each link says whether that
        policy carries it (``applied``); with ``at_us``, whether it is in force then."""
        links: list[dict[str, Any]] = [k.as_dict() for k in self.memorandum.links]
        if bundle is not None:
            carried = {(k.list, k.measure) for k in bundle.measures.links}
            links = [{**k, "applied": (k["list"], k["measure"]) in carried} for k in links]
        out: dict[str, Any] = {
            **self.memorandum.as_dict(),
            "links": links,
            "parties": list(self.memorandum.parties),
            "digest": self.memorandum.digest(),
            "signatures": [{"agency": s.role, "public_key": s.public_key} for s in self.signatures],
            "position": self.position,
            "recorded": format_time(self.recorded_us),
            "ended": None if self.ended is None else _ending_json(self.ended),
        }
        if at_us is not None:
            out["in_force"] = self.in_force(at_us)
        return out


def _ending_json(ended: Ending) -> dict[str, Any]:
    return {
        "agency": ended.agency,
        "reason": ended.reason,
        "position": ended.position,
        "at": format_time(ended.recorded_us),
    }


def _day_us(text: str) -> int:
    return to_us(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC))


# -- the document ------------------------------------------------------------------------------


def parse_memorandum(document: object) -> tuple[Memorandum | None, list[Problem]]:
    """Check the form of a parsed memorandum document (not yet against the ledger).

    Returns:
        The memorandum (None if its form is wrong) and every problem, keyed by field.
    """
    if not isinstance(document, Mapping):
        return None, [Problem("(memorandum)", "must be a mapping")]
    problems = [Problem(str(k), "unknown key") for k in document if k not in _KEYS]
    memo_id, title = document.get("id"), document.get("title")
    if not isinstance(memo_id, str) or not _SLUG.fullmatch(memo_id):
        problems.append(Problem("id", f"must be a lower-case slug, got {memo_id!r}"))
    if not isinstance(title, str) or not title.strip():
        problems.append(Problem("title", "required text"))
    reference = document.get("reference")
    if reference is not None and not isinstance(reference, str):
        problems.append(Problem("reference", "must be text"))
    days = {k: _day_text(document.get(k), k, problems) for k in ("effective", "ends")}
    if days["effective"] and days["ends"] and days["ends"] <= days["effective"]:
        problems.append(Problem("ends", "must be after effective"))
    links = _links(document.get("links"), problems)
    for field, value in (("id", memo_id), ("title", title), ("reference", reference)):
        if isinstance(value, str):
            problems += [Problem(field, r) for r in term_reasons(value)]
    if problems:
        return None, problems
    assert isinstance(memo_id, str) and isinstance(title, str)
    clean = " ".join(title.split())
    memo = Memorandum(memo_id, clean, links, reference, days["effective"], days["ends"])
    return memo, []


def _day_text(value: object, field: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else value
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        problems.append(Problem(field, f"must be a day YYYY-MM-DD (UTC), got {value!r}"))
        return None
    try:
        _day_us(text)
    except ValueError as exc:
        problems.append(Problem(field, str(exc)))
        return None
    return text


def _links(raw: object, problems: list[Problem]) -> tuple[MemorandumLink, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("links", "must be a non-empty list of links"))
        return ()
    out: list[MemorandumLink] = []
    for i, item in enumerate(raw):
        where = f"links[{i}]"
        if not isinstance(item, Mapping):
            problems.append(Problem(where, "must be a mapping"))
            continue
        before = len(problems)
        problems += [Problem(f"{where}.{k}", "unknown key") for k in item if k not in _LINK_KEYS]
        for key in _LINK_KEYS:
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.append(Problem(f"{where}.{key}", "required text"))
            else:
                problems += [Problem(f"{where}.{key}", r) for r in term_reasons(item[key])]
        if len(problems) == before:
            link = MemorandumLink(*(str(item[k]).strip() for k in _LINK_KEYS))
            if link in out:
                problems.append(Problem(where, "the same link is listed twice"))
            out.append(link)
    return tuple(out)


def load_memorandum_file(path: str | Path) -> tuple[Memorandum, SignatureSet]:
    """Load a memorandum file: the document and its ``signatures`` list.

    Raises:
        ValidationError: listing every problem of the document's form, keyed ``FILE:field``,
            or if the file cannot be read.
    """
    name = Path(path).name
    try:
        document = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=UniqueKeyLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValidationError("memorandum not read", [Problem(name, str(exc))]) from None
    memo, found = parse_memorandum(document)
    if memo is None:
        problems = [Problem(f"{name}:{p.field}", p.reason) for p in found]
        raise ValidationError(f"memorandum refused ({len(problems)} problems)", problems)
    assert isinstance(document, Mapping)
    listed = document.get("signatures")
    return memo, signature_set(listed, f"{name}:signatures", present=listed is not None)


def sign_memorandum_file(path: str | Path, signer: Signer, agency_name: str) -> tuple[str, int]:
    """Sign the memorandum in ``path`` as agency ``agency_name`` with its key ``signer``; keep
    the signature in the file's ``signatures`` (replacing the agency's earlier one).

    Returns:
        The digest signed and how many signatures the file now holds.

    Raises:
        ValidationError: listing every problem of the document's form, or naming ``agency``
            if the memorandum does not name it.
    """
    memo, _ = load_memorandum_file(path)
    if agency_name not in memo.parties:
        reason = f"{agency_name!r} is not a party ({', '.join(memo.parties)})"
        raise ValidationError("not signed", [Problem("agency", reason)])
    document = dict(yaml.load(Path(path).read_text(encoding="utf-8"), Loader=UniqueKeyLoader))
    listed = document.get("signatures") or []
    if not isinstance(listed, list):
        raise ValidationError("not signed", [Problem("signatures", "must be a list")])
    signature = sign_digest(signer, agency_name, memo.digest(), MEMORANDUM_DOMAIN)
    document["signatures"] = with_signature(listed, signature)
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    Path(path).write_text(text, encoding="utf-8")
    return memo.digest(), len(document["signatures"])


# -- checking against the ledger -------------------------------------------------------------------


def _bundle(ledger: Ledger, at_us: int) -> PolicyBundle:
    moment = from_us(at_us)
    published = bundle_in_force(ledger, moment, moment)
    return default_bundle() if published is None else published.bundle


def check_memorandum(
    ledger: Ledger, memo: Memorandum, signed: SignatureSet, at_us: int | None = None
) -> tuple[list[Signature], list[Problem]]:
    """Check ``memo`` against the ledger (agencies, the policy in force at ``at_us``, default
    now, the legal-basis registry, competence) and its signatures.

    Returns:
        The valid signatures and every problem (empty: it may be recorded).
    """
    at_us = utc_now_us() if at_us is None else at_us
    problems: list[Problem] = []
    if any(r.memorandum.id == memo.id for r in memoranda(ledger)):
        problems.append(Problem("id", f"a memorandum {memo.id!r} is recorded already"))
    agencies = {name: find_agency(ledger, name) for name in memo.parties}
    bundle = _bundle(ledger, at_us)
    for i, link in enumerate(memo.links):
        problems += _link_problems(f"links[{i}]", link, agencies, bundle)
    valid, found = _signatures(memo, signed, agencies)
    return valid, problems + found


def _link_problems(
    where: str, link: MemorandumLink, agencies: Mapping[str, Agency | None], bundle: PolicyBundle
) -> list[Problem]:
    problems = [
        Problem(f"{where}.{field}", f"{name!r} is not a registered agency")
        for field, name in (("of", link.of), ("by", link.by))
        if agencies.get(name) is None
    ]
    lists = {d.id: d for d in bundle.lists}
    measures = {m.id: m for m in bundle.measures.measures}
    listed, measure = lists.get(link.list), measures.get(link.measure)
    if listed is None:
        known = ", ".join(lists)
        problems.append(Problem(f"{where}.list", f"unknown list {link.list!r} ({known})"))
    if measure is None:
        known = ", ".join(measures)
        problems.append(Problem(f"{where}.measure", f"unknown measure {link.measure!r} ({known})"))
    if listed is None or measure is None:
        return problems + _basis_only(where, link)
    if link.context != measure.context:
        reason = f"{link.measure} applies in {measure.context!r}, not {link.context!r}"
        problems.append(Problem(f"{where}.context", reason))
    if (listed.colour.value == "black") != (measure.effect.value == "restriction"):
        reason = f"a {measure.effect.value} cannot be triggered by a {listed.colour.value} list"
        problems.append(Problem(f"{where}.measure", reason))
    problems += _competence(where, link, agencies, listed.context, measure.context)
    for ground in listed.grounds:
        kind = bundle.catalogue.kinds.get(ground.kind)
        banned = None if kind is None else prohibited_category_reason(kind.category)
        if banned:
            problems.append(Problem(f"{where}.list", banned))
    refused = registry().measure_reason(
        link.legal_basis, measure.type, measure.context, listed.context
    )
    if refused:
        problems.append(Problem(f"{where}.legal_basis", refused))
    return problems


def _basis_only(where: str, link: MemorandumLink) -> list[Problem]:
    _, reason = registry().lookup(link.legal_basis)
    return [Problem(f"{where}.legal_basis", reason)] if reason else []


def _competence(
    where: str,
    link: MemorandumLink,
    agencies: Mapping[str, Agency | None],
    list_context: str,
    measure_context: str,
) -> list[Problem]:
    problems = []
    for field, name, context, what in (
        ("of", link.of, list_context, f"list {link.list}"),
        ("by", link.by, measure_context, f"measure {link.measure}"),
    ):
        found = agencies.get(name)
        if found is not None and context not in found.competence:
            reason = (
                f"{what} is in context {context!r}, outside the competence of {name} "
                f"({found.authority}: {', '.join(sorted(found.competence)) or 'none'})"
            )
            problems.append(Problem(f"{where}.{field}", reason))
    return problems


def _signatures(
    memo: Memorandum, signed: SignatureSet, agencies: Mapping[str, Agency | None]
) -> tuple[list[Signature], list[Problem]]:
    """Every party must sign once, with its registered key, over this digest."""
    digest, problems = memo.digest(), list(signed.problems)
    message = MEMORANDUM_DOMAIN + digest.encode("ascii")
    valid: dict[str, Signature] = {}
    for index, signature in signed.items:
        found = agencies.get(signature.role)
        if signature.role not in memo.parties:
            reason = f"{signature.role!r} is not a party ({', '.join(memo.parties)})"
            problems.append(Problem(signed.field(index, "role"), reason))
        elif found is None:
            continue  # reported on the link that names it
        elif signature.public_key != found.public_key:
            reason = f"not the key registered for {found.name} (entry {found.position})"
            problems.append(Problem(signed.field(index, "public_key"), reason))
        elif signature.digest is not None and signature.digest != digest:
            reason = f"signs digest {signature.digest[:16]}…, not this one ({digest[:16]}…)"
            problems.append(Problem(signed.field(index, "digest"), reason))
        elif not verifies(signature, message):
            reason = f"does not verify over digest {digest[:16]}… under {found.name}'s key"
            problems.append(Problem(signed.field(index, "signature"), reason))
        else:
            valid.setdefault(signature.role, signature)
    missing = [name for name in memo.parties if name not in valid]
    if missing:
        reason = f"unsigned by {', '.join(missing)}: every party must sign digest {digest}"
        problems.append(Problem(signed.source, reason))
    return list(valid.values()), problems


# -- the ledger ----------------------------------------------------------------------------------


def record_memorandum(ledger: Ledger, memo: Memorandum, signed: SignatureSet) -> RecordedMemorandum:
    """Record ``memo``, signed by every party, as a ``MemorandumConcluded`` entry.

    Raises:
        ValidationError: listing every problem (see :func:`check_memorandum`); nothing is
            written. Also if another memorandum was recorded at the same moment (retry).
        LedgerError: if the ledger is read-only.
    """
    valid, problems = check_memorandum(ledger, memo, signed)
    if problems:
        raise ValidationError(f"memorandum refused ({len(problems)} problems)", problems)
    number = len(memoranda(ledger)) + 1
    event = MemorandumConcludedV1(
        **memo.as_dict(),
        digest=memo.digest(),
        signatures=[
            {"agency": s.role, "public_key": s.public_key, "signature": s.signature} for s in valid
        ],
    )
    entry = entry_of(event, idempotency_key=f"memorandum#{number}")
    result = ledger.append([entry])[0]
    if result.duplicate:
        reason = "another memorandum was recorded at the same moment: record again"
        raise ValidationError("memorandum refused", [Problem("id", reason)])
    return read_memorandum(ledger.entry(result.position))


def read_memorandum(entry: Entry) -> RecordedMemorandum:
    """The memorandum a ``MemorandumConcluded`` entry holds.

    Raises:
        ValidationError: if it no longer parses or its digest does not match.
    """
    try:
        event = EVENTS.read_as(entry, MemorandumConcludedV1)
        memo, problems = parse_memorandum(event.document())
    except ValidationError as exc:
        memo, problems = None, list(exc.problems)
    if memo is None or memo.digest() != event.digest:
        problems = problems or [Problem("digest", "does not match the document")]
        raise ValidationError(
            f"entry {entry.position} is not a memorandum that replays",
            [Problem(f"entry {entry.position}.{p.field}", p.reason) for p in problems],
        )
    signatures = tuple(
        Signature(str(s["agency"]), str(s["public_key"]), str(s["signature"]), memo.digest())
        for s in event.signatures
    )
    return RecordedMemorandum(memo, signatures, entry.position, entry.recorded_at_us)


def memoranda(ledger: Ledger) -> list[RecordedMemorandum]:
    """Every recorded memorandum, in ledger order, with its early end if one is recorded
    (found by their idempotency keys)."""
    out: list[RecordedMemorandum] = []
    size = ledger.size()
    while True:
        keys = [f"memorandum#{n}" for n in range(len(out) + 1, len(out) + _PROBE + 1)]
        found = ledger.store.find_idempotency_keys(keys)
        positions = [found[k] for k in keys if k in found and found[k] < size]
        out += [read_memorandum(ledger.entry(p)) for p in positions]
        if len(positions) < len(keys):
            return _with_endings(ledger, out, size)


def ending_key(memo_id: str) -> str:
    """The idempotency key of the entry that ends memorandum ``memo_id`` early."""
    return f"memorandum-ended:{memo_id}"


def _with_endings(
    ledger: Ledger, recorded: list[RecordedMemorandum], size: int
) -> list[RecordedMemorandum]:
    keys = [ending_key(r.memorandum.id) for r in recorded]
    found = ledger.store.find_idempotency_keys(keys) if keys else {}
    out = []
    for r, key in zip(recorded, keys, strict=True):
        position = found.get(key)
        if position is not None and position < size:
            entry = ledger.entry(position)
            ended = EVENTS.read_as(entry, MemorandumEndedV1)
            ending = Ending(ended.agency, ended.reason, position, entry.recorded_at_us)
            r = replace(r, ended=ending)
        out.append(r)
    return out


def memorandum(ledger: Ledger, memo_id: str) -> RecordedMemorandum:
    """The memorandum recorded as ``memo_id``.

    Raises:
        NotFoundError: if there is none.
    """
    for recorded in memoranda(ledger):
        if recorded.memorandum.id == memo_id:
            return recorded
    raise NotFoundError(f"no memorandum {memo_id!r} is recorded")


def citations(
    recorded: Iterable[RecordedMemorandum], at_us: int
) -> dict[tuple[str, str], Citation]:
    """``(list, measure) -> the memorandum to cite`` for the memoranda in force at ``at_us``
    (the earliest recorded one, where several link the same pair)."""
    out: dict[tuple[str, str], Citation] = {}
    for r in recorded:
        if r.in_force(at_us):
            for link in r.memorandum.links:
                citation = Citation(r.memorandum.id, r.memorandum.title)
                out.setdefault((link.list, link.measure), citation)
    return out

"""Sources: who files a record, under which kind of authority, and the references it may cite.

A record's ``source`` names its authority kind and itself, ``<authority kind>:<name>``
(``court:beijing-chaoyang``, ``transport_operator:beijing-subway``), the authority kind being
one of the conduct taxonomy's. Because the name carries the authority kind, every record in
the ledger says on its face which kind of authority filed it, and record validation (a pure
function of the record) can hold it to two rules of the taxonomy:

- the source may file only kinds whose category its authority kind may establish (a transport
  operator files fare evasion, never a court enforcement);
- the record's ``evidence`` must be a reference of that authority kind's form (a court case
  number, a decision number, an invoice number): a reference, not prose.

Who may file as a source is decided where the filer is known: an API source account *is* a
:class:`Source` (its name), and ingest stamps every row with the configured :class:`Source`
and refuses a row that names another (:meth:`socialcredit.catalogue.Catalogue.validate`'s
``source`` argument).

    >>> Source.named("court:beijing-chaoyang").authority
    'court'
    >>> make_reference("court", 2024, 1234)
    '(2024)京0105执1234号'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from socialcredit.catalogue import _firewall as firewall
from socialcredit.catalogue._cache import BoundedMemo
from socialcredit.catalogue._taxonomy import AuthorityKind, conduct_taxonomy
from socialcredit.errors import Problem, ValidationError

__all__ = ["MAX_SOURCE", "Source", "make_reference", "source_facts"]

#: The longest source name, in characters.
MAX_SOURCE = 100
_NAME = re.compile(r"([a-z][a-z_]*):([a-z0-9][a-z0-9._-]*)")
_FORM = (
    "must name its authority kind and itself as '<authority kind>:<name>' in lower case "
    "(e.g. 'court:beijing-chaoyang')"
)
# Made-up but well-formed references, for the demo city, the sample and tests (like
# make_resident_id): tests/test_references.py checks each matches its authority's pattern.
_TEMPLATES = {
    "court": "({year})京0105执{serial}号",
    "tax_authority": "京税稽罚〔{year}〕{serial}号",
    "market_regulator": "京市监罚〔{year}〕{serial}号",
    "creditor_under_contract": "LN-{year}-{serial:06d}",
    "payment_institution": "CC-{year}-{serial:06d}",
    "transport_operator": "E{year}{serial:08d}",
    "traffic_police": "110105{year}{serial:06d}",
    "labour_inspectorate": "京人社监察罚〔{year}〕{serial}号",
    "social_insurance_agency": "京社保稽〔{year}〕{serial}号",
    "environment_authority": "京环罚〔{year}〕{serial}号",
    "civil_affairs": "VS{year}{serial:07d}",
    "volunteer_organisation": "VR{year}{serial:07d}",
    "blood_station": "110000-{year}-{serial:08d}",
    "charitable_organisation": "JZ-{year}-{serial:07d}",
    "peoples_government": "京政发〔{year}〕{serial}号",
    "rating_platform": "RA-{year}-{serial:06d}",
    "training_provider": "PX-{year}-{serial:06d}",
}


def _source_facts(name: str) -> tuple[str, AuthorityKind] | str:
    text = name.strip()
    if len(text) > MAX_SOURCE:
        return f"at most {MAX_SOURCE} characters, got {len(text)}"
    match = _NAME.fullmatch(text)
    if match is None:
        return f"{_FORM}, not {_shown(text)}"
    authority = conduct_taxonomy().authority(match[1])
    if authority is None:
        known = ", ".join(conduct_taxonomy().authority_kinds)
        return f"{match[1]!r} is not an authority kind of the conduct taxonomy ({known})"
    screened = list(firewall.term_reasons(match[2]))
    if screened:
        return "; ".join(screened)
    return text, authority


#: ``source_facts(name)``: the stripped name and its authority kind, or why the name is refused.
#: Memoised: a feed has few sources.
source_facts: BoundedMemo[str, tuple[str, AuthorityKind] | str] = BoundedMemo(
    _source_facts, maxsize=2**12
)


def _shown(value: object) -> str:
    """``value`` for a refusal reason: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True, slots=True)
class Source:
    """A registered source: the name records are filed under, and its authority kind.

    Build one with :meth:`named` (the authority kind read from the name) or give both, which
    must agree.

    Attributes:
        name: ``<authority kind>:<name>``, e.g. ``court:beijing-chaoyang``.
        authority: the authority kind's id in the conduct taxonomy (``court``).

    Raises:
        ValidationError: naming ``source`` if the name is malformed, names no authority kind
            of the taxonomy or a prohibited ground; naming ``authority`` if the authority
            given is not the one the name carries.
    """

    name: str
    authority: str

    def __post_init__(self) -> None:
        facts = source_facts(self.name)
        if isinstance(facts, str):
            raise ValidationError("source refused", [Problem("source", facts)])
        if facts[0] != self.name:
            reason = "must not have surrounding spaces"
            raise ValidationError("source refused", [Problem("source", reason)])
        if facts[1].id != self.authority:
            reason = f"{self.authority!r} is not the authority kind of {self.name!r}"
            raise ValidationError("source refused", [Problem("authority", reason)])

    @classmethod
    def named(cls, name: str, authority: str | None = None) -> Source:
        """The source called ``name`` (``court:beijing-chaoyang``).

        Args:
            name: the source's name; surrounding spaces are dropped.
            authority: if given, the authority kind the name must carry.

        Raises:
            ValidationError: as :class:`Source` does.
        """
        facts = source_facts(name)
        if isinstance(facts, str):
            raise ValidationError("source refused", [Problem("source", facts)])
        return cls(facts[0], facts[1].id if authority is None else authority)

    @property
    def authority_kind(self) -> AuthorityKind:
        """The authority kind, with its reference pattern."""
        found = conduct_taxonomy().authority(self.authority)
        assert found is not None  # checked when the source was made
        return found


def make_reference(authority: str, year: int, serial: int) -> str:
    """A made-up reference of ``authority``'s form (for demos and tests).

    Raises:
        ValueError: for an unknown authority kind, a year outside 1900-2099 or a serial
            outside 1-999,999.
    """
    template = _TEMPLATES.get(authority)
    if template is None:
        raise ValueError(f"no authority kind {authority!r}")
    if not (1900 <= year <= 2099 and 1 <= serial <= 999_999):
        raise ValueError("year must be 1900-2099 and serial 1-999999")
    return template.format(year=year, serial=serial)

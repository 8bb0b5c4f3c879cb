"""Who files what in the demo: one registered source per authority kind, and their references.

The demo city, the shipped sample and the test factories file each record kind from a source
whose authority kind may establish the kind's category -- the first the taxonomy lists for it,
or the more fitting one named in :data:`FILED_BY` -- with evidence made up in that authority
kind's reference form (:func:`socialcredit.catalogue.make_reference`).

    >>> from socialcredit.catalogue import default_catalogue
    >>> source_of(default_catalogue().kind("fare_evasion")).name
    'transport_operator:beijing-railway'
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ..catalogue import RecordKind, Source, conduct_taxonomy, make_reference

__all__ = ["FILED_BY", "SOURCES", "authority_of", "reference_of", "source_of"]

#: The demo's source for each authority kind.
SOURCES: Mapping[str, Source] = MappingProxyType(
    {
        source.authority: source
        for source in map(
            Source.named,
            (
                "court:beijing-dongcheng",
                "tax_authority:beijing",
                "market_regulator:beijing",
                "creditor_under_contract:example-commercial-bank",
                "payment_institution:example-card-issuer",
                "transport_operator:beijing-railway",
                "traffic_police:beijing",
                "labour_inspectorate:beijing",
                "social_insurance_agency:beijing",
                "environment_authority:beijing",
                "civil_affairs:dongcheng",
                "volunteer_organisation:beijing-volunteers",
                "blood_station:beijing",
                "charitable_organisation:beijing-charity",
                "peoples_government:beijing",
                "rating_platform:assessment",
                "training_provider:beijing-credit-school",
            ),
        )
    }
)
#: Kinds filed by another of their category's authority kinds than the first listed.
FILED_BY: Mapping[str, str] = MappingProxyType(
    {
        "credit_card_default": "payment_institution",
        "social_insurance_arrears": "social_insurance_agency",
        "charitable_donation": "charitable_organisation",
    }
)


def authority_of(kind: RecordKind) -> str:
    """The authority kind that files ``kind`` in the demo."""
    chosen = FILED_BY.get(kind.id)
    if chosen is not None:
        return chosen
    category = conduct_taxonomy().category(kind.category)
    assert category is not None  # a RecordKind is always within the taxonomy
    return category.authorities[0]


def source_of(kind: RecordKind) -> Source:
    """The demo's source that files ``kind``."""
    return SOURCES[authority_of(kind)]


def reference_of(kind: RecordKind, year: int, serial: int) -> str:
    """A made-up reference for a record of ``kind`` in its filer's form.

    Raises:
        ValueError: for a year outside 1900-2099 or a serial outside 1-999,999.
    """
    return make_reference(authority_of(kind), year, serial)

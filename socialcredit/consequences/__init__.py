"""Consequences: red and black lists, measures, and audited decisions at points of service.

List memberships are a projection of the ledger (records, restorations, hardship) under the
policy bundle's ``listings.yaml``; a decision applies the bundle's ``measures.yaml`` to them and
is written to the ledger as a ``DecisionMade`` entry with the policy revision::

    service = DecisionService(ledger)
    decision = service.decide("person", resident_id, "air_travel", at)
    decision.outcome, decision.reasons, decision.recourse
    service.close()          # flushes the audit writer

See docs/consequences.md for the rules.
"""

from socialcredit.consequences._actions import (
    PUBLIC_STATUSES,
    PUBLISHED_GRAVITIES,
    IdentifiedListing,
    PublicListing,
    check_service,
    end_hardship,
    identified_members_of_list,
    lists_in_force,
    memberships_of_list,
    public_records,
    record_hardship,
    record_legal_representative,
    request_restoration,
    subject_consequences,
)
from socialcredit.consequences._audit import AuditWriter
from socialcredit.consequences._decisions import (
    CompiledConsequences,
    frozen_restrictions,
    make_decision,
    read_phrase,
)
from socialcredit.consequences._enquiries import (
    DECISION_MADE,
    EnquiryV1,
    enquiries_of,
    project_enquiries,
)
from socialcredit.consequences._exchange import ExportCheck, ListExport, export_list, verify_export
from socialcredit.consequences._model import (
    Decision,
    FrozenRestriction,
    Listing,
    ListTerms,
    Membership,
    Outcome,
    Reason,
    Status,
    SubjectConsequences,
    time_text,
)
from socialcredit.consequences._projection import (
    SubjectFacts,
    listings,
    membership_at,
    restoration_refusal,
)
from socialcredit.consequences._sector_listings import grade_moments, sector_grade_at
from socialcredit.consequences._service import ConsequenceView, DecisionService
from socialcredit.consequences._snapshot_refresh import refresh_snapshot

__all__ = [
    "DECISION_MADE",
    "PUBLIC_STATUSES",
    "PUBLISHED_GRAVITIES",
    "AuditWriter",
    "CompiledConsequences",
    "ConsequenceView",
    "Decision",
    "DecisionService",
    "EnquiryV1",
    "ExportCheck",
    "FrozenRestriction",
    "IdentifiedListing",
    "ListExport",
    "ListTerms",
    "Listing",
    "Membership",
    "Outcome",
    "PublicListing",
    "Reason",
    "Status",
    "SubjectConsequences",
    "SubjectFacts",
    "check_service",
    "end_hardship",
    "enquiries_of",
    "export_list",
    "frozen_restrictions",
    "grade_moments",
    "identified_members_of_list",
    "listings",
    "lists_in_force",
    "make_decision",
    "membership_at",
    "memberships_of_list",
    "project_enquiries",
    "public_records",
    "read_phrase",
    "record_hardship",
    "record_legal_representative",
    "refresh_snapshot",
    "request_restoration",
    "restoration_refusal",
    "sector_grade_at",
    "subject_consequences",
    "time_text",
    "verify_export",
]

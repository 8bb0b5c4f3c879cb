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

from socialcredit.consequences.actions import (
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
from socialcredit.consequences.audit import AuditWriter
from socialcredit.consequences.decisions import (
    CompiledConsequences,
    frozen_restrictions,
    make_decision,
)
from socialcredit.consequences.model import (
    Decision,
    FrozenRestriction,
    ListTerms,
    Membership,
    Outcome,
    Reason,
    Status,
    SubjectConsequences,
)
from socialcredit.consequences.service import ConsequenceView, DecisionService

__all__ = [
    "PUBLIC_STATUSES",
    "PUBLISHED_GRAVITIES",
    "AuditWriter",
    "CompiledConsequences",
    "ConsequenceView",
    "Decision",
    "DecisionService",
    "FrozenRestriction",
    "IdentifiedListing",
    "ListTerms",
    "Membership",
    "Outcome",
    "PublicListing",
    "Reason",
    "Status",
    "SubjectConsequences",
    "check_service",
    "end_hardship",
    "frozen_restrictions",
    "identified_members_of_list",
    "lists_in_force",
    "make_decision",
    "memberships_of_list",
    "public_records",
    "record_hardship",
    "record_legal_representative",
    "request_restoration",
    "subject_consequences",
]

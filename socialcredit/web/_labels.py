"""The portal's own words for the library's codes (roles, states, outcomes, statuses,
purposes...), in the request's language (:mod:`._i18n`): the ``label`` filter of every page,
and what :func:`._words.status` falls back to when the policy has no label for a status.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from . import _i18n
from ._i18n import N_

__all__ = ["LABELS", "label"]

#: Words for the library's codes (roles, states, outcomes, statuses, purposes...) that pages
#: show: ``{{ value|label }}``. A code not here is shown as written, marked ``translate="no"``.
LABELS = {
    # roles
    "public": N_("public"),
    "subject": N_("subject"),
    "source": N_("source"),
    "officer": N_("officer"),
    "appeal_officer": N_("appeal officer"),
    "service_point": N_("service point"),
    "auditor": N_("auditor"),
    "admin": N_("admin"),
    # kinds of subject
    "person": N_("person"),
    "organisation": N_("organisation"),
    # a record's status
    "active": N_("active"),
    "disputed": N_("disputed"),
    "suspended": N_("suspended"),
    "corrected": N_("corrected"),
    "withdrawn": N_("withdrawn"),
    "expired": N_("expired"),
    # a dispute's state, the next step on it, and its outcomes
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "decided": N_("decided"),
    "appealed": N_("appealed"),
    "appeal-decided": N_("appeal decided"),
    "overdue-ack": N_("overdue for acknowledgement"),
    "overdue-decision": N_("overdue for decision"),
    "acknowledge": N_("acknowledge"),
    "decide": N_("decide"),
    "decide-appeal": N_("decide the appeal"),
    "upheld": N_("upheld"),
    "deleted": N_("deleted"),
    "confirmed": N_("confirmed"),
    "pending": N_("pending"),
    # a service decision
    "allow": N_("allow"),
    "deny": N_("deny"),
    "reward": N_("reward"),
    # a listing's status, a list's colour
    "noticed": N_("noticed"),
    "listed": N_("listed"),
    "frozen": N_("frozen"),
    "restored": N_("restored"),
    "black": N_("black list"),
    "red": N_("red list"),
    # a record kind's gravity
    "minor": N_("minor"),
    "general": N_("general"),
    "serious": N_("serious"),
    "positive": N_("positive"),
    "neutral": N_("neutral"),
    # the purposes of reading a file
    "subject_access": N_("my own access"),
    "dispute_handling": N_("dispute handling"),
    "credit_decision_with_consent": N_("credit decision with consent"),
    "court_enforcement": N_("court enforcement"),
    "regulatory_supervision": N_("regulatory supervision"),
    "record_source_verification": N_("verification by the record's source"),
    "audit_without_personal_data": N_("audit without personal data"),
}


def label(code: object) -> Markup:
    """The words for a library code in the current language; an unknown code as written
    (underscores as spaces), marked as not for translation."""
    text = str(getattr(code, "value", code))
    if text in LABELS:
        return Markup(escape(_i18n.gettext(LABELS[text])))
    return Markup('<span translate="no">{}</span>').format(text.replace("_", " "))

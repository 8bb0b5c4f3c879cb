"""A memorandum triggered by a grade (issue 20): the tax authority's D grade, through a list
entered by that sector grade, triggers the market regulator's exclusion from government
procurement; the decision at the point of service denies, states the grade that opened the
listing and cites the memorandum, and allows again once the grade is no longer D."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from socialcredit.consequences import DecisionService
from socialcredit.ledger import Ledger
from socialcredit.policy import load_bundle_from_files, publish
from tests.memoranda.test_cases import _draft, _record, _register, moment, play, subject
from tests.test_policy_cases import edit_files

AGENCIES = [
    {"name": "tax_authority:sat", "title": "State Taxation Administration"},
    {"name": "market_regulator:samr", "title": "State Administration for Market Regulation"},
]
MEMORANDUM = {
    "id": "joint-punishment-tax-d-grade",
    "title": "Memorandum on joint punishment of taxpayers graded D",
    "reference": "Fa Gai Cai Jin [2014] No. 3062 (as commonly cited)",
    "links": [
        {
            "list": "tax_grade_d",
            "of": "tax_authority:sat",
            "measure": "no_government_procurement",
            "by": "market_regulator:samr",
            "context": "market_regulation",
            "legal_basis": "sat-tax-credit-2014/art32-5",
        }
    ],
}
TAX_D_LIST = {
    "id": "tax_grade_d",
    "name": "Taxpayers graded D",
    "colour": "black",
    "subject_kinds": ["organisation"],
    "context": "tax",
    "gravity": "serious",
    "legal_basis": "sat-tax-credit-2014/art32",
    "notice": "0d",
    "sector_grade": {"scheme": "taxpayer_credit", "grades": ["D"]},
}
BUNDLE_EDITS = [
    {"file": "listings.yaml", "append": "lists", "value": TAX_D_LIST},
    {
        "file": "measures.yaml",
        "append": "links",
        "value": {
            "list": "tax_grade_d",
            "measure": "no_government_procurement",
            "legal_basis": "sat-tax-credit-2014/art32-5",
        },
    },
]


def test_a_tax_d_grade_triggers_the_procurement_exclusion_the_memorandum_records(
    make_ledger: Callable[..., Ledger], clock: Any, tmp_path: Path
) -> None:
    ledger = make_ledger()
    publish(ledger, load_bundle_from_files(edit_files(BUNDLE_EDITS)))  # genesis: in force now
    keys = _register(ledger, tmp_path, AGENCIES)
    _record(ledger, _draft({"memorandum": MEMORANDUM}, keys, tmp_path))
    finding = {"kind": "tax_evasion", "occurred": "2026-01-01", "at": "2026-01-02"}
    play(ledger, clock, [finding], "organisation:1")
    who = subject("organisation:1")
    with DecisionService(ledger) as service:
        denied = service.decide(*who, "government_procurement", moment("2026-02-01"))
        (reason,) = denied.reasons
        assert denied.outcome.value == "deny"
        assert (reason.list_id, reason.memorandum) == ("tax_grade_d", MEMORANDUM["id"])
        assert "taxpayer_credit grade D" in str(denied.to_json())
        # three years on the finding's points have expired: grade A, no listing, allowed
        allowed = service.decide(*who, "government_procurement", moment("2029-03-01"))
        assert allowed.outcome.value == "allow" and not allowed.reasons
        service.flush()

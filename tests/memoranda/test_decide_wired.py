"""Decisions at points of service cite the memorandum they apply, whether the decision service
reads the whole ledger or only the subject's entries, and the audited entry holds the citation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from socialcredit.consequences import DecisionService
from tests.memoranda.test_cases import _cases, _draft, _record, _register, moment, play, subject


def test_a_decision_cites_the_memorandum_it_applies(
    make_ledger: Any, clock: Any, tmp_path: Path
) -> None:
    case = next(c.values[0] for c in _cases() if "cites it" in c.values[0]["name"])
    ledger = make_ledger()
    keys = _register(ledger, tmp_path, case["agencies"])
    _record(ledger, _draft(case, keys, tmp_path))
    play(ledger, clock, case["events"], "person:1")
    for scoped in (None, [subject("person:1")]):
        with DecisionService(ledger, subjects=scoped) as service:
            decision = service.decide(*subject("person:1"), "air_travel", moment("2026-02-01"))
            assert decision.reasons[0].memorandum == "joint-punishment-debtors-2016"
            service.flush()
        last = next(iter(ledger.entries(ledger.size() - 1)))
        assert last.data["reasons"][0]["memorandum"]["id"] == "joint-punishment-debtors-2016"

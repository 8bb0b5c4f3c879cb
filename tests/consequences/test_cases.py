"""Lists and measures of the default policy, data-driven: every case of
``tests/cases/consequences/*.yaml``.

Each case plays a sequence of events into a fresh ledger (records, hardship, restorations,
legal representatives, each at its ledger time) and checks memberships (list, status, from,
until) and decisions (outcome, measures) at given times. Decisions go through the real
:class:`DecisionService`, so every one is also audited in the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.consequences import DecisionService, Membership
from socialcredit.ledger import Ledger
from socialcredit.timeutil import from_us, to_us

from .helpers import moment, play, subject

CASES_DIR = Path(__file__).parent.parent / "cases" / "consequences"


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text())["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


def _day(us: int | None) -> str | None:
    return None if us is None else f"{from_us(us):%Y-%m-%d}"


def _membership_text(member: Membership) -> dict[str, str | None]:
    return {
        "status": member.status.value,
        "from": _day(member.from_us),
        "until": _day(member.until_us),
    }


@pytest.mark.parametrize("case", _cases())
def test_consequence_case(
    case: dict[str, Any], make_ledger: Callable[..., Ledger], clock: Any
) -> None:
    ledger = make_ledger()
    default = case.get("subject", "person:1")
    play(ledger, clock, case["events"], default)
    with DecisionService(ledger) as service:
        for expected in case.get("memberships", []):
            who = subject(expected.get("subject", default))
            found = [
                _membership_text(m)
                for m in service.memberships(*who, to_us(moment(expected["at"])))
                if m.list_id == expected["list"]
            ]
            if expected["status"] == "none":
                assert not found, f"{expected}: {found}"
                continue
            wanted = {k: str(expected[k]) for k in ("status", "from", "until") if k in expected}
            assert any(wanted.items() <= m.items() for m in found), (expected, found)
        for expected in case.get("decisions", []):
            who = subject(expected.get("subject", default))
            decision = service.decide(*who, expected["service"], moment(expected["at"]))
            assert decision.outcome.value == expected["outcome"], (expected, decision.to_json())
            assert list(decision.measures) == expected.get("measures", []), decision.to_json()
            for fragment in expected.get("reason_contains", []):
                assert any(fragment in r.text for r in decision.reasons), decision.to_json()
    audited = [e for e in ledger.entries() if e.type == "DecisionMade"]
    assert len(audited) == len(case.get("decisions", []))

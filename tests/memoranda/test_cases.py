"""Joint memoranda, data-driven: every case of ``tests/cases/memoranda/*.yaml``.

Each case registers the agencies (each with its own key file), writes the memorandum to a
file, has the parties sign it with their keys (:func:`sign_memorandum_file`), records it
(:func:`record_memorandum`), plays records into the ledger, and decides at points of service
with the real decision path: the memberships of a :class:`DecisionService` and
:func:`make_decision` given the citations of the memoranda in force. A refused case checks
every expected problem and that nothing was written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.agencies import (
    citations,
    load_memorandum_file,
    memoranda,
    record_memorandum,
    register_agency,
    sign_memorandum_file,
)
from socialcredit.consequences import DecisionService, make_decision
from socialcredit.errors import ValidationError
from socialcredit.ledger import Ledger, Signer, create_key_file, public_key_text
from socialcredit.policy import default_bundle
from socialcredit.timeutil import to_us

from ..consequences.helpers import moment, play, subject

CASES = Path(__file__).parent.parent / "cases" / "memoranda"


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASES.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        for case in document["cases"]:
            case = {**case, "agencies": document["agencies"]}
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


def _register(ledger: Ledger, tmp_path: Path, agencies: list[dict[str, str]]) -> dict[str, Signer]:
    keys = {}
    for item in agencies:
        signer = create_key_file(tmp_path / f"{item['name'].replace(':', '_')}.pem")
        register_agency(ledger, item["name"], item["title"], public_key_text(signer.public_key))
        keys[item["name"]] = signer
    return keys


def _draft(case: dict[str, Any], keys: dict[str, Signer], tmp_path: Path) -> Path:
    """The memorandum file, signed as the case says, then tampered with as it says."""
    path = tmp_path / "memorandum.yaml"
    path.write_text(yaml.safe_dump(case["memorandum"], sort_keys=False))
    tamper = case.get("tamper", {})
    parties = [n for k in case["memorandum"]["links"] for n in (k["of"], k["by"])]
    for name in case.get("sign", list(dict.fromkeys(parties))):
        foreign = tamper.get("foreign_key") == name
        signer = create_key_file(tmp_path / "foreign.pem") if foreign else keys[name]
        sign_memorandum_file(path, signer, name)
    if tamper.get("edit"):
        document = yaml.safe_load(path.read_text())
        document["title"] += " (amended)"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _record(ledger: Ledger, path: Path) -> None:
    memo, signed = load_memorandum_file(path)
    record_memorandum(ledger, memo, signed)


@pytest.mark.parametrize("case", _cases())
def test_memorandum_case(
    case: dict[str, Any], make_ledger: Callable[..., Ledger], clock: Any, tmp_path: Path
) -> None:
    ledger = make_ledger()
    keys = _register(ledger, tmp_path, case["agencies"])
    if "refused" in case:
        _expect_refusal(case, ledger, keys, tmp_path)
        return
    _record(ledger, _draft(case, keys, tmp_path))
    if "applied" in case:
        links = memoranda(ledger)[0].to_json(default_bundle())["links"]
        assert [k["applied"] for k in links] == case["applied"]
    default = case.get("subject", "person:1")
    play(ledger, clock, case.get("events", []), default)
    with DecisionService(ledger) as service:
        for expected in case.get("decisions", []):
            _check_decision(ledger, service, subject(expected.get("subject", default)), expected)


def _expect_refusal(
    case: dict[str, Any], ledger: Ledger, keys: dict[str, Signer], tmp_path: Path
) -> None:
    if case.get("twice"):
        _record(ledger, _draft(case, keys, tmp_path))
    size = ledger.size()
    with pytest.raises(ValidationError) as caught:
        _record(ledger, _draft(case, keys, tmp_path))
    found = [(p.field, p.reason) for p in caught.value.problems]
    for want in case["refused"]:
        assert any(want["field"] in f and want["contains"] in r for f, r in found), (want, found)
    assert ledger.size() == size, "a refused memorandum wrote something"


def _check_decision(
    ledger: Ledger, service: DecisionService, who: tuple[str, str], expected: dict[str, Any]
) -> None:
    at_us = to_us(moment(expected["at"]))
    compiled = service.compiled_at(at_us)
    members = service.memberships(*who, at_us, compiled)
    cited = citations(memoranda(ledger), at_us)
    decision = make_decision(compiled, who, expected["service"], at_us, members, memoranda=cited)
    assert decision.outcome.value == expected["outcome"], (expected, decision.to_json())
    if "measures" in expected:
        assert list(decision.measures) == expected["measures"]
    if "memorandum" in expected:
        reasons = decision.to_json()["reasons"]
        assert reasons, "a cited decision has reasons"
        for reason in reasons:
            cited_id = reason.get("memorandum", {}).get("id")
            assert cited_id == expected["memorandum"], reason

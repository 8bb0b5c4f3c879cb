"""The lifecycle of joint memoranda, data-driven (``lifecycle_cases.yaml``): a memorandum ended
early by a joining agency, and agencies' key rotation. Each case records the memorandum and
lists a debtor, runs its steps (each refusal checked field by field, nothing written), then
decides at points of service with the real decision path, and re-verifies every recorded
signature against the key its agency held when it was recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.agencies import (
    citations,
    end_memorandum,
    find_agency,
    key_at,
    load_memorandum_file,
    memoranda,
    record_memorandum,
    register_agency,
    rotate_agency_key,
    sign_ending,
    sign_memorandum_file,
    sign_rotation,
    verify_memorandum,
)
from socialcredit.consequences import DecisionService, make_decision
from socialcredit.errors import ValidationError
from socialcredit.ledger import Ledger, Signer, create_key_file, public_key_text
from socialcredit.timeutil import to_us

from ..consequences.helpers import moment, play, subject

DOCUMENT = yaml.safe_load((Path(__file__).parent / "lifecycle_cases.yaml").read_text())
DEBTOR = "person:1"
LISTED = [{"kind": "debtor_obstructs_enforcement", "occurred": "2026-01-01", "at": "2026-01-02"}]


class _Keys:
    """Every agency's keys, oldest first, and fresh keys made on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.made, self.held = folder, 0, {}  # type: ignore[var-annotated]

    def fresh(self) -> Signer:
        self.made += 1
        return create_key_file(self.folder / f"key-{self.made}.pem")

    def pick(self, agency: str, which: str) -> Signer:
        """``own``/``old``: the key in force; ``superseded``: the one before; ``foreign``: new."""
        held = self.held.get(agency, [])
        if which in ("own", "old") and held:
            return held[-1]
        if which == "superseded" and len(held) > 1:
            return held[-2]
        return self.fresh()


def _world(ledger: Ledger, clock: Any, tmp_path: Path) -> _Keys:
    keys = _Keys(tmp_path)
    clock.now_us = to_us(moment("2025-12-01"))
    for item in DOCUMENT["agencies"]:
        signer = keys.fresh()
        register_agency(ledger, item["name"], item["title"], public_key_text(signer.public_key))
        keys.held[item["name"]] = [signer]
    clock.now_us = to_us(moment("2026-01-01"))
    _record(ledger, keys, tmp_path, DOCUMENT["memorandum"], "own")
    play(ledger, clock, LISTED, DEBTOR)
    return keys


def _record(ledger: Ledger, keys: _Keys, folder: Path, doc: dict[str, Any], which: str) -> None:
    path = folder / f"{doc['id']}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    parties = dict.fromkeys(n for k in doc["links"] for n in (k["of"], k["by"]))
    for name in parties:
        held = keys.held[name]
        old = which == "old" and len(held) > 1  # the key before the rotation, if any
        sign_memorandum_file(path, held[-2] if old else held[-1], name)
    record_memorandum(ledger, *load_memorandum_file(path))


def _step(ledger: Ledger, keys: _Keys, folder: Path, step: dict[str, Any]) -> None:
    if "end" in step:
        end = step["end"]
        which = end.get("key", "own")
        signer = keys.pick(end["by"], "superseded" if which == "old" else which)
        recorded = memoranda(ledger)[0]
        signature = sign_ending(signer, end["by"], recorded, end["reason"])
        end_memorandum(ledger, recorded.memorandum.id, end["reason"], signature)
    elif "rotate" in step:
        rotate, new = step["rotate"], keys.fresh()
        by = rotate["signed_by"]
        signer = new if by == "new" else keys.pick(rotate["agency"], by)
        new_key = public_key_text(new.public_key)
        signature = sign_rotation(signer, rotate["agency"], new_key)
        rotate_agency_key(ledger, rotate["agency"], new_key, signature)
        keys.held[rotate["agency"]].append(new)
    else:
        doc = {**DOCUMENT["memorandum"], "id": step["memorandum"]["id"]}
        _record(ledger, keys, folder, doc, step["memorandum"]["signed_with"])


@pytest.mark.parametrize("case", DOCUMENT["cases"], ids=[c["name"] for c in DOCUMENT["cases"]])
def test_lifecycle_case(
    case: dict[str, Any], make_ledger: Callable[..., Ledger], clock: Any, tmp_path: Path
) -> None:
    ledger = make_ledger()
    keys = _world(ledger, clock, tmp_path)
    for step in case["steps"]:
        clock.now_us = to_us(moment(step["at"]))
        if "refused" not in step:
            _step(ledger, keys, tmp_path, step)
            continue
        size = ledger.size()
        with pytest.raises(ValidationError) as caught:
            _step(ledger, keys, tmp_path, step)
        found = [(p.field, p.reason) for p in caught.value.problems]
        for want in step["refused"]:
            assert any(want["field"] in f and want["contains"] in r for f, r in found), found
        assert ledger.size() == size, "a refused step wrote something"
    with DecisionService(ledger) as service:
        for expected in case.get("decisions", []):
            _check_decision(ledger, service, expected)
    if case.get("verified"):
        assert all(verify_memorandum(ledger, r) == [] for r in memoranda(ledger))


def _check_decision(ledger: Ledger, service: DecisionService, expected: dict[str, Any]) -> None:
    at_us = to_us(moment(expected["at"]))
    compiled = service.compiled_at(at_us)
    who = subject(DEBTOR)
    members = service.memberships(*who, at_us, compiled)
    cited = citations(memoranda(ledger), at_us)
    decision = make_decision(compiled, who, expected["service"], at_us, members, memoranda=cited)
    assert decision.outcome.value == expected["outcome"]
    reasons = decision.to_json()["reasons"]
    assert reasons and all(
        r.get("memorandum", {}).get("id") == expected["cites"] for r in reasons
    ), reasons


# -- beyond the cases ------------------------------------------------------------------------


def test_the_decision_service_stops_citing_an_ended_memorandum(
    make_ledger: Callable[..., Ledger], clock: Any, tmp_path: Path
) -> None:
    ledger = make_ledger()
    keys = _world(ledger, clock, tmp_path)
    with DecisionService(ledger) as service:
        before = service.decide(*subject(DEBTOR), "air_travel", moment("2026-02-01"))
        assert before.to_json()["reasons"][0]["memorandum"]["id"] == DOCUMENT["memorandum"]["id"]
        clock.now_us = to_us(moment("2026-03-01"))
        _step(ledger, keys, tmp_path, {"end": {"by": "court:supreme-peoples-court",
                                               "reason": "superseded"}})  # fmt: skip
        service.catch_up()
        after = service.decide(*subject(DEBTOR), "air_travel", moment("2026-03-02"))
        assert "memorandum" not in after.to_json()["reasons"][0]
        again = service.decide(*subject(DEBTOR), "air_travel", moment("2026-02-01"))
        assert "memorandum" in again.to_json()["reasons"][0]  # replay: cited then
        service.flush()


def test_a_tampered_recorded_signature_no_longer_verifies(
    make_ledger: Callable[..., Ledger], clock: Any, tmp_path: Path
) -> None:
    """:func:`verify_memorandum` checks each signature against the key held at the entry."""
    ledger = make_ledger()
    keys = _world(ledger, clock, tmp_path)
    recorded = memoranda(ledger)[0]
    court = "court:supreme-peoples-court"
    clock.now_us = to_us(moment("2026-02-01"))
    _step(ledger, keys, tmp_path, {"rotate": {"agency": court, "signed_by": "old"}})
    first, second = (public_key_text(k.public_key) for k in keys.held[court])
    assert key_at(ledger, court, recorded.position) == first
    found = find_agency(ledger, court)
    assert found is not None and found.public_key == second
    swapped = tuple(
        s if s.role != court else replace(s, public_key=second) for s in recorded.signatures
    )
    forged = replace(recorded, signatures=swapped)
    problems = verify_memorandum(ledger, forged)
    assert [p.field for p in problems] == [f"signatures.{court}"]
    assert "held at entry" in problems[0].reason

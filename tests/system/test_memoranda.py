"""The memorandum and list use cases of the application object, called directly on a real
small ledger: two agencies register with key files, sign a memorandum offline, record it and
one ends it; a key rotation is signed by the key in force; a list is exported and checks
offline; an officer's unmasked list is a logged read of each member's file; a one-off
decision is audited with who asked, whether or not the system is serving."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from socialcredit.agencies import agency, memoranda
from socialcredit.errors import NotFoundError, ValidationError
from socialcredit.ledger import Signer, public_key_text
from socialcredit.policy import default_bundle
from socialcredit.rights import FILE_READ
from socialcredit.settings import Settings
from socialcredit.system import System, operator
from tests.consequences.helpers import record_row
from tests.memoranda.test_cli import CAAC, COURT, MEMORANDUM
from tests.records_factory import person

DEBTORS = "dishonest_judgment_debtors"
DEBTOR = ("person", person(1))


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'memoranda.db'}")
    with System.create(settings, "test/memoranda") as opened:
        occurred = datetime.now(UTC) - timedelta(days=2)
        row = record_row("debtor_obstructs_enforcement", DEBTOR, occurred, 0)
        assert opened.file_records(operator("admin"), [row]).summary.accepted == 1
        yield opened


def _signed_memorandum(system: System, tmp_path: Path) -> Path:
    """Register both agencies with key files (made here) and sign the memorandum file."""
    for name in (COURT, CAAC):
        key_file = tmp_path / f"{name.split(':')[0]}.pem"
        registered = system.register_agency(name, name, key_file=key_file)
        assert registered.public_key == public_key_text(Signer.from_key_file(key_file).public_key)
    path = tmp_path / "memo.yaml"
    path.write_text(yaml.safe_dump(MEMORANDUM))
    for name in (COURT, CAAC):
        System.sign_memorandum_file(path, tmp_path / f"{name.split(':')[0]}.pem", name)
    return path


def test_a_memorandum_is_signed_recorded_shown_and_ended(system: System, tmp_path: Path) -> None:
    path = _signed_memorandum(system, tmp_path)
    memo, signed = System.load_memorandum_file(path)
    size = system.ledger.size()
    system.check_memorandum(memo, signed)
    assert system.ledger.size() == size  # a check writes nothing
    recorded = system.record_memorandum(memo, signed)
    (shown,) = system.memoranda()
    assert shown.recorded == recorded == memoranda(system.ledger)[0]
    assert shown.to_json()["links"][0]["applied"] is True  # the default policy carries it
    assert system.memorandum(MEMORANDUM["id"]).to_json()["id"] == MEMORANDUM["id"]
    assert system.verify_memorandum(recorded) == []
    ended = system.end_memorandum_with_key(MEMORANDUM["id"], "superseded", COURT,
                                           tmp_path / "court.pem")  # fmt: skip
    assert ended.ended is not None and ended.ended.agency == COURT
    assert system.memoranda() == [] and len(system.memoranda(every=True)) == 1
    with pytest.raises(NotFoundError):
        system.memorandum("no-such-memorandum")


def test_a_bad_memorandum_or_agency_is_refused_and_nothing_is_written(
    system: System, tmp_path: Path
) -> None:
    size = system.ledger.size()
    with pytest.raises(ValidationError) as bad:
        System.parse_memorandum({"id": "x"}, [])
    assert all(p.field.startswith("document.") for p in bad.value.problems)
    memo, signed = System.parse_memorandum(MEMORANDUM, [])
    with pytest.raises(ValidationError, match="memorandum refused"):
        system.check_memorandum(memo, signed)  # nobody registered, nobody signed
    refused = tmp_path / "refused.pem"
    with pytest.raises(ValidationError):
        system.register_agency("not-an-agency", "x", key_file=refused)
    assert not refused.exists()  # no key file for a refused agency
    with pytest.raises(ValidationError):
        system.register_agency(COURT, "x")  # no key at all
    assert system.ledger.size() == size


def test_a_key_rotation_is_signed_by_the_key_in_force(system: System, tmp_path: Path) -> None:
    _signed_memorandum(system, tmp_path)
    new_file = tmp_path / "court-2.pem"
    rotated = system.rotate_agency_key_file(COURT, tmp_path / "court.pem", new_file)
    assert rotated.public_key == public_key_text(Signer.from_key_file(new_file).public_key)
    assert agency(system.ledger, COURT).public_key == rotated.public_key
    refused = tmp_path / "court-3.pem"
    with pytest.raises(ValidationError):  # the old key is no longer in force
        system.rotate_agency_key_file(COURT, tmp_path / "court.pem", refused)
    assert not refused.exists()  # no key file for a refused rotation
    with pytest.raises(ValidationError, match="agency"):
        system.rotate_agency_key_file("no-such-agency", new_file, refused)
    assert not refused.exists() and new_file.exists()  # a key given, not made, is kept
    kept = new_file.read_bytes()
    with pytest.raises(ValidationError, match="agency"):
        system.rotate_agency_key_file("no-such-agency", tmp_path / "court.pem", new_file)
    assert new_file.read_bytes() == kept


def test_an_export_checks_offline_and_an_unmasked_list_is_a_logged_read(system: System) -> None:
    export = system.export_list(DEBTORS)
    check = System.verify_list_export(export.encode("json"), system.public_key_text())
    assert check.ok and check.count == 1, check.problems
    officer = operator("officer:li")
    (member,) = system.identified_list_members(officer, DEBTORS, "dispute_handling")
    assert (member.subject_kind, member.subject_id) == DEBTOR
    read = system.ledger.entry(member.read_position)
    assert read.type == FILE_READ and read.data["reader"] == "officer:li"
    assert read.data["purpose"] == "dispute_handling" and read.data["what"] == "listing"
    size = system.ledger.size()
    with pytest.raises(ValidationError):  # a purpose that may not see identifying data
        system.identified_list_members(officer, DEBTORS, "audit_without_personal_data")
    assert system.ledger.size() == size


def test_a_one_off_decision_is_audited_with_who_asked(system: System) -> None:
    assert system.services() == []  # no policy published: none to offer at a counter
    (service, *_) = default_bundle().measures.services
    before = system.ledger.size()
    decision = system.decide(operator("counter:7"), DEBTOR, service.id)
    assert decision.service == service.id
    (made,) = [e for e in system.ledger.entries(before) if e.type == "DecisionMade"]
    assert made.data["requested_by"] == "counter:7"
    with pytest.raises(ValidationError):  # before any subject's entries are read
        system.decide(operator("counter:7"), DEBTOR, "no_such_service")
    system.start()  # serving: the running decision service decides (its writer audits)
    try:
        served = system.decide(operator("counter:7"), DEBTOR, service.id)
    finally:
        system.close()
    assert served.outcome == decision.outcome and served.reasons == decision.reasons

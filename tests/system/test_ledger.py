"""The ledger use cases of the application object, called directly on a real small ledger:
its state and checkpoints, proofs (entries only to their subject or a personal-data purpose,
the read logged), verification, the witness, migration, snapshots, export and import."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import NotFoundError, PermissionDeniedError
from socialcredit.ledger import check_consistency_proof, check_inclusion_proof
from socialcredit.rights import FILE_READ
from socialcredit.settings import Settings
from socialcredit.system import System, operator
from socialcredit.witness import Witness
from tests.records_factory import valid_rows

OFFICER = Principal(Role.OFFICER, "li", account="officer:li")
AUDITOR = Principal(Role.AUDITOR, "au", account="key:au")


def _settings(directory: Path, name: str = "system") -> Settings:
    return Settings(store=f"sqlite:///{directory / f'{name}.db'}")


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    with System.create(_settings(tmp_path), "test/system") as opened:
        opened.file_records(operator("admin"), valid_rows(30, seed=11))
        opened.sign_checkpoint()
        yield opened


def _person_record(system: System) -> tuple[int, tuple[str, str]]:
    for entry in system.ledger.entries():
        subject = entry.data.get("subject", {}) if isinstance(entry.data, dict) else {}
        if entry.type == "RecordFiled" and subject.get("kind") == "person":
            return entry.position, ("person", subject["id"])
    raise AssertionError("no record about a person")


def _reads(system: System) -> list[dict[str, Any]]:
    return [e.data for e in system.ledger.entries() if e.type == FILE_READ]


def test_a_new_ledger_has_a_state_and_a_first_checkpoint(tmp_path: Path) -> None:
    with System.create(_settings(tmp_path, "new"), "test/new") as system:
        state = system.ledger_state()
        assert (state.origin, state.size) == ("test/new", 0)
        assert state.public_key == system.public_key_text()
        assert len(base64.b64decode(state.public_key)) == 32
        assert state.to_json()["checkpoint"] == system.latest_checkpoint().to_json()


def test_signed_checkpoints_are_found_by_size(system: System) -> None:
    first = system.latest_checkpoint()
    system.file_records(operator("admin"), valid_rows(3, seed=12, keys="more"))
    second = system.sign_checkpoint()
    assert second.size == first.size + 3
    assert system.checkpoint_at(first.size).to_json() == first.to_json()
    with pytest.raises(NotFoundError):
        system.checkpoint_at(first.size + 1)
    proof = system.consistency_proof(first.size, second.size)
    assert check_consistency_proof(proof, system.ledger.public_key).ok


def test_a_proof_carries_the_entry_only_for_a_personal_data_purpose(system: System) -> None:
    position, subject = _person_record(system)
    bare = system.inclusion_proof(OFFICER, position)
    audited = system.inclusion_proof(AUDITOR, position, purpose="dispute_handling")
    masked = system.inclusion_proof(OFFICER, position, purpose="audit_without_personal_data")
    assert "entry" not in bare and "entry" not in audited and "entry" not in masked
    assert _reads(system) == []
    full = system.inclusion_proof(OFFICER, position, purpose="court_enforcement")
    assert check_inclusion_proof(full, system.ledger.public_key).ok
    assert orjson.loads(base64.b64decode(full["entry"]))["data"]["subject"]["id"] == subject[1]
    assert _reads(system) == [
        {
            "subject": {"kind": subject[0], "id": subject[1]},
            "reader": "officer:li",
            "purpose": "court_enforcement",
            "what": "entry",
        }
    ]


def test_a_subject_gets_the_proof_of_their_own_entries_only(system: System) -> None:
    position, subject = _person_record(system)
    mine = Principal(Role.SUBJECT, "me", subject=subject, account="key:me")
    other = Principal(Role.SUBJECT, "you", subject=("person", "x"), account="key:you")
    assert "entry" in system.inclusion_proof(mine, position)
    with pytest.raises(PermissionDeniedError):
        system.inclusion_proof(other, position)
    assert [r["reader"] for r in _reads(system)] == ["key:me"]


def test_the_auditors_proof_is_checked_and_carries_no_entry(system: System) -> None:
    document, check = system.audit_proof(3)
    assert check.ok and "entry" not in document and document["index"] == 3
    with pytest.raises(NotFoundError):
        system.audit_proof(system.ledger.size() + 5)


def test_verify_against_a_kept_checkpoint_and_the_index(system: System, tmp_path: Path) -> None:
    pinned = system.pinned_key()
    kept = system.latest_checkpoint()
    report = system.verify_against(pinned, checkpoint=kept, check_index=True)
    assert report.ok and report.size == system.ledger.size()
    with System.create(_settings(tmp_path, "other"), "test/system") as other:
        other.file_records(operator("admin"), valid_rows(2, seed=13))
        foreign = other.sign_checkpoint()
    assert not system.verify_against(pinned, checkpoint=foreign).ok


def test_a_witness_cosigns_and_verify_finds_its_checkpoint(system: System, tmp_path: Path) -> None:
    Witness.create(tmp_path / "witness").close()
    cosigned, count = system.cosign(tmp_path / "witness")
    assert (cosigned.size, count) == (system.ledger.size(), 1)
    checkpoint, _ = system.witnessed_checkpoint(tmp_path / "witness")
    assert checkpoint.to_json() == cosigned.checkpoint.to_json()
    assert system.verify_against(system.pinned_key(), checkpoint=checkpoint).ok


def test_migration_snapshots_and_index_are_idempotent(system: System) -> None:
    before, applied = System.migrate_schema(system.settings)
    assert applied == [] and before > 0
    assert system.index_subjects()[0] == 0  # built as entries came; bulk runs merged now
    assert system.index_subjects() == (0, 0)
    first = system.refresh_snapshots()
    again = system.refresh_snapshots()
    assert [d["written"] for d in first] == [True, True, True]
    assert [d["written"] for d in again] == [False, False, False]


def test_export_then_import_keeps_the_root(system: System, tmp_path: Path) -> None:
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    exported = System.export_ledger(system.settings, copy)
    imported = System.import_ledger(_settings(tmp_path, "back"), copy)
    assert exported.ok and imported.ok and imported.verified
    assert exported.root == imported.root == system.latest_checkpoint().root.hex()

"""The server publishes the latest checkpoint an independent witness cosigned (API and portal),
and its verify checks the ledger against it: a rollback made with the log's own key, invisible
to plain verify, is shown on the public page and fails the server's verify.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
from click.testing import CliRunner

from socialcredit.accounts import AccountStore, RateLimit, Role
from socialcredit.catalogue import default_catalogue
from socialcredit.cli import cli
from socialcredit.ingest import ingest_rows
from socialcredit.server import create_app
from socialcredit.service import open_ledger, pinned_public_key
from socialcredit.settings import Settings
from socialcredit.witness import Witness, fetch_update
from tests.api.client import SyncClient
from tests.api.conftest import build_settings
from tests.records_factory import valid_rows


def _cosign(settings: Settings, directory: Path) -> None:
    ledger = open_ledger(settings)
    witness = Witness.open(directory)
    try:
        witness.cosign(fetch_update(ledger, witness.since(ledger.origin)),
                       pinned_public_key(settings, ledger).key)  # fmt: skip
    finally:
        witness.close()
        ledger.store.close()


def _grow(settings: Settings, tag: str) -> None:
    ledger = open_ledger(settings, write=True)
    ingest_rows(ledger, default_catalogue(), enumerate(valid_rows(20, seed=11, keys=tag), 1))
    ledger.store.close()


def _served(settings: Settings, witness_dir: Path | None) -> tuple[int, dict, str, dict]:
    """(status, body) of GET /ledger/cosigned, the home page, and an auditor's verify."""
    accounts = AccountStore(settings.accounts_path())
    key = accounts.create_api_key(Role.AUDITOR, f"auditor-{os.urandom(4).hex()}")
    app = create_app(settings, accounts=accounts, rate_limit=RateLimit(10_000, 10_000),
                     witness_dir=witness_dir)  # fmt: skip
    with SyncClient(app) as client:
        cosigned = client.get("/api/v1/ledger/cosigned")
        home = client.get("/").text
        verified = client.post("/api/v1/ledger/verify",
                               headers={"Authorization": f"Bearer {key}"}).json()  # fmt: skip
    accounts.close()
    return cosigned.status_code, cosigned.json(), home, verified


def test_no_witness_no_cosignature(tmp_path: Path) -> None:
    status, body, home, verified = _served(build_settings(tmp_path), None)
    assert status == 404 and "no witness" in str(body)
    assert "Witnessed checkpoint" not in home
    assert verified["ok"] is True


def test_the_cosigned_checkpoint_is_published_and_a_rollback_is_shown(tmp_path: Path) -> None:
    settings = build_settings(tmp_path)
    witness_dir = tmp_path / "witness"
    Witness.create(witness_dir, "witness.test/a").close()
    _cosign(settings, witness_dir)
    database = tmp_path / "api.db"
    shutil.copy(database, tmp_path / "earlier.db")  # what a rollback would restore
    _grow(settings, "later")
    _cosign(settings, witness_dir)

    status, body, home, verified = _served(settings, witness_dir)
    assert status == 200, body
    assert body["version"] == "CosignedCheckpointV1" and body["holds_it"] is True
    assert body["cosignature"]["witness"] == "witness.test/a"
    assert "Witnessed checkpoint" in home and "The ledger still holds it" in home
    assert verified["ok"] is True, verified["problems"]
    (tmp_path / "cosigned.json").write_bytes(orjson.dumps(body))

    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(tmp_path / "earlier.db", database)  # rolled back, with the log's own files
    status, body, home, verified = _served(settings, witness_dir)
    assert status == 200 and body["holds_it"] is False
    assert "rolled back or forked" in home
    assert verified["ok"] is False
    # The published document, kept by anyone, catches it with the CLI too.
    result = CliRunner().invoke(cli, ["--store", settings.store, "verify",
                                      "--witness", str(tmp_path / "cosigned.json")])  # fmt: skip
    assert result.exit_code == 1, result.output

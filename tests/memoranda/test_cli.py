"""The memorandum and list-exchange commands end to end on a real store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.ledger import Ledger, Signer, create_key_file, public_key_text
from socialcredit.storage._sqlite import SQLiteStore

from ..consequences.helpers import play

COURT, CAAC = "court:supreme-peoples-court", "transport_operator:civil-aviation"
MEMORANDUM: dict[str, Any] = {
    "id": "joint-punishment-debtors-2016",
    "title": "Memorandum on joint punishment of dishonest judgment debtors",
    "links": [
        {"list": "dishonest_judgment_debtors", "of": COURT, "measure": "no_air_travel",
         "by": CAAC, "context": "transport", "legal_basis": "spc-high-consumption-2015/art3-1"},
    ],
}  # fmt: skip


class _Clock:
    now_us = 1_767_312_000_000_000  # 2026-01-02

    def __call__(self) -> int:
        return self.now_us


def test_agencies_sign_and_record_a_memorandum_and_a_list_is_exchanged(tmp_path: Path) -> None:
    key = tmp_path / "k.key"
    base = ["--store", f"sqlite:///{tmp_path / 'l.db'}", "--key-file", str(key)]
    ledger = Ledger.create(SQLiteStore(tmp_path / "l.db"), create_key_file(key), "t", _Clock())
    play(ledger, _Clock(), [{"kind": "debtor_obstructs_enforcement", "occurred": "2026-01-01",
                             "at": "2026-01-02"}], "person:1")  # fmt: skip
    ledger.store.close()
    run = CliRunner().invoke
    for name, title in ((COURT, "Supreme People's Court"), (CAAC, "Civil Aviation")):
        pem = tmp_path / f"{name.split(':')[0]}.pem"
        done = run(cli, [*base, "memorandum", "register-agency", name, "--title", title,
                         "--key", str(pem)])  # fmt: skip
        assert done.exit_code == 0, done.output
    again = run(cli, [*base, "memorandum", "register-agency", COURT, "--title", "x",
                      "--public-key", public_key_text(Signer.from_key_file(
                          tmp_path / "court.pem").public_key)])  # fmt: skip
    assert again.exit_code == 2 and "registered already" in again.output

    memo = tmp_path / "memo.yaml"
    memo.write_text(yaml.safe_dump(MEMORANDUM))
    unsigned = run(cli, [*base, "memorandum", "propose", str(memo)])
    assert unsigned.exit_code == 2 and "unsigned by" in unsigned.output
    for name, pem_name in ((COURT, "court.pem"), (CAAC, "transport_operator.pem")):
        signed = run(cli, [*base, "memorandum", "sign", str(memo), "--key",
                           str(tmp_path / pem_name), "--agency", name])  # fmt: skip
        assert signed.exit_code == 0, signed.output
    assert run(cli, [*base, "memorandum", "propose", str(memo), "--check"]).exit_code == 0
    recorded = run(cli, [*base, "memorandum", "propose", str(memo)])
    assert recorded.exit_code == 0 and "recorded memorandum" in recorded.output
    listed = json.loads(run(cli, [*base, "memorandum", "list", "--json"]).output)
    assert [m["id"] for m in listed] == [MEMORANDUM["id"]] and listed[0]["in_force"]
    assert listed[0]["links"][0]["applied"] is True
    shown = run(cli, [*base, "memorandum", "show", MEMORANDUM["id"]])
    assert shown.exit_code == 0 and "dishonest_judgment_debtors" in shown.output

    pinned = public_key_text(Signer.from_key_file(key).public_key)
    for fmt in ("csv", "json"):
        out = tmp_path / f"list.{fmt}"
        done = run(cli, [*base, "lists", "export", "dishonest_judgment_debtors",
                         "--format", fmt, "--out", str(out)])  # fmt: skip
        assert done.exit_code == 0, done.output
        ok = run(cli, ["lists", "verify-export", str(out), "--public-key", pinned])
        assert ok.exit_code == 0 and ": ok:" in ok.output, ok.output
        out.write_bytes(out.read_bytes().replace(b"listed", b"expired", 1))
        bad = run(cli, ["lists", "verify-export", str(out), "--public-key", pinned])
        assert bad.exit_code == 1 and "FAILED" in bad.output
    verified = run(cli, [*base, "verify"])
    assert verified.exit_code == 0, verified.output
    # the plain `lists` command is unchanged
    assert run(cli, [*base, "lists"]).exit_code == 0
    members = run(cli, [*base, "lists", "dishonest_judgment_debtors", "--json"])
    assert members.exit_code == 0 and len(json.loads(members.output)) == 1

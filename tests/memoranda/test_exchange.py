"""List exchange: an exported public list checks offline, and every tampering is detected."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from socialcredit.catalogue import mask_subject_id
from socialcredit.consequences._exchange import (
    EXPORT_DOMAIN,
    export_list,
    read_export,
    verify_export,
)
from socialcredit.errors import ValidationError
from socialcredit.ledger import Ledger, create_key_file, public_key_text
from socialcredit.timeutil import to_us

from ..consequences.helpers import moment, play, subject

LIST = "dishonest_judgment_debtors"
HOUR = 3_600_000_000


@pytest.fixture
def listed(make_ledger: Callable[..., Ledger], clock: Any) -> Ledger:
    """A ledger with three people on the list of dishonest judgment debtors on 2026-02-01."""
    ledger = make_ledger()
    events = [
        {"kind": "debtor_obstructs_enforcement", "occurred": "2026-01-01", "at": "2026-01-02",
         "subject": f"person:{n}"}
        for n in (1, 2, 3)
    ]  # fmt: skip
    play(ledger, clock, events, "person:1")
    clock.now_us = to_us(moment("2026-02-01"))
    return ledger


def _key(ledger: Ledger) -> str:
    assert ledger.signer is not None
    return public_key_text(ledger.signer.public_key)


def _now(ledger: Ledger) -> int:
    return ledger.latest_checkpoint().checkpoint.time_us + HOUR


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_export_checks_offline_with_masked_ids(listed: Ledger, fmt: str) -> None:
    export = export_list(listed, LIST, moment("2026-02-01"))
    data = export.encode(fmt)
    check = verify_export(data, _key(listed), now_us=_now(listed))
    assert check.ok, check.problems
    assert check.pinned and check.count == 3 and check.list_id == LIST
    shown = {row[1] for row in read_export(data).rows}
    who = subject("person:1")
    assert mask_subject_id(*who) in shown and who[1].encode() not in data
    assert {row[2] for row in export.rows} == {"listed"}


def _tampered(data: bytes, fmt: str, change: Callable[[list[list[str]]], object]) -> bytes:
    export = read_export(data)
    rows = [list(r) for r in export.rows]
    change(rows)
    document = {"manifest": dict(export.manifest), "rows": rows}
    if fmt == "json":
        return orjson.dumps(document)
    head = data.split(b"\n", 2)
    body = "\n".join(",".join(r) for r in rows)
    return head[0] + b"\n" + head[1] + b"\n" + body.encode() + b"\n"


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_an_altered_row_is_detected(listed: Ledger, fmt: str) -> None:
    data = export_list(listed, LIST).encode(fmt)

    def alter(rows: list[list[str]]) -> None:
        rows[0][5] = "2026-02-02T00:00:00Z"  # ends early

    check = verify_export(_tampered(data, fmt, alter), _key(listed), now_us=_now(listed))
    assert [p.field for p in check.problems] == ["rows"]
    assert "altered" in check.problems[0].reason


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_dropped_row_is_detected(listed: Ledger, fmt: str) -> None:
    data = export_list(listed, LIST).encode(fmt)
    check = verify_export(_tampered(data, fmt, lambda rows: rows.pop(1)), _key(listed),
                          now_us=_now(listed))  # fmt: skip
    reasons = " ".join(p.reason for p in check.problems)
    assert not check.ok and "dropped" in reasons


def test_a_foreign_key_is_detected(listed: Ledger, tmp_path: Path) -> None:
    """Re-signing the manifest with another key fails against the pinned key, and even
    unpinned the checkpoint is not signed by the foreign key."""
    export = export_list(listed, LIST)
    foreign = create_key_file(tmp_path / "foreign.pem")
    manifest = {k: v for k, v in export.manifest.items() if k != "signature"}
    manifest["public_key"] = public_key_text(foreign.public_key)
    body = orjson.dumps(manifest, option=orjson.OPT_SORT_KEYS)
    manifest["signature"] = base64.b64encode(foreign.sign_message(EXPORT_DOMAIN + body)).decode()
    data = orjson.dumps({"manifest": manifest, "rows": [list(r) for r in export.rows]})
    pinned = verify_export(data, _key(listed), now_us=_now(listed))
    assert {p.field for p in pinned.problems} >= {"public_key", "signature"}
    unpinned = verify_export(data, now_us=_now(listed))
    assert [p.reason for p in unpinned.problems] == ["not signed by the ledger's key"]
    assert not unpinned.pinned


def test_a_stale_checkpoint_is_detected(listed: Ledger) -> None:
    data = export_list(listed, LIST).encode("json")
    signed = listed.latest_checkpoint().checkpoint.time_us
    fresh = verify_export(data, _key(listed), now_us=signed + 23 * HOUR)
    stale = verify_export(data, _key(listed), now_us=signed + 25 * HOUR)
    assert fresh.ok
    assert [p.field for p in stale.problems] == ["checkpoint"]
    assert "stale" in stale.problems[0].reason


def test_a_swapped_checkpoint_is_detected(listed: Ledger, clock: Any) -> None:
    """An older checkpoint put into a fresh export breaks the manifest's signature."""
    old = listed.latest_checkpoint().to_json()
    clock.advance(3600)
    export = export_list(listed, LIST)
    manifest = {**export.manifest, "checkpoint": old}
    data = orjson.dumps({"manifest": manifest, "rows": [list(r) for r in export.rows]})
    check = verify_export(data, _key(listed), now_us=_now(listed))
    assert "signature" in {p.field for p in check.problems}


def test_not_an_export_is_refused_naming_the_file() -> None:
    with pytest.raises(ValidationError) as caught:
        verify_export(b"subject,status\n1,listed\n")
    assert caught.value.problems[0].field == "file"

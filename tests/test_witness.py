"""The witness: it cosigns a growing ledger again and again, and refuses — and lets ``verify``
catch — a rollback or a fork made with the log's own key, which plain ``verify`` cannot see.

The attacker here holds the store *and* the signing key: they rebuild the ledger as it was at
an earlier checkpoint (same entries, same times, so the same roots and signatures), optionally
append other entries after it, and put the rebuilt file in place of the real one. Every tile
and checkpoint is consistent, so only someone who kept a later checkpoint — the witness — can
tell.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from socialcredit.cli import cli
from socialcredit.errors import ConfigurationError, IntegrityError, NotFoundError
from socialcredit.ledger import (
    Ledger,
    PendingEntry,
    Signer,
    create_key_file,
    public_key_text,
    verify_ledger,
)
from socialcredit.witness import CosignedCheckpoint, Witness, fetch_update, witness_checkpoint

from .backends import Stores
from .conftest import Clock

pytestmark = pytest.mark.both_backends

ORIGIN = "test/witness"
WITNESS_NOW = 1_800_000_000  # 2027-01-15, Unix seconds: after every ledger time below


def records(tag: str, start: int, count: int) -> list[PendingEntry]:
    return [
        PendingEntry("RecordFiled", {"n": n, "tag": tag}, f"{tag}{n}", ("person", f"p{n % 7}"))
        for n in range(start, start + count)
    ]


def build(stores: Stores, name: str, signer: Signer, batches: Sequence[tuple[str, int]]) -> Ledger:
    """A ledger in a new store, appended batch by batch on a clock that steps one second a
    call: the same batches give the same bytes, roots and signatures."""
    clock = Clock()

    def tick() -> int:
        clock.advance(1)
        return clock()

    ledger = Ledger.create(stores.open(stores.url(name)), signer, ORIGIN, tick)
    n = 0
    for tag, count in batches:
        ledger.append(records(tag, n, count))
        n += count
    return ledger


def replace_store(stores: Stores, ledger: Ledger, forged: Ledger) -> Ledger:
    """Put ``forged``'s store where ``ledger``'s was (what an attacker with the store does)."""
    target = ledger.store.url  # type: ignore[attr-defined]
    source = forged.store.url  # type: ignore[attr-defined]
    ledger.store.close()
    forged.store.close()
    stores.replace(target, source)
    return Ledger(stores.open(target))


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return create_key_file(tmp_path / "log.key")


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness.create(tmp_path / "witness", "witness.test/a", clock=lambda: WITNESS_NOW)


def cosign(witness: Witness, ledger: Ledger) -> CosignedCheckpoint:
    return witness.cosign(fetch_update(ledger, witness.since(ORIGIN)), ledger.public_key)


HONEST = [("a", 50), ("a", 50), ("a", 50)]  # sizes 50, 100, 150


def test_an_honest_growing_ledger_is_cosigned_again_and_again(
    stores: Stores, tmp_path: Path, signer: Signer, witness: Witness
) -> None:
    ledger = build(stores, "log", signer, [])
    sizes = []
    for n in range(5):
        cosigned = cosign(witness, ledger)
        assert cosigned.is_cosigned_by(witness.public_key)
        sizes.append(cosigned.size)
        ledger.append(records("a", n * 30, 30))
    cosign(witness, ledger)
    cosign(witness, ledger)  # nothing new: the same checkpoint, cosigned again
    history = witness.store.history(ORIGIN)
    assert [c.size for c in history] == [0, 30, 60, 90, 120, 150, 150]
    assert all(c.is_cosigned_by(witness.public_key) for c in history)
    assert [c.checkpoint.chain.number for c in history if c.checkpoint.chain] == [
        0,
        1,
        2,
        3,
        4,
        5,
        5,
    ]
    (log,) = witness.store.logs()
    assert (log.origin, log.trust, log.first_size) == (ORIGIN, "first-use", 0)
    assert log.public_key == public_key_text(ledger.public_key)
    assert witness.store.refusals() == []
    checkpoint, _ = witness_checkpoint(witness.directory, ORIGIN, witness.public_key)
    assert verify_ledger(ledger.store, ledger.public_key, witness=checkpoint).ok


def test_a_rollback_passes_plain_verify_but_not_the_witness(
    stores: Stores, tmp_path: Path, signer: Signer, witness: Witness
) -> None:
    ledger = build(stores, "log", signer, HONEST[:1])
    cosign(witness, ledger)
    for tag, count in HONEST[1:]:
        ledger.append(records(tag, ledger.size(), count))
        cosign(witness, ledger)
    rolled_back = replace_store(stores, ledger, build(stores, "old", signer, HONEST[:1]))
    assert rolled_back.size() == 50
    assert verify_ledger(rolled_back.store, rolled_back.public_key).ok  # nothing to see inside

    with pytest.raises(IntegrityError, match="below the 150 cosigned before") as refused:
        cosign(witness, rolled_back)
    assert refused.value.details["reason"] == "rollback"
    (kept,) = witness.store.refusals(ORIGIN)
    assert kept.reason == "rollback" and kept.checkpoint.size == 50  # the evidence
    assert witness.store.latest(ORIGIN).size == 150  # type: ignore[union-attr]

    checkpoint, _ = witness_checkpoint(witness.directory, ORIGIN, witness.public_key)
    report = verify_ledger(rolled_back.store, rolled_back.public_key, witness=checkpoint)
    assert not report.ok and report.first_bad_position == 50
    assert any("beyond the stored size 50" in p for p in report.problems)


@pytest.mark.parametrize("fork_size", [150, 170])
def test_a_fork_after_a_rollback_is_refused_and_caught_by_verify(
    stores: Stores, tmp_path: Path, signer: Signer, witness: Witness, fork_size: int
) -> None:
    ledger = build(stores, "log", signer, HONEST)
    cosign(witness, ledger)
    # Rolled back to the checkpoint of size 50, then other entries appended with the real key.
    forked = replace_store(
        stores, ledger, build(stores, "fork", signer, [("a", 50), ("b", fork_size - 50)])
    )
    assert verify_ledger(forked.store, forked.public_key).ok

    with pytest.raises(IntegrityError) as refused:
        cosign(witness, forked)
    assert refused.value.details["reason"] == "fork"

    checkpoint, _ = witness_checkpoint(witness.directory, ORIGIN, witness.public_key)
    report = verify_ledger(forked.store, forked.public_key, witness=checkpoint)
    assert not report.ok
    assert report.first_bad_position == 50  # reported from the fork point
    assert any("checkpoint at size 150 does not match" in p for p in report.problems)


def test_a_new_log_key_is_refused(
    stores: Stores, tmp_path: Path, signer: Signer, witness: Witness
) -> None:
    ledger = build(stores, "log", signer, HONEST[:1])
    cosign(witness, ledger)
    other = create_key_file(tmp_path / "other.key")
    rekeyed = replace_store(stores, ledger, build(stores, "rekeyed", other, HONEST))
    with pytest.raises(IntegrityError) as refused:
        cosign(witness, rekeyed)  # the key the log now presents
    assert refused.value.details["reason"] == "key"
    # Without a key from the log, the recorded one is used: the signature does not verify.
    update = fetch_update(rekeyed, witness.since(ORIGIN))
    with pytest.raises(IntegrityError) as unsigned:
        witness.cosign(update)
    assert unsigned.value.details["reason"] == "signature"


def test_a_checkpoint_timed_in_the_future_is_refused(
    stores: Stores, tmp_path: Path, signer: Signer
) -> None:
    ledger = build(stores, "log", signer, HONEST[:1])
    early = Witness.create(tmp_path / "w", clock=lambda: 1_767_225_600 - 3_600)  # before it
    with pytest.raises(IntegrityError, match="in the future") as refused:
        cosign(early, ledger)
    assert refused.value.details["reason"] == "future"
    assert early.store.logs() == []  # nothing is trusted from a refused first contact


def test_first_contact_needs_the_log_key(
    stores: Stores, tmp_path: Path, signer: Signer, witness: Witness
) -> None:
    ledger = build(stores, "log", signer, HONEST[:1])
    with pytest.raises(ConfigurationError, match="first contact"):
        witness.cosign(fetch_update(ledger, None))
    pinned = witness.cosign_pinned(fetch_update(ledger, None), ledger.public_key)
    assert pinned.size == 50 and witness.store.logs()[0].trust == "pinned"


def test_the_cosignature_is_checked_with_the_pinned_witness_key(
    stores: Stores, tmp_path: Path, signer: Signer, witness: Witness
) -> None:
    ledger = build(stores, "log", signer, HONEST[:1])
    cosigned = cosign(witness, ledger)
    document = orjson.loads(orjson.dumps(cosigned.to_json()))
    again = CosignedCheckpoint.from_json(document)
    assert again == cosigned and again.is_cosigned_by(witness.public_key)
    # An auditor needs only a copy of the store, never the witness's key file.
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "witness.db").write_bytes((witness.directory / "witness.db").read_bytes())
    checkpoint, source = witness_checkpoint(copy, ORIGIN, witness.public_key)
    assert checkpoint == cosigned.checkpoint and source == "given"
    stranger = create_key_file(tmp_path / "stranger.key").public_key
    with pytest.raises(IntegrityError, match="does not verify"):
        witness_checkpoint(copy, ORIGIN, stranger)
    with sqlite3.connect(copy / "witness.db") as db:
        db.execute("UPDATE cosigned SET time_s = time_s + 1")
    with pytest.raises(IntegrityError, match="does not verify"):
        witness_checkpoint(copy, ORIGIN, witness.public_key)
    with pytest.raises(NotFoundError):
        witness_checkpoint(copy, "another/log", witness.public_key)


def test_the_witness_directory_is_its_own(tmp_path: Path, witness: Witness) -> None:
    with pytest.raises(ConfigurationError, match="already holds a witness"):
        Witness.create(witness.directory)
    assert (witness.directory / "witness.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ConfigurationError, match="no witness"):
        Witness.open(tmp_path / "nowhere")


# -- the command line ---------------------------------------------------------------------------


def test_witness_commands_catch_a_rollback_and_a_fork(
    stores: Stores, tmp_path: Path, signer: Signer
) -> None:
    ledger = build(stores, "log", signer, HONEST[:1])
    runner = CliRunner()
    given = ["--store", ledger.store.url, "--key-file", str(tmp_path / "log.key")]  # type: ignore[attr-defined]
    directory = str(tmp_path / "w")

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(cli, [*args, *given])
        return result.exit_code, result.output

    code, out = run("witness", "init", "--dir", directory, "--name", "witness.test/cli")
    assert code == 0, out
    witness_key = out.split("witness public key: ")[1].strip()
    for tag, count in HONEST[1:]:
        code, out = run("witness", "cosign", "--dir", directory)
        assert code == 0 and "cosigned test/witness" in out, out
        ledger.append(records(tag, ledger.size(), count))
    code, out = run("witness", "cosign", "--dir", directory, "--json")
    assert code == 0 and orjson.loads(out)["checkpoint"]["size"] == 150
    code, out = run("verify", "--witness-dir", directory, "--witness-key", witness_key)
    assert code == 0 and out.startswith("ok: 150 entries"), out

    forked = replace_store(stores, ledger, build(stores, "fork", signer, [("a", 50), ("b", 100)]))
    forked.store.close()
    code, out = run("verify")
    assert code == 0, out  # plain verify sees nothing
    code, out = run("witness", "cosign", "--dir", directory)
    assert code == 1 and "witness refuses checkpoint 150" in out, out
    code, out = run("verify", "--witness-dir", directory, "--witness-key", witness_key)
    assert code == 1 and "first bad position 50" in out, out
    code, out = run("witness", "show", "--dir", directory)
    assert code == 0 and "refused" in out and "fork" in out and "trusted on first use" in out
    shown = orjson.loads(run("witness", "show", "--dir", directory, "--json")[1])
    (log,) = shown["logs"]
    assert log["cosigned"] == 3 and [r["reason"] for r in log["refused"]] == ["fork"]


def test_verify_witness_options_are_checked(stores: Stores, tmp_path: Path, signer: Signer) -> None:
    ledger = build(stores, "log", signer, HONEST[:1])
    ledger.store.close()
    runner = CliRunner()
    given = ["--store", ledger.store.url, "--key-file", str(tmp_path / "log.key")]  # type: ignore[attr-defined]
    alone = runner.invoke(cli, ["verify", "--witness-key", "AAAA", *given])
    assert alone.exit_code == 2 and "needs --witness-dir" in alone.output
    runner.invoke(cli, ["witness", "init", "--dir", str(tmp_path / "w")])
    never = runner.invoke(cli, ["verify", "--witness-dir", str(tmp_path / "w"), *given])
    assert never.exit_code == 2 and "never cosigned" in never.output

"""The record-columns snapshot: ``rescore`` from a snapshot (current, or behind and caught up)
gives exactly the scores of a scan of the whole ledger; a snapshot that is truncated, altered,
forged, of other code, unreadable or of another ledger is refused with its reason and the
columns rebuilt; a writer killed at any moment changes no answer."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from socialcredit.catalogue import default_catalogue
from socialcredit.demo._city import build_city
from socialcredit.ledger import Ledger, PendingEntry, create_key_file, load_snapshot, save_snapshot
from socialcredit.policy import default_bundle
from socialcredit.scoring import rescore
from socialcredit.scoring._record_columns import (
    NAME,
    columns_bytes,
    columns_format,
    columns_from_bytes,
    current_columns,
    refresh_columns_snapshot,
    write_columns_snapshot,
)
from socialcredit.scoring._stream import FiledColumns, lifecycle_of, scan_columns
from socialcredit.storage._sqlite import SQLiteStore

from .conftest import Clock
from .test_rescore_stream import _lifecycle

DAY = 86_400


def _city(base: Path, clock: Clock, seed: int, origin: str = "test/columns") -> Ledger:
    """A small city (its clock after its last month), then a month of lifecycle."""
    ledger = Ledger.create(
        SQLiteStore(base / "c.db"), create_key_file(base / "c.db.key"), origin, clock
    )
    build_city(
        ledger,
        default_catalogue(),
        residents=150,
        organisations=12,
        years=2,
        end=date(2025, 12, 1),
        seed=seed,
        policy=default_bundle(),
    )
    _lifecycle(ledger, clock, random.Random(seed), 60)
    return ledger


@pytest.fixture(autouse=True)
def short_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs of 16 kept rows are sliced (as runs of 8192 are at scale), the rest copied."""
    from socialcredit.scoring import _stream as stream

    monkeypatch.setattr(stream, "_RUN", 16)


@pytest.fixture
def city(tmp_path: Path) -> Ledger:
    return _city(tmp_path, Clock(1_764_547_200_000_000), 3)  # 2025-12-01


def _fresh(ledger: Ledger) -> Ledger:
    return Ledger(ledger.store, ledger.signer, ledger.clock)


def _scores(ledger: Ledger, **options: Any) -> list[tuple[Any, ...]]:
    """The rescores at a few moments (as known then, and later): tables and reasons."""
    last = datetime.fromtimestamp(ledger.store.state().last_recorded_at_us / 1e6, UTC)
    out = []
    for known in (last, last - timedelta(days=300)):
        for as_of in (known, known + timedelta(days=200)):
            done = rescore(_fresh(ledger), as_of=as_of, known_at=known, **options)
            out.append((done.table.to_pylist(), done.reasons, done.revision))
    return out


def _grow(ledger: Ledger, seed: int) -> None:
    """Entries after a snapshot: lifecycle naming records filed before it, and new records
    (so that the snapshot's size falls inside a stored bundle)."""
    clock: Any = ledger.clock
    _lifecycle(ledger, clock, random.Random(seed), 40)
    clock.advance(DAY)
    records = [
        PendingEntry(
            "RecordFiled",
            {
                "kind": "fare_evasion",
                "occurred_at": "2025-11-20T10:00:00Z",
                "subject": {"kind": "person", "id": f"11010119900101{i:04d}"},
            },
        )
        for i in range(7)
    ]
    ledger.append(records)


def test_a_current_snapshot_and_a_caught_up_one_score_as_the_scan(city: Ledger) -> None:
    first = refresh_columns_snapshot(city)
    assert first["written"] and first["size"] == city.size()
    assert rescore(city, as_of=datetime.now(UTC)).restored_from == city.size()
    assert _scores(city) == _scores(city, snapshot=False)
    _grow(city, 8)
    assert city.size() % 256 and first["size"] % 256, "sizes inside a bundle"
    behind = current_columns(_fresh(city))
    assert behind.restored_from == first["size"] and behind.columns.size == city.size()
    whole = scan_columns(city, 0, city.size())
    assert behind.columns.filed.sort_by("position").equals(whole.filed)
    assert behind.columns.read.equals(whole.read)
    assert _scores(city) == _scores(city, snapshot=False)
    again = refresh_columns_snapshot(city)
    assert again["written"] and again["started_from"] == first["size"]
    assert not refresh_columns_snapshot(city)["written"], "a current snapshot is kept"


def test_columns_survive_their_bytes(city: Ledger) -> None:
    columns = scan_columns(city, 0, city.size())
    lifecycle = lifecycle_of(columns)
    data = columns_bytes(columns, lifecycle)
    back, state = columns_from_bytes(data, columns.size)
    assert back.filed.equals(columns.filed) and back.read.equals(columns.read)
    assert state.size == lifecycle.size and state.policies == lifecycle.policies
    assert list(state.index.rows()) == list(lifecycle.index.rows())
    with pytest.raises(ValueError, match=r"hold .* entries"):
        columns_from_bytes(data, columns.size + 1)
    short = FiledColumns(10, columns.filed, columns.read)
    with pytest.raises(ValueError, match="position at or past"):
        columns_from_bytes(columns_bytes(short, replace(lifecycle, size=10)), 10)
    with pytest.raises(ValueError, match="marker"):
        columns_from_bytes(b"PAR1" + data, columns.size)
    with pytest.raises(ValueError, match="lifecycle state does not load"):
        columns_from_bytes(data[:-5], columns.size)


def _rows(ledger: Ledger, sql: str) -> None:
    with sqlite3.connect(ledger.store.path) as conn:  # type: ignore[attr-defined]
        conn.execute(sql)


def _truncate(ledger: Ledger) -> None:
    _rows(ledger, f"DELETE FROM snapshot_parts WHERE name = '{NAME}' AND part = 1")


def _alter(ledger: Ledger) -> None:
    _rows(ledger, "UPDATE snapshot_parts SET data = zeroblob(length(data)) WHERE part = 0")


def _forge(ledger: Ledger) -> None:
    _rows(ledger, "UPDATE snapshots SET signature = zeroblob(64)")


def _other_format(ledger: Ledger) -> None:
    columns = scan_columns(ledger, 0, ledger.size())
    save_snapshot(ledger, NAME, "arrow-ipc-lz4/v1/0000000000000000", columns.size, b"x")


def _unreadable(ledger: Ledger) -> None:
    """Signed by the ledger's key, in this code's format, but not its bytes (a bug's)."""
    columns = scan_columns(ledger, 0, ledger.size())
    good = columns_bytes(columns, lifecycle_of(columns))
    data = good[:100] + bytes(len(good) - 100)
    save_snapshot(ledger, NAME, columns_format(), ledger.size(), data, part_bytes=4096)


# (attack, what the refusal must say)
ATTACKS: list[tuple[Callable[[Ledger], None], str]] = [
    (_truncate, "part 1 of"),
    (_alter, "signed digest"),
    (_forge, "signature does not verify"),
    (_other_format, "this code reads"),
    (_unreadable, "not a readable Arrow stream"),
]


@pytest.mark.parametrize(("attack", "reason"), ATTACKS, ids=lambda v: getattr(v, "__name__", v))
def test_a_bad_snapshot_is_refused_and_the_columns_rebuilt(
    city: Ledger, attack: Callable[[Ledger], None], reason: str
) -> None:
    expected = _scores(city, snapshot=False)
    write_columns_snapshot(city, current_columns(city), part_bytes=4096)
    attack(city)
    done = rescore(_fresh(city), as_of=datetime.now(UTC))
    assert done.restored_from == 0
    assert any(reason in r for r in done.refused), done.refused
    assert _scores(city) == expected
    rebuilt = refresh_columns_snapshot(city)
    assert rebuilt["written"] and rebuilt["started_from"] == 0 and rebuilt["refused"]
    assert rescore(_fresh(city), as_of=datetime.now(UTC)).refused == ()


def test_a_snapshot_of_another_ledger_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ours = _city(tmp_path / "a", Clock(1_764_547_200_000_000), 4, "test/ours")
    theirs = _city(tmp_path / "b", Clock(1_764_547_200_000_000), 5, "test/theirs")
    refresh_columns_snapshot(theirs)
    with sqlite3.connect(ours.store.path) as conn:  # type: ignore[attr-defined]
        conn.execute("ATTACH DATABASE ? AS other", (str(theirs.store.path),))  # type: ignore[attr-defined]
        conn.execute("INSERT INTO snapshots SELECT * FROM other.snapshots")
        conn.execute("INSERT INTO snapshot_parts SELECT * FROM other.snapshot_parts")
    done = current_columns(_fresh(ours))
    assert done.restored_from == 0, "a snapshot of another ledger was trusted"
    assert any(
        "root differs" in r or "holds only" in r or "no signed checkpoint" in r
        for r in done.refused
    ), done.refused
    assert _scores(ours) == _scores(ours, snapshot=False)


_WRITER = """
import sys
from socialcredit.ledger import Ledger
from socialcredit.ledger._checkpoints import Signer
from socialcredit.scoring._record_columns import current_columns, write_columns_snapshot
from socialcredit.storage._sqlite import SQLiteStore

path = sys.argv[1]
ledger = Ledger(SQLiteStore(path), Signer.from_key_file(path + ".key"))
current = current_columns(ledger)
print("ready", flush=True)
write_columns_snapshot(ledger, current, part_bytes=256)
"""


@pytest.mark.slow
def test_a_writer_killed_at_any_moment_changes_no_score(city: Ledger) -> None:
    refresh_columns_snapshot(city)
    _grow(city, 9)
    expected = _scores(city, snapshot=False)
    rng = random.Random(7)
    path = str(city.store.path)  # type: ignore[attr-defined]
    restored = set()
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, path], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        restored.add(current_columns(_fresh(city)).restored_from)
        assert _scores(city) == expected
    assert restored, "no run"


def test_the_snapshot_command_writes_the_record_columns(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from socialcredit.cli import cli

    ledger = _city(tmp_path, Clock(1_764_547_200_000_000), 6, "test/cli")
    store = ["--store", f"sqlite:///{ledger.store.path}"]  # type: ignore[attr-defined]
    first = CliRunner().invoke(cli, [*store, "snapshot"])
    assert first.exit_code == 0, first.output
    assert f"{NAME} snapshot of {ledger.size()} entries" in first.output
    assert load_snapshot(ledger, NAME, columns_format()).size == ledger.size()
    again = CliRunner().invoke(cli, [*store, "snapshot"])
    assert f"the {NAME} snapshot of {ledger.size()} entries is current" in again.output


def _effective(state: Any, known_us: int) -> list[Any]:
    return sorted(state.index.effective_rows(known_us))


@pytest.mark.parametrize("names", ["held", "new", "untouched"])
def test_a_lifecycle_state_is_caught_up_as_a_fresh_one(city: Ledger, names: str) -> None:
    """Entries after a state's size are applied to it, unless they name an older record it
    lacks (then it starts over): the effective rows are the same as a fresh state's."""
    before = scan_columns(city, 0, city.size())
    since = lifecycle_of(before)
    held = sorted(r.position for r in since.index.rows())
    filed = before.filed.column("position").to_pylist()
    clock: Any = city.clock
    clock.advance(DAY)
    new = city.append(
        [
            PendingEntry(
                "RecordFiled",
                {
                    "kind": "fare_evasion",
                    "occurred_at": "2025-11-20T10:00:00Z",
                    "subject": {"kind": "person", "id": "110101199001010001"},
                },
            )
        ]
    ).positions[0]
    target = {
        "held": held[0],
        "new": new,
        "untouched": next(p for p in filed if p not in set(held)),
    }[names]
    clock.advance(DAY)
    withdrawn = {"record": target, "by": "source:x", "reason": "filed in error"}
    city.append([PendingEntry("RecordWithdrawn", withdrawn)])
    after = before.extended(scan_columns(city, before.size, city.size()))
    caught = lifecycle_of(after, since)
    fresh = lifecycle_of(after)
    assert (caught.index is since.index) == (names != "untouched")
    for known in (clock.now_us, clock.now_us - 2 * DAY * 1_000_000, 0):
        assert _effective(caught, known) == _effective(fresh, known)
    assert target in {r.position for r in caught.index.rows()}

"""Snapshots of the consequence view: a view started from one gives exactly the answers of a
view that replayed the whole ledger; a snapshot that is truncated, altered, from another
ledger, of a rewritten ledger or of other code is refused with its reason and the view is
rebuilt; a writer killed at any moment leaves the answers unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialcredit.catalogue import default_catalogue
from socialcredit.consequences import (
    CompiledConsequences,
    ConsequenceView,
    DecisionService,
    record_hardship,
)
from socialcredit.consequences._snapshot import NAME, view_format, write_view_snapshot
from socialcredit.demo._city import build_city
from socialcredit.ledger import Ledger, create_key_file, load_snapshot, save_snapshot
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.timeutil import from_us

from .api.client import SyncClient
from .backends import Stores
from .conftest import Clock
from .test_subject_index import DAY_US, _lifecycle, _representatives

pytestmark = pytest.mark.both_backends

Key = tuple[str, str]


def _key_file(stores: Stores, name: str) -> Path:
    return stores.directory / f"{name}.db.key"  # where the CLI looks for a SQLite store's key


def _city(stores: Stores, name: str, clock: Clock, seed: int, origin: str) -> Ledger:
    store = stores.open(stores.url(name))
    ledger = Ledger.create(store, create_key_file(_key_file(stores, name)), origin, clock)
    build_city(
        ledger,
        default_catalogue(),
        residents=120,
        organisations=12,
        years=2,
        end=date(2025, 12, 1),
        seed=seed,
        policy=default_bundle(),
    )
    _lifecycle(ledger, clock, np.random.default_rng(seed))
    subjects = sorted(RecordIndex.build(ledger).subjects())
    _representatives(ledger, clock, subjects)
    return ledger


@pytest.fixture(scope="module")
def city(module_stores: Stores) -> tuple[Ledger, Clock]:
    clock = Clock(1_767_225_600_000_000)
    return _city(module_stores, "city", clock, 23, "test/snapshots"), clock


def _answers(view: ConsequenceView, at_us: int) -> dict[str, Any]:
    """Every subject's consequences, and every list's members, at ``at_us``."""
    subjects = sorted(view.record_index.subjects())
    lists = sorted(CompiledConsequences(default_bundle()).lists)
    return {
        "subjects": {f"{k}:{i}": view.consequences(k, i, at_us).to_json() for k, i in subjects},
        "lists": {
            name: [(key, m.to_json()) for key, m in view.subjects_on(name, at_us)] for name in lists
        },
        "index": [row for key in subjects for row in view.record_index.records(*key)],
    }


def _fresh(ledger: Ledger, **options: Any) -> ConsequenceView:
    return ConsequenceView(Ledger(ledger.store, ledger.signer, ledger.clock), **options)


def _grow(ledger: Ledger, clock: Clock) -> None:
    """Entries after the snapshot: decisions, hardship and more records."""
    subjects = sorted(RecordIndex.build(ledger).subjects())
    with DecisionService(ledger) as service:
        for key in subjects[:20]:
            service.decide(*key, "air_travel", from_us(clock.now_us))
    clock.now_us += DAY_US
    record_hardship(ledger, *subjects[3], "a flood", "letter")


def test_a_view_from_a_snapshot_answers_like_a_replay(city: tuple[Ledger, Clock]) -> None:
    ledger, clock = city
    written = write_view_snapshot(_fresh(ledger))
    _grow(ledger, clock)
    assert ledger.size() > written.size
    at = clock.now_us
    restored = _fresh(ledger, snapshot=True)
    assert restored.restored_from == written.size and restored.refused_snapshots == ()
    assert _answers(restored, at) == _answers(_fresh(ledger), at)
    past = at - 200 * DAY_US  # as the system knew it then
    assert _answers(restored, past) == _answers(_fresh(ledger), past)


def _truncate(stores: Stores, ledger: Ledger) -> None:
    stores.sql(ledger.store, "DELETE FROM snapshot_parts WHERE part = 1")


def _alter(stores: Stores, ledger: Ledger) -> None:
    ((data,),) = stores.sql(ledger.store, "SELECT data FROM snapshot_parts WHERE part = 0")
    stores.sql(
        ledger.store, "UPDATE snapshot_parts SET data = ? WHERE part = 0", (bytes(len(data)),)
    )


def _forge_signature(stores: Stores, ledger: Ledger) -> None:
    stores.sql(ledger.store, "UPDATE snapshots SET signature = ?", (bytes(64),))


def _other_format(stores: Stores, ledger: Ledger) -> None:
    data = b"".join(chunk for _, chunk in _parts(ledger))
    size = ledger.store.snapshots(NAME)[0].size
    save_snapshot(ledger, NAME, "pickle5/py3.11/0000000000000000", size, data, part_bytes=4096)


def _parts(ledger: Ledger) -> list[tuple[int, bytes]]:
    size = ledger.store.snapshots(NAME)[0].size
    return list(ledger.store.read_snapshot_parts(NAME, size))


def _copy_into(stores: Stores, target: Ledger, source: Ledger) -> None:
    """Plant ``source``'s snapshot rows in ``target``'s store, as they are."""
    for table in ("snapshots", "snapshot_parts"):
        stores.sql(target.store, f"DELETE FROM {table}")
        for row in stores.sql(source.store, f"SELECT * FROM {table}"):
            values = ", ".join("?" * len(row))
            stores.sql(target.store, f"INSERT INTO {table} VALUES ({values})", tuple(row))


# (attack, what the refusal must say)
TAMPERING: list[tuple[Callable[[Stores, Ledger], None], str]] = [
    (_truncate, "part 1 of"),
    (_alter, "signed digest"),
    (_forge_signature, "signature does not verify"),
    (_other_format, "this code reads"),
]


@pytest.mark.parametrize(("attack", "reason"), TAMPERING, ids=lambda v: getattr(v, "__name__", v))
def test_a_tampered_snapshot_is_refused_and_the_view_rebuilt(
    stores: Stores, clock: Clock, attack: Callable[[Stores, Ledger], None], reason: str
) -> None:
    ledger = _city(stores, "city", clock, 5, "test/tamper")
    save_snapshot(ledger, NAME, view_format(), *_snapshot_of(ledger), part_bytes=4096)
    attack(stores, ledger)
    view = _fresh(ledger, snapshot=True)
    assert view.restored_from == 0
    assert any(reason in r for r in view.refused_snapshots), view.refused_snapshots
    assert _answers(view, clock.now_us) == _answers(_fresh(ledger), clock.now_us)


def _snapshot_of(ledger: Ledger) -> tuple[int, bytes]:
    from socialcredit.consequences._snapshot import view_bytes

    return view_bytes(_fresh(ledger))


def test_a_snapshot_of_another_ledger_or_a_longer_one_is_refused(
    stores: Stores, clock: Clock
) -> None:
    ours = _city(stores, "ours", clock, 5, "test/ours")
    theirs = _city(stores, "theirs", clock, 6, "test/theirs")
    write_view_snapshot(_fresh(theirs))
    _copy_into(stores, ours, theirs)
    view = _fresh(ours, snapshot=True)
    assert view.restored_from == 0, "a snapshot of another ledger was trusted"
    refused = " ".join(view.refused_snapshots)
    assert "root differs" in refused or "only" in refused or "no signed checkpoint" in refused
    assert _answers(view, clock.now_us) == _answers(_fresh(ours), clock.now_us)
    # The other ledger's snapshot is of more entries than ours holds once ours is shorter.
    for table in ("snapshots", "snapshot_parts"):
        stores.sql(ours.store, f"UPDATE {table} SET size = ?", (ours.size() + 1000,))
    assert "holds only" in " ".join(load_snapshot(ours, NAME, view_format()).refused)


_WRITER = """
import sys
from socialcredit.consequences._service import ConsequenceView
from socialcredit.consequences._snapshot import NAME, view_bytes, view_format
from socialcredit.ledger import Ledger
from socialcredit.ledger._checkpoints import Signer
from socialcredit.ledger._snapshots import save_snapshot
from socialcredit.storage import open_store

ledger = Ledger(open_store(sys.argv[1]), Signer.from_key_file(sys.argv[2]))
size, data = view_bytes(ConsequenceView(ledger))
print("ready", flush=True)
save_snapshot(ledger, NAME, view_format(), size, data, part_bytes=512)
"""


@pytest.mark.slow
def test_a_writer_killed_at_any_moment_changes_no_answer(stores: Stores, clock: Clock) -> None:
    ledger = _city(stores, "city", clock, 7, "test/killed")
    expected = _answers(_fresh(ledger), clock.now_us)
    rng = np.random.default_rng(7)
    where = [ledger.store.url, str(_key_file(stores, "city"))]  # type: ignore[attr-defined]
    outcomes = set()
    for _ in range(6):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, *where], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.0, 0.4)))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        view = _fresh(ledger, snapshot=True)
        outcomes.add(view.restored_from > 0)
        assert _answers(view, clock.now_us) == expected
    assert outcomes, "no run"


def test_the_cli_writes_a_snapshot_once_per_size(stores: Stores, clock: Clock) -> None:
    from click.testing import CliRunner

    from socialcredit.cli import cli

    ledger = _city(stores, "city", clock, 8, "test/cli")
    store = ["--store", ledger.store.url, "--key-file", str(_key_file(stores, "city"))]  # type: ignore[attr-defined]
    first = CliRunner().invoke(cli, [*store, "snapshot", "--json"])
    assert first.exit_code == 0, first.output
    assert '"written": true' in first.output and f'"size": {ledger.size()}' in first.output
    again = CliRunner().invoke(cli, [*store, "snapshot"])
    assert again.exit_code == 0 and "is current" in again.output
    assert _fresh(ledger, snapshot=True).restored_from == ledger.size()


@pytest.mark.slow
def test_the_server_starts_from_a_snapshot_and_its_schedule_writes_the_next(
    stores: Stores, clock: Clock
) -> None:
    from socialcredit.server import create_app
    from socialcredit.settings import Settings
    from socialcredit.system._snapshots import SnapshotSchedule

    ledger = _city(stores, "city", clock, 9, "test/serve")
    first = write_view_snapshot(_fresh(ledger))
    _grow(ledger, clock)
    settings = Settings(store=ledger.store.url, key_file=_key_file(stores, "city"))  # type: ignore[attr-defined]
    app = create_app(settings)
    with SyncClient(app):
        ctx = app.state.ctx
        assert ctx.decisions.restored_from == first.size
        with ctx.fresh_index() as index:  # the API's reads share the view's index
            assert index is ctx.decisions.record_index
            assert index.next_position == ledger.size()
    schedule = SnapshotSchedule(
        settings, ledger.size, every=1, interval=0.05, start_size=first.size
    )
    schedule.start()
    try:
        deadline = time.monotonic() + 120
        while schedule.written == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        schedule.stop()
    assert schedule.written >= 1
    assert load_snapshot(ledger, NAME, view_format()).size == ledger.size()

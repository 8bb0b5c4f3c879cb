"""The consequence view in columns answers exactly like a full replay into per-record objects.

The reference is the view as it was before its records moved into columns: the same view code
over a plain :class:`~socialcredit.records.RecordIndex` (a dict of row tuples per
subject). On a demo city with corrections, withdrawals, disputes (upheld, corrected, deleted,
one left past its deadline), statements, hardship, legal representatives and decisions, every
subject's consequences, every list's members and every record's status, at several times,
must be equal: for a view that replayed the ledger, for one started from a snapshot and caught
up, for single-subject views, and after snapshot writers killed at random moments.
"""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialcredit.consequences import CompiledConsequences, ConsequenceView
from socialcredit.consequences._snapshot import COLUMNS, write_view_snapshot
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.scoring import _columnar as columnar
from socialcredit.scoring._columnar import ColumnarRecords, SubjectKeys

from .backends import Stores
from .conftest import Clock
from .test_snapshots import _city as _city_on
from .test_snapshots import _grow
from .test_subject_index import DAY_US

Key = tuple[str, str]


class _ObjectRecords(RecordIndex):
    """The record index of per-record objects, with the per-subject time the view sets."""

    def __init__(self) -> None:
        super().__init__()
        self._times: dict[Key, int] = {}

    def touch(self, key: Key, at_us: int) -> None:
        self._times[key] = at_us

    def touched(self, key: Key) -> int:
        return self._times.get(key, 0)


class _ReplayView(ConsequenceView):
    """The reference: the same view over per-record objects, always replaying the ledger."""

    def _clear(self) -> None:
        super()._clear()
        self._index = _ObjectRecords()  # type: ignore[assignment]


def _city(directory: Path, clock: Clock, seed: int, origin: str) -> Ledger:
    """A seeded demo city in ``directory/city.db`` (SQLite: these tests read the file)."""
    return _city_on(Stores("sqlite", directory, None), "city", clock, seed, origin)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Ledger, Clock]]:
    clock = Clock(1_767_225_600_000_000)
    ledger = _city(tmp_path_factory.mktemp("columnar"), clock, 31, "test/columnar")
    clock.now_us += 90 * DAY_US  # an undecided dispute is now past its deadline
    yield ledger, clock
    ledger.store.close()


def _fresh(ledger: Ledger, cls: type[ConsequenceView] = ConsequenceView, **kw: Any) -> Any:
    return cls(Ledger(ledger.store, ledger.signer, ledger.clock), **kw)


def _subjects(ledger: Ledger) -> list[Key]:
    return sorted(RecordIndex.build(ledger).subjects())


def _answers(view: ConsequenceView, subjects: list[Key], at_us: int) -> dict[str, Any]:
    lists = sorted(CompiledConsequences(default_bundle()).lists)
    index = view.record_index
    return {
        "consequences": {k: view.consequences(*k, at_us).to_json() for k in subjects},
        "lists": {n: [(k, m.to_json()) for k, m in view.subjects_on(n, at_us)] for n in lists},
        "effective": {k: index.effective(*k, at_us) for k in subjects},
        "status": {
            r.position: index.status(r.position, at_us)
            for k in subjects
            for r in index.records(*k)
            if r.recorded_at_us <= at_us
        },
    }


def _times(clock: Clock) -> list[int]:
    return [clock.now_us, clock.now_us - 60 * DAY_US, clock.now_us - 300 * DAY_US]


def test_the_columnar_index_equals_the_object_index(city: tuple[Ledger, Clock]) -> None:
    ledger, clock = city
    objects, columns = RecordIndex.build(ledger), ColumnarRecords.build(ledger)
    assert columns.subjects() == objects.subjects()
    assert columns.snapshot() == objects.snapshot()
    assert columns.lifecycle_snapshot() == objects.lifecycle_snapshot()
    assert list(columns.rows()) == list(objects.rows()) and len(columns) == len(objects)
    assert columns.record(-1) is None and columns.record(ledger.size()) is None
    for at in _times(clock):
        assert sorted(columns.effective_rows(at)) == sorted(objects.effective_rows(at))
    restored = pickle.loads(pickle.dumps(columns))
    assert restored.snapshot() == objects.snapshot()


def test_the_view_answers_like_a_full_replay_with_and_without_a_snapshot(
    city: tuple[Ledger, Clock],
) -> None:
    ledger, clock = city
    subjects = _subjects(ledger)
    written = write_view_snapshot(_fresh(ledger))
    _grow(ledger, clock)  # decisions, hardship after the snapshot
    assert ledger.size() > written.size
    replayed, restored = _fresh(ledger), _fresh(ledger, snapshot=True)
    assert restored.restored_from == written.size
    reference = _fresh(ledger, _ReplayView)
    # and times inside the listings that ended before their expiry
    ended = [
        (it[1] + it[3]) // 2
        for ls in reference._listings.values()
        for it in ls
        if it[6] and it[6] != "expiry"
    ]
    assert ended, "the city has no listing ended before its expiry"
    for at in [*_times(clock), *ended[:3]]:
        expected = _answers(reference, subjects, at)
        assert _answers(replayed, subjects, at) == expected
        assert _answers(restored, subjects, at) == expected


def test_single_subject_views_answer_like_a_full_replay(city: tuple[Ledger, Clock]) -> None:
    ledger, clock = city
    subjects = _subjects(ledger)
    reference = _fresh(ledger, _ReplayView)
    for key in subjects[:: max(1, len(subjects) // 25)]:
        scoped = _fresh(ledger, subjects=[key])
        for at in _times(clock):
            assert scoped.consequences(*key, at).to_json() == (
                reference.consequences(*key, at).to_json()
            )


# writes the columns, then the rest, each in 256-byte parts (hundreds of transactions)
_WRITER = """
import sys
from socialcredit.consequences._service import ConsequenceView
from socialcredit.consequences._snapshot import write_view_snapshot
from socialcredit.ledger import Ledger
from socialcredit.ledger._checkpoints import Signer
from socialcredit.storage._sqlite import SQLiteStore

path = sys.argv[1]
ledger = Ledger(SQLiteStore(path), Signer.from_key_file(path + ".key"))
view = ConsequenceView(ledger)
print("ready", flush=True)
write_view_snapshot(view, part_bytes=256)
"""


@pytest.mark.slow
def test_writers_killed_at_random_change_no_answer(tmp_path: Path, clock: Clock) -> None:
    ledger = _city(tmp_path, clock, 13, "test/columnar-killed")
    subjects = _subjects(ledger)
    write_view_snapshot(_fresh(ledger))  # an older complete snapshot, then newer writers
    _grow(ledger, clock)
    at = clock.now_us
    expected = _answers(_fresh(ledger, _ReplayView), subjects, at)
    rng = np.random.default_rng(13)
    path = str(ledger.store.path)  # type: ignore[attr-defined]
    for _ in range(4):
        child = subprocess.Popen(
            [sys.executable, "-c", _WRITER, path], stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(float(rng.uniform(0.0, 0.3)))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        assert _answers(_fresh(ledger, snapshot=True), subjects, at) == expected


def test_a_snapshot_without_its_columns_is_refused_and_the_view_rebuilt(
    tmp_path: Path, clock: Clock
) -> None:
    ledger = _city(tmp_path, clock, 17, "test/columns-missing")
    subjects = _subjects(ledger)
    written = write_view_snapshot(_fresh(ledger))
    assert _fresh(ledger, snapshot=True).restored_from == written.size
    with sqlite3.connect(ledger.store.path) as conn:  # type: ignore[attr-defined]
        for table in ("snapshots", "snapshot_parts"):
            conn.execute(f"DELETE FROM {table} WHERE name = ?", (COLUMNS,))
    view = _fresh(ledger, snapshot=True)
    assert view.restored_from == 0
    assert any("record columns" in r for r in view.refused_snapshots), view.refused_snapshots
    reference = _fresh(ledger, _ReplayView)
    assert _answers(view, subjects, clock.now_us) == _answers(reference, subjects, clock.now_us)


def test_subject_keys_merge_and_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "_MERGE_EVERY", 7)
    keys = SubjectKeys()
    rng = np.random.default_rng(3)
    made: list[Key] = []
    for n in range(200):
        kind = ("person", "organisation", "x")[n % 3]
        made.append((kind, "id" + "9" * int(rng.integers(0, 30)) + str(n)))
        assert keys.slot(made[-1]) == n
        assert keys.slot(made[-1]) == n  # the same key keeps its slot
    assert keys.find(("person", "nobody")) == -1
    assert keys.find(("person", "id" + "9" * 60)) == -1  # wider than every stored key
    assert [keys.find(k) for k in made] == list(range(200))
    assert [k for _, k in keys.slots()] == made
    again = pickle.loads(pickle.dumps(keys))
    assert [again.find(k) for k in made] == list(range(200)) and len(again) == 200
    assert again.slot(("person", "new")) == 200 and again.key(200) == ("person", "new")


def test_the_app_reads_one_subject_without_the_decision_service(
    city: tuple[Ledger, Clock],
) -> None:
    from socialcredit.server import create_app
    from socialcredit.settings import Settings

    ledger, _ = city
    subjects = _subjects(ledger)
    whole = RecordIndex.build(ledger)
    settings = Settings(store=f"sqlite:///{ledger.store.path}")  # type: ignore[attr-defined]
    ctx = create_app(settings).state.ctx  # no lifespan: no decision service
    assert ctx.decisions is None
    for key in subjects[:5]:
        with ctx.fresh_index(key) as index:
            assert index.records(*key) == whole.records(*key)
            assert index.subjects() == [key] and index is not ctx.index
    assert len(ctx.index) == 0, "the whole ledger was read for one subject"
    with ctx.fresh_index() as index:  # every subject: the context's own whole index
        assert index.subjects() == subjects
    ctx.ledger.store.close()

"""The per-subject position index: single-subject reads (score, explain, report, decide)
through it give exactly the answers of the whole-ledger path, and a store that predates it
gets the very same index built once.

The fixture is a small demo city (seeded) with a published policy, then corrections,
withdrawals, disputes (upheld, corrected, deleted and one left undecided past its deadline),
statements, hardship, legal representatives and decisions on top.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from socialcredit.catalogue import default_catalogue
from socialcredit.consequences import (
    CompiledConsequences,
    DecisionService,
    check_service,
    record_hardship,
    record_legal_representative,
)
from socialcredit.demo._city import build_city
from socialcredit.errors import DisputeRefusedError, ValidationError
from socialcredit.ledger import Ledger, build_subject_index, subject_entries
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.reports import build_report
from socialcredit.rights import (
    attach_statement,
    correct_record,
    decide,
    open_dispute,
    withdraw_record,
)
from socialcredit.scoring import explain, score
from socialcredit.timeutil import from_us

from .backends import Stores
from .conftest import Clock

pytestmark = pytest.mark.both_backends

DAY_US = 86_400 * 1_000_000
Key = tuple[str, str]


def _quietly(action: Callable[..., Any], *args: Any) -> bool:
    """Run one lifecycle action; False if the system refused it (the fixture is random)."""
    try:
        action(*args)
    except (DisputeRefusedError, ValidationError):
        return False
    return True


def _lifecycle(ledger: Ledger, clock: Clock, rng: np.random.Generator) -> dict[str, int]:
    """Corrections, withdrawals, disputes, statements, hardship, representatives."""
    rows = list(RecordIndex.build(ledger).rows())
    picks = [rows[int(i)] for i in rng.choice(len(rows), size=40, replace=False)]
    done = dict.fromkeys(("corrected", "withdrawn", "disputes", "statements", "hardship"), 0)
    for n, row in enumerate(picks):
        clock.now_us += DAY_US
        who = (row.subject_kind, row.subject_id)
        if n % 5 == 0 and row.amount is not None:
            done["corrected"] += _quietly(
                correct_record, ledger, row.position, {"amount": 1}, "src:a", "typo"
            )
        elif n % 5 == 1:
            done["withdrawn"] += _quietly(
                withdraw_record, ledger, row.position, "src:a", "filed in error"
            )
        elif n % 5 == 2:
            outcome = ("upheld", "corrected", "deleted", None)[(n // 5) % 4]
            dispute = open_dispute(ledger, row.position, "not me")
            if outcome is not None:
                changes = {"amount": 2} if outcome == "corrected" and row.amount else None
                outcome = "upheld" if outcome == "corrected" and not changes else outcome
                decide(ledger, dispute, outcome, "officer:li", "checked", changes)
            done["disputes"] += 1
        elif n % 5 == 3:
            done["statements"] += _quietly(
                attach_statement, ledger, who, row.position, "I paid it later."
            )
        else:
            done["hardship"] += _quietly(record_hardship, ledger, *who, "lost my job", "letter")
    return done


def _representatives(ledger: Ledger, clock: Clock, subjects: list[Key]) -> int:
    people = [s for s in subjects if s[0] == "person"]
    firms = [s for s in subjects if s[0] == "organisation"]
    since = from_us(clock.now_us - 400 * DAY_US)
    for firm, person in zip(firms[:6], people[:6], strict=False):
        record_legal_representative(ledger, firm[1], person[1], since)
    return min(len(firms), len(people), 6)


@pytest.fixture(scope="module")
def city(
    module_stores: Stores, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Ledger, Clock, list[Key]]]:
    from socialcredit.ledger import create_key_file

    key = create_key_file(tmp_path_factory.mktemp("city") / "k.key")
    clock = Clock(1_767_225_600_000_000)
    ledger = Ledger.create(module_stores.open(module_stores.url("city")), key, "test/index", clock)
    build_city(
        ledger,
        default_catalogue(),
        residents=150,
        organisations=15,
        years=2,
        end=date(2025, 12, 1),
        seed=17,
        policy=default_bundle(),
    )
    rng = np.random.default_rng(17)
    done = _lifecycle(ledger, clock, rng)
    assert all(done.values()), done
    subjects = sorted(RecordIndex.build(ledger).subjects())
    assert _representatives(ledger, clock, subjects) > 0
    clock.now_us += 90 * DAY_US  # the undecided dispute is now past its deadline
    yield ledger, clock, subjects


def _whole_ledger(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the store's index look incomplete: every read takes the whole-ledger path."""
    store = ledger.store
    monkeypatch.setattr(store, "subject_index_state", lambda: (store.state().size, 0))


def _times(clock: Clock) -> list[datetime]:
    return [from_us(clock.now_us), from_us(clock.now_us - 300 * DAY_US)]


def _answers(ledger: Ledger, who: Key, at: datetime) -> dict[str, Any]:
    fresh = Ledger(ledger.store)  # no projection left over from another path
    found = explain(fresh, *who, as_of=at, known_at=at).to_json()
    report = build_report(fresh, *who, at)
    report.pop("checkpoint")
    return {
        "score": score(fresh, *who, as_of=at, known_at=at).to_json(),
        "explain": found,
        "report": report,
    }


def test_single_subject_answers_equal_the_whole_ledger_ones(
    city: tuple[Ledger, Clock, list[Key]], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, clock, subjects = city
    # Every subject on SQLite; every fourth on PostgreSQL, which keeps the PostgreSQL half of
    # the suite short (the two paths read the same store; only the index reads differ).
    chosen = subjects if backend == "sqlite" else subjects[::4]
    unknown = ("person", "110101199001010000")
    for at in _times(clock):
        indexed = {who: _answers(ledger, who, at) for who in [*chosen, unknown]}
        with monkeypatch.context() as patch:
            _whole_ledger(ledger, patch)
            assert subject_entries(ledger, [unknown]) is None
            whole = {who: _answers(ledger, who, at) for who in [*chosen, unknown]}
        for who in whole:
            assert indexed[who] == whole[who], who


def test_decisions_equal_the_whole_ledger_ones(
    city: tuple[Ledger, Clock, list[Key]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, clock, subjects = city
    services = sorted(CompiledConsequences(default_bundle()).services)
    at = from_us(clock.now_us)
    with DecisionService(Ledger(ledger.store, ledger.signer, clock)) as everyone:
        whole = {
            (who, s): everyone.decide(*who, s, at).to_json() for who in subjects for s in services
        }
    for who in subjects:
        with DecisionService(Ledger(ledger.store, ledger.signer, clock), subjects=[who]) as one:
            for s in services:
                assert one.decide(*who, s, at).to_json() == whole[(who, s)], (who, s)
    with pytest.raises(ValidationError, match="teleport"):
        check_service(ledger, "teleport", at)


def test_a_store_from_before_the_index_gets_the_same_index_built(
    city: tuple[Ledger, Clock, list[Key]], module_stores: Stores
) -> None:
    ledger, _, _ = city
    while ledger.store.compact_subject_index(limit=100):  # every run merged into the rows
        pass
    if module_stores.backend == "sqlite":  # PostgreSQL keeps no runs
        assert module_stores.sql(ledger.store, "SELECT COUNT(*) FROM subject_runs") == [(0,)]
    rows = "SELECT * FROM subject_positions ORDER BY 1, 2, 3"
    appended = module_stores.sql(ledger.store, rows)
    module_stores.sql(ledger.store, "DELETE FROM subject_positions")
    module_stores.sql(ledger.store, "UPDATE meta SET value = '0' WHERE key = 'subject_index_size'")
    assert subject_entries(ledger, [("person", "x")]) is None
    assert build_subject_index(ledger) == ledger.size()
    assert build_subject_index(ledger) == 0  # once
    built = module_stores.sql(ledger.store, rows)
    assert built == appended
    assert len({row[:2] for row in built}) > 50


def test_the_index_moves_with_appends_only_while_complete(
    city: tuple[Ledger, Clock, list[Key]],
) -> None:
    ledger, _, subjects = city
    before = ledger.size()
    record_hardship(ledger, *subjects[0], "flood", None)
    assert ledger.store.subject_index_state() == (before + 1, before + 1)
    found = subject_entries(ledger, [subjects[0]], with_global=False)
    assert found is not None and found[1][-1].position == before


def test_ingested_runs_index_every_record_before_and_after_compaction(
    make_ledger: Callable[..., Ledger], stores: Stores, clock: Clock
) -> None:
    """The bulk path keeps runs of internal ids instead of rows (SQLite; PostgreSQL writes the
    rows): every subject's positions are still exactly those an independent derivation gives,
    and merging changes no answer."""
    from socialcredit.ingest import ingest_file
    from socialcredit.ledger._subject_index import KeyDerivation

    ledger = make_ledger("runs")
    sample = Path(__file__).parents[1] / "socialcredit" / "demo" / "sample_records.csv"
    summary = ingest_file(ledger, default_catalogue(), sample, batch_size=37)
    assert summary.accepted > 100
    derive, expected = KeyDerivation(), {}
    for entry in ledger.entries(0, ledger.size()):
        for key in derive.keys(entry):
            expected.setdefault(key, []).append(entry.position)
    if stores.backend == "sqlite":
        assert stores.sql(ledger.store, "SELECT COUNT(*) FROM subject_runs")[0][0] > 1
    at = from_us(clock.now_us)
    before = {k: score(Ledger(ledger.store), *k, as_of=at).to_json() for k in expected}

    def positions() -> dict[Key, list[int]]:
        return {key: ledger.store.subject_positions([key], ledger.size()) for key in expected}

    assert positions() == expected
    assert (ledger.store.compact_subject_index(limit=50) > 0) == (stores.backend == "sqlite")
    assert positions() == expected
    while ledger.store.compact_subject_index():
        pass
    assert positions() == expected
    after = {k: score(Ledger(ledger.store), *k, as_of=at).to_json() for k in expected}
    assert after == before


# Each attack on the index a store writer without the ledger's key could make, so that
# single-subject reads miss (or gain) entries: every one must be reported.
ROW_ATTACKS = {
    "a record's row dropped": (
        "DELETE FROM subject_positions WHERE position = "
        "(SELECT MIN(position) FROM subject_positions WHERE kind = 'person')"
    ),
    "a row added for another subject": (
        "INSERT INTO subject_positions SELECT kind, external_id || 'X', position "
        "FROM subject_positions WHERE kind = 'person' LIMIT 1"
    ),
    "a record moved to another position": (
        "UPDATE subject_positions SET position = position + 1 WHERE position = "
        "(SELECT MAX(position) FROM subject_positions WHERE kind = 'person')"
    ),
}
RUN_ATTACKS = {  # SQLite's compact runs of the index (PostgreSQL has none)
    "a run's subject swapped": (
        "UPDATE subject_runs SET ids = zeroblob(length(ids)) WHERE first = "
        "(SELECT MIN(first) FROM subject_runs)"
    ),
    "a run dropped": "DELETE FROM subject_runs WHERE first = (SELECT MAX(first) FROM subject_runs)",
}


@pytest.mark.parametrize("attack", sorted(ROW_ATTACKS))
def test_verify_index_reports_every_tampering(
    make_ledger: Callable[..., Ledger], stores: Stores, attack: str
) -> None:
    _attack_the_index(make_ledger, stores, attack, ROW_ATTACKS[attack])


@pytest.mark.sqlite_only  # runs of the index exist in SQLite only
@pytest.mark.parametrize("attack", sorted(RUN_ATTACKS))
def test_verify_index_reports_every_tampering_of_a_run(
    make_ledger: Callable[..., Ledger], stores: Stores, attack: str
) -> None:
    _attack_the_index(make_ledger, stores, attack, RUN_ATTACKS[attack])


def _attack_the_index(
    make_ledger: Callable[..., Ledger], stores: Stores, attack: str, statement: str
) -> None:
    from click.testing import CliRunner

    from socialcredit.cli import cli
    from socialcredit.ingest import ingest_file
    from socialcredit.ledger import check_subject_index

    ledger = make_ledger("indexed")
    # The key file: the CLI wants one for a PostgreSQL store even to verify.
    given = ["--store", ledger.store.url, "--key-file", str(stores.directory / "indexed.key")]  # type: ignore[attr-defined]
    sample = Path(__file__).parents[1] / "socialcredit" / "demo" / "sample_records.csv"
    ingest_file(ledger, default_catalogue(), sample, batch_size=50)
    record_hardship(ledger, "person", "110101198209260270", "a flood", None)  # a row, not a run
    if "run" not in attack:
        while ledger.store.compact_subject_index(limit=100):
            pass
    assert check_subject_index(ledger) == []
    clean = CliRunner().invoke(cli, [*given, "verify", "--index"])
    assert clean.exit_code == 0, clean.output
    assert stores.sql(ledger.store, statement) == 1
    problems = check_subject_index(Ledger(ledger.store))
    assert problems and all("the index holds" in p for p in problems), problems
    found = CliRunner().invoke(cli, [*given, "verify", "--index"])
    assert found.exit_code == 1 and "the index holds" in found.output

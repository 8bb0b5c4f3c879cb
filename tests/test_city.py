"""The synthetic city: seeded, filed month by month in ledger time, heterogeneous."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from socialcredit.catalogue import default_catalogue
from socialcredit.demo._city import build_city
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle
from socialcredit.scoring import rescore, score
from socialcredit.storage._sqlite import SQLiteStore

from .conftest import Clock

MakeLedger = Callable[..., Ledger]


def city(ledger: Ledger, seed: int = 7) -> None:
    build_city(
        ledger,
        default_catalogue(),
        residents=1500,
        organisations=100,
        seed=seed,
        policy=default_bundle(),
    )


def test_same_seed_same_ledger_other_seed_other_ledger(
    make_ledger: MakeLedger, tmp_path: Path, clock: Clock
) -> None:
    a, c = make_ledger("a"), make_ledger("c")
    # The genesis names the operator's key (its governance), so a rebuild uses the same key.
    assert a.signer is not None
    b = Ledger.create(SQLiteStore(tmp_path / "b.db"), a.signer, "test/b", clock)
    city(a)
    city(b)
    city(c, seed=8)
    assert a.size() == b.size() and a.latest_checkpoint().root == b.latest_checkpoint().root
    assert a.latest_checkpoint().root != c.latest_checkpoint().root
    b.store.close()


def test_records_are_filed_after_they_happen_and_about_adults(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    city(ledger)
    entries = list(ledger.entries())
    assert [e.type for e in entries[:2]] == ["GovernanceRecorded", "PolicyPublished"]  # genesis
    records = [e for e in entries if e.type == "RecordFiled"]
    assert len(records) > 1000
    for entry in records:
        occurred = datetime.fromisoformat(entry.data["occurred_at"].replace("Z", "+00:00"))
        assert occurred <= entry.recorded_at
        assert (entry.recorded_at - occurred).days <= 31
    per_subject = Counter(e.data["subject"]["id"] for e in records)
    counts = sorted(per_subject.values())
    assert counts[len(counts) // 2] <= 2 and counts[-1] >= 8  # most few, a few many


def test_city_scores_bitemporally(make_ledger: MakeLedger) -> None:
    ledger = make_ledger()
    city(ledger)
    done = rescore(ledger, as_of=datetime(2026, 11, 1, tzinfo=UTC))
    assert {"A", "B"} <= set(done.grades()) and done.reasons
    subject = max(done.scores, key=lambda s: abs(s.total - 1000))
    now = score(
        ledger, subject.subject_kind, subject.subject_id, as_of=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert now.total == subject.total
    early = score(
        ledger,
        subject.subject_kind,
        subject.subject_id,
        as_of=datetime.combine(date(2023, 11, 2), datetime.min.time(), UTC),
    )
    assert early.total == 1000 or len(early.contributions) < len(now.contributions)

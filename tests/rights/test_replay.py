"""Replayability: the state at any ledger time, computed later, equals what was seen then."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from socialcredit.errors import SocialCreditError
from socialcredit.ledger import Ledger, ledger_now
from socialcredit.records import RecordIndex
from socialcredit.rights import _disputes as d
from socialcredit.scoring import score
from socialcredit.timeutil import from_us
from tests.rights.helpers import ALICE, BOB, at, file_record, set_time

HOUR_S = 3_600


def seen(ledger: Ledger, known_us: int) -> tuple[Any, ...]:
    index = RecordIndex.build(ledger)
    when = from_us(known_us)
    return (
        [(x.id, x.state, x.outcome) for x in d.disputes_of(ledger, known_us)],
        list(index.effective_rows(known_us)),
        [index.status(r.position, known_us) for r in index.rows() if r.recorded_at_us <= known_us],
        [score(index, *who, as_of=when).total for who in (ALICE, BOB)],
    )


def step(ledger: Ledger, rng: random.Random, records: list[int]) -> None:
    """One random action of a subject, officer or source; refusals are part of the walk."""
    position = rng.choice(records)
    open_ = [x for x in d.disputes_of(ledger) if x.decided_us is None]
    decided = [x for x in d.disputes_of(ledger) if x.decided_us is not None and x.appeal is None]
    action = rng.choice(["open", "ack", "evidence", "decide", "appeal", "recertify", "correct"])
    try:
        if action == "open":
            d.open_dispute(ledger, position, "Not accurate.")
        elif action in ("ack", "evidence", "decide") and open_:
            dispute = rng.choice(open_).id
            if action == "ack":
                d.acknowledge(ledger, dispute, "officer:li")
            elif action == "evidence":
                d.add_evidence(ledger, dispute, "A receipt.", "subject")
            else:
                outcome = rng.choice(d.OUTCOMES)
                changes = {"amount": rng.randrange(1, 9_000)} if outcome == "corrected" else None
                d.decide(ledger, dispute, outcome, "officer:li", "Checked.", changes)
        elif action == "appeal" and decided:
            d.appeal(ledger, rng.choice(decided).id, "Please review.")
        elif action == "recertify":
            d.recertify(ledger, position, "agency:test", "Certified again.")
        elif action == "correct":
            d.correct_record(
                ledger, position, {"amount": rng.randrange(9_000)}, "agency:test", "Fix."
            )
    except SocialCreditError:
        pass


def test_every_past_state_replays_exactly(make_ledger: Callable[..., Ledger], clock: Any) -> None:
    ledger = make_ledger()
    rng = random.Random(7)
    set_time(clock, at(2026, 2, 2))
    records = [file_record(ledger), file_record(ledger, BOB), file_record(ledger, amount=100)]
    snapshots = []
    for _ in range(40):
        clock.advance(rng.randrange(1, 24 * 12) * HOUR_S)
        step(ledger, rng, records)
        now = ledger_now(ledger)
        snapshots.append((now, seen(ledger, now)))
    # the walk reached the deadline machinery and every record state
    dispute_states = {state for _, s in snapshots for _, state, _ in s[0]}
    record_states = {status.state for _, s in snapshots for status in s[2]}
    assert {"decided", "overdue-decision", "appealed"} <= dispute_states
    assert {"active", "corrected", "disputed", "suspended", "withdrawn"} <= record_states
    for now, expected in snapshots:
        assert seen(ledger, now) == expected

"""The ratings state's snapshot (issue 17): a process starts from it instead of reading the
whole ledger, and its answers equal a full read — with a current snapshot, one behind, and
one that was tampered with, truncated or written by other code (refused, then rebuilt)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from socialcredit.ledger import Ledger
from socialcredit.ratings import dispute, issue_token, load_state, rate, reply
from socialcredit.ratings._shared import SharedRatings, refresh_ratings_snapshot
from socialcredit.ratings._snapshot import NAME
from socialcredit.rights import decide

from ..conftest import Clock
from ..records_factory import organisation, person

SHOP = organisation(7)
STARS = {"integrity": 4, "professionalism": 5, "service": 3}


def _rated(ledger: Ledger, clock: Clock, first: int, count: int) -> list[int]:
    positions = []
    for i in range(first, first + count):
        issued = issue_token(ledger, SHOP, person(i), SHOP, f"order-{i}")
        positions.append(rate(ledger, issued.token, person(i), SHOP, STARS))
        clock.advance(3600)
    return positions


def _read_from_scratch(ledger: Ledger) -> SharedRatings:
    """The state of a process with no snapshot: every entry read."""
    shared = SharedRatings(ledger)
    shared._started = True  # skip the snapshot: the reference answer
    shared.catch_up(ledger)
    return shared


def _fresh(ledger: Ledger) -> SharedRatings:
    shared = SharedRatings(Ledger(ledger.store))
    shared.catch_up(ledger)
    return shared


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger], clock: Clock) -> Ledger:
    ledger = make_ledger()
    positions = _rated(ledger, clock, 1, 6)
    reply(ledger, positions[0], SHOP, "thank you")
    disputed = dispute(ledger, positions[1], SHOP, "the order was cancelled")
    decide(ledger, disputed, "deleted", "officer-7", "no delivery took place")
    return ledger


def test_a_process_starts_from_the_snapshot_and_answers_as_a_full_read(
    ledger: Ledger, clock: Clock
) -> None:
    done = refresh_ratings_snapshot(ledger)
    assert done["written"] and done["size"] == ledger.size() and done["started_from"] == 0
    assert refresh_ratings_snapshot(ledger)["written"] is False  # current: nothing to write
    started = _fresh(ledger)
    assert started.restored_from == ledger.size()
    assert started.state == _read_from_scratch(ledger).state
    # behind: the entries after the snapshot are read on top of it
    _rated(ledger, clock, 10, 3)
    behind = _fresh(ledger)
    assert behind.restored_from == done["size"] < ledger.size()
    assert behind.state == _read_from_scratch(ledger).state
    assert load_state(Ledger(ledger.store)) == load_state(ledger)
    again = refresh_ratings_snapshot(ledger)
    assert again["written"] and again["started_from"] == done["size"]


@pytest.mark.parametrize("attack", ["flipped byte", "truncated", "other code"])
def test_a_bad_snapshot_is_refused_and_the_state_rebuilt(ledger: Ledger, attack: str) -> None:
    refresh_ratings_snapshot(ledger)
    (header,) = ledger.store.snapshots(NAME)
    (_, first), *_ = ledger.store.read_snapshot_parts(NAME, header.size)
    with ledger.store.write() as txn:
        if attack == "flipped byte":
            part = bytearray(first)
            part[len(part) // 2] ^= 1
            txn.put_snapshot_part(NAME, header.size, 0, bytes(part))
        elif attack == "truncated":
            txn.put_snapshot_part(NAME, header.size, 0, first[: len(first) // 2])
        else:  # a snapshot signed as another format (older code) is not loaded
            from dataclasses import replace

            from socialcredit.ledger._snapshots import snapshot_message

            other = replace(header, format="pickle5/py3.0/0000000000000000")
            assert ledger.signer is not None
            other = replace(other, signature=ledger.signer.sign_message(snapshot_message(other)))
            txn.put_snapshot(other)
    started = _fresh(ledger)
    assert started.restored_from == 0
    assert started.state == _read_from_scratch(ledger).state

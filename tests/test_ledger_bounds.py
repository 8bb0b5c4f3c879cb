"""The library refuses out-of-range input with its own errors, not the driver's, on either
store: a position past any 64-bit integer (the measured ``10**26`` that overflowed SQLite) is
simply not there."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from socialcredit.errors import NotFoundError
from socialcredit.ledger import Ledger, PendingEntry

pytestmark = pytest.mark.both_backends


@pytest.fixture
def ledger(make_ledger: Callable[..., Ledger]) -> Ledger:
    made = make_ledger()
    made.append([PendingEntry("RecordFiled", {"n": 0}, None, ("person", "p0"))])
    return made


@pytest.mark.parametrize("position", [10**26, 2**63, 2**63 - 1, -1, -(10**26), 1])
def test_a_position_outside_the_ledger_is_not_found(ledger: Ledger, position: int) -> None:
    with pytest.raises(NotFoundError, match="no entry at position"):
        ledger.entry(position)


@pytest.mark.parametrize("position", [True, "0", 0.0, None])
def test_a_position_must_be_an_integer(ledger: Ledger, position: object) -> None:
    with pytest.raises(TypeError, match="a position is an int"):
        ledger.entry(position)  # type: ignore[arg-type]


def test_numpy_integers_are_positions(ledger: Ledger) -> None:
    assert ledger.entry(np.int64(0)).data == {"n": 0}  # type: ignore[arg-type]

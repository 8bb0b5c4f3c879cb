"""Opening the system: the catalogue that incoming records are checked against."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from socialcredit.catalogue import default_catalogue
from socialcredit.ledger import Ledger
from socialcredit.policy import catalogue_in_force, publish
from tests.test_scoring import loan_default_doubled

YEAR_S = 365 * 86_400


def test_catalogue_of_the_bundle_in_force(make_ledger: Callable[..., Ledger], clock: Any) -> None:
    ledger = make_ledger()
    assert catalogue_in_force(ledger) is default_catalogue()  # nothing published yet
    future = loan_default_doubled(2, "2027-06-01T00:00:00Z")  # the clock is at 2026-01-01
    publish(ledger, future)
    assert catalogue_in_force(ledger) is default_catalogue()  # published, not yet in force
    clock.advance(2 * YEAR_S)
    found = catalogue_in_force(ledger)  # the published bundle's own catalogue, re-read
    assert found is not default_catalogue()
    assert found.kinds == future.catalogue.kinds

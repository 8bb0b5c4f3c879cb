"""The rating use cases of the application object, called directly on a real small ledger: a
tax source files an interaction and issues its token, the buyer rates as themselves, the
ratee replies; a source of another kind, a subject acting for someone else and a subject
issuing against a record are refused before anything is written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import PermissionDeniedError, RatingRefusedError, ValidationError
from socialcredit.ratings import ratee_view
from socialcredit.settings import Settings
from socialcredit.system import System, operator
from tests.records_factory import organisation, person

SHOP = organisation(7)
DOCTOR = f"{person(3)}:doctor"
STARS = {"integrity": 4, "professionalism": 5, "service": 3}
TAX = Principal(Role.SOURCE, "tax_authority:e-invoice-platform", account="key:tax")
BANK = Principal(Role.SOURCE, "bank:first", account="key:bank")
BUYER = Principal(Role.SUBJECT, "buyer", subject=("person", person(1)), account="user:buyer")
DOCTOR_SELF = Principal(Role.SUBJECT, "doc", subject=("person", person(3)), account="user:doc")


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    settings = Settings(store=f"sqlite:///{tmp_path / 'ratings.db'}")
    with System.create(settings, "test/ratings") as opened:
        yield opened


def test_a_verified_interaction_is_rated_by_its_buyer_and_answered(system: System) -> None:
    filed = system.record_interaction(TAX, person(1), SHOP, "INV-2026-0001")
    issued = system.issue_rating_token(TAX, f"record:{filed}", person(1), SHOP, "INV-2026-0001")
    rated = system.rate(BUYER, issued.token, SHOP, STARS, "prompt", rater=person(2))
    rating = system.ledger.entry(rated)
    assert rating.data["rater"] == person(1)  # a subject rates as themselves, whatever is named
    reply = system.reply_to_rating(operator("admin"), rated, SHOP, "thank you")
    assert system.ledger.entry(reply).type == "RatingReplied"
    now = datetime.now(UTC)
    page = system.ratee_view(SHOP, now)
    assert page == ratee_view(system.ledger, SHOP, now)
    assert page.sealed + len(page.ratings) == 1


def test_who_may_not_file_or_issue_is_refused_before_anything_is_written(
    system: System,
) -> None:
    size = system.ledger.size()
    with pytest.raises(PermissionDeniedError, match="only a source of"):
        system.record_interaction(BANK, person(1), SHOP, "INV-1")
    with pytest.raises(PermissionDeniedError, match="may not issue rating tokens"):
        system.issue_rating_token(BANK, "record:0", person(1), SHOP, "INV-1")
    with pytest.raises(PermissionDeniedError, match="only against its interaction records"):
        system.issue_rating_token(TAX, SHOP, person(1), SHOP, "INV-1")
    with pytest.raises(PermissionDeniedError, match="issued by the source that filed it"):
        system.issue_rating_token(DOCTOR_SELF, "record:0", person(1), DOCTOR, "visit-1")
    with pytest.raises(ValidationError) as unnamed:
        system.record_interaction(operator("admin"), person(1), SHOP, "INV-1")
    assert [p.field for p in unnamed.value.problems] == ["source"]
    assert system.ledger.size() == size


def test_a_subject_acts_only_as_the_ratee_that_is_themselves(system: System) -> None:
    issued = system.issue_rating_token(DOCTOR_SELF, DOCTOR, person(1), DOCTOR, "visit-1")
    rated = system.rate(BUYER, issued.token, DOCTOR, STARS)
    with pytest.raises(PermissionDeniedError, match="only for their own ratings"):
        system.reply_to_rating(BUYER, rated, DOCTOR, "not mine to answer")
    with pytest.raises(PermissionDeniedError, match="only for their own ratings"):
        system.dispute_rating(BUYER, rated, DOCTOR, "not mine to dispute")
    with pytest.raises(PermissionDeniedError, match="no resident id"):
        system.rate(Principal(Role.SUBJECT, "nobody"), issued.token, DOCTOR, STARS)
    dispute = system.dispute_rating(DOCTOR_SELF, rated, DOCTOR, "never treated this patient")
    assert dispute == f"D{rated}-1"


def test_an_operator_issues_as_the_ratee_and_names_the_rater(system: System) -> None:
    issued = system.issue_rating_token(operator("admin"), SHOP, person(1), SHOP, "order-1")
    rated = system.rate(operator("admin"), issued.token, SHOP, STARS, rater=person(1))
    assert system.ledger.entry(rated).data["rater"] == person(1)
    with pytest.raises(RatingRefusedError):  # single use
        system.rate(operator("admin"), issued.token, SHOP, STARS, rater=person(1))

"""The notice use cases of the application object, called directly on a real small ledger and
a real SMTP server on loopback: queueing, a subject's logged reading of their notices, their
address (their consent) kept outside the ledger, and delivery under the one worker lock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.accounts import Principal, Role
from socialcredit.errors import LedgerOverloadedError, PermissionDeniedError, ValidationError
from socialcredit.notices import SmtpSettings, worker_lock
from socialcredit.rights import FILE_READ
from socialcredit.settings import Settings
from socialcredit.system import System
from tests.notices.conftest import Inbox, SmtpServer
from tests.rights.helpers import ALICE, BOB, file_record

OFFICER = Principal(Role.OFFICER, "li", account="officer:li")
ME = Principal(Role.SUBJECT, "alice", subject=ALICE, account="user:alice")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(store=f"sqlite:///{tmp_path / 'notices.db'}")


@pytest.fixture
def system(settings: Settings) -> Iterator[System]:
    with System.create(settings, "test/notices") as opened:
        opened.open_dispute(OFFICER, file_record(opened.ledger, ALICE), "I repaid it")
        yield opened


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, SmtpServer]]:
    inbox = Inbox()
    server = SmtpServer(inbox)
    server.start()
    yield inbox, server
    server.stop()


def _read_count(system: System) -> int:
    return sum(1 for e in system.ledger.entries() if e.type == FILE_READ)


def test_a_queued_notice_is_read_by_its_subject_as_a_logged_read(system: System) -> None:
    report = system.queue_notices()
    assert len(report.queued) == 1 and system.queue_notices().already == 1
    (state,) = system.notices(ME, ALICE, purpose="marketing_is_ignored_for_a_subject")
    assert state.notice.kind == "dispute_deadlines" and state.status == "pending"
    assert _read_count(system) == 1
    with pytest.raises(PermissionDeniedError):
        system.notices(ME, BOB)
    assert _read_count(system) == 1  # nothing logged for the refusal
    assert [s.notice.id for s in system.outbox()] == [state.notice.id]


def test_the_address_is_the_subjects_own_and_outlives_the_system(
    system: System, settings: Settings
) -> None:
    with pytest.raises(ValidationError):
        system.register_contact(ME, ALICE, "not-an-address")
    with pytest.raises(PermissionDeniedError):
        system.register_contact(ME, BOB, "bob@mail.example")
    system.register_contact(ME, ALICE, "alice@mail.example", "en")
    system.close_store()  # closes the contacts store too
    with System.open(settings, write=False) as again:
        found = again.contact(ME, ALICE)
        assert found is not None and found.address == "alice@mail.example"
        assert again.erase_contact(OFFICER, ALICE) and again.contact(OFFICER, ALICE) is None


def test_delivery_sends_once_and_holds_the_worker_lock(
    system: System, smtp: tuple[Inbox, SmtpServer]
) -> None:
    inbox, server = smtp
    system.queue_notices()
    system.register_contact(ME, ALICE, "alice@mail.example")
    sender = SmtpSettings("127.0.0.1", server.port, "notices@socialcredit.invalid")
    with worker_lock(system.delivery_lock_path()), pytest.raises(LedgerOverloadedError):
        list(system.deliver_notices(sender))
    (report,) = system.deliver_notices(sender)
    assert report.delivered == 1 and len(inbox.messages) == 1
    (again,) = system.deliver_notices(sender)
    assert again.delivered == 0  # sent once
    assert system.notices(OFFICER, ALICE)[0].status == "delivered"

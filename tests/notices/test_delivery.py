"""The delivery worker against a real SMTP server on loopback (aiosmtpd): it delivers in the
subject's language, and when the server refuses or is down and then recovers, nothing is lost
and nothing is sent twice; addresses never reach the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.errors import LedgerError, LedgerOverloadedError, ValidationError
from socialcredit.ledger import Ledger
from socialcredit.notices import (
    ContactStore,
    RetryPolicy,
    deliver_due,
    notices_of,
    outbox,
    queue_notices,
    worker_lock,
)
from socialcredit.notices._model import DELIVERED, FAILED
from tests.notices.conftest import Inbox, SmtpServer
from tests.rights.helpers import ALICE

ADDRESS = "alice.wang@mail.example"
NOW = RetryPolicy(base=0)  # retry at once: the tests move no clock
CASES = yaml.safe_load((Path(__file__).parent / "smtp_replies.yaml").read_text())


def _delivered(ledger: Ledger) -> list[str]:
    return [e.data["notice"] for e in ledger.entries() if e.type == DELIVERED]


def test_every_notice_is_delivered_once_in_the_subjects_language(
    story: Ledger, smtp_server: SmtpServer, inbox: Inbox, contacts: ContactStore
) -> None:
    queue_notices(story)
    contacts.register(ALICE, ADDRESS, "zh-CN")
    report = deliver_due(story, contacts, smtp_server.settings(), policy=NOW)
    assert (report.delivered, report.failed, report.stopped) == (4, 0, None)
    ids = {s.notice.id for s in outbox(story).notices.values()}
    assert sorted(_delivered(story)) == sorted(ids)
    assert sorted(inbox.message_ids()) == sorted(f"<{i}@credit.example>" for i in ids)
    subjects = {str(m["Subject"]) for m in inbox.messages}
    assert "您的服务申请被拒绝：air_travel" in subjects
    body = next(m for m in inbox.messages if "air_travel" in str(m["Subject"]))
    assert str(body["To"]) == ADDRESS and body["Content-Language"] == "zh-CN"
    assert "您可以要求由工作人员对该决定进行人工复核。" in body.get_content()
    # a second pass sends nothing: delivered ids are skipped
    again = deliver_due(story, contacts, smtp_server.settings(), policy=NOW)
    assert again.delivered == 0 and len(inbox.messages) == 4
    assert ADDRESS.encode() not in b"".join(raw for _, raw in story.raw_entries())


def test_a_server_that_refuses_then_recovers_loses_nothing_and_sends_nothing_twice(
    story: Ledger, smtp_server: SmtpServer, inbox: Inbox, contacts: ContactStore, clock: Any
) -> None:
    queue_notices(story)
    contacts.register(ALICE, ADDRESS, "en")
    inbox.refuse_next = 3
    policy = RetryPolicy(base=60)
    first = deliver_due(story, contacts, smtp_server.settings(), policy=policy)
    assert (first.delivered, first.failed) == (1, 3)
    soon = deliver_due(story, contacts, smtp_server.settings(), policy=policy)
    assert (soon.delivered, soon.waiting) == (0, 3)  # backing off
    clock.advance(61)
    later = deliver_due(story, contacts, smtp_server.settings(), policy=policy)
    assert (later.delivered, later.failed) == (3, 0)
    assert len(inbox.messages) == len(set(inbox.message_ids())) == 4
    assert all(s.status == "delivered" for s in notices_of(story, ALICE))
    failures = [e.data for e in story.entries() if e.type == FAILED]
    assert [(f["attempt"], f["code"], f["transient"]) for f in failures] == [(1, 451, True)] * 3


def test_a_stopped_server_then_a_started_one(
    story: Ledger, smtp_server: SmtpServer, inbox: Inbox, contacts: ContactStore
) -> None:
    queue_notices(story)
    contacts.register(ALICE, ADDRESS, "en")
    smtp_server.stop()
    down = deliver_due(story, contacts, smtp_server.settings(), policy=NOW)
    assert (down.delivered, down.failed, down.errors) == (0, 1, {"connection": 1})
    assert down.stopped  # the pass stops: the rest are not tried against a dead server
    smtp_server.start()
    up = deliver_due(story, contacts, smtp_server.settings(), policy=NOW)
    assert (up.delivered, up.failed) == (4, 0)
    assert len(inbox.messages) == len(set(inbox.message_ids())) == 4
    attempts = {s.notice.kind: s.attempts for s in notices_of(story, ALICE)}
    assert sorted(attempts.values()) == [1, 1, 1, 2]


def test_a_subject_without_an_address_is_not_attempted(
    story: Ledger, smtp_server: SmtpServer, inbox: Inbox, contacts: ContactStore
) -> None:
    queue_notices(story)
    report = deliver_due(story, contacts, smtp_server.settings(), policy=NOW)
    assert (report.no_address, report.delivered, report.failed) == (4, 0, 0)
    assert inbox.messages == [] and all(s.status == "pending" for s in notices_of(story, ALICE))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_smtp_replies(
    case: dict[str, Any],
    story: Ledger,
    smtp_server: SmtpServer,
    inbox: Inbox,
    contacts: ContactStore,
) -> None:
    queue_notices(story, kinds=["record_recertified"])
    contacts.register(ALICE, ADDRESS, "en")
    inbox.reply, inbox.at_rcpt = case["reply"], case["at"] == "rcpt"
    inbox.refuse_next = case["refusals"]
    policy = RetryPolicy(base=0, max_attempts=case.get("max_attempts", 8))
    statuses = []
    for _ in case["statuses"]:
        deliver_due(story, contacts, smtp_server.settings(), policy=policy)
        statuses.append(notices_of(story, ALICE)[0].status)
    assert statuses == case["statuses"]
    first = next(e.data for e in story.entries() if e.type == FAILED)
    assert (first["code"], first["transient"]) == (case["code"], case["transient"])
    assert "@" not in first["error"]
    assert len(inbox.messages) == (1 if "delivered" in statuses else 0)


def test_one_worker_per_ledger(tmp_path: Path) -> None:
    with (
        worker_lock(tmp_path / "x.lock"),
        pytest.raises(LedgerOverloadedError),
        worker_lock(tmp_path / "x.lock"),
    ):
        pass
    with worker_lock(tmp_path / "x.lock"):  # released
        pass


@pytest.mark.parametrize(
    ("address", "language", "field"),
    [
        ("no-at-sign", "en", "address"),
        ("a@b.example\r\nBcc: x@y.example", "en", "address"),
        ("a@b.example, c@d.example", "en", "address"),
        ("a" * 250 + "@b.example", "en", "address"),
        ("a@b.example", "fr", "language"),
    ],
)
def test_a_bad_contact_is_refused_naming_the_field(
    contacts: ContactStore, address: str, language: str, field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        contacts.register(ALICE, address, language)
    assert refused.value.problems[0].field == field
    assert contacts.get(ALICE) is None


def test_erasing_an_address_withdraws_consent(contacts: ContactStore) -> None:
    contacts.register(ALICE, ADDRESS, "en")
    assert contacts.get(ALICE) is not None and contacts.erase(ALICE)
    assert contacts.get(ALICE) is None and not contacts.erase(ALICE)


def test_the_at_least_once_boundary_resends_with_the_same_message_id(
    story: Ledger, smtp_server: SmtpServer, inbox: Inbox, contacts: ContactStore
) -> None:
    """A worker whose outcomes never reach the ledger (here: a ledger opened without its key,
    as after a crash between sending and appending) sends again on the next pass, with the
    same Message-IDs: a receiver that drops duplicate Message-IDs sees each notice once."""
    queue_notices(story)
    contacts.register(ALICE, ADDRESS, "en")
    crashed = Ledger(story.store)  # read-only: the append of the outcomes fails
    with pytest.raises(LedgerError):
        deliver_due(crashed, contacts, smtp_server.settings(), policy=NOW)
    assert len(inbox.messages) == 4 and _delivered(story) == []
    deliver_due(story, contacts, smtp_server.settings(), policy=NOW)
    first, second = inbox.message_ids()[:4], inbox.message_ids()[4:]
    assert sorted(first) == sorted(second) and len(set(first)) == 4
    assert len(_delivered(story)) == 4


def test_several_connections_deliver_each_notice_once(
    story: Ledger, smtp_server: SmtpServer, inbox: Inbox, contacts: ContactStore
) -> None:
    queue_notices(story)
    contacts.register(ALICE, ADDRESS, "en")
    inbox.refuse_next = 1
    first = deliver_due(story, contacts, smtp_server.settings(), policy=NOW, connections=2)
    assert (first.delivered, first.failed) == (3, 1)
    second = deliver_due(story, contacts, smtp_server.settings(), policy=NOW, connections=2)
    assert (second.delivered, second.failed) == (1, 0)
    assert len(inbox.messages) == len(set(inbox.message_ids())) == 4
    with pytest.raises(ValidationError) as refused:
        deliver_due(story, contacts, smtp_server.settings(), connections=0)
    assert refused.value.problems[0].field == "connections"

"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepted and can refuse, and a
ledger with one notice of each kind the engine writes today."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from socialcredit.consequences import DecisionService
from socialcredit.ingest import ingest_rows
from socialcredit.ledger import Ledger
from socialcredit.notices import ContactStore, SmtpSettings
from socialcredit.rights import decide, open_dispute, recertify
from tests.consequences.helpers import CATALOGUE, record_row
from tests.rights.helpers import ALICE, at, file_record, set_time


@dataclass
class Inbox:
    """What the server accepted, and how it refuses: ``refuse_next`` messages get ``reply``
    (at DATA, or at RCPT with ``at_rcpt``)."""

    messages: list[EmailMessage] = field(default_factory=list)
    refuse_next: int = 0
    reply: str = "451 4.3.0 Try again later"
    at_rcpt: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def message_ids(self) -> list[str]:
        return [str(m["Message-ID"]) for m in self.messages]

    def _refusing(self) -> bool:
        with self.lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return True
            return False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.at_rcpt and self._refusing():
            return self.reply.replace("ADDRESS", address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.at_rcpt and self._refusing():
            return self.reply
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 that can be stopped and started again on its port."""

    def __init__(self, inbox: Inbox) -> None:
        self.inbox, self.port = inbox, free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self) -> SmtpSettings:
        return SmtpSettings("127.0.0.1", self.port, "notices@credit.example", timeout=5)


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def smtp_server(inbox: Inbox) -> Iterator[SmtpServer]:
    server = SmtpServer(inbox)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def contacts(tmp_path: Path) -> Iterator[ContactStore]:
    store = ContactStore(tmp_path / "contacts.db")
    yield store
    store.close()


def file_ground(ledger: Ledger, subject: tuple[str, str], kind: str, occurred: str, n: int) -> int:
    """File a record of a kind that needs evidence (a listing's ground); its position."""
    summary = ingest_rows(ledger, CATALOGUE, [(n, record_row(kind, subject, occurred, n))])
    assert summary.accepted == 1, summary.refusal_reasons
    return ledger.size() - 1


@pytest.fixture
def story(make_ledger: Callable[..., Ledger], clock: Any) -> Ledger:
    """ALICE: a judgment she refuses to perform (a listing), a loan default she disputed,
    deleted and brought back by recertification, and a refused air ticket."""
    ledger = make_ledger()
    set_time(clock, at(2026, 1, 5))
    file_ground(ledger, ALICE, "debtor_refuses_to_perform", "2026-01-02", 0)
    loan = file_record(ledger, ALICE, kind="loan_default")
    set_time(clock, at(2026, 1, 6))
    dispute = open_dispute(ledger, loan, "not my loan")
    set_time(clock, at(2026, 1, 20))
    decide(ledger, dispute, "deleted", "officer:a", "unverifiable")
    set_time(clock, at(2026, 1, 22))
    recertify(ledger, loan, "bank:x", "the signed contract was found")
    set_time(clock, at(2026, 1, 25))
    with DecisionService(ledger) as service:
        assert service.decide(*ALICE, "air_travel", at(2026, 1, 25)).outcome.value == "deny"
    return ledger

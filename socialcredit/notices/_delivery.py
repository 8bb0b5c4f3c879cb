"""The delivery worker: sends queued notices by e-mail (SMTP) and records every attempt.

One pass (:func:`deliver_due`) reads the outbox from the ledger, picks the notices due (never
delivered, not given up, and past their back-off), looks up their subjects' addresses, and
sends each over one SMTP connection in its subject's language. Each outcome is a ledger
entry: ``NoticeDelivered`` (once per notice) or ``NoticeDeliveryFailed`` (attempt number,
SMTP reply code, error text with the address removed, transient or not). Outcomes are
appended in batches of ``batch`` (one signed checkpoint each).

**Nothing lost.** A notice stays due until its delivery is recorded: a refusal (4xx, 5xx) or a
server that is down is an attempt recorded as failed, retried after ``base * 2**(n-1)``
seconds (capped at ``cap``). A permanent refusal (5xx) is given up after ``max_attempts``;
a transient one (4xx, connection) is retried for as long as it takes. A subject without an
address is not attempted: the notice is in the portal.

**Never sent twice, and where that ends.** Delivered ids are skipped, read from the ledger, so
a notice whose delivery is recorded is never sent again, whichever worker runs. Sending and
recording are two systems, so exactly-once holds up to this boundary: if the worker dies after
the server accepted a message and before its batch of outcomes is appended (at most ``batch``
messages), the next pass sends those again — *at least once* on the wire, with the same
``Message-ID`` (``<notice id@domain>``), so a receiving system that drops duplicate
Message-IDs sees each notice exactly once. Run one worker per ledger: :func:`worker_lock`
takes an exclusive lock file, and ``socialcredit notices deliver`` holds it.
"""

from __future__ import annotations

import base64
import fcntl
import os
import re
import smtplib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, LedgerOverloadedError, Problem, ValidationError
from ..ledger import Ledger, PendingEntry
from ._contacts import Contact, ContactStore, checked_address
from ._model import NoticeState, delivered_entry, failed_entry, outbox
from ._texts import Rendered, locale_of, render

__all__ = [
    "DeliveryReport",
    "RetryPolicy",
    "SmtpSettings",
    "build_message",
    "deliver_due",
    "due_notices",
    "message_id",
    "run_worker",
    "worker_lock",
]

_ERROR_LIMIT = 300
_ADDRESS_IN_TEXT = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send.

    Attributes:
        host, port: the SMTP server (a relay the office runs).
        sender: the From address.
        timeout: seconds per SMTP operation.
        starttls: upgrade the connection with STARTTLS first.
        username, password: log in after STARTTLS, if given.
    """

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "notices@socialcredit.invalid"
    timeout: float = 30.0
    starttls: bool = False
    username: str | None = None
    password: str | None = None

    def __post_init__(self) -> None:
        checked_address(self.sender, "sender")
        if not 0 < self.port < 65_536:
            raise ValidationError("bad SMTP settings", [Problem("port", "must be 1 to 65535")])

    @property
    def domain(self) -> str:
        """The sender's domain: the right side of every Message-ID."""
        return self.sender.rsplit("@", 1)[1]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Back-off between attempts: ``base * 2**(attempts-1)`` seconds, at most ``cap``; a
    permanent refusal is given up after ``max_attempts``."""

    base: float = 60.0
    cap: float = 6 * 3600.0
    max_attempts: int = 8

    def next_at_us(self, state: NoticeState) -> int:
        """When ``state`` (with at least one attempt) may be tried again."""
        wait = min(self.cap, self.base * 2 ** max(0, state.attempts - 1))
        return (state.last_attempt_us or 0) + int(wait * 1_000_000)


@dataclass(slots=True)
class DeliveryReport:
    """What one pass did."""

    delivered: int = 0
    failed: int = 0
    no_address: int = 0
    waiting: int = 0  # due later (back-off)
    stopped: str | None = None  # why the pass stopped early (server unreachable)
    errors: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-able values."""
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "no_address": self.no_address,
            "waiting": self.waiting,
            "stopped": self.stopped,
            "errors": dict(self.errors),
        }


def due_notices(
    states: Sequence[NoticeState], now_us: int, policy: RetryPolicy
) -> tuple[list[NoticeState], int]:
    """The notices to try now, oldest first, and how many wait for their back-off."""
    due, waiting = [], 0
    for state in states:
        if state.delivered_us is not None or state.final:
            continue
        if state.attempts and policy.next_at_us(state) > now_us:
            waiting += 1
            continue
        due.append(state)
    return due, waiting


def message_id(notice_id: str, domain: str) -> str:
    """The notice's stable Message-ID: the same on every attempt."""
    return f"<{notice_id}@{domain}>"


def build_message(rendered: Rendered, to: str, smtp: SmtpSettings, now: datetime) -> bytes:
    """The e-mail of a rendered notice to ``to``: plain text in UTF-8 (base64), the subject
    line RFC 2047-encoded, CRLF line ends, with the notice's stable Message-ID.

    Built directly rather than with :class:`email.message.EmailMessage`, whose header
    registry costs milliseconds per message; tests parse what this makes with the standard
    parser. Addresses are plain ASCII mailboxes (checked when registered).
    """
    subject = rendered.subject_line
    if not subject.isascii() or len(subject) > 70:
        subject = Header(subject, "utf-8", header_name="Subject").encode(linesep="\r\n")
    body = base64.encodebytes(rendered.text().encode()).replace(b"\n", b"\r\n")
    language = "zh-CN" if rendered.locale == "zh_CN" else "en"
    head = (
        f"From: {smtp.sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(now)}\r\n"
        f"Message-ID: {message_id(rendered.notice, smtp.domain)}\r\n"
        f"Auto-Submitted: auto-generated\r\nContent-Language: {language}\r\n"
        'MIME-Version: 1.0\r\nContent-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode("ascii") + body


def _scrub(text: str, address: str) -> str:
    """An SMTP error text fit for the ledger: no address in it, one line, bounded."""
    text = text.replace(address, "<address>")
    text = _ADDRESS_IN_TEXT.sub("<address>", text)
    return " ".join(text.split())[:_ERROR_LIMIT]


class _ServerDown(Exception):
    """The connection failed: record this attempt and stop the pass."""

    def __init__(self, code: int | None, text: str) -> None:
        super().__init__(text)
        self.code, self.text = code, text


class _Sender:
    """One SMTP connection, opened on first use and reopened after a failure."""

    def __init__(self, smtp: SmtpSettings, connect: Callable[..., smtplib.SMTP]) -> None:
        self.smtp, self._connect = smtp, connect
        self.client: smtplib.SMTP | None = None

    def send(self, message: bytes, to: str) -> None:
        """Send; raises smtplib's errors for refusals and :class:`_ServerDown` otherwise."""
        try:
            if self.client is None:
                self.client = self._open()
            self.client.sendmail(self.smtp.sender, [to], message)
        except smtplib.SMTPRecipientsRefused:
            raise
        except smtplib.SMTPResponseException as exc:
            # 421 (closing) and a refused greeting or HELO: the connection is gone
            if exc.smtp_code == 421 or isinstance(
                exc, smtplib.SMTPConnectError | smtplib.SMTPHeloError
            ):
                self.close()
                code, text = _refusal(exc)
                raise _ServerDown(code, text) from exc
            raise
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise _ServerDown(None, str(exc) or type(exc).__name__) from exc

    def _open(self) -> smtplib.SMTP:
        client = self._connect(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout)
        if self.smtp.starttls:
            client.starttls()
        if self.smtp.username:
            client.login(self.smtp.username, self.smtp.password or "")
        return client

    def close(self) -> None:
        """Say goodbye (or just drop a broken connection)."""
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _refusal(exc: Exception) -> tuple[int | None, str]:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))
        return code, _text(text)
    assert isinstance(exc, smtplib.SMTPResponseException)
    return exc.smtp_code, _text(exc.smtp_error)


def deliver_due(
    ledger: Ledger,
    contacts: ContactStore,
    smtp: SmtpSettings,
    *,
    policy: RetryPolicy | None = None,
    limit: int | None = None,
    batch: int = 500,
    connections: int = 1,
    connect: Callable[..., smtplib.SMTP] = smtplib.SMTP,
) -> DeliveryReport:
    """One delivery pass over the notices due now (see the module docstring).

    Args:
        ledger: a writable ledger.
        contacts: the registered addresses.
        smtp: the server to send through.
        policy: back-off and giving up (default :class:`RetryPolicy`).
        limit: send at most this many notices in this pass.
        batch: outcomes appended per ledger append, per connection (the at-least-once
            window).
        connections: SMTP connections used at once, each in its own thread with every
            ``connections``-th notice (sending waits on the network, not the processor).
        connect: makes the SMTP client (smtplib.SMTP, or a subclass).

    Raises:
        LedgerError: if the ledger is read-only.
        LedgerOverloadedError: if the ledger pushes back; outcomes not yet appended are lost
            from the record only, and those notices are sent again on the next pass.
        ValidationError: naming ``connections`` if it is not 1 to 64.
    """
    if not 1 <= connections <= 64:
        raise ValidationError("bad delivery", [Problem("connections", "must be 1 to 64")])
    policy = policy or RetryPolicy()
    report = DeliveryReport()
    due, report.waiting = due_notices(list(outbox(ledger).notices.values()), ledger.clock(), policy)
    found = contacts.many(state.notice.subject for state in due)
    work = [(s, found[s.notice.subject]) for s in due if s.notice.subject in found]
    report.no_address = len(due) - len(work)
    work = work if limit is None else work[:limit]
    lane = _Lane(ledger, smtp, policy, batch, connect)
    if connections == 1 or len(work) < 2 * connections:
        lanes = [lane.run(work)]
    else:
        with ThreadPoolExecutor(connections, thread_name_prefix="notices") as pool:
            running = [pool.submit(lane.run, work[i::connections]) for i in range(connections)]
            lanes = [future.result() for future in running]
    return _merged(report, lanes)


class _Lane:
    """Sends a share of the notices over its own connection, appending outcomes in batches;
    every lane stops once one finds the server unreachable."""

    def __init__(
        self,
        ledger: Ledger,
        smtp: SmtpSettings,
        policy: RetryPolicy,
        batch: int,
        connect: Callable[..., smtplib.SMTP],
    ) -> None:
        self.ledger, self.smtp, self.policy, self.batch = ledger, smtp, policy, batch
        self.connect = connect
        self.down = threading.Event()

    def run(self, work: Sequence[tuple[NoticeState, Contact]]) -> DeliveryReport:
        """Attempt each of ``work`` in order; this lane's report."""
        report = DeliveryReport()
        sender = _Sender(self.smtp, self.connect)
        outcomes: list[PendingEntry] = []
        try:
            for state, contact in work:
                if self.down.is_set():
                    break
                down = _attempt(sender, state, contact, self.smtp, self.policy, outcomes, report)
                if len(outcomes) >= self.batch:
                    self.ledger.append(outcomes)
                    outcomes = []
                if down is not None:
                    report.stopped = down
                    self.down.set()
        finally:
            sender.close()
            if outcomes:
                self.ledger.append(outcomes)
        return report


def _merged(report: DeliveryReport, lanes: Sequence[DeliveryReport]) -> DeliveryReport:
    for lane in lanes:
        report.delivered += lane.delivered
        report.failed += lane.failed
        report.stopped = report.stopped or lane.stopped
        for key, count in lane.errors.items():
            report.errors[key] = report.errors.get(key, 0) + count
    return report


def _attempt(
    sender: _Sender,
    state: NoticeState,
    contact: Contact,
    smtp: SmtpSettings,
    policy: RetryPolicy,
    outcomes: list[PendingEntry],
    report: DeliveryReport,
) -> str | None:
    """Send one notice and add its outcome; the reason if the server is unreachable."""
    notice, attempt = state.notice, state.attempts + 1
    rendered = render(notice, locale_of(contact.language))
    message = build_message(rendered, contact.address, smtp, datetime.now(UTC))
    try:
        sender.send(message, contact.address)
    except _ServerDown as down:
        error = _scrub(down.text, contact.address)
        outcomes.append(
            failed_entry(notice, attempt, down.code, error, transient=True, final=False)
        )
        _count(report, "connection" if down.code is None else str(down.code))
        return error or "the server is unreachable"
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as exc:
        code, text = _refusal(exc)
        transient = code is None or 400 <= code < 500
        final = not transient and attempt >= policy.max_attempts
        error = _scrub(text, contact.address)
        outcomes.append(
            failed_entry(notice, attempt, code, error, transient=transient, final=final)
        )
        _count(report, str(code))
        return None
    outcomes.append(delivered_entry(notice, attempt, message_id(notice.id, smtp.domain)))
    report.delivered += 1
    return None


def _count(report: DeliveryReport, key: str) -> None:
    report.failed += 1
    report.errors[key] = report.errors.get(key, 0) + 1


@contextmanager
def worker_lock(path: str | Path) -> Iterator[None]:
    """Hold the exclusive delivery lock ``path`` (a file beside the store) for the block.

    Raises:
        LedgerOverloadedError: if another worker holds it (try again when it is done).
        ConfigurationError: if the file cannot be opened.
    """
    try:
        handle = os.open(str(path), os.O_CREAT | os.O_RDWR, 0o600)
    except OSError as exc:
        raise ConfigurationError(f"cannot open the delivery lock {path}: {exc}") from exc
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LedgerOverloadedError(
                "another notice delivery worker is running on this ledger", retry_after=60
            ) from None
        yield
    finally:
        os.close(handle)


def run_worker(
    deliver: Callable[[], DeliveryReport],
    *,
    interval: float,
    until: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[DeliveryReport]:
    """Call ``deliver`` every ``interval`` seconds (until the monotonic time ``until``),
    yielding each pass's report."""
    while True:
        yield deliver()
        if until is not None and time.monotonic() + interval > until:
            return
        sleep(interval)

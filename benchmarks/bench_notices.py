"""Notice delivery throughput: N queued notices delivered by the worker to a local aiosmtpd
server, vs a bare smtplib loop sending the same messages on one connection, same run.

Each repetition builds a fresh ledger holding N ``NoticeQueued`` entries (10 per subject, every
subject with a registered address; set-up not timed), starts an aiosmtpd server in a child
process (so that the server does not share the worker's interpreter) and times:

* **ours**: one :func:`socialcredit.notices.deliver_due` pass: read the outbox from the ledger,
  look the addresses up, render each notice in its subject's language, send it, and append a
  ``NoticeDelivered`` entry per notice in batches of 500 (a signed checkpoint each);
* **peer**: ``smtplib.SMTP.sendmail`` of the same messages, already rendered to bytes, one
  after another on one connection: nothing read, rendered or recorded.

The two sides take turns going first. ``--connections 1 4`` times ours with one connection
(as the peer) and with four (the worker's ``connections``).

The server counts the messages and distinct Message-IDs it accepted (asked with VRFY), so the
run also checks that every notice arrived exactly once. Prints the median notices/s of each
side over ``--repeat`` interleaved runs, the ratio ours / peer of the medians, and the load
average.

    .venv/bin/python benchmarks/bench_notices.py --notices 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

SERVER = r"""
import asyncio, sys
from aiosmtpd.controller import Controller

class Counter:
    def __init__(self):
        self.count, self.ids = 0, set()
    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        start = content.find(b"Message-ID: ")
        self.ids.add(content[start:content.find(b"\n", start)])
        self.count += 1
        return "250 OK"
    async def handle_VRFY(self, server, session, envelope, address):
        count, unique = self.count, len(self.ids)
        self.count, self.ids = 0, set()
        return f"252 {count} {unique}"

controller = Controller(Counter(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """aiosmtpd in a child process; :meth:`counts` asks it (VRFY) and resets its counters."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(self.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def counts(self) -> tuple[int, int]:
        with smtplib.SMTP("127.0.0.1", self.port) as client:
            _, text = client.verify("stats")
        count, unique = text.decode().split()
        return int(count), int(unique)

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def build(directory: Path, notices: int) -> tuple[Any, Any]:
    """A ledger with ``notices`` queued notices and a contacts store addressing all of them."""
    from socialcredit.catalogue import make_resident_id
    from socialcredit.ledger import Ledger, create_key_file
    from socialcredit.notices import ContactStore
    from socialcredit.notices._model import queued_entry
    from socialcredit.notices._sources import candidate
    from socialcredit.storage._sqlite import SQLiteStore

    ledger = Ledger.create(
        SQLiteStore(directory / "bench.db"), create_key_file(directory / "k"), "bench/notices"
    )
    contacts = ContactStore(directory / "contacts.db")
    subjects = [
        ("person", make_resident_id("110101", date(1950 + i // 1000, 1 + i % 12, 1), i % 1000))
        for i in range(-(-notices // 10))
    ]
    contacts.register_many(
        (s, f"resident{i}@mail.example", "zh-CN" if i % 2 else "en") for i, s in enumerate(subjects)
    )
    pending = []
    for n in range(notices):
        content = {"dispute": f"D{n}-1", "record": n, "opened": "2026-01-06",
                   "acknowledge_by": "2026-01-13", "decide_by": "2026-02-05"}  # fmt: skip
        found = candidate("dispute_deadlines", f"D{n}-1", subjects[n // 10], n, content)
        pending.append(queued_entry(found.key, found.notice))
        if len(pending) == 5_000:
            ledger.append(pending)
            pending = []
    if pending:
        ledger.append(pending)
    return ledger, contacts


def peer_messages(ledger: Any, contacts: Any, smtp: Any) -> list[tuple[str, bytes]]:
    """The same messages the worker sends, rendered to bytes beforehand."""
    from socialcredit.notices import locale_of, outbox, render
    from socialcredit.notices._delivery import build_message

    states = list(outbox(ledger).notices.values())
    found = contacts.many(s.notice.subject for s in states)
    now = datetime.now(UTC)
    out = []
    for state in states:
        contact = found[state.notice.subject]
        message = build_message(
            render(state.notice, locale_of(contact.language)), contact.address, smtp, now
        )
        out.append((contact.address, message))
    return out


def run_ours(ledger: Any, contacts: Any, smtp: Any, connections: int) -> float:
    from socialcredit.notices import RetryPolicy, deliver_due

    start = time.perf_counter()
    report = deliver_due(
        ledger, contacts, smtp, policy=RetryPolicy(base=0), connections=connections
    )
    elapsed = time.perf_counter() - start
    assert report.failed == 0 and report.stopped is None, report.to_json()
    return elapsed


def run_peer(messages: list[tuple[str, bytes]], smtp: Any) -> float:
    start = time.perf_counter()
    with smtplib.SMTP(smtp.host, smtp.port) as client:
        for to, data in messages:
            client.sendmail(smtp.sender, [to], data)
    return time.perf_counter() - start


def one_run(
    notices: int, connections: int, server: Server, smtp: Any, ours_first: bool
) -> tuple[float, float]:
    """Ours on a fresh ledger and the peer, in the order given: notices/s of each; every
    notice checked to have arrived once and its delivery to be recorded once."""
    from socialcredit.notices._model import DELIVERED, scan_types

    with tempfile.TemporaryDirectory() as tmp:
        ledger, contacts = build(Path(tmp), notices)
        messages = peer_messages(ledger, contacts, smtp)
        ours = peer = 0.0
        for side in ("ours", "peer") if ours_first else ("peer", "ours"):
            if side == "peer":
                peer = notices / run_peer(messages, smtp)
                assert server.counts() == (notices, notices)
            else:
                ours = notices / run_ours(ledger, contacts, smtp, connections)
                assert server.counts() == (notices, notices), "lost or sent twice"
        assert sum(1 for _ in scan_types(ledger, [DELIVERED])) == notices
        ledger.store.close()
        contacts.close()
    return ours, peer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--connections", type=int, nargs="+", default=[1])
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from socialcredit.notices import SmtpSettings

    server = Server()
    smtp = SmtpSettings("127.0.0.1", server.port, "notices@credit.example")
    results: dict[int, list[tuple[float, float]]] = {k: [] for k in args.connections}
    try:
        for run in range(args.repeat):
            for i, k in enumerate(args.connections):
                ours_first = (run + i) % 2 == 1  # alternate who goes first
                results[k].append(one_run(args.notices, k, server, smtp, ours_first))
                ours, peer = results[k][-1]
                print(f"run ({k} connections): ours {ours:,.0f}/s, peer {peer:,.0f}/s", flush=True)
    finally:
        server.stop()
    print(f"{args.notices:,} notices, {args.repeat} runs each, load average {os.getloadavg()}")
    for k, runs in results.items():
        mine = statistics.median(r[0] for r in runs)
        theirs = statistics.median(r[1] for r in runs)
        ratios = statistics.median(r[0] / r[1] for r in runs)
        print(
            f"ours, {k} connection(s): median {mine:,.0f} notices/s; peer (bare smtplib, one "
            f"connection, pre-rendered) {theirs:,.0f}/s; ratio of medians {mine / theirs:.2f}, "
            f"median of paired ratios {ratios:.2f}"
        )


if __name__ == "__main__":
    main()

"""Portal speed: every page's response time on the demo city, per role, through a real
``socialcredit serve`` on 127.0.0.1 (issue 18: every page under 300 ms server time, median).

Builds a seeded city, creates the demo logins, starts the server, logs in as each role with a
plain HTTP client (the login form, its CSRF token, the session cookie) and fetches each of the
role's pages ``--repeat`` times, after one warm-up fetch. It prints the median and the slowest
time of each page and marks those whose median is over the target. The client runs on the same
machine, so the figures include one local round trip (well under a millisecond)::

    .venv/bin/python benchmarks/bench_portal_pages.py                  # 2,000 residents
    .venv/bin/python benchmarks/bench_portal_pages.py --residents 20000
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_api_load import build, free_port, start_server

from socialcredit.accounts import AccountStore, seed_demo_accounts
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.service import open_ledger

TARGET_MS = 300.0
PAGES = {
    "public": ["/", "/search?q=1", "/org/{organisation}", "/policy", "/policy/1"]
    + [f"/lists/{item.id}" for item in default_bundle().lists],
    "subject": ["/me"],
    "source": ["/source"],
    "officer": ["/officer/disputes", "/officer/appeals"],
    "service_point": ["/check"],
    "auditor": ["/audit"],
    "admin": ["/admin/policy", "/admin/accounts"],
}


def log_in(client: httpx.Client, username: str, password: str) -> None:
    """Log in through the form, as a browser does; raises if it is refused."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None, "the login form has no CSRF token"
    answer = client.post("/login", data={"username": username, "password": password,
                                         "csrf_token": token[1]})  # fmt: skip
    if answer.status_code != 303:
        raise SystemExit(f"login as {username} refused: {answer.status_code}")


def timed(client: httpx.Client, path: str, repeat: int) -> list[float]:
    """Milliseconds per fetch of ``path`` (one warm-up first); raises on a non-200 answer."""
    client.get(path)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path} answered {answer.status_code}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=2_000)
    parser.add_argument("--organisations", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        settings, _ = build(Path(tmp), args.residents, args.organisations)
        ledger = open_ledger(settings)
        index = RecordIndex.build(ledger)
        subjects = sorted(index.subjects(), key=lambda s: -len(index.records(*s)))
        busiest = next(s for s in subjects if s[0] == "organisation")
        organisation = ledger.store.find_subjects([busiest])[busiest]
        ledger.store.close()
        accounts = AccountStore(settings.accounts_path())
        logins = {login.role.value: login for login in seed_demo_accounts(accounts, subjects)}
        accounts.close()
        port = free_port()
        server = start_server(settings, port, 1)
        print(f"machine {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        slow = []
        try:
            for role, pages in PAGES.items():
                with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                    if role != "public":
                        log_in(client, logins[role].username, logins[role].password)
                    for page in pages:
                        path = page.format(organisation=organisation)
                        times = timed(client, path, args.repeat)
                        median = statistics.median(times)
                        flag = "" if median <= TARGET_MS else "  OVER"
                        slow += [(role, path, median)] if flag else []
                        print(f"{role:14s} {path:38s} median {median:7.1f} ms, "
                              f"slowest {max(times):7.1f} ms{flag}")  # fmt: skip
        finally:
            server.terminate()
            server.wait(timeout=60)
    verdict = "every page met it" if not slow else f"{len(slow)} page(s) over it"
    print(f"target: median under {TARGET_MS:.0f} ms per page; {verdict}")


if __name__ == "__main__":
    main()

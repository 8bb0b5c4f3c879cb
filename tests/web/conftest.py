"""The portal under test: a small seeded city served by a real uvicorn on 127.0.0.1, the demo
logins for every role, and headless Chromium (Debian's) driven by Playwright.

Screenshots of failed browser tests go to pytest's temporary directory, never the repo.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from socialcredit.accounts import AccountStore, DemoLogin, seed_demo_accounts
from socialcredit.catalogue import default_catalogue
from socialcredit.demo._city import build_city
from socialcredit.ledger import Ledger
from socialcredit.policy import default_bundle
from socialcredit.ratings import issue_token, rate
from socialcredit.records import RecordIndex
from socialcredit.server import create_app
from socialcredit.service import init_ledger
from socialcredit.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Portal:
    """A running portal: its address, ledger, the demo logins by role, and the subject's id."""

    url: str
    settings: Settings
    ledger: Ledger
    logins: dict[str, DemoLogin]
    subjects: list[tuple[str, str]]

    def login(self, role: str) -> DemoLogin:
        return self.logins[role]


def _rate_first_organisation(ledger: Ledger, subjects: list[tuple[str, str]]) -> None:
    """Two verified ratings of the organisation with the most records (its public rating)."""
    organisation = next(s for s in subjects if s[0] == "organisation")
    raters = [s for s in subjects if s[0] == "person"][-2:]
    for number, (_, rater) in enumerate(raters):
        issued = issue_token(ledger, organisation[1], rater, organisation[1], f"order-{number}")
        stars = {"integrity": 4, "professionalism": 5, "service": 3}
        rate(ledger, issued.token, rater, organisation[1], stars, "Quick and fair.")


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """A city of 300 residents and 20 organisations, served until the session ends."""
    directory = tmp_path_factory.mktemp("portal")
    settings = Settings(store=f"sqlite:///{directory / 'city.db'}")
    ledger = init_ledger(settings, origin="test/portal")
    build_city(
        ledger,
        default_catalogue(),
        residents=300,
        organisations=20,
        seed=7,
        policy=default_bundle(),
    )
    index = RecordIndex.build(ledger)
    subjects = sorted(index.subjects(), key=lambda s: -len(index.records(*s)))
    _rate_first_organisation(ledger, subjects)
    accounts = AccountStore(settings.accounts_path())
    logins = {login.role.value: login for login in seed_demo_accounts(accounts, subjects)}
    app = create_app(settings, accounts=accounts)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    sock = _free_socket()
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    host, port = sock.getsockname()[:2]
    yield Portal(f"http://{host}:{port}", settings, ledger, logins, subjects)
    server.should_exit = True
    thread.join(timeout=10)
    ledger.store.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    """Keep each phase's report on the test item, for the screenshot-on-failure fixture."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless; the tests using it skip if it is not installed."""
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield found
        found.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot is saved if the test fails."""
    context = browser.new_context()
    context.set_default_timeout(15_000)
    found = context.new_page()
    yield found
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        shot = tmp_path / f"{request.node.name}.png"
        found.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failure: {shot}")
    context.close()

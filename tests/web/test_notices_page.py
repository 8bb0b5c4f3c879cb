"""The subject's notices page (``/me/notices``) on a real server: every notice in the reader's
language with its delivery, the address form (consent), and the link to it in the navigation;
then the same in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from socialcredit.notices import notices_of, queue_notices
from socialcredit.records import RecordIndex
from socialcredit.rights import open_dispute
from tests.web.conftest import Portal
from tests.web.test_browser import log_in
from tests.web.test_languages import english_runs


@pytest.fixture(scope="module")
def with_notices(portal: Portal) -> Portal:
    """The portal's subject with a dispute open (a notice of its deadlines) and every notice
    the city calls for queued."""
    subject = portal.login("subject").subject
    assert subject is not None
    index = RecordIndex.build(portal.ledger)
    now = portal.ledger.clock()
    # The portal is shared by the web tests: dispute a record none of them has withdrawn
    # or disputed already.
    open_to_dispute = [
        row for row in index.records(*subject) if index.status(row.position, now).state == "active"
    ]
    open_dispute(portal.ledger, open_to_dispute[0].position, "This is not my record.")
    queue_notices(portal.ledger)
    assert notices_of(portal.ledger, subject)
    return portal


@contextmanager
def _client(served: Portal, language: str) -> Iterator[httpx.Client]:
    """A client logged in as the portal's subject, asking for ``language``."""
    login = served.login("subject")
    with httpx.Client(base_url=served.url, headers={"Accept-Language": language}) as client:
        form = {"username": login.username, "password": login.password,
                "csrf_token": _token(client.get("/login").text)}  # fmt: skip
        assert client.post("/login", data=form).status_code == 303
        yield client


def _token(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_the_page_lists_every_notice_in_chinese(with_notices: Portal) -> None:
    with _client(with_notices, "zh-CN") as client:
        answer = client.get("/me/notices")
        assert answer.status_code == 200
        html = answer.text
        assert '<html lang="zh-CN">' in html and "<h1>我的告知</h1>" in html
        assert "办理期限" in html and "仅在此处显示：您尚未登记电子邮件地址。" in html
        assert english_runs(html) == []
        assert 'href="/me/notices"' in client.get("/me").text  # the link in the navigation


def test_the_page_in_english_and_the_address_form(with_notices: Portal) -> None:
    with _client(with_notices, "en") as client:
        html = client.get("/me/notices").text
        assert "<h1>My notices</h1>" in html and "the deadlines" in html
        refused = client.post("/me/notices/contact", data={
            "address": "not an address", "language": "en", "csrf_token": _token(html)})  # fmt: skip
        assert refused.status_code == 422 and 'aria-invalid="true"' in refused.text
        assert 'value="not an address"' in refused.text  # what was typed is kept
        form = {"address": "me@mail.example", "language": "en", "csrf_token": _token(html)}
        saved = client.post("/me/notices/contact", data=form)
        assert saved.status_code == 303
        html = client.get(saved.headers["location"]).text
        assert "Notices are sent to me@mail.example in English." in html
        assert "Waiting to be sent by e-mail." in html
        erased = client.post("/me/notices/contact/erase", data={"csrf_token": _token(html)})
        assert "Your address is removed." in client.get(erased.headers["location"]).text
        forged = client.post("/me/notices/contact", data={"address": "x@y.example"})
        assert forged.status_code == 403  # no CSRF token


@pytest.mark.slow
def test_in_a_browser_from_the_navigation(page: Any, with_notices: Portal) -> None:
    log_in(page, with_notices, "subject")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My notices").click()
    assert page.get_by_role("heading", level=1).inner_text() == "My notices"
    assert page.locator("article.notice").count() >= 1
    page.get_by_label("E-mail address").fill("alice@mail.example")
    page.get_by_label("Language of the e-mails").select_option("zh-CN")
    page.get_by_role("button", name="Register the address").click()
    assert page.locator("#contact-now").inner_text() == (
        "Notices are sent to alice@mail.example in Simplified Chinese."
    )
    page.get_by_role("link", name="中文").click()
    assert page.get_by_role("heading", level=1).inner_text() == "我的告知"
    page.get_by_role("button", name="删除我的地址").click()
    assert page.get_by_role("status").inner_text() == "您的地址已删除。"

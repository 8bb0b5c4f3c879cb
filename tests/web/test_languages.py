"""Chinese and English (issue 18): every message of the portal is in the catalogues and
translated into Chinese, the catalogues are up to date with the templates and code, and a page
served in Chinese shows no English of the portal's own.

English is the source language: the English catalogue holds every message (an empty translation
shows the source); the Chinese one translates every message, with nothing fuzzy.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from socialcredit.web import _i18n

from .conftest import Portal

ROOT = Path(__file__).resolve().parents[2]
POT = _i18n.LOCALE_DIR / "messages.pot"


def _catalogue(locale: str) -> dict[object, object]:
    path = _i18n.LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as source:
        return {m.id: m for m in read_po(source, locale=locale) if m.id}


def _template_ids() -> set[object]:
    with POT.open("rb") as source:
        return {m.id for m in read_po(source) if m.id}


def test_every_message_is_translated_into_chinese() -> None:
    chinese = _catalogue("zh_CN")
    assert set(chinese) == _template_ids(), "run pybabel update (docs/portal.md, Languages)"
    untranslated = [
        i
        for i, m in chinese.items()
        if not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    fuzzy = [i for i, m in chinese.items() if m.fuzzy]
    assert not untranslated, f"untranslated in zh_CN: {untranslated}"
    assert not fuzzy, f"fuzzy in zh_CN: {fuzzy}"


def test_the_english_catalogue_holds_every_message() -> None:
    assert set(_catalogue("en")) == _template_ids()


def test_the_placeholders_of_each_translation_match_the_source() -> None:
    placeholders = re.compile(r"%\((\w+)\)[sd]")
    for message in _catalogue("zh_CN").values():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(placeholders.findall(ids[-1]))
        for string in strings:
            assert set(placeholders.findall(string)) == wanted, (ids, string)


def test_the_template_is_up_to_date_with_the_templates_and_code() -> None:
    """A new string in a template or in the web layer without re-extraction fails here."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    assert found == _template_ids(), (
        f"new: {sorted(map(str, found - _template_ids()))}; "
        f"gone: {sorted(map(str, _template_ids() - found))}"
    )


# A page served in Chinese: no run of four or more English words in what a reader sees, outside
# what is shown as written (codes, identifiers, hashes: <code>, <pre>, translate="no") or is
# declared English (lang="en": the library's own messages and the policy's texts).
_ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[\s,;:()'’-]+[A-Za-z]+){3,}")
_SHOWN_AS_WRITTEN = {"code", "pre", "kbd", "samp", "script", "style"}
_BLOCKS = {
    *("p", "li", "td", "th", "dt", "dd", "h1", "h2", "h3", "h4", "div", "section", "a"),
    *("option", "label", "button", "title", "desc", "text", "summary", "legend"),
}
_VOID = {"br", "input", "meta", "link", "img", "hr", "circle", "line", "polyline", "rect"}
_READ_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")


class _VisibleText(HTMLParser):
    """The text of a page a reader meets, outside the spans shown as written, one piece per
    block."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []  # per open element: is its content exempt?
        self.pieces: list[str] = [""]
        self.as_written: list[str] = []  # the text of the exempt spans

    def _exempt(self) -> bool:
        return bool(self.stack) and self.stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        exempt = (
            self._exempt()
            or tag in _SHOWN_AS_WRITTEN
            or found.get("translate") == "no"
            or found.get("lang") == "en"
        )
        if not exempt:
            self.pieces += [value or "" for key, value in attrs if key in _READ_ATTRIBUTES]
        if tag in _BLOCKS:
            self.pieces.append("")
        if tag not in _VOID:
            self.stack.append(exempt)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.stack:
            self.stack.pop()
        if tag in _BLOCKS:
            self.pieces.append("")

    def handle_data(self, data: str) -> None:
        if not self._exempt():
            self.pieces[-1] += data
        else:
            self.as_written.append(" ".join(data.split()))


def english_runs(html: str) -> list[str]:
    """Runs of four or more English words a reader of ``html`` sees outside the exempt spans
    (a run repeating an exempt span, such as a list's name in the page's title, is spared)."""
    parser = _VisibleText()
    parser.feed(html)
    runs = [" ".join(run.split()) for piece in parser.pieces for run in _ENGLISH_RUN.findall(piece)]
    return [run for run in runs if not any(run in text for text in parser.as_written)]


def test_the_checker_finds_english_and_spares_what_is_shown_as_written() -> None:
    page = (
        '<p>我的 档案 and some more English words</p><p translate="no">a code of the policy'
        ' here</p><p lang="en">what the library says</p><code>GET /api/v1/some thing</code>'
        '<button aria-label="Rotate the key of x">轮换</button>'
    )
    assert english_runs(page) == ["and some more English words", "Rotate the key of x"]


def _logged_in(portal: Portal, role: str) -> httpx.Client:
    login = portal.login(role)
    client = httpx.Client(base_url=portal.url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    token = client.get("/login").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"username": login.username, "password": login.password, "csrf_token": token}
    answer = client.post("/login", data=form)
    assert answer.status_code == 303, answer.text
    return client


ROLE_PAGES = {
    "public": [
        "/",
        "/search?q=1",
        "/org/1",
        "/lists/dishonest_judgment_debtors",
        "/lists/dishonest_judgment_debtors?page=2",
        "/lists/abnormal_operations",
        "/lists/seriously_illegal_enterprises",
        "/lists/exemplary_red_list",
        "/policy",
        "/policy/1",
        "/login",
        "/no/such/page",
        "/org/not-a-number",
    ],
    "subject": ["/me", "/me/notices", "/audit"],
    "officer": ["/officer/disputes", "/officer/appeals"],
    "appeal_officer": ["/officer/appeals"],
    "service_point": ["/check"],
    "auditor": ["/audit", "/audit?position=3"],
    "admin": ["/admin/policy", "/admin/accounts"],
    "source": ["/source"],
}


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_pages_in_chinese_show_no_english_of_the_portal(portal: Portal, role: str) -> None:
    paths = list(ROLE_PAGES[role])
    if role == "public":
        client = httpx.Client(base_url=portal.url, headers={"Accept-Language": "zh-CN"},
                              follow_redirects=True)  # fmt: skip
        rated = next(s for s in portal.subjects if s[0] == "organisation")
        paths.append(f"/search?q={rated[1]}")  # its page: listings, ratings, public records
    else:
        client = _logged_in(portal, role)
    try:
        for path in paths:
            page = client.get(path)
            assert page.headers["content-type"].startswith("text/html"), path
            assert '<html lang="zh-CN">' in page.text, path
            assert english_runs(page.text) == [], (path, english_runs(page.text))
    finally:
        client.close()


def test_language_from_accept_language_the_switch_and_its_cookie(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url) as client:
        assert '<html lang="en">' in client.get("/").text  # nothing asked: English
        chinese = client.get("/", headers={"Accept-Language": "fr;q=1, zh-TW;q=0.8, en;q=0.5"})
        assert '<html lang="zh-CN">' in chinese.text and "公开名单" in chinese.text
        english = client.get("/", headers={"Accept-Language": "en-GB, zh;q=0.5"})
        assert '<html lang="en">' in english.text
        switched = client.get("/policy?lang=zh-CN")
        cookie = switched.headers["set-cookie"]
        assert "sc_lang=zh-CN" in cookie and "samesite=lax" in cookie.lower()
        # The cookie now outranks the browser's languages, on every page, errors included.
        missing = client.get("/no/such/page", headers={"Accept-Language": "en"})
        assert missing.status_code == 404 and "页面不存在" in missing.text
        assert 'href="/no/such/page?lang=en"' in missing.text  # the switch back
        client.get("/?lang=en")
        assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "zh-CN"}).text


def test_the_web_layers_own_messages_follow_the_language(portal: Portal) -> None:
    with httpx.Client(base_url=portal.url, headers={"Accept-Language": "zh-CN"}) as client:
        bad = client.get("/org/not-a-number")
        assert bad.status_code == 422 and "网址中的部分值无效" in bad.text
        home = client.get("/").text
        assert "最高等级" in home and "起始等级" in home  # the grades explained

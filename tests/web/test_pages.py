"""The portal over HTTP without a browser: access rules, masking, CSRF, errors, the chart."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import httpx
import pytest

from socialcredit.catalogue import mask_subject_id
from socialcredit.consequences import memberships_of_list
from socialcredit.records import RecordIndex, RecordRow
from socialcredit.scoring import history
from socialcredit.system import HISTORY_SPAN, HISTORY_STEP, score_points
from socialcredit.web._charts import line_chart

from .conftest import Portal


def client(portal: Portal) -> httpx.Client:
    return httpx.Client(base_url=portal.url, follow_redirects=False, timeout=30)


@contextmanager
def logged_in(portal: Portal, role: str) -> Iterator[httpx.Client]:
    with client(portal) as found:
        login = portal.login(role)
        answer = post_login(found, login.username, login.password)
        assert answer.status_code == 303, answer.text
        yield found


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match[1]


def post_login(browser: httpx.Client, username: str, password: str, **extra: str) -> httpx.Response:
    """Fill in the login form as served (with its CSRF token) and send it."""
    token = csrf_of(browser.get("/login").text)
    form = {"username": username, "password": password, "csrf_token": token, **extra}
    return browser.post("/login", data=form)


@pytest.mark.parametrize(
    ("role", "home"),
    [
        ("subject", "/me"),
        ("officer", "/officer/disputes"),
        ("appeal_officer", "/officer/appeals"),
        ("service_point", "/check"),
        ("auditor", "/audit"),
        ("admin", "/admin/policy"),
    ],
)
def test_each_role_lands_on_its_page_and_no_other(portal: Portal, role: str, home: str) -> None:
    with logged_in(portal, role) as browser:
        assert browser.get("/").status_code == 200
        assert browser.get(home).status_code == 200
        for other in ("/me", "/check", "/audit", "/admin/policy", "/officer/disputes"):
            if other != home and not (role == "officer" and other == "/officer/appeals"):
                answer = browser.get(other)
                assert answer.status_code == 403, (role, other)
                assert "forbidden" in answer.text or "may not" in answer.text


def test_anonymous_visitors_are_sent_to_the_login_form(portal: Portal) -> None:
    with client(portal) as anonymous:
        answer = anonymous.get("/me")
        assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/me"
        assert anonymous.get("/me/proof/0").status_code == 303


def test_wrong_password_is_refused_without_saying_which_part(portal: Portal) -> None:
    with client(portal) as anonymous:
        login = portal.login("auditor")
        answer = post_login(anonymous, login.username, "nope")
        assert answer.status_code == 401 and "Unknown user name or wrong password" in answer.text
        assert "sc_session" not in answer.headers.get("set-cookie", "")


def test_login_requires_the_csrf_token_like_every_other_form(portal: Portal) -> None:
    login = portal.login("auditor")
    credentials = {"username": login.username, "password": login.password}
    with client(portal) as forger:  # another site's form: no token, no login cookie
        answer = forger.post("/login", data=credentials)
        assert answer.status_code == 403 and "sc_session" not in answer.headers.get(
            "set-cookie", ""
        )
        assert forger.get("/audit").status_code == 303  # still not logged in
    with client(portal) as browser:
        served = csrf_of(browser.get("/login").text)
        wrong = browser.post("/login", data={**credentials, "csrf_token": served[::-1]})
        assert wrong.status_code == 403 and "sc_session" not in wrong.headers.get("set-cookie", "")
        browser.cookies.clear()  # a token from a form served to someone else
        stolen = browser.post("/login", data={**credentials, "csrf_token": served})
        assert stolen.status_code == 403
        assert post_login(browser, **credentials).status_code == 303
        assert browser.get("/audit").status_code == 200


def test_login_never_redirects_off_site(portal: Portal) -> None:
    login = portal.login("auditor")
    for target in ("https://evil.example/", "//evil.example/x", "/policy"):
        with client(portal) as anonymous:
            answer = post_login(anonymous, login.username, login.password, next=target)
            assert answer.headers["location"] == ("/policy" if target == "/policy" else "/audit")


def test_forms_without_the_csrf_token_are_refused(portal: Portal) -> None:
    with logged_in(portal, "auditor") as auditor:
        assert auditor.post("/audit/verify").status_code == 403
        token = csrf_of(auditor.get("/audit").text)
        answer = auditor.post("/audit/verify", data={"csrf_token": token})
        assert answer.status_code == 200 and "Verified" in answer.text


def test_public_pages_show_masked_ids_only(portal: Portal) -> None:
    organisations = [s for s in portal.subjects if s[0] == "organisation"]
    with client(portal) as anonymous:
        hits = anonymous.get("/search", params={"q": organisations[0][1][:5]}).text
        numbers = re.findall(r'href="/org/(\d+)"', hits)
        assert numbers and mask_subject_id(*organisations[0]) in hits
        pages = [hits, *(anonymous.get(f"/org/{n}").text for n in numbers[:5])]
        for page in pages:
            for subject in portal.subjects:
                assert subject[1] not in page


def test_a_whole_uscc_goes_straight_to_the_organisation(portal: Portal) -> None:
    organisation = next(s for s in portal.subjects if s[0] == "organisation")
    with client(portal) as anonymous:
        answer = anonymous.get("/search", params={"q": organisation[1].lower()})
        assert answer.status_code == 303
        assert mask_subject_id(*organisation) in anonymous.get(answer.headers["location"]).text


def test_a_person_is_not_an_organisation_page(portal: Portal) -> None:
    person = next(s for s in portal.subjects if s[0] == "person")
    number = portal.ledger.subject_id(*person)
    with client(portal) as anonymous:
        answer = anonymous.get(f"/org/{number}")
        assert answer.status_code == 404 and "not_found" in answer.text
        assert person[1] not in answer.text


def test_a_subject_gets_proofs_of_their_own_records_only(portal: Portal) -> None:
    subject = portal.login("subject").subject
    assert subject is not None
    mine = {r.position for r in _records(portal, subject)}
    other = next(s for s in portal.subjects if s != subject)
    theirs = min(r.position for r in _records(portal, other))
    with logged_in(portal, "subject") as browser:
        proof = browser.get(f"/me/proof/{min(mine)}")
        assert proof.status_code == 200 and proof.json()["index"] == min(mine)
        assert browser.get(f"/me/proof/{theirs}").status_code == 404


def _records(portal: Portal, subject: tuple[str, str]) -> list[RecordRow]:
    return list(RecordIndex.build(portal.ledger).records(*subject))


def _own_visits(page: str) -> int:
    found = re.search(r'id="own-visits">I opened my file (\d+) time', page)
    assert found is not None, "the count of my own visits is missing"
    return int(found.group(1))


def test_viewing_my_file_is_a_logged_read_counted_apart_from_others_reads(
    portal: Portal,
) -> None:
    with logged_in(portal, "subject") as browser:
        first = _own_visits(browser.get("/me").text)
        page = browser.get("/me").text
        assert _own_visits(page) == first + 1  # logged, and counted, not listed
        reads = page.split('id="reads-heading"', 1)[1].split("</section>", 1)[0]
        assert "subject access" not in reads  # "who read my file" lists the others only
        assert "Records that count in your favour" in page and "Volunteer service (+" in page


def test_the_policy_page_lists_every_revision(portal: Portal) -> None:
    with client(portal) as anonymous:
        page = anonymous.get("/policy").text
        assert "In force now" in page and 'href="/policy/1"' in page
        assert "scoring.yaml" in anonymous.get("/policy/1").text
        assert anonymous.get("/policy/99").status_code == 404


def test_static_stylesheet_is_served_locally(portal: Portal) -> None:
    with client(portal) as anonymous:
        home = anonymous.get("/").text
        links = re.findall(r'(?:src|href)="([^"]*)"', home)
        assert "/static/portal.css" in links
        assert not [link for link in links if link.startswith(("http:", "https:", "//"))]
        assert anonymous.get("/static/portal.css").status_code == 200


def test_line_chart_is_accessible_svg() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    points = [(start + timedelta(days=30 * i), 1000 - 10 * i) for i in range(5)]
    svg = line_chart(points, title="Score <history>", bands=[("A", 960), ("B", 850)])
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="chart-title">Score &lt;history&gt;</title>' in svg
    assert "From 1000 on 2026-01-01 to 960 on 2026-05-01" in svg
    assert svg.count('<circle class="dot"') == 5
    assert svg.count('<circle class="now"') == 1 and ">now 960</text>" in svg  # marked
    assert ">A</text>" in svg  # A's region (960 up) is plotted
    assert ">B</text>" in svg  # so is the top of B's (850 to 959): the line ends in it
    assert ">C</text>" not in svg
    ticks = [int(t) for t in re.findall(r'class="tick"[^>]*text-anchor="end">(\d+)<', svg)]
    assert len(ticks) >= 3 and all(t % 10 == 0 for t in ticks)  # round values, not just ends
    assert "Score</text>" in svg and "Date</text>" in svg  # labelled axes
    with pytest.raises(ValueError):
        line_chart([], title="empty")


@pytest.mark.parametrize("seed", range(20))
def test_grade_labels_never_overlap(seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    points = [(start + timedelta(days=30 * i), rng.randrange(500, 1500)) for i in range(37)]
    bands = sorted({rng.randrange(0, 2000) for _ in range(8)})
    svg = line_chart(points, title="t", bands=[(f"G{i}", b) for i, b in enumerate(bands)])
    heights = sorted(
        float(y) for y in re.findall(r'class="band-label" x="[\d.]+" y="([\d.]+)"', svg)
    )
    assert all(b - a >= 13 for a, b in pairwise(heights)), heights


def test_public_lists_show_masked_members(portal: Portal) -> None:
    with client(portal) as anonymous:
        home = anonymous.get("/").text
        lists = re.findall(r'href="/lists/([a-z_]+)"', home)
        assert "dishonest_judgment_debtors" in lists
        for list_id in lists:
            page = anonymous.get(f"/lists/{list_id}")
            assert page.status_code == 200
            for subject in portal.subjects:
                assert subject[1] not in page.text
        debtors = anonymous.get("/lists/dishonest_judgment_debtors").text
        published = memberships_of_list(portal.ledger, "dishonest_judgment_debtors")
        subjects = {(r.subject_kind, r.number) for r in published}
        count = f"{len(subjects)} subjects on the list, {len(published)} listings"
        assert count in debtors  # the same rows as the library's, one row per subject
        masked = re.findall(r"<code>([0-9A-Z*]{18})</code>", debtors)
        assert masked and all("*" in m for m in masked)
        fragment = masked[0][:4]
        filtered = anonymous.get("/lists/dishonest_judgment_debtors", params={"q": fragment}).text
        assert all(
            m.startswith(fragment) or fragment in m
            for m in re.findall(r"<code>([0-9A-Z*]{18})</code>", filtered)
        )
        assert anonymous.get("/lists/no_such_list").status_code == 404


def test_my_score_chart_is_the_library_history(portal: Portal) -> None:
    subject = portal.login("subject").subject
    assert subject is not None
    now = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    index = RecordIndex.build(portal.ledger)
    shown = score_points(index, subject, now - HISTORY_SPAN, now, HISTORY_STEP)  # the page's
    expected = history(
        portal.ledger, *subject, start=now - HISTORY_SPAN, end=now, every=HISTORY_STEP
    )
    assert len(shown) == 37
    assert [(p.as_of, p.total, p.grade) for p in shown] == [
        (p.as_of, p.total, p.grade) for p in expected
    ]
    assert len({p.total for p in shown}) > 1  # the subject's score moved over the years


def test_logging_out_ends_the_session(portal: Portal) -> None:
    with logged_in(portal, "subject") as browser:
        page = browser.get("/me")
        assert page.status_code == 200
        answer = browser.post("/logout", data={"csrf_token": csrf_of(page.text)})
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        assert browser.get("/me").status_code == 303  # back to the login form

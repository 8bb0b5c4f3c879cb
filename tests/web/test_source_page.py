"""The source's page: a source logs in, lands on its page, files one record (filed under its
own name), sees a refusal next to the form with what it typed kept and the field marked, and
uploads a file whose refused rows are listed row by row."""

from __future__ import annotations

import csv
import io
import re

from socialcredit.accounts import DEMO_SOURCE
from socialcredit.catalogue import RECORD_FIELDS, default_catalogue, make_resident_id
from socialcredit.demo._filers import authority_of, reference_of

from .conftest import Portal
from .test_pages import client, csrf_of, logged_in, post_login

PERSON = make_resident_id("110101", __import__("datetime").date(1985, 5, 5), 7)


def _court_kind() -> str:
    kind = next(k for k in default_catalogue() if authority_of(k) == "court" and k.amount is None
                and "person" in [s.value for s in k.subject_kinds])  # fmt: skip
    return kind.id


def _row(kind_id: str, serial: int, **changes: str) -> dict[str, str]:
    kind = default_catalogue().kind(kind_id)
    row = {"subject_id": PERSON, "subject_kind": "person", "kind": kind_id,
           "occurred_at": "2026-03-01T09:30:00+08:00"}  # fmt: skip
    if kind.evidence is not None:
        row["evidence"] = reference_of(kind, 2026, serial)
    return {**row, **changes}


def test_a_source_lands_on_its_page(portal: Portal) -> None:
    login = portal.login("source")
    with client(portal) as browser:
        answer = post_login(browser, login.username, login.password)
        assert answer.status_code == 303 and answer.headers["location"] == "/source"


def test_file_one_record_and_see_a_refusal_next_to_the_form(portal: Portal) -> None:
    kind = _court_kind()
    with logged_in(portal, "source") as source:
        page = source.get("/source").text
        assert f'value="{kind}"' in page
        filed = source.post("/source/records", data={"csrf_token": csrf_of(page), **_row(kind, 41)})
        assert filed.status_code == 200, filed.text
        position = int(re.search(r"as ledger entry (\d+)", filed.text).group(1))  # type: ignore[union-attr]
        assert portal.ledger.entry(position).data["source"] == DEMO_SOURCE

        bad = _row(kind, 42, subject_id="1101011985")
        refused = source.post("/source/records", data={"csrf_token": csrf_of(page), **bad})
        assert refused.status_code == 422 and "Not filed" in refused.text
        assert 'value="1101011985"' in refused.text  # what was typed stays
        assert re.search(r'id="subject_id"[^>]*aria-invalid="true"', refused.text)


def test_an_upload_lists_each_refused_row(portal: Portal) -> None:
    kind = _court_kind()
    out = io.StringIO()
    writer = csv.DictWriter(out, list(RECORD_FIELDS))
    writer.writeheader()
    writer.writerows([_row(kind, 51), _row(kind, 52, occurred_at="yesterday"), _row(kind, 53)])
    with logged_in(portal, "source") as source:
        page = source.get("/source").text
        upload = {"file": ("mine.csv", out.getvalue().encode(), "text/csv")}
        answer = source.post("/source/upload", data={"csrf_token": csrf_of(page)}, files=upload)
    assert answer.status_code == 200, answer.text
    assert "<strong>2 filed</strong>" in answer.text and "1 refused" in answer.text
    rows = answer.text.split('id="refused-rows"', 1)[1]
    assert re.search(r'<td class="num">2</td><td><ul class="problems"><li>when it happened', rows)

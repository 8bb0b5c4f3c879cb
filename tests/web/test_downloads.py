"""The portal's PDF downloads over HTTP: the public enterprise credit report from an
organisation's page (anyone) and my own credit report from my file (the subject, a logged read).
"""

from __future__ import annotations

import re

import pypdfium2 as pdfium

from socialcredit.catalogue import mask_subject_id
from socialcredit.rights import reads_of

from .conftest import Portal
from .test_pages import client, logged_in


def _text(document: bytes) -> str:
    pdf = pdfium.PdfDocument(document)
    try:
        return "".join(page.get_textpage().get_text_bounded() for page in pdf)
    finally:
        pdf.close()


def test_an_organisations_page_links_its_public_report(portal: Portal) -> None:
    organisation = next(s for s in portal.subjects if s[0] == "organisation")
    number = portal.ledger.store.find_subjects([organisation])[organisation]
    with client(portal) as anonymous:
        page = anonymous.get(f"/org/{number}").text
        link = re.search(r'<a href="([^"]+)" download id="report-pdf">', page)
        assert link is not None and link[1] == f"/org/{number}/report.pdf"
        answer = anonymous.get(link[1])
        missing = anonymous.get("/org/999999/report.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert "attachment" in answer.headers["content-disposition"]
    text = _text(answer.content)
    assert mask_subject_id(*organisation) in text and organisation[1] not in text
    assert missing.status_code == 404


def test_my_file_links_my_credit_report_and_reading_it_is_logged(portal: Portal) -> None:
    login = portal.login("subject")
    assert login.subject is not None
    with client(portal) as anonymous:
        refused = anonymous.get("/me/report.pdf")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    with logged_in(portal, "subject") as browser:
        page = browser.get("/me").text
        assert 'href="/me/report.pdf" download id="report-pdf"' in page
        before = len(reads_of(portal.ledger, login.subject))
        answer = browser.get("/me/report.pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert login.subject[1] in _text(answer.content)
    reads = reads_of(portal.ledger, login.subject)
    assert len(reads) == before + 1 and reads[-1].purpose == "subject_access"

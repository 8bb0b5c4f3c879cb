"""Credit reports as PDF documents: the subject's report and an organisation's public
enterprise credit report, checked as a reader would — page images, the text on the pages, the
QR codes scanned and their proofs checked, the PDF's metadata — and the CLI's refusals, which
write no file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner, Result

from socialcredit.catalogue import default_catalogue, mask_subject_id
from socialcredit.cli import cli
from socialcredit.consequences import PUBLISHED_GRAVITIES
from socialcredit.demo._city import build_city
from socialcredit.documents import (
    choose_font,
    credit_report_pdf,
    enterprise_report,
    enterprise_report_pdf,
    kind_labels,
    proof_payload,
    render_credit_report,
)
from socialcredit.errors import NotFoundError, ValidationError
from socialcredit.ledger import Ledger, check_inclusion_proof, public_key_from_text
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.reports import subject_report
from socialcredit.rights import reads_of
from socialcredit.service import init_ledger, open_ledger
from socialcredit.settings import Settings
from tests.records_factory import organisation, person

A4_POINTS = (595.28, 841.89)  # an A4 page at 72 dpi (rendered to whole pixels)
CJK = choose_font().cjk


@dataclass
class City:
    """The city's store and its subjects; ``ledger`` is opened afresh for each test (the CLI
    tests append through connections of their own)."""

    settings: Settings
    subjects: list[tuple[str, str]]  # most records first
    ledger: Ledger

    def first(self, kind: str) -> tuple[str, str]:
        return next(s for s in self.subjects if s[0] == kind)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[tuple[str, str]]]:
    """A small seeded city (the demo's generator) and its subjects, most records first."""
    directory = tmp_path_factory.mktemp("documents")
    settings = Settings(store=f"sqlite:///{directory / 'city.db'}")
    ledger = init_ledger(settings, origin="test/documents")
    try:
        build_city(
            ledger, default_catalogue(), residents=300, organisations=20, seed=7,
            policy=default_bundle(),
        )  # fmt: skip
        index = RecordIndex.build(ledger)
        return settings, sorted(index.subjects(), key=lambda s: (-len(index.records(*s)), s))
    finally:
        ledger.store.close()


@pytest.fixture
def city(built: tuple[Settings, list[tuple[str, str]]]) -> Iterator[City]:
    settings, subjects = built
    ledger = open_ledger(settings, write=True)
    yield City(settings, subjects, ledger)
    ledger.store.close()


def _pages_text(document: bytes) -> list[str]:
    pdf = pdfium.PdfDocument(document)
    try:
        return [page.get_textpage().get_text_bounded() for page in pdf]
    finally:
        pdf.close()


def _flat(text: str) -> str:
    """Text without the line breaks wrapping put in."""
    return "".join(text.split())


def _page_image(document: bytes, number: int = 0, scale: float = 1) -> Any:
    pdf = pdfium.PdfDocument(document)
    try:
        return pdf[number].render(scale=scale).to_pil().convert("L")
    finally:
        pdf.close()


@pytest.fixture(scope="module")
def rendered(built: tuple[Settings, list[tuple[str, str]]]) -> Rendered:
    """The credit report and PDF of the person with the most records, drawn once."""
    settings, subjects = built
    ledger = open_ledger(settings, write=True)
    try:
        subject = next(s for s in subjects if s[0] == "person")
        report, document = credit_report_pdf(ledger, *subject)
        return Rendered(subject, report, document, kind_labels(ledger, report))
    finally:
        ledger.store.close()


@dataclass
class Rendered:
    subject: tuple[str, str]
    report: dict[str, Any]
    document: bytes
    labels: dict[str, tuple[str, str]]


def test_a_credit_report_renders_its_subject_records_and_checkpoint(rendered: Rendered) -> None:
    report, document = rendered.report, rendered.document
    assert document.startswith(b"%PDF-") and report["records"]
    image = _page_image(document)
    assert all(abs(got - want) <= 1 for got, want in zip(image.size, A4_POINTS, strict=True))
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * image.size[0] * image.size[1], "page 1 is (nearly) blank"
    pages = _pages_text(document)
    assert rendered.subject[1] in pages[0] and "Credit report" in pages[0]
    everything = _flat("".join(pages))
    assert _flat(report["checkpoint"]["root"]) in _flat(pages[0])
    for record in report["records"]:
        assert _flat(rendered.labels[record["kind"]][0]) in everything
        assert record["inclusion_proof"]["leaf_hash"] in everything  # appendix B
    assert report["checkpoint"]["signature"] in everything  # appendix A


def test_every_qr_code_on_page_one_scans_to_a_proof_that_checks(rendered: Rendered) -> None:
    zxingcpp = pytest.importorskip("zxingcpp")
    report = rendered.report
    image = _page_image(rendered.document, scale=2)
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert found, "no QR code could be read on page 1"
    key = public_key_from_text(report["public_key"])
    positions = {r["position"] for r in report["records"]}
    for code in found:
        proof = json.loads(code.text)
        assert proof["index"] in positions and "entry" not in proof
        assert check_inclusion_proof(proof, key).ok
        assert proof["checkpoint"] == report["checkpoint"]


def test_each_records_qr_payload_is_its_checkable_proof(rendered: Rendered) -> None:
    key = public_key_from_text(rendered.report["public_key"])
    for record in rendered.report["records"]:
        proof = json.loads(proof_payload(record["inclusion_proof"]))
        assert proof["leaf_hash"] == record["inclusion_proof"]["leaf_hash"]
        assert check_inclusion_proof(proof, key).ok
        assert not check_inclusion_proof(dict(proof, index=proof["index"] + 1), key).ok


def test_rendering_the_pdf_is_a_logged_read(city: City) -> None:
    subject = city.subjects[-1]  # the fewest records: the quickest to draw
    before = len(reads_of(city.ledger, subject))
    credit_report_pdf(city.ledger, *subject, reader=subject[1], purpose="subject_access")
    reads = reads_of(city.ledger, subject)
    assert len(reads) == before + 1
    assert (reads[-1].reader, reads[-1].purpose) == (subject[1], "subject_access")


def test_a_purpose_without_personal_data_gets_a_redacted_pdf(city: City) -> None:
    # Not the subject of the logged-read test, who read their own file under their own id:
    # the redacted report (reports.subject_report) masks the subject but not the readers.
    subject = [s for s in city.subjects if s[0] == "person"][-2]
    report, document = credit_report_pdf(
        city.ledger, *subject, reader="auditor:wang", purpose="audit_without_personal_data"
    )
    assert report["redacted"]
    text = "".join(_pages_text(document))
    assert mask_subject_id(*subject) in text and subject[1] not in text
    assert "identifying data" in text  # it says so on page 1


def _with_evidence(city: City) -> tuple[tuple[str, str], dict[str, Any]]:
    """An organisation's report cut to its first three records, one of them with evidence."""
    subject = city.first("organisation")
    report = subject_report(city.ledger, *subject)
    records = [r for r in report["records"] if r.get("evidence")][:1] + report["records"][:2]
    return subject, dict(report, records=records)


@pytest.mark.skipif(not CJK, reason="no CJK font installed (fonts-wqy-microhei)")
def test_chinese_evidence_is_printed_in_a_cjk_font(city: City) -> None:
    _, report = _with_evidence(city)
    chinese = report["records"][0]["evidence"]
    assert any(ord(c) > 0x2E80 for c in chinese)
    assert chinese in "".join(_pages_text(render_credit_report(report)))


def test_without_a_cjk_font_it_falls_back_and_says_so(city: City) -> None:
    subject, report = _with_evidence(city)
    for font in (choose_font(cjk_fonts=()), choose_font(cjk_fonts=(), latin_fonts=())):
        document = render_credit_report(report, font=font)
        assert not font.cjk
        pdf = pdfium.PdfDocument(document)
        keywords = pdf.get_metadata_dict()["Keywords"]
        pdf.close()
        assert "no CJK font found" in keywords
        text = "".join(_pages_text(document))
        assert subject[1] in text and "?" in text
        assert not any("\u4e00" <= c <= "\u9fff" for c in text)


def test_the_enterprise_report_holds_only_what_the_public_page_shows(city: City) -> None:
    organisation = city.first("organisation")
    report, document = enterprise_report_pdf(city.ledger, organisation[1])
    masked = mask_subject_id(*organisation)
    assert report["organisation"]["id"] == masked
    text = "".join(_pages_text(document))
    assert masked in text and organisation[1] not in text
    assert organisation[1].encode() not in document
    bundle = default_bundle()
    gravities = {bundle.catalogue.kinds[r["kind"]].gravity for r in report["records"]}
    assert gravities and gravities <= PUBLISHED_GRAVITIES
    assert all(r["points"] != 0 for r in report["records"])
    key = public_key_from_text(report["public_key"])
    for record in report["records"]:
        assert "entry" not in record["inclusion_proof"]
        assert check_inclusion_proof(record["inclusion_proof"], key).ok
        assert record["legal_basis"] and _flat(record["name"]) in _flat(text)
    for listing in report["listings"]:
        assert listing["status"] in {"listed", "frozen", "noticed"}
        assert _flat(listing["legal_basis"]) in _flat(text)
    assert report["checkpoint"]["root"] in _flat(text)


def test_the_enterprise_report_refuses_a_bad_or_unknown_organisation(city: City) -> None:
    with pytest.raises(ValidationError) as bad:
        enterprise_report(city.ledger, "not-a-uscc")
    assert bad.value.problems[0].field == "organisation"
    unknown = organisation(999_999)
    assert ("organisation", unknown) not in city.subjects
    with pytest.raises(NotFoundError):
        enterprise_report(city.ledger, unknown)


# -- the CLI -----------------------------------------------------------------------------------


def _run(city: City, *args: str) -> Result:
    key = str(city.settings.signing_key_path())
    return CliRunner().invoke(cli, ["--store", city.settings.store, "--key-file", key, *args])


def _last(city: City, kind: str) -> tuple[str, str]:
    """The subject of ``kind`` with the fewest records (the quickest to draw)."""
    return next(s for s in reversed(city.subjects) if s[0] == kind)


def test_the_cli_writes_the_pdf(city: City, tmp_path: Path) -> None:
    subject = _last(city, "person")
    out = tmp_path / "report.pdf"
    done = _run(city, "report", subject[1], "--pdf", str(out))
    assert done.exit_code == 0, done.output
    assert f"to {out}" in done.output
    assert subject[1] in _pages_text(out.read_bytes())[0]
    assert [p.name for p in tmp_path.iterdir()] == ["report.pdf"]


def test_the_cli_writes_the_public_enterprise_report(city: City, tmp_path: Path) -> None:
    organisation = _last(city, "organisation")
    out = tmp_path / "enterprise.pdf"
    done = _run(city, "report", organisation[1], "--public", "--pdf", str(out))
    assert done.exit_code == 0, done.output
    assert mask_subject_id(*organisation) in _pages_text(out.read_bytes())[0]
    printed = _run(city, "report", organisation[1], "--public", "--json")
    assert json.loads(printed.output)["version"] == "EnterpriseCreditReportV1"
    refused = _run(city, "report", city.first("person")[1], "--public", "--pdf", str(out))
    assert refused.exit_code == 2 and "SUBJECT" in refused.output


@pytest.mark.parametrize(
    ("subject", "extra", "field"),
    [
        ("NOT-A-SUBJECT", (), "SUBJECT"),
        (None, ("--reader", person(299)), "reader"),  # another person reads: refused
    ],
)
def test_a_refused_report_writes_no_file(
    city: City, tmp_path: Path, subject: str | None, extra: tuple[str, ...], field: str
) -> None:
    size = city.ledger.size()
    out = tmp_path / "report.pdf"
    refused = _run(city, "report", subject or city.first("person")[1], "--pdf", str(out), *extra)
    assert refused.exit_code == 2, refused.output
    assert field in refused.output
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one
    assert city.ledger.size() == size  # and no read was logged


def test_an_unwritable_folder_is_refused_before_the_read(city: City, tmp_path: Path) -> None:
    size = city.ledger.size()
    refused = _run(city, "report", city.first("person")[1], "--pdf", str(tmp_path / "no" / "x.pdf"))
    assert refused.exit_code == 2 and "--pdf" in refused.output
    assert city.ledger.size() == size

"""Each role logs in with a real browser and completes its main task on the portal."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from socialcredit.catalogue import mask_subject_id
from socialcredit.policy import default_bundle, file_hash

from .conftest import Portal

pytestmark = pytest.mark.slow


def log_in(page: Any, portal: Portal, role: str) -> None:
    login = portal.login(role)
    page.goto(f"{portal.url}/login")
    page.get_by_label("User name").fill(login.username)
    page.get_by_label("Password").fill(login.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def test_public_finds_an_organisation_and_reads_the_policy(page: Any, portal: Portal) -> None:
    organisation = next(s for s in portal.subjects if s[0] == "organisation")
    masked = mask_subject_id(*organisation)
    page.goto(portal.url)
    page.get_by_label("Unified Social Credit Code, or part of it").fill(organisation[1][-5:])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=masked).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == f"Organisation {masked}"
    assert re.fullmatch(r"AAA|AA|A|B|C|D", page.locator("strong.grade").inner_text())
    assert organisation[1] not in page.content()  # masked everywhere public
    rating = page.locator("#rating").inner_text()
    assert "of 5 stars" in rating and "from 2 verified ratings" in rating
    assert "Quick and fair." in page.locator("ul.ratings").inner_text()
    page.get_by_role("link", name="Published policy").click()
    assert "In force now: revision 1" in page.locator("main").inner_text()


def test_subject_sees_their_file_chart_and_downloads_a_proof(page: Any, portal: Portal) -> None:
    log_in(page, portal, "subject")
    assert page.url.endswith("/me")
    assert page.get_by_role("heading", name="My file", exact=True).is_visible()
    assert page.locator("svg.chart polyline").count() == 1
    rows = page.locator("#records tbody tr")
    assert rows.count() >= 1
    with page.expect_download() as download:
        rows.first.get_by_role("link", name="inclusion proof").click()
    proof = json.loads(Path(download.value.path()).read_text())
    assert proof["version"] == "InclusionProofV1"


def test_auditor_verifies_the_ledger_and_looks_up_a_proof(page: Any, portal: Portal) -> None:
    log_in(page, portal, "auditor")
    size = portal.ledger.size()
    assert page.locator("#ledger-size").inner_text() == f"{size:,}"
    page.get_by_role("button", name="Verify now").click()
    assert page.locator("#verify-result").inner_text().startswith("Verified")
    page.get_by_label("Ledger entry").fill("3")
    page.get_by_role("button", name="Prove").click()
    assert "Entry 3 is included" in page.locator("#proof-result").inner_text()


def _revision_two(directory: Path) -> list[Path]:
    """The default bundle as revision 2 with one rule changed (manifest hash updated)."""
    files = {name: raw.decode() for name, raw in default_bundle().files.items()}
    old_rule = "{kind: loan_default, dimension: finance, points: -30}"
    assert old_rule in files["scoring.yaml"]
    files["scoring.yaml"] = files["scoring.yaml"].replace(old_rule, old_rule.replace("30", "40"))
    manifest = re.sub(r"(?m)^revision: 1$", "revision: 2", files["manifest.yaml"])
    manifest = re.sub(
        r"(?m)^(  scoring\.yaml: )[0-9a-f]{64}$",
        lambda m: m[1] + file_hash(files["scoring.yaml"].encode()),
        manifest,
    )
    files["manifest.yaml"] = manifest
    paths = []
    for name, text in files.items():
        (directory / name).write_text(text)
        paths.append(directory / name)
    return paths


def test_admin_uploads_a_bundle_sees_the_report_and_diff(
    page: Any, portal: Portal, tmp_path: Path
) -> None:
    log_in(page, portal, "admin")
    bundle = _revision_two(tmp_path)
    broken = [p for p in bundle if p.name != "scoring.yaml"]
    page.get_by_label("The bundle's files").set_input_files([str(p) for p in broken])
    page.get_by_role("button", name="Check the bundle").click()
    assert "Refused" in page.locator("#report").inner_text()
    assert "scoring.yaml" in page.locator("ul.problems").inner_text()

    page.get_by_label("The bundle's files").set_input_files([str(p) for p in bundle])
    page.get_by_role("button", name="Check the bundle").click()
    assert "Every check passed" in page.locator("#report").inner_text()
    assert "rule loan_default: points -30 -> -40" in page.locator("#changes").inner_text()
    assert page.locator("#published").count() == 0  # checked, not published
    # The checked bundle can be published from the report; publishing checks everything again,
    # and without the signatures the governance requires it is refused with the reasons.
    page.get_by_role("button", name="Publish revision 2").click()
    report = page.locator("#report").inner_text()
    assert "Refused" in report and "signature" in report, report
    assert page.locator("#published").count() == 0


def test_dispute_decided_by_an_officer_and_appealed_to_another(
    browser: Any, page: Any, portal: Portal
) -> None:
    log_in(page, portal, "subject")
    form = page.locator("#dispute-form")
    assert form.get_by_label("Record to dispute").input_value() == ""  # nothing preselected
    row = page.locator("#records tbody tr").first  # dispute from the record's own row
    position = row.locator("td").first.inner_text().strip()
    row.get_by_role("link", name=f"Dispute or comment on entry {position}").click()
    assert form.get_by_label("Record to dispute").input_value() == position
    form.get_by_label("Why the record is wrong").fill("I paid this fare; the receipt is attached.")
    form.get_by_role("button", name="Open a dispute").click()
    status = page.locator("#act-result [role=status]")
    assert f"dispute of entry {position} opened" in status.inner_text()
    box = status.evaluate("e => [e.getBoundingClientRect().top, innerHeight]")
    assert -2 <= box[0] < box[1] - 20, f"the confirmation is out of sight: {box}"
    dispute_id = f"D{position}-1"

    officer = browser.new_page()
    try:
        log_in(officer, portal, "officer")
        assert officer.url.endswith("/officer/disputes")
        officer.get_by_role("link", name=dispute_id).click()
        officer.get_by_role("button", name=f"Acknowledge {dispute_id}").click()
        assert "acknowledged" in officer.locator("dl.facts").first.inner_text()
        officer.get_by_label("upheld").check()
        officer.get_by_label("Reason (shown to the subject)").fill("The operator confirmed it.")
        officer.get_by_role("button", name=f"Decide {dispute_id}").click()
        assert dispute_id in officer.locator("[role=status]").inner_text()
        assert officer.get_by_role("link", name=dispute_id).count() == 0
    finally:
        officer.context.close()

    page.reload()
    appeal = page.locator("#appeal-form")
    appeal.get_by_label("Decision to appeal").select_option(dispute_id)
    appeal.get_by_label("Grounds of appeal").fill("The officer did not look at my receipt.")
    appeal.get_by_role("button", name="Appeal").click()
    assert f"appeal of {dispute_id} opened" in page.locator("[role=status]").inner_text()

    second = browser.new_page()
    try:
        log_in(second, portal, "appeal_officer")
        second.get_by_role("link", name=f"A{dispute_id}").click()
        second.get_by_label("deleted").check()
        second.get_by_label("Reason (shown to the subject)").fill("Not verifiable: deleted.")
        second.get_by_role("button", name=f"Decide {dispute_id}").click()
        assert dispute_id in second.locator("[role=status]").inner_text()
    finally:
        second.context.close()

    page.reload()
    assert page.locator(f"#record-{position}").count() == 0  # deleted: no longer counts
    rows = page.locator("#disputes tbody").inner_text()
    assert "deleted: Not verifiable: deleted." in rows
    reads = page.locator("#reads tbody").inner_text()
    assert "demo-officer" in reads and "dispute handling" in reads  # the officer's read


def test_service_point_checks_a_subject_for_a_service(page: Any, portal: Portal) -> None:
    log_in(page, portal, "service_point")
    assert page.url.endswith("/check")
    person = next(s for s in portal.subjects if s[0] == "person")
    page.get_by_label("Resident identity number or Unified Social Credit Code").fill(person[1])
    page.get_by_label("Service").select_option(index=0)
    page.get_by_role("button", name="Decide").click()
    assert page.locator("#outcome").inner_text() in ("allow", "deny", "reward")
    assert person[1] not in page.locator("#decision").inner_text()  # masked
    page.get_by_label("Resident identity number or Unified Social Credit Code").fill("12345")
    page.get_by_role("button", name="Decide").click()
    assert "subject" in page.locator("ul.problems").inner_text()


def test_subject_downloads_their_whole_file(page: Any, portal: Portal) -> None:
    log_in(page, portal, "subject")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download my whole file (JSON)").click()
    exported = json.loads(Path(download.value.path()).read_text())
    subject = portal.login("subject").subject
    assert subject is not None
    assert exported["subject"] == {"kind": subject[0], "id": subject[1]}
    assert exported["entries"]

"""Plain words from the policy: pages show the bundle's labels (kinds, dimensions, lists,
measures, services, statuses), dates and amounts for people, a decision's reasons and recourse
in the reader's language (entries recorded before phrases existed included), and the policy
page says each rule in a sentence with the YAML one click away. Codes are a secondary detail
for officers and auditors only."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from socialcredit.consequences import subject_consequences
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.web import _i18n, _words

from .conftest import Portal
from .test_languages import english_runs
from .test_pages import client, logged_in


def _token(page: str) -> str:
    return page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _listed_organisation(portal: Portal) -> tuple[str, str]:
    """An organisation on a black list that bears on government procurement."""
    for kind, subject_id in portal.subjects:
        if kind != "organisation":
            continue
        found = subject_consequences(portal.ledger, kind, subject_id)
        if any(m.status.value == "listed" for m in found.memberships):
            return kind, subject_id
    raise AssertionError("the fixture city has no listed organisation")


def test_my_file_shows_labels_not_codes_in_both_languages(portal: Portal) -> None:
    bundle = default_bundle()
    subject = portal.login("subject").subject
    assert subject is not None
    kinds = {row.kind for row in RecordIndex.build(portal.ledger).records(*subject)}
    for language, tag in (("en", "en"), ("zh-CN", "zh-CN")):
        with logged_in(portal, "subject") as browser:
            page = browser.get(f"/me?lang={language}").text
        records = page.split('id="records"', 1)[1].split("</table>", 1)[0]
        for kind in kinds:
            assert bundle.label("kinds", kind, tag) in records, (kind, language)
            assert kind not in records, kind  # the code is for officers, not for the subject
        assert 'class="code-name"' not in page
        assert " on 20" not in records  # no "loan_default on 2025-04-11: -30 finance" any more
    assert english_runs(page) == []


def test_an_officer_sees_the_code_beside_the_label(portal: Portal) -> None:
    with logged_in(portal, "admin") as browser:
        page = browser.get("/admin/accounts").text
    assert "贷款违约" not in page and "Loan default (loan_default)" in page
    with logged_in(portal, "subject") as browser:
        me = browser.get("/me").text
    assert 'class="code-name"' not in me


def test_a_service_decision_reads_in_chinese(portal: Portal) -> None:
    organisation = _listed_organisation(portal)
    with logged_in(portal, "service_point") as browser:
        form = browser.get("/check?lang=zh-CN").text
        answer = browser.post(
            "/check",
            data={
                "subject": organisation[1],
                "service": "government_procurement",
                "csrf_token": _token(form),
            },
        )
    assert answer.status_code == 200, answer.text
    decision = answer.text.split('id="decision"', 1)[1].split("</section>", 1)[0]
    assert "拒绝" in decision or "deny" not in decision
    assert "不得参加政府采购" in decision  # the measure's label
    assert "您可以对本决定所依据的任何记录提出异议" in decision  # the human-review recourse
    assert english_runs(answer.text) == [], english_runs(answer.text)
    assert 'lang="en"' not in decision


def test_the_decisions_about_me_are_in_my_language(portal: Portal) -> None:
    subject = portal.login("subject").subject
    assert subject is not None
    with logged_in(portal, "service_point") as browser:
        form = browser.get("/check").text
        data = {"subject": subject[1], "service": "air_travel", "csrf_token": _token(form)}
        assert browser.post("/check", data=data).status_code == 200
    with logged_in(portal, "subject") as browser:
        page = browser.get("/me?lang=zh-CN").text
    decisions = page.split('id="decisions"', 1)[1].split("</table>", 1)[0]
    assert "乘坐飞机" in decisions and "air_travel" not in decisions  # the service's label
    assert 'lang="en"' not in decisions


def test_a_sentence_of_another_origin_is_shown_as_written_in_english() -> None:
    old = "Restricted under the old rules (entry 12)."
    with _i18n.using("zh_CN"), _words.speaking(default_bundle(), "subject"):
        shown = str(_words.sentence(old))
        recourse = str(
            _words.sentence(
                "List of dishonest judgment debtors: the listing ends at the latest on 2030-01-02."
            )
        )
        day = _words.day(datetime(2025, 4, 11, tzinfo=UTC))
        money = _words.amount_of(12000, "loan_default")
    assert shown == f'<span lang="en">{old}</span>'
    assert recourse == "失信被执行人名单：列入最迟于2030年1月2日结束。"
    assert day == "2025年4月11日" and money == "12,000 元"


def test_the_policy_page_says_each_rule_in_words_with_the_files_a_click_away(
    portal: Portal,
) -> None:
    bundle = default_bundle()
    for tag in ("en", "zh-CN"):
        with client(portal) as anonymous:
            page = anonymous.get(f"/policy/1?lang={tag}").text
        rules = page.split('id="rules"', 1)[1].split("</section>", 1)[0]
        for kind in bundle.catalogue:
            assert bundle.label("kinds", kind.id, tag) in rules, kind.id
        for definition in bundle.lists:
            assert bundle.label("lists", definition.id, tag) in page
        files = page.split('id="files"', 1)[1]
        assert files.count("<details") == len(bundle.files)
        assert "<pre" in files and "rules:" in files
    assert "-100" in rules and "司法" in rules
    assert english_runs(page) == []


def test_the_public_lists_speak_the_readers_language_each_time(portal: Portal) -> None:
    """English first, then Chinese: a label is worked out per rendering, never folded into
    the compiled template by the first language that used it."""
    bundle = default_bundle()
    with httpx.Client(base_url=portal.url) as anonymous:
        for definition in bundle.lists:
            english = anonymous.get(f"/lists/{definition.id}", headers={"Accept-Language": "en"})
            assert bundle.label("statuses", "noticed", "en") in english.text
            chinese = anonymous.get(f"/lists/{definition.id}", headers={"Accept-Language": "zh"})
            assert english_runs(chinese.text) == [], definition.id
            assert bundle.label("lists", definition.id, "zh-CN") in chinese.text
            assert bundle.label("statuses", "noticed", "zh-CN") in chinese.text

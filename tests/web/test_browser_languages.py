"""The portal in Chinese and English, in a real browser: the browser's language chooses, the
switch in the header changes it for every page after, and the subject's file reads in Chinese
on a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from socialcredit.catalogue import mask_subject_id

from .conftest import Portal

pytestmark = pytest.mark.slow


@pytest.fixture
def chinese_phone(browser: Any) -> Iterator[Any]:
    """A page in a browser that asks for Chinese, 390 px wide."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def _organisation_page(portal: Portal) -> tuple[str, str]:
    """The address and masked id of the organisation with the most records (it is rated)."""
    organisation = next(s for s in portal.subjects if s[0] == "organisation")
    return f"/search?q={organisation[1]}", mask_subject_id(*organisation)


def test_home_and_an_organisation_in_both_languages(page: Any, portal: Portal) -> None:
    address, masked = _organisation_page(portal)
    page.goto(f"{portal.url}/?lang=zh-CN")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.get_by_role("heading", level=1).inner_text() == "公开、可审计的信用系统"
    assert page.get_by_role("heading", name="信用等级的含义").is_visible()
    page.goto(f"{portal.url}{address}")
    assert page.get_by_role("heading", level=1).inner_text() == f"组织 {masked}"
    assert "星（满分 5 星" in page.locator("#rating").inner_text()
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == f"Organisation {masked}"
    assert "of 5 stars" in page.locator("#rating").inner_text()
    page.get_by_role("link", name="socialcredit").click()
    assert page.get_by_role("heading", level=1).inner_text() == "An open, auditable credit system"


def test_the_switch_is_kept_across_pages(page: Any, portal: Portal) -> None:
    page.goto(portal.url)
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_role("link", name="中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    menu = page.get_by_role("navigation", name="主导航")
    menu.get_by_role("link", name="已公布的政策").click()
    assert page.get_by_role("heading", level=1).inner_text() == "已公布的政策"
    assert "lang=" not in page.url  # the cookie carries it, not the address
    menu.get_by_role("link", name="组织查询").click()
    assert page.get_by_role("heading", level=1).inner_text() == "组织查询"
    page.goto(f"{portal.url}/no/such/page")
    assert page.get_by_role("heading", level=1).inner_text() == "页面不存在"


def test_the_subjects_file_in_chinese_on_a_phone(chinese_phone: Any, portal: Portal) -> None:
    page = chinese_phone
    login = portal.login("subject")
    page.goto(f"{portal.url}/login")
    assert page.locator("html").get_attribute("lang") == "zh-CN"  # from the browser's language
    page.get_by_label("用户名").fill(login.username)
    page.get_by_label("密码").fill(login.password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert page.url.endswith("/me")
    assert page.get_by_role("heading", name="我的信用档案", exact=True).is_visible()
    assert page.get_by_role("heading", name="谁查阅了我的档案").is_visible()
    chart = page.locator("svg.chart")
    assert chart.locator("title").text_content() == "我近三年的分数"
    assert "分数" in chart.locator("text.axis-title").all_text_contents()
    assert chart.locator("text.now-label").text_content().startswith("当前 ")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    first = page.locator("#records tbody tr").first
    first.get_by_role("link", name="提出异议或说明").click()
    assert page.get_by_label("要提出异议的记录").input_value() != ""

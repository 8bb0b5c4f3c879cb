"""axe-core finds no accessibility violation on any portal page: for every role, every page it
opens (its own and the public ones: source, admin accounts, a list's later page, an
organisation, a policy revision in words...), at 1280 and 390 px, in English and Chinese, and
after a service decision, in both languages.

axe-core comes from the npm registry (``tests/web/axe/package.json``, locked): installed with
``npm ci --prefix tests/web/axe``, which the fixture runs once if ``node_modules`` is missing
and npm is on the PATH; without either the tests skip, saying why. It is injected into each
page and run there, with its WCAG 2.1 A and AA rules and best practices.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import Portal
from .test_browser import log_in
from .test_responsive import _pages

pytestmark = pytest.mark.slow

AXE_DIR = Path(__file__).resolve().parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
ROLES = [
    "public",
    "subject",
    "source",
    "officer",
    "appeal_officer",
    "service_point",
    "admin",
    "auditor",
]
_RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
    resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}"""


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The text of ``axe.min.js``, installed from the npm lock file if it is not yet."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("axe-core is not installed and npm is not on the PATH")
        done = subprocess.run(
            [npm, "ci", "--prefix", str(AXE_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not AXE_JS.exists():
            pytest.skip(f"npm ci could not install axe-core: {done.stderr.strip()[-300:]}")
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Any, axe: str) -> list[dict[str, Any]]:
    """What axe-core finds wrong with the page as it stands."""
    page.add_script_tag(content=axe)
    found: list[dict[str, Any]] = page.evaluate(_RUN)
    return found


def _more_pages(portal: Portal, role: str) -> list[str]:
    """Pages beyond :func:`test_responsive._pages`: a list's later page, a language switch."""
    extra = ["/lists/dishonest_judgment_debtors?page=2", "/policy?lang=zh-CN", "/policy/1"]
    if role == "subject":
        extra.append("/me?record=1")
    return extra


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_nothing_on_any_page(
    page: Any, portal: Portal, axe_source: str, role: str, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    if role != "public":
        log_in(page, portal, role)
    found = []
    for path in [*_pages(portal, role), *_more_pages(portal, role)]:
        response = page.goto(f"{portal.url}{path}")
        assert response is not None and response.status < 500, path
        problems = violations(page, axe_source)
        if problems:
            found.append((path, problems))
    page.goto(f"{portal.url}/?lang=en")  # leave the language as the other tests expect it
    assert found == [], f"axe-core violations at {width} px as {role}: {found}"


def test_axe_finds_nothing_on_a_decision_in_both_languages(
    page: Any, portal: Portal, axe_source: str
) -> None:
    log_in(page, portal, "service_point")
    subject = next(s for s in portal.subjects if s[0] == "organisation")
    page.goto(f"{portal.url}/check")
    page.fill("#subject", subject[1])
    page.select_option("#service", "government_procurement")
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#decision")
    assert violations(page, axe_source) == []
    page.goto(f"{portal.url}/check?lang=zh-CN")
    page.fill("#subject", subject[1])
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#decision")
    assert violations(page, axe_source) == []
    page.goto(f"{portal.url}/?lang=en")

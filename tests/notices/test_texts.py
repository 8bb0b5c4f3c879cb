"""The words of notices: every message is extracted and translated into Chinese, and every
kind renders in both languages with every placeholder filled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from socialcredit.ledger import Ledger
from socialcredit.notices import KINDS, Notice, outbox, queue_notices, render
from socialcredit.notices._texts import LOCALE_DIR, page_texts

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _ids(path: Path) -> dict[object, object]:
    with path.open("rb") as source:
        return {m.id: m for m in read_po(source) if m.id}


def test_the_template_is_up_to_date_and_chinese_translates_every_message() -> None:
    with (ROOT / "socialcredit" / "notices" / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = {m[2] for m in extract_from_dir(str(ROOT), method_map, options_map)}
    template = set(_ids(LOCALE_DIR / "notices.pot"))
    assert found == template, "re-extract (docs/notices.md)"
    chinese = _ids(LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "notices.po")
    assert set(chinese) == template == set(_ids(LOCALE_DIR / "en" / "LC_MESSAGES" / "notices.po"))
    for message_id, message in chinese.items():
        assert message.string and not message.fuzzy, message_id  # type: ignore[attr-defined]
        wanted = set(PLACEHOLDER.findall(str(message_id)))
        assert set(PLACEHOLDER.findall(message.string)) == wanted, message_id  # type: ignore[attr-defined]


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_every_queued_kind_renders_with_every_placeholder_filled(
    story: Ledger, locale: str
) -> None:
    queue_notices(story)
    for state in outbox(story).notices.values():
        rendered = render(state.notice, locale)
        text = rendered.subject_line + rendered.text()
        assert "%(" not in text and " - " not in text, text
        assert state.notice.id in rendered.footer


def test_every_kind_has_its_words() -> None:
    for kind in KINDS:
        notice = Notice("n1", kind, ("person", "x"), None, {})
        assert render(notice, "zh_CN").subject_line != render(notice, "en").subject_line
    assert page_texts("zh_CN")["title"] == "我的告知"

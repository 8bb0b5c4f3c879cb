"""The docs do not lie: every CLI command and setting is documented; CI runs the README."""

from __future__ import annotations

import re
from pathlib import Path

from socialcredit.cli import cli
from socialcredit.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_quick_start_is_exactly_two_commands_and_ci_runs_both() -> None:
    assert quick_start_commands() == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text()
    for command in quick_start_commands():
        assert re.search(rf"^{command}$", ci, re.MULTILINE), command


def test_every_cli_command_is_in_the_readme() -> None:
    for name in cli.commands:
        assert f"`socialcredit {name}" in README, name


def test_every_setting_is_documented() -> None:
    for setting in SETTINGS:
        assert setting.env in README, setting.name

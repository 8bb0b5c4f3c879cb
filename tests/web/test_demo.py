"""``socialcredit demo`` builds the city, serves the portal, proves it serves, and stops."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two demo runs in subprocesses: about 25 s


def test_demo_serves_the_portal_prints_logins_and_stops(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "socialcredit",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--residents",
            "300",
            "--organisations",
            "20",
            "--port",
            "0",
            "--serve-for",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "verify      ok" in out
    address = re.search(r"^portal      (http://127\.0\.0\.1:\d+)/", out, re.MULTILINE)
    assert address, out
    for role in ("admin", "officer", "appeal_officer", "service_point", "subject", "auditor"):
        assert re.search(rf"^ +{role} +demo-\S+ +\S{{12}}$", out, re.MULTILINE), role
    assert f"check       GET {address[1]}/ -> 200" in out
    assert out.rstrip().endswith("stopped")


def test_demo_without_serving_only_builds(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "socialcredit",
            "demo",
            "--dir",
            str(tmp_path / "demo"),
            "--residents",
            "50",
            "--organisations",
            "5",
            "--no-serve",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "verify      ok" in result.stdout and "portal" not in result.stdout

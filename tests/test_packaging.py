"""Packaging metadata: an SPDX licence with its file, on a setuptools that understands it."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def test_license_is_an_spdx_string_with_its_file() -> None:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    # The table form ({text = ...}) is deprecated and makes every install print a warning.
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]


def test_build_requires_a_setuptools_that_supports_spdx_licenses() -> None:
    build = pyproject()["build-system"]
    assert isinstance(build, dict)
    (setuptools,) = [r for r in build["requires"] if r.startswith("setuptools")]
    match = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools)
    assert match is not None and int(match[1]) >= 77


def test_license_file_is_the_apache_2_text_with_our_copyright() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert "Copyright 2026 The socialcredit authors" in text
    assert "[yyyy]" not in text


def test_package_data_covers_the_files_the_code_loads() -> None:
    tool = pyproject()["tool"]
    assert isinstance(tool, dict)
    patterns = tool["setuptools"]["package-data"]["socialcredit"]
    package = ROOT / "socialcredit"
    for loaded in ("scoring/spark_log4j2.properties", "demo/sample_records.csv"):
        assert (package / loaded).is_file()
        assert any(fnmatch.fnmatch(loaded, p) for p in patterns), loaded

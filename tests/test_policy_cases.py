"""Policy bundle checks, data-driven: every case of ``tests/cases/policy/*.yaml``.

Each case starts from the shipped default bundle, applies ``edits`` and expects either ``ok``
or exactly the listed ``problems`` (each ``{field, reason}``, ``reason`` a fragment). The edit
helpers here are shared with ``tests/test_policy.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.errors import Problem
from socialcredit.policy import (
    PolicyBundle,
    PolicyError,
    default_bundle,
    file_hash,
    load_bundle_from_files,
)

CASES_DIR = Path(__file__).parent / "cases" / "policy"
_SEGMENT = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d+)\]|\[(\w+)=([^\]]+)\]")


def segments(path: str) -> list[str | int | tuple[str, str]]:
    """The keys, indices and ``[field=value]`` selectors of a path like ``kinds[id=x].name``."""
    out: list[str | int | tuple[str, str]] = []
    position = 0
    while position < len(path):
        match = _SEGMENT.match(path, position)
        assert match is not None, f"bad path {path!r} at {position}"
        key, index, field, value = match.groups()
        out.append(key if key else int(index) if index else (field, value))
        position = match.end()
    return out


def step(node: Any, segment: str | int | tuple[str, str]) -> Any:
    """The key or index ``segment`` selects in ``node`` (a selector becomes the item's index)."""
    if isinstance(segment, tuple):
        return next(i for i, item in enumerate(node) if str(item.get(segment[0])) == segment[1])
    return segment


def parent(document: Any, path: str) -> tuple[Any, Any]:
    """The container holding the last segment of ``path``, and the key or index in it."""
    node = document
    parts = segments(path)
    for segment in parts[:-1]:
        node = node[step(node, segment)]
    return node, step(node, parts[-1])


def edit_files(
    edits: Sequence[Mapping[str, Any]],
    *,
    keep_hashes: bool = False,
    base: PolicyBundle | None = None,
) -> dict[str, bytes]:
    """The files of ``base`` (default: the shipped bundle) with ``edits`` applied.

    Edited files are re-dumped as YAML and, unless ``keep_hashes``, get their new hash in the
    manifest, so that a case tests the check it targets rather than the hash.
    """
    files = dict((base or default_bundle()).files)
    documents: dict[str, Any] = {}
    for edit in edits:
        if "add_file" in edit:
            files[edit["add_file"]] = edit["text"].encode()
            continue
        if "remove_file" in edit:
            del files[edit["remove_file"]]
            continue
        name = edit["file"]
        document = documents.setdefault(name, yaml.safe_load(files[name]))
        if "set" in edit:
            container, key = parent(document, edit["set"])
            container[key] = edit["value"]
        elif "delete" in edit:
            container, key = parent(document, edit["delete"])
            del container[key]
        else:
            container, key = parent(document, edit["append"])
            container[key].append(edit["value"])
    manifest = documents.pop("manifest.yaml", None) or yaml.safe_load(files["manifest.yaml"])
    for name, document in documents.items():
        files[name] = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
        if not keep_hashes:
            manifest["files"][name] = file_hash(files[name])
    files["manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
    return files


def assert_problems(problems: Sequence[Problem], expected: Sequence[tuple[str, str]]) -> None:
    """Exactly the expected problems, each matched by field and a fragment of its reason."""
    remaining = list(problems)
    for field, fragment in expected:
        match = next((p for p in remaining if p.field == field and fragment in p.reason), None)
        assert match is not None, f"no problem ({field}: ...{fragment}...) in {problems}"
        remaining.remove(match)
    assert not remaining, f"unexpected problems: {remaining}"


def _load_cases() -> list[Any]:
    params = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            params.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize("case", _load_cases())
def test_policy_case(case: dict[str, Any]) -> None:
    files = edit_files(case["edits"], keep_hashes=case.get("keep_hashes", False))
    if case.get("ok"):
        assert load_bundle_from_files(files).revision == 1
        return
    with pytest.raises(PolicyError) as caught:
        load_bundle_from_files(files)
    assert caught.value.code == "policy_invalid"
    expected = [(p["field"], p["reason"]) for p in case["problems"]]
    assert_problems(caught.value.problems, expected)


def test_cases_cover_the_required_checks() -> None:
    names = {case.values[0]["name"] for case in _load_cases()}
    assert {
        "the shipped default bundle",
        "unknown kind in a rule",
        "overlapping grade bands",
        "negative, zero and malformed expiry, unknown decay",
        "missing legal basis",
        "a prohibited category",
        "a hash mismatch",
        "a gap between bands",
    } <= names

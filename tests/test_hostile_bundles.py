"""The hostile-bundle corpus: every case of ``tests/cases/hostile/*.yaml`` must be refused whole.

A case is written as a hostile policy author would write it: a patch over the shipped default
bundle, and the refusals it must get::

    name: the issue's three kinds
    why: what the author is trying to do, and which guardrail stops it
    tags: [issue, firewall]
    patch:
      catalogue.yaml:
        kinds+: [{id: vpn_use, ...}]                  # append to a list
        kinds[id=loan_default].retention: 10y         # set (or add) a key
        kinds[id=loan_default].fields-: null          # delete a key
        contexts: [finance, surveillance]             # add a top-level key
      measures.yaml:
        links+: [{list: ..., measure: ...}]
    refusals:
      - {file: catalogue.yaml, key: "kinds[id=vpn_use].legal_basis", reason: "not a legal basis"}

Keys in ``refusals`` may select list items by field (``[id=x]``) or count from the end
(``links[-1]``); they are resolved against the patched file. The bundle must be refused with
exactly the refusals listed (each matched by file, key and a fragment of its reason; nothing
else), and nothing may reach a ledger. Publication cases (signatures, notice periods) live in
``tests/cases/hostile/publication/`` with their own runner.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from socialcredit.errors import Problem
from socialcredit.ledger import Ledger
from socialcredit.policy import (
    PolicyBundle,
    PolicyError,
    default_bundle,
    file_hash,
    load_bundle_from_files,
    publish,
)

from .test_policy_cases import assert_problems, parent, segments, step

CASES_DIR = Path(__file__).parent / "cases" / "hostile"
# What the corpus must cover (issue 13): each tag is carried by at least one case.
REQUIRED_TAGS = {
    "issue",
    "association_fields",
    "dependency_keys",
    "renamed_category",
    "declared_contexts",
    "split_words",
    "joined_words",
    "transliterated",
    "chinese",
    "informant_reward",
    "cross_context",
    "stacking",
    "measure_basis",
    "retention",
    "subject_kind",
}


def _cases() -> list[Any]:
    return [
        pytest.param(yaml.safe_load(path.read_text(encoding="utf-8")), id=path.stem)
        for path in sorted(CASES_DIR.glob("*.yaml"))
    ]


def patched(patch: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, bytes], dict[str, Any]]:
    """The default bundle's files with ``patch`` applied (manifest hashes updated), and the
    patched documents by file name."""
    files = dict(default_bundle().files)
    documents: dict[str, Any] = {}
    for name, ops in patch.items():
        document = documents[name] = yaml.safe_load(files[name])
        for key, value in ops.items():
            if key.endswith("+"):
                container, at = parent(document, key[:-1])
                container[at].extend(value)
            elif key.endswith("-"):
                container, at = parent(document, key[:-1])
                del container[at]
            else:
                container, at = parent(document, key)
                container[at] = value
        files[name] = yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    manifest = yaml.safe_load(files["manifest.yaml"])
    for name in documents:
        manifest["files"][name] = file_hash(files[name])
    files["manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
    return files, documents


def resolve(document: Any, key: str) -> str:
    """``key`` with each ``[field=value]`` selector and negative index made a plain index.

    A key in parentheses (``(measures)``) names a whole file and is kept as it is.
    """
    if key.startswith("("):
        return key
    out, node = "", document
    for segment in segments(key):
        at = step(node, segment) if node is not None else segment
        if isinstance(at, int) and at < 0:
            at += len(node)
        out += f"[{at}]" if isinstance(at, int) else (f".{at}" if out else str(at))
        try:
            node = node[at]
        except (KeyError, IndexError, TypeError):
            node = None  # a key the bundle adds or omits: nothing further to select in
    return out


def expected_refusals(
    case: Mapping[str, Any], documents: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The case's refusals as (``file:resolved key``, reason fragment)."""
    return [
        (f"{r['file']}:{resolve(documents.get(r['file']), r['key'])}", r["reason"])
        for r in case["refusals"]
    ]


def refusal(files: Mapping[str, bytes]) -> tuple[Problem, ...]:
    with pytest.raises(PolicyError) as caught:
        load_bundle_from_files(files)
    assert caught.value.code == "policy_invalid"
    return caught.value.problems


@pytest.mark.parametrize("case", _cases())
def test_hostile_bundle_is_refused_with_every_reason(case: dict[str, Any]) -> None:
    files, documents = patched(case["patch"])
    assert_problems(refusal(files), expected_refusals(case, documents))


@pytest.mark.parametrize("case", _cases())
def test_hostile_bundle_reaches_no_ledger(
    case: dict[str, Any], make_ledger: Callable[..., Ledger]
) -> None:
    ledger = make_ledger()
    files, _ = patched(case["patch"])
    size = ledger.size()
    with pytest.raises(PolicyError):
        publish(ledger, load_bundle_from_files(files))
    assert ledger.size() == size
    # Nor can a bundle object be forged around the files and handed to publish.
    bundle = default_bundle()
    with pytest.raises(PolicyError):
        dataclasses.replace(bundle, files={**bundle.files, **files})
    assert ledger.size() == size


def test_the_corpus_is_large_and_covers_every_attack() -> None:
    cases = [param.values[0] for param in _cases()]
    assert len(cases) >= 35
    tags = {tag for case in cases for tag in case["tags"]}
    assert tags >= REQUIRED_TAGS, REQUIRED_TAGS - tags
    assert len({case["name"] for case in cases}) == len(cases)
    for case in cases:
        assert case["refusals"] and case["why"].strip(), case["name"]


def test_the_default_bundle_stays_loadable() -> None:
    files, _ = patched({})
    loaded = load_bundle_from_files(files)
    assert loaded.digest == default_bundle().digest  # the same files (manifest re-written)
    assert list(loaded.catalogue) == list(default_bundle().catalogue)


def test_a_forged_bundle_object_is_refused() -> None:
    bundle = default_bundle()
    assert dataclasses.replace(bundle) == bundle  # an honest copy is fine
    files, _ = patched({"catalogue.yaml": {"kinds[id=loan_default].legal_basis": "none"}})
    with pytest.raises(PolicyError, match="policy bundle refused"):
        PolicyBundle(
            bundle.manifest, bundle.catalogue, bundle.scoring, files, bundle.lists,
            bundle.measures,
        )  # fmt: skip
    other = load_bundle_from_files(
        patched({"scoring.yaml": {"rules[kind=loan_default].points": -40}})[0]
    )
    with pytest.raises(PolicyError, match="does not match its files"):
        dataclasses.replace(bundle, scoring=other.scoring)

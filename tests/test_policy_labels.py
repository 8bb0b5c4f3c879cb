"""A bundle's labels (``labels.yaml``): every code the default bundle uses has words in English
and Chinese; a malformed file refuses the bundle naming the field; a gap is a warning; and a
bundle without labels (published before they existed) still loads, showing names or codes."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from socialcredit.policy import PolicyError, default_bundle, file_hash, load_bundle_from_files
from socialcredit.policy._labels import LANGUAGES, STATUSES, label_warnings, used_codes


def _with_labels(document: Any) -> dict[str, bytes]:
    """The default bundle's files with ``labels.yaml`` replaced (None: removed), the manifest
    hashes updated."""
    files = dict(default_bundle().files)
    manifest = yaml.safe_load(files["manifest.yaml"])
    if document is None:
        del files["labels.yaml"], manifest["files"]["labels.yaml"]
    else:
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False).encode()
        files["labels.yaml"] = text
        manifest["files"]["labels.yaml"] = file_hash(text)
    files["manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
    return files


def _labels() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(default_bundle().files["labels.yaml"])
    return loaded


def test_every_code_of_the_default_bundle_has_words_in_both_languages() -> None:
    bundle = default_bundle()
    assert label_warnings(bundle) == []
    for area, codes in used_codes(bundle).items():
        for code in codes:
            for language in LANGUAGES:
                words = bundle.labels.get(area, code, language)
                assert words and (language == "en" or words != code), (area, code, language)
    assert bundle.label("kinds", "loan_default", "zh-CN") == "贷款违约"
    assert bundle.label("statuses", "expired", "en") == "no longer counts"
    assert set(used_codes(bundle)["statuses"]) == set(STATUSES)


def test_a_bundle_without_labels_loads_and_falls_back_to_its_names_then_codes() -> None:
    bundle = load_bundle_from_files(_with_labels(None))
    assert "labels.yaml" not in bundle.files and label_warnings(bundle) == []
    assert bundle.label("kinds", "loan_default", "zh-CN") == "Loan default"  # the kind's name
    assert bundle.label("lists", "abnormal_operations") == (
        "List of enterprises with abnormal operations"
    )
    assert bundle.label("dimensions", "finance", "zh-CN") == "finance"  # no name: the code
    assert bundle.label("statuses", "listed") == "listed"


@pytest.mark.parametrize(
    ("edit", "field", "reason"),
    [
        (
            lambda d: d["kinds"]["loan_default"].pop("zh-CN"),
            "kinds.loan_default.zh-CN",
            "non-empty",
        ),
        (lambda d: d["kinds"]["loan_default"].update(en=" "), "kinds.loan_default.en", "non-empty"),
        (lambda d: d["kinds"]["loan_default"].update(fr="x"), "kinds.loan_default.fr", "language"),
        (lambda d: d.update(grades={}), "grades", "unknown area"),
        (lambda d: d.update(kinds=["loan_default"]), "kinds", "mapping"),
        (lambda d: d["dimensions"].update(finance="Finance"), "dimensions.finance", "must give"),
        (
            lambda d: d["kinds"]["loan_default"].update(en="Loan default of an ethnic minority"),
            "kinds.loan_default.en",
            "prohibited",
        ),
    ],
)
def test_a_malformed_label_refuses_the_bundle_naming_the_field(
    edit: Any, field: str, reason: str
) -> None:
    document = _labels()
    edit(document)
    with pytest.raises(PolicyError) as caught:
        load_bundle_from_files(_with_labels(document))
    found = [p for p in caught.value.problems if p.field == f"labels.yaml:{field}"]
    assert found and reason in found[0].reason, caught.value.problems


def test_a_missing_or_stray_label_is_a_warning_and_the_page_shows_the_name() -> None:
    document = _labels()
    del document["kinds"]["loan_default"], document["statuses"]["frozen"]
    document["measures"]["no_such_measure"] = {"en": "Nothing", "zh-CN": "无"}
    bundle = load_bundle_from_files(_with_labels(document))
    warned = {p.field: p.reason for p in label_warnings(bundle)}
    assert warned == {
        "labels.yaml:kinds.loan_default": "no label: pages show the code",
        "labels.yaml:statuses.frozen": "no label: pages show the code",
        "labels.yaml:measures.no_such_measure": "not a code of this bundle's measures",
    }
    assert bundle.label("kinds", "loan_default", "zh-CN") == "Loan default"
    assert bundle.label("statuses", "frozen", "zh-CN") == "frozen"

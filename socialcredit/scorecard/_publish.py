"""Publishing a learned scorecard as an ordinary bundle revision.

:func:`scorecard_bundle` takes the bundle the scorecard was learned under and returns the
files of its next revision: the learned binned rules replace the per-record rules of the
scorecard's dimension, and ``scoring.yaml`` opens with a comment naming the fit (training
window, data digest, validation figures) — inside the signed bytes. The files load through
:func:`~socialcredit.policy.load_bundle_from_files`, so the revision is checked, signed,
assessed and held to the notice period like any other (``socialcredit policy ...``).
"""

from __future__ import annotations

import csv
import shutil
import tempfile
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import yaml

from socialcredit.policy import (
    BinnedRule,
    PolicyBundle,
    file_hash,
    load_bundle_from_files,
    manifest_document,
)

if TYPE_CHECKING:
    from socialcredit.scorecard._learn import Learned

__all__ = ["binned_document", "scorecard_bundle", "write_fit"]


def binned_document(rules: list[BinnedRule]) -> list[dict[str, Any]]:
    """The rules as ``scoring.yaml`` writes them."""
    return [
        {
            "feature": r.feature,
            "kinds": list(r.kinds),
            "dimension": r.dimension,
            "bins": [
                {"points": b.points} if b.upto is None else {"upto": b.upto, "points": b.points}
                for b in r.bins
            ],
        }
        for r in rules
    ]


def scorecard_bundle(
    base: PolicyBundle,
    rules: list[BinnedRule],
    *,
    dimension: str,
    effective_from: datetime,
    provenance: Mapping[str, Any],
) -> PolicyBundle:
    """The next revision of ``base`` with ``rules`` in place of ``dimension``'s per-record rules.

    Args:
        base: the bundle the scorecard was learned under.
        rules: the learned binned rules.
        dimension: the dimension the scorecard scores.
        effective_from: when the revision takes effect (aware UTC).
        provenance: what the header comment of ``scoring.yaml`` says (window, digest, ...).

    Raises:
        PolicyError: if the resulting bundle fails any check (every problem listed).
    """
    doc = yaml.safe_load(base.files["scoring.yaml"])
    doc["rules"] = [r for r in doc["rules"] if r.get("dimension") != dimension]
    doc["binned"] = binned_document(rules)
    header = "".join(f"# {line}\n" for line in _header(provenance))
    scoring = (header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)).encode()
    files = {name: data for name, data in base.files.items() if name != "manifest.yaml"}
    files["scoring.yaml"] = scoring
    manifest = manifest_document(base.manifest)
    manifest.pop("signature", None)
    manifest.pop("public_key", None)
    manifest["revision"] = base.revision + 1
    manifest["effective_from"] = effective_from.strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest["description"] = f"Learned {dimension} scorecard ({provenance.get('fit', 'fit')})"
    manifest["files"] = {name: file_hash(data) for name, data in sorted(files.items())}
    files["manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
    return load_bundle_from_files(files)


def _header(provenance: Mapping[str, Any]) -> list[str]:
    lines = ["Learned scorecard (socialcredit scorecard fit; docs/scorecard.md).", ""]
    lines += [f"{key}: {value}" for key, value in provenance.items()]
    return lines


def write_fit(out: Path, learned: Learned, ids: list[tuple[str, str]]) -> None:
    """Write ``out/bundle/`` (the bundle's files), ``out/report.json`` and
    ``out/reason_codes.csv`` (subjects with at least one reason, from ``ids`` by dense
    number): everything into a temporary directory beside ``out``, then renamed into place,
    so that either all of it is written or nothing.

    Raises:
        OSError: if ``out`` exists and is not an empty directory, or a write fails.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".scorecard-", dir=out.parent))
    try:
        (tmp / "bundle").mkdir()
        for name, data in learned.bundle.files.items():
            (tmp / "bundle" / name).write_bytes(data)
        (tmp / "report.json").write_bytes(orjson.dumps(learned.report, option=orjson.OPT_INDENT_2))
        with (tmp / "reason_codes.csv").open("w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["subject_kind", "subject_id", "reason_1", "reason_2", "reason_3"])
            for (kind, subject), reasons in zip(ids, learned.reasons, strict=False):
                if reasons:
                    writer.writerow([kind, subject, *reasons, *[""] * (3 - len(reasons))])
        if out.exists():
            out.rmdir()
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

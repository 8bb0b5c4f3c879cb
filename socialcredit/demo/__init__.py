"""The demo: a fresh ledger with the default policy published, the shipped sample of records
ingested, and the whole ledger verified and proved.

Until the synthetic city exists this is the system's main job end to end: create a store,
publish the default policy bundle, ingest ``sample_records.csv`` (which includes a few rows the
catalogue must refuse), verify the whole ledger, and check an inclusion proof offline.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..catalogue import default_catalogue
from ..ingest import IngestSummary, ingest_file
from ..ledger import Ledger, check_inclusion_proof, inclusion_document, verify_ledger
from ..ledger.checkpoints import public_key_text
from ..policy import default_bundle, publish
from ..service import init_ledger
from ..settings import Settings

__all__ = ["DemoResult", "run_demo", "sample_records_path"]


def sample_records_path() -> Path:
    """The shipped sample of records (CSV)."""
    return Path(str(resources.files(__package__).joinpath("sample_records.csv")))


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo did."""

    ledger: Ledger
    ingest: IngestSummary
    verified: bool
    proof_ok: bool


def run_demo(directory: Path, echo: Callable[[str], None] = print) -> DemoResult:
    """Build a fresh demo ledger in ``directory`` (replacing an earlier demo there)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    settings = Settings(store=f"sqlite:///{directory / 'socialcredit.db'}")
    ledger = init_ledger(settings, origin="socialcredit.demo/ledger")
    echo(f"store       {settings.store}")
    echo(f"public key  {public_key_text(ledger.public_key)}")
    policy = default_bundle()
    position = publish(ledger, policy)
    echo(f"policy      revision {policy.revision} published at entry {position} "
         f"(effective {policy.effective_from:%Y-%m-%d}, digest {policy.digest[:16]}…)")
    summary = ingest_file(
        ledger,
        default_catalogue(),
        sample_records_path(),
        rejects_path=directory / "sample_records.rejects.jsonl",
    )
    echo(
        f"ingested    {summary.accepted} records; refused {summary.refused} "
        f"(reasons in {summary.rejects_path})"
    )
    for reason, count in sorted(summary.refusal_reasons.items()):
        echo(f"  refused {count} x {reason}")
    report = verify_ledger(ledger.store, ledger.public_key)
    root = report.root.hex() if report.root else "-"
    echo(f"verify      {'ok' if report.ok else 'FAILED'}: {report.size} entries, root {root}")
    proof = inclusion_document(ledger, 0)
    check = check_inclusion_proof(proof, ledger.public_key)
    echo(
        f"proof       entry 0 is included in checkpoint {proof['checkpoint']['size']}: "
        f"{'ok' if check.ok else 'FAILED'}"
    )
    return DemoResult(ledger, summary, report.ok, check.ok)

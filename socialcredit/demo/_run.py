"""Build the demo ledger: publish the default policy, ingest the sample, verify and prove."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from socialcredit.ledger import public_key_text

from ..catalogue import default_catalogue
from ..ingest import IngestSummary, ingest_file
from ..ledger import Ledger, check_inclusion_proof, inclusion_document, verify_ledger
from ..policy import GRADES, default_bundle
from ..scoring import rescore
from ..service import init_ledger
from ..settings import Settings
from ._city import (
    build_city,
)


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
    settings: Settings


def run_demo(
    directory: Path,
    echo: Callable[[str], None] = print,
    *,
    residents: int = 100_000,
    organisations: int = 5_000,
    seed: int = 2026,
) -> DemoResult:
    """Build a fresh demo ledger in ``directory`` (replacing an earlier demo there)."""
    started = time.perf_counter()
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    settings = Settings(store=f"sqlite:///{directory / 'socialcredit.db'}")
    ledger = init_ledger(settings, origin="socialcredit.demo/ledger")
    echo(f"store       {settings.store}")
    echo(f"public key  {public_key_text(ledger.public_key)}")
    policy = default_bundle()
    city = build_city(
        ledger,
        default_catalogue(),
        residents=residents,
        organisations=organisations,
        seed=seed,
        policy=policy,
    )
    echo(
        f"policy      revision {policy.revision} published at entry 1, the genesis, under the "
        f"operator's governance (entry 0) "
        f"(effective {policy.effective_from:%Y-%m-%d}, digest {policy.digest[:16]}…)"
    )
    echo(
        f"city        {city.residents:,} residents, {city.organisations:,} organisations, "
        f"{city.records:,} records filed month by month over 3 years ({city.seconds:.1f}s)"
    )
    summary = ingest_file(
        ledger,
        default_catalogue(),
        sample_records_path(),
        rejects_path=directory / "sample_records.rejects.jsonl",
    )
    echo(
        f"sample      {summary.accepted} records ingested today; refused {summary.refused} "
        f"(reasons in {summary.rejects_path})"
    )
    for reason, count in sorted(summary.refusal_reasons.items()):
        echo(f"  refused {count} x {reason}")
    _print_scores(ledger, echo)
    report = verify_ledger(ledger.store, ledger.public_key)
    root = report.root.hex() if report.root else "-"
    echo(f"verify      {'ok' if report.ok else 'FAILED'}: {report.size:,} entries, root {root}")
    proof = inclusion_document(ledger, ledger.size() - 1)
    check = check_inclusion_proof(proof, ledger.public_key)
    echo(
        f"proof       entry {proof['index']} is included in checkpoint "
        f"{proof['checkpoint']['size']}: {'ok' if check.ok else 'FAILED'}"
    )
    echo(f"done in {time.perf_counter() - started:.1f}s")
    return DemoResult(ledger, summary, report.ok, check.ok, settings)


def _print_scores(ledger: Ledger, echo: Callable[[str], None]) -> None:
    done = rescore(ledger, as_of=datetime.now(UTC))
    grades = done.grades()
    echo(
        f"scores      {len(done.scores):,} subjects with records, as of today "
        f"(everyone else holds the base grade)"
    )
    for band in GRADES:
        if band in grades:
            echo(f"  {band:4s} {grades[band]:>8,}")
    echo("reasons     the most common records counting against someone today:")
    for kind, count in done.reasons[:5]:
        echo(f"  {count:>8,} x {kind}")

"""``socialcredit policy assess`` on the default city vs building that city into a ledger.

Both sides work on the same seeded synthetic city (default 100,000 residents and 5,000
organisations, seed 2026):

* **peer**: :func:`socialcredit.demo._city.build_city` files the city month by month into a
  fresh SQLite ledger with the default bundle published (what ``socialcredit demo`` does
  before it serves), in this process;
* **assess**: ``socialcredit policy assess`` as a user runs it — a fresh process, CLI start-up
  included — on a candidate bundle (the default one at revision 2 with fare evasion costing
  20 points instead of 10, so that both bundles are evaluated in full) against the bundle in
  force in the ledger the peer built; the assessment is recorded in that ledger.

Prints the median of ``--repeat`` runs of each, their ratio, and the machine's load average
(the figures mean little on a busy machine). The issue's bar: assess under 60 s.

    .venv/bin/python benchmarks/bench_policy_assess.py [--residents N] [--organisations M]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socialcredit.catalogue import default_catalogue
from socialcredit.demo._city import build_city
from socialcredit.policy import default_bundle, file_hash
from socialcredit.service import init_ledger
from socialcredit.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "socialcredit"
BAR_SECONDS = 60.0


def candidate_bundle(folder: Path) -> Path:
    """The default bundle at revision 2 with fare evasion at -20 points, written to ``folder``."""
    folder.mkdir()
    files = dict(default_bundle().files)
    old = b"{kind: fare_evasion, dimension: transport, points: -10}"
    assert old in files["scoring.yaml"], "the default scoring.yaml changed: update the benchmark"
    files["scoring.yaml"] = files["scoring.yaml"].replace(old, old.replace(b"-10", b"-20"))
    manifest = yaml.safe_load(files["manifest.yaml"])
    manifest["revision"] = 2
    manifest["files"]["scoring.yaml"] = file_hash(files["scoring.yaml"])
    files["manifest.yaml"] = yaml.safe_dump(manifest, sort_keys=False).encode()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def build_once(folder: Path, residents: int, organisations: int, seed: int) -> tuple[float, str]:
    """Seconds to build the city into a fresh SQLite ledger in ``folder``; the store URL."""
    folder.mkdir()
    settings = Settings(store=f"sqlite:///{folder / 'city.db'}")
    ledger = init_ledger(settings, origin="bench/policy-assess")
    started = time.perf_counter()
    build_city(
        ledger, default_catalogue(), residents=residents, organisations=organisations,
        seed=seed, policy=default_bundle(),
    )  # fmt: skip
    seconds = time.perf_counter() - started
    ledger.store.close()
    return seconds, settings.store


def assess_once(store: str, bundle: Path, residents: int, organisations: int, seed: int) -> float:
    """Seconds for one ``socialcredit policy assess`` process."""
    command = [
        str(CLI), "policy", "assess", str(bundle), "--store", store,
        "--residents", str(residents), "--organisations", str(organisations),
        "--seed", str(seed),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"policy assess failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return seconds


def main() -> None:
    """Run both sides ``--repeat`` times and print the medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--organisations", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    city = (args.residents, args.organisations, args.seed)
    with tempfile.TemporaryDirectory(prefix="bench-assess-") as tmp:
        bundle = candidate_bundle(Path(tmp) / "candidate")
        builds, stores = [], []
        for i in range(args.repeat):
            seconds, store = build_once(Path(tmp) / f"city{i}", *city)
            builds.append(seconds)
            stores.append(store)
        assessments = [assess_once(stores[i], bundle, *city) for i in range(args.repeat)]
    peer, ours = statistics.median(builds), statistics.median(assessments)
    size = f"{args.residents:,} residents, {args.organisations:,} organisations"
    print(f"city: {size}, seed {args.seed}")
    print(f"peer   build_city into SQLite   median {peer:7.2f} s   runs {_runs(builds)}")
    print(f"ours   policy assess (process)  median {ours:7.2f} s   runs {_runs(assessments)}")
    print(f"ratio  assess / build = {ours / peer:.2f}; bar: assess under {BAR_SECONDS:.0f} s: "
          f"{'met' if ours < BAR_SECONDS else 'NOT met'}")  # fmt: skip
    print(f"load average after the runs: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()

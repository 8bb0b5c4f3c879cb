"""Time of ``socialcredit policy check`` on the shipped default bundle: median of 7 runs.

Three figures:

* the command end to end, as a user runs it (a fresh ``socialcredit policy check DIR`` process:
  interpreter start, imports, loading the taxonomy, the registry and the bundle, every check,
  the per-item explanation, printing) -- the figure the issue bounds at 1 s;
* the same with ``--json``;
* the library call alone in a warm process (``load_bundle`` and ``authorisations``), with the
  taxonomy, registry and firewall caches cleared before each run.

    .venv/bin/python benchmarks/bench_policy_check.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from socialcredit.catalogue import _firewall as firewall  # noqa: E402
from socialcredit.catalogue import _legal_basis as legal_basis  # noqa: E402
from socialcredit.catalogue import _taxonomy as taxonomy_module  # noqa: E402
from socialcredit.policy import authorisations, load_bundle  # noqa: E402

RUNS = 7
DEFAULT_DIR = ROOT / "socialcredit" / "policy" / "default"
COMMAND = [str(Path(sys.executable).parent / "socialcredit"), "policy", "check", str(DEFAULT_DIR)]


def command_seconds(extra: list[str]) -> float:
    """Wall-clock seconds of one ``policy check`` process (exit 0 required)."""
    started = time.perf_counter()
    subprocess.run([*COMMAND, *extra], check=True, capture_output=True)
    return time.perf_counter() - started


def library_seconds() -> float:
    """Seconds to load and explain the bundle with cold engine-data caches."""
    taxonomy_module.conduct_taxonomy.cache_clear()
    legal_basis.registry.cache_clear()
    firewall.screen.cache_clear()
    started = time.perf_counter()
    found = authorisations(load_bundle(DEFAULT_DIR))
    elapsed = time.perf_counter() - started
    assert found
    return elapsed


def main() -> None:
    command_seconds([])  # warm the file cache
    figures = {
        "policy check (process)": [command_seconds([]) for _ in range(RUNS)],
        "policy check --json (process)": [command_seconds(["--json"]) for _ in range(RUNS)],
        "load_bundle + authorisations (library)": [library_seconds() for _ in range(RUNS)],
    }
    for name, seconds in figures.items():
        print(
            f"{name:42s} median {statistics.median(seconds):.3f} s  "
            f"(min {min(seconds):.3f}, max {max(seconds):.3f}, {RUNS} runs)"
        )


if __name__ == "__main__":
    main()

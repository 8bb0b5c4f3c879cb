"""Every pytest invocation exits by itself: collecting, or deselecting, the API fuzz tests
starts no thread that outlives the session (they used to keep the process waiting forever),
and each fuzzed operation is a test of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ = "tests/api/test_schemathesis.py"


def run_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    """Run pytest in a subprocess; a hang fails the test through the timeout."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_collect_only_exits_and_names_each_operation() -> None:
    result = run_pytest("--collect-only", "-q", FUZZ)
    assert result.returncode == 0, result.stdout + result.stderr
    ids = [line for line in result.stdout.splitlines() if "::" in line]
    assert len(ids) > 20 and len(set(ids)) == len(ids)
    assert f"{FUZZ}::test_no_server_errors[POST /api/v1/decisions]" in ids


def test_a_selection_that_deselects_the_fuzz_tests_exits() -> None:
    result = run_pytest("-q", "-k", "no_test_is_called_this", FUZZ)
    assert result.returncode == 5, result.stdout + result.stderr  # 5: no tests ran

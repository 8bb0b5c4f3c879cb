"""The committed demo sample is rebuilt, byte for byte, by ``scripts/make_sample_records.py``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_sample_records.py"
COMMITTED = ROOT / "socialcredit" / "demo" / "sample_records.csv"


def run_script(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=cwd
    )


def test_help_exits_zero_and_writes_nothing(tmp_path: Path) -> None:
    before = COMMITTED.read_bytes(), COMMITTED.stat().st_mtime_ns
    result = run_script(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert "--out" in result.stdout and "--seed" in result.stdout
    assert "wrote" not in result.stdout
    assert (COMMITTED.read_bytes(), COMMITTED.stat().st_mtime_ns) == before
    assert list(tmp_path.iterdir()) == []


def test_a_run_reproduces_the_committed_file(tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    result = run_script(tmp_path, "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes() == COMMITTED.read_bytes()


def test_another_seed_gives_another_sample(tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    assert run_script(tmp_path, "--out", str(out), "--seed", "7").returncode == 0
    assert out.read_bytes() != COMMITTED.read_bytes()
    assert out.read_bytes().count(b"\n") == COMMITTED.read_bytes().count(b"\n")

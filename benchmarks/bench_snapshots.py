"""``serve`` on a large ledger, with and without a snapshot of its projections; and catching up
100,000 entries after a snapshot.

Uses (or builds) the demo-city ledger of ``bench_scale.py`` of ``--millions`` M entries, copies
it (SQLite backup) so that the cached one is never changed, migrates the copy, then:

1. **serve, replaying** (no snapshot): a fresh ``python -m socialcredit serve`` process; the
   time from its start until ``GET /api/v1/health`` answers (uvicorn answers only after the
   app's start-up, i.e. after the consequence view is built), until the first
   ``POST /api/v1/decisions`` answers, the median of the next 50 decisions, and the server's
   resident set after them (``VmRSS``, ``VmHWM`` from ``/proc``);
2. ``socialcredit snapshot``: writing the snapshot (whole process);
3. **serve, from the snapshot**: the same figures;
4. **catching up**: ingest ``--catch-up`` new records (default 100,000) after the snapshot, then
   time a consequence view started from the snapshot (load + catch-up) against one started
   from a snapshot that is current (load only), in this process; the difference is the
   catch-up.

    .venv/bin/python benchmarks/bench_snapshots.py --millions 1
"""

from __future__ import annotations

import argparse
import csv
import http.client
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from bench_scale import build, subjects  # noqa: E402


def cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "socialcredit", "--store", f"sqlite:///{path}", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True)


def copy_ledger(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    target.with_name(target.name + ".key").write_bytes(
        source.with_name(source.name + ".key").read_bytes()
    )
    target.with_name(target.name + ".key").chmod(0o600)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(port: int, method: str, url: str, key: str | None, body: bytes | None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    conn.request(method, url, body=body, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def _memory(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM of ``pid`` in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def serve_once(path: Path, key: str, person: str) -> dict[str, float]:
    """Start a server, time /health and the first decisions, read its memory, stop it."""
    port = free_port()
    command = [sys.executable, "-m", "socialcredit", "--store", f"sqlite:///{path}", "serve"]
    command += ["--port", str(port), "--rate-limit", "1000000", "--snapshot-every", "0"]
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if _request(port, "GET", "/api/v1/health", None, None) == 200:
                    break
            except OSError:
                time.sleep(0.05)
            if server.poll() is not None:
                raise SystemExit("the server stopped")
        health = time.perf_counter() - started
        body = orjson.dumps({"subject": person, "service": "air_travel"})
        status = _request(port, "POST", "/api/v1/decisions", key, body)
        first = time.perf_counter() - started
        assert status == 200, status
        latencies = []
        for _ in range(50):
            t = time.perf_counter()
            _request(port, "POST", "/api/v1/decisions", key, body)
            latencies.append(time.perf_counter() - t)
        rss, hwm = _memory(server.pid)
        other = orjson.dumps({"subject": people(path, 2)[-1], "service": "air_travel"})
        t = time.perf_counter()
        _request(port, "POST", "/api/v1/decisions", key, other)
        another = time.perf_counter() - t
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {
        "health_s": health,
        "first_decision_s": first,
        "decision_ms": statistics.median(latencies) * 1000,
        "after_health_ms": (first - health) * 1000,
        "other_subject_ms": another * 1000,
        "rss_mib": rss,
        "hwm_mib": hwm,
    }


def people(path: Path, count: int) -> list[str]:
    """Up to ``count`` residents already in the ledger (valid ids)."""
    with sqlite3.connect(path) as conn:
        sql = "SELECT external_id FROM subjects WHERE kind = 'person' ORDER BY id LIMIT ?"
        return [row[0] for row in conn.execute(sql, (count,))]


def write_records(path: Path, count: int, residents: list[str]) -> None:
    """``count`` fresh fare-evasion records about ``residents``, in turn."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject_id", "subject_kind", "kind", "occurred_at", "source", "amount"])
        for n in range(count):
            stamp = f"2026-10-{1 + n % 28:02d}T{n % 24:02d}:00:00+08:00"
            writer.writerow(
                [residents[n % len(residents)], "person", "fare_evasion", stamp,
                 "transport_operator:bench-metro", ""]
            )  # fmt: skip


def catch_up(path: Path) -> float:
    """Seconds to start a consequence view from the latest snapshot (load and catch-up)."""
    from socialcredit.consequences import ConsequenceView
    from socialcredit.ledger import Ledger
    from socialcredit.storage._sqlite import SQLiteStore

    store = SQLiteStore(path)
    started = time.perf_counter()
    view = ConsequenceView(Ledger(store), snapshot=True)
    seconds = time.perf_counter() - started
    assert view.restored_from > 0, view.refused_snapshots
    view.close()
    store.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--millions", default="1", help="ledger sizes in millions, e.g. 1,10")
    parser.add_argument("--catch-up", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "bench_scale")
    parser.add_argument(
        "--replay-up-to", type=float, default=2.0,
        help="serve without a snapshot only on ledgers up to this many millions",
    )  # fmt: skip
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    for millions in (float(m) for m in args.millions.split(",")):
        measure(args, millions)


def _show(name: str, found: dict[str, float]) -> None:
    print(
        f"  serve {name:14s} /health {found['health_s']:6.2f} s  first decision "
        f"{found['first_decision_s']:6.2f} s ({found['after_health_ms']:.1f} ms after /health; "
        f"another subject's first {found['other_subject_ms']:.1f} ms)  then "
        f"{found['decision_ms']:5.1f} ms  RSS {found['rss_mib']:6.0f} MiB "
        f"(peak {found['hwm_mib']:.0f})",
        flush=True,
    )


def measure(args: argparse.Namespace, millions: float) -> None:
    """Every figure of the module docstring on the city of ``millions`` M entries."""
    cached = args.dir / f"city-{millions:g}M.db"
    size, _ = build(cached, millions)
    with tempfile.TemporaryDirectory(prefix="bench-snap-", dir=args.dir) as tmp:
        path = Path(tmp) / "l.db"
        copy_ledger(cached, path)
        cli(path, "migrate")
        person, _ = subjects(path)
        key = cli(path, "account", "add-key", "service_point", "bench-gate")
        token = key.stdout.strip().split()[-1]
        print(f"ledger {size:,} entries; load average {os.getloadavg()[0]:.1f}", flush=True)
        cold = serve_once(path, token, person) if millions <= args.replay_up_to else None
        if cold is not None:
            _show("replaying", cold)
        started = time.perf_counter()
        cli(path, "snapshot")
        written = time.perf_counter() - started
        print(f"  snapshot written (whole process) {written:6.2f} s", flush=True)
        warm = serve_once(path, token, person)
        _show("from snapshot", warm)
        if cold is not None:
            ratio = cold["health_s"] / warm["health_s"]
            print(f"  start-up ratio replaying / from snapshot: {ratio:.1f}x")
        loaded = catch_up(path)
        records = Path(tmp) / "new.csv"
        write_records(records, args.catch_up, people(path, 5000))
        cli(path, "ingest", str(records), "--progress", "none")
        behind = catch_up(path)
        print(
            f"  view from a current snapshot {loaded:6.2f} s; {args.catch_up:,} entries behind "
            f"{behind:6.2f} s: catch-up {behind - loaded:5.2f} s"
        )
        print(f"  (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})")


if __name__ == "__main__":
    main()

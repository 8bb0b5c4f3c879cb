"""One upload must not block every writer: ``POST /records`` latency while a 12 MB file is
ingested through ``POST /records/file``, next to the same requests on an idle server.

Builds a seeded ledger, starts ``socialcredit serve`` (uvicorn, one worker) on 127.0.0.1,
creates an admin key, and then, ``--repeat`` times:

1. **Baseline**: ``POST /records`` at a constant ``--rate`` per second for ``--seconds``;
   latency from each request's scheduled send time (no coordinated omission).
2. **During an upload**: the same paced ``POST /records`` while one client uploads a CSV of
   about ``--megabytes`` MB (valid records, or with ``--junk`` rows that are all refused, as
   in the issue's 2.2 MB attack); the paced requests run until the upload has answered.

Target (issue 14): p99 of ``POST /records`` under 200 ms during the upload. The script prints
medians over the repeats and the ratio of p99 during the upload to the idle p99::

    .venv/bin/python benchmarks/bench_upload_contention.py             # 12 MB, 3 repeats
    .venv/bin/python benchmarks/bench_upload_contention.py --junk      # refused rows
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpx
from bench_api_load import build, free_port, start_server

from socialcredit.accounts import AccountStore, Role
from tests.records_factory import FIELDS, valid_rows


def csv_bytes(megabytes: float, junk: bool, seed: int) -> tuple[bytes, int]:
    """A CSV of about ``megabytes`` MB: valid records (unique idempotency keys per ``seed``)
    or junk rows with every field empty; returns the bytes and the row count."""
    out = io.StringIO()
    writer = csv.DictWriter(out, FIELDS)
    writer.writeheader()
    rows = 0
    block = 5_000
    while out.tell() < megabytes * 1e6:
        if junk:  # as in the attack: a valid header, then rows of empty fields
            batch = [dict.fromkeys(FIELDS, "") for _ in range(block)]
        else:
            batch = valid_rows(block, seed=seed * 1_000 + rows, keys=f"up{seed}-{rows}")
        writer.writerows(batch)
        rows += len(batch)
    return out.getvalue().encode(), rows


def paced_records(
    client: httpx.Client, key: str, rate: float, until: threading.Event, seconds: float | None
) -> list[float]:
    """``POST /records`` at ``rate`` per second until ``until`` is set (or ``seconds`` pass);
    each latency in ms from its scheduled send time. Raises on any non-201 answer."""
    rows = valid_rows(4_000, seed=int(time.time()), keys=f"paced-{time.time_ns()}")
    headers = {"Authorization": f"Bearer {key}"}
    latencies = []
    start = time.perf_counter()
    for number, row in enumerate(rows):
        scheduled = start + number / rate
        if until.is_set() or (seconds is not None and scheduled - start > seconds):
            break
        time.sleep(max(0.0, scheduled - time.perf_counter()))
        response = client.post("/api/v1/records", json=row, headers=headers)
        if response.status_code != 201:
            raise SystemExit(f"POST /records answered {response.status_code}: {response.text}")
        latencies.append((time.perf_counter() - scheduled) * 1000)
    return latencies


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else values[0]


def one_round(base: str, key: str, args: argparse.Namespace, seed: int) -> dict[str, float]:
    body, rows = csv_bytes(args.megabytes, args.junk, seed)
    with httpx.Client(base_url=base, timeout=600) as client:
        paced_records(client, key, args.rate, threading.Event(), 1.0)  # warm-up, not counted
        idle = paced_records(client, key, args.rate, threading.Event(), args.seconds)
    done = threading.Event()
    answer: dict[str, object] = {}

    def upload() -> None:
        with httpx.Client(base_url=base, timeout=600) as uploader:
            started = time.perf_counter()
            response = uploader.post(
                "/api/v1/records/file",
                files={"file": ("records.csv", body, "text/csv")},
                headers={"Authorization": f"Bearer {key}"},
            )
            answer["seconds"] = time.perf_counter() - started
            answer["status"] = response.status_code
            answer["body"] = response.json()
        done.set()

    thread = threading.Thread(target=upload)
    thread.start()
    with httpx.Client(base_url=base, timeout=600) as client:
        busy = paced_records(client, key, args.rate, done, None)
    thread.join()
    if os.environ.get("BENCH_TRACE"):
        print("  during:", " ".join(f"{v:.0f}" for v in busy))
    if answer["status"] != 200:
        raise SystemExit(f"the upload answered {answer['status']}: {answer['body']}")
    summary = answer["body"]
    assert isinstance(summary, dict)
    print(
        f"  upload {len(body) / 1e6:.1f} MB, {rows:,} rows: {answer['seconds']:.1f} s "
        f"(accepted {summary['accepted']:,}, refused {summary['refused']:,}); "
        f"POST /records idle p99 {p99(idle):.1f} ms, during p99 {p99(busy):.1f} ms "
        f"(n={len(busy)}, max {max(busy):.1f} ms)"
    )
    return {
        "idle_p50": statistics.median(idle),
        "idle_p99": p99(idle),
        "busy_p50": statistics.median(busy),
        "busy_p99": p99(busy),
        "upload_s": float(answer["seconds"]),  # type: ignore[arg-type]
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=12.0)
    parser.add_argument("--junk", action="store_true", help="rows that are all refused")
    parser.add_argument("--rate", type=float, default=20.0, help="POST /records per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="idle baseline length")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--residents", type=int, default=2_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        settings, _ = build(Path(tmp), args.residents, 100)
        accounts = AccountStore(settings.accounts_path())
        key = accounts.create_api_key(Role.ADMIN, "bench-admin")
        accounts.close()
        port = free_port()
        server = start_server(settings, port, 1)
        print(f"machine {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
        try:
            rounds = [
                one_round(f"http://127.0.0.1:{port}", key, args, seed)
                for seed in range(args.repeat)
            ]
        finally:
            server.terminate()
            server.wait(timeout=60)
    median = {name: statistics.median(r[name] for r in rounds) for name in rounds[0]}
    print(
        f"medians over {args.repeat}: POST /records idle p50 {median['idle_p50']:.1f} ms, "
        f"p99 {median['idle_p99']:.1f} ms; during the upload p50 {median['busy_p50']:.1f} ms, "
        f"p99 {median['busy_p99']:.1f} ms (target < 200 ms); "
        f"ratio during/idle p99 {median['busy_p99'] / median['idle_p99']:.1f}x; "
        f"upload {median['upload_s']:.1f} s"
    )


if __name__ == "__main__":
    main()

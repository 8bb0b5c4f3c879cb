"""Load test of the HTTP API: the decision endpoint against the same server's trivial endpoint.

Builds a seeded city ledger in a temporary directory, creates a service-point API key, starts
``socialcredit serve`` (uvicorn, uvloop, httptools, one worker) on 127.0.0.1 and measures,
with the load generator on the same machine:

1. **Throughput** (closed loop, N keep-alive connections, D seconds each, same run):
   ``GET /api/v1/health`` (trivial JSON, anonymous) and ``POST /api/v1/decisions`` (API key,
   rate limit, decision, audit entry queued). Target: decisions >= 50 % of trivial.
2. **Paced latency** (open loop): decisions at a constant 1,000 requests/s for 60 s; latency is
   measured from each request's *scheduled* send time (no coordinated omission). Target:
   p99 < 10 ms, zero errors.
3. **Audit**: after the server shuts down (the lifespan flushes the group-commit writer), the
   ledger grew by exactly one ``DecisionMade`` entry per successful decision.

The load generator is a small asyncio client with raw keep-alive connections; with ``--wrk``
the throughput phase uses wrk instead (Debian: ``sudo apt-get install wrk``)::

    .venv/bin/python benchmarks/bench_api_load.py                # full run (~2.5 min)
    .venv/bin/python benchmarks/bench_api_load.py --quick        # short run while developing
    .venv/bin/python benchmarks/bench_api_load.py --wrk          # throughput with wrk
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson

from socialcredit.accounts import AccountStore, Role
from socialcredit.catalogue import default_catalogue
from socialcredit.demo._city import build_city
from socialcredit.policy import default_bundle
from socialcredit.records import RecordIndex
from socialcredit.service import init_ledger, open_ledger
from socialcredit.settings import Settings

SERVICES = ["air_travel", "high_speed_rail_first_class", "luxury_hotel", "deposit_waiver"]


@dataclass
class Target:
    host: str
    port: int
    key: str
    subjects: list[str]

    def health(self) -> bytes:
        return (f"GET /api/v1/health HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n").encode()

    def decisions(self, seed: int = 1, count: int = 4096) -> list[bytes]:
        rng = random.Random(seed)
        requests = []
        for _ in range(count):
            body = orjson.dumps(
                {"subject": rng.choice(self.subjects), "service": rng.choice(SERVICES)}
            )
            head = (
                f"POST /api/v1/decisions HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Bearer {self.key}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            )
            requests.append(head.encode() + body)
        return requests


# -- the raw keep-alive client ------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection: send a prepared request, read one response."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def call(self, request: bytes) -> int:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        match = re.search(rb"(?i)content-length: *(\d+)", head)
        if match:
            await self.reader.readexactly(int(match.group(1)))
        return status

    def close(self) -> None:
        self.writer.close()


async def closed_loop(
    target: Target, requests: list[bytes], connections: int, seconds: float
) -> tuple[float, int, int]:
    """Requests/s, answers and errors with ``connections`` clients, each sending again as
    soon as its last answer came."""
    conns = [await Connection.open(target.host, target.port) for _ in range(connections)]
    done = errors = 0
    stop = time.perf_counter() + seconds

    async def client(conn: Connection, offset: int) -> None:
        nonlocal done, errors
        i = offset
        while time.perf_counter() < stop:
            status = await conn.call(requests[i % len(requests)])
            done += 1
            errors += status != 200
            i += connections

    started = time.perf_counter()
    await asyncio.gather(*(client(c, i) for i, c in enumerate(conns)))
    elapsed = time.perf_counter() - started
    for c in conns:
        c.close()
    return done / elapsed, done, errors


async def paced(
    target: Target, requests: list[bytes], rate: float, seconds: float, pool: int = 32
) -> tuple[list[float], int, int]:
    """Open loop at ``rate``/s: latencies (ms, from the scheduled time) and the error count."""
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(pool):
        free.put_nowait(await Connection.open(target.host, target.port))
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)
    start = time.perf_counter() + 0.1
    tasks = []

    async def one(i: int, scheduled: float) -> None:
        nonlocal errors
        conn = await free.get()
        try:
            status = await conn.call(requests[i % len(requests)])
        except (OSError, asyncio.IncompleteReadError):
            status = 0
        latencies.append((time.perf_counter() - scheduled) * 1000)
        errors += status != 200
        free.put_nowait(conn)

    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, scheduled)))
    await asyncio.gather(*tasks)
    while not free.empty():
        free.get_nowait().close()
    return latencies, errors, total


# -- wrk (optional) -------------------------------------------------------------------------


def wrk_throughput(
    target: Target, path: str, body: bytes | None, seconds: int, connections: int
) -> float:
    """Requests/s measured by wrk with one thread (the other core runs the server)."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    if body is not None:
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = [[{body.decode()}]]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.headers["Authorization"] = "Bearer {target.key}"\n'
        )
    else:
        script.write_text("")
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-s",
            str(script),
            f"http://{target.host}:{target.port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    script.unlink()
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]


# -- setup ----------------------------------------------------------------------------------


def build(directory: Path, residents: int, organisations: int) -> tuple[Settings, list[str]]:
    settings = Settings(store=f"sqlite:///{directory / 'bench.db'}")
    ledger = init_ledger(settings, origin="bench/api")
    summary = build_city(
        ledger,
        default_catalogue(),
        residents=residents,
        organisations=organisations,
        seed=2026,
        policy=default_bundle(),
    )
    subjects = [s[1] for s in RecordIndex.build(ledger).subjects()]
    print(
        f"city: {summary.residents:,} residents, {summary.organisations:,} organisations, "
        f"{summary.records:,} records, ledger size {ledger.size():,}"
    )
    ledger.store.close()
    return settings, subjects


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(settings: Settings, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SOCIALCREDIT_STORE": settings.store}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socialcredit",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--rate-limit",
            "1000000",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--organisations", type=int, default=1_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per throughput phase")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--paced-seconds", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=3, help="throughput rounds (median)")
    parser.add_argument("--wrk", action="store_true", help="throughput with wrk")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--quick", action="store_true", help="small and short")
    args = parser.parse_args()
    if args.quick:
        args.residents, args.organisations = 2_000, 100
        args.seconds, args.paced_seconds, args.repeat = 3.0, 5.0, 1
    if args.wrk and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: sudo apt-get install wrk)")
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        run(Path(tmp), args)


def run(directory: Path, args: argparse.Namespace) -> None:
    settings, subjects = build(directory, args.residents, args.organisations)
    accounts = AccountStore(settings.accounts_path())
    key = accounts.create_api_key(Role.SERVICE_POINT, "bench-gate")
    accounts.close()
    port = free_port()
    ledger = open_ledger(settings)
    size_before = ledger.size()
    ledger.store.close()
    server = start_server(settings, port, args.workers)
    print(
        f"machine     {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start "
        "(the targets assume an otherwise idle machine)"
    )
    target = Target("127.0.0.1", port, key, subjects)
    decisions = target.decisions()
    sent_ok: int | None = 0
    try:
        trivial_rates, decision_rates = [], []
        for _ in range(args.repeat):
            if args.wrk:
                seconds = max(1, int(args.seconds))
                trivial_rates.append(
                    wrk_throughput(target, "/api/v1/health", None, seconds, args.connections)
                )
                body = decisions[0].split(b"\r\n\r\n", 1)[1]
                decision_rates.append(
                    wrk_throughput(target, "/api/v1/decisions", body, seconds, args.connections)
                )
                sent_ok = None  # wrk does not report exact counts: no audit count check
            else:
                rate, _, errors = asyncio.run(
                    closed_loop(target, [target.health()], args.connections, args.seconds)
                )
                trivial_rates.append(rate)
                assert errors == 0, f"{errors} errors on the trivial endpoint"
                rate, done, errors = asyncio.run(
                    closed_loop(target, decisions, args.connections, args.seconds)
                )
                decision_rates.append(rate)
                assert errors == 0, f"{errors} errors on the decision endpoint"
                if sent_ok is not None:
                    sent_ok += done - errors
        trivial, decision = statistics.median(trivial_rates), statistics.median(decision_rates)
        print(
            f"throughput  trivial GET /health   {trivial:9,.0f} req/s  (runs: "
            f"{', '.join(f'{r:,.0f}' for r in trivial_rates)})"
        )
        print(
            f"throughput  POST /decisions       {decision:9,.0f} req/s  (runs: "
            f"{', '.join(f'{r:,.0f}' for r in decision_rates)})"
        )
        print(f"ratio       decisions / trivial   {decision / trivial:9.1%}  (target >= 50%)")
        latencies, errors, total = asyncio.run(
            paced(target, decisions, args.rate, args.paced_seconds)
        )
        latencies.sort()
        p50 = latencies[len(latencies) // 2]
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(f"machine     load average {os.getloadavg()[0]:.1f} after the paced run")
        print(
            f"paced       {args.rate:,.0f} req/s for {args.paced_seconds:g}s: {total:,} sent, "
            f"{errors} errors, p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {latencies[-1]:.2f} ms "
            f"(target p99 < 10 ms, 0 errors)"
        )
        if sent_ok is not None:
            sent_ok += total - errors
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    ledger = open_ledger(settings)
    grown = ledger.size() - size_before
    tail = [e for e in ledger.entries(size_before) if e.type != "DecisionMade"]
    ledger.store.close()
    expected = "n/a (wrk)" if sent_ok is None else f"{sent_ok:,}"
    print(
        f"audit       ledger grew by {grown:,} DecisionMade entries; decisions answered 200: "
        f"{expected}; other entries: {len(tail)}"
    )
    if tail or (sent_ok is not None and grown != sent_ok):
        raise SystemExit("not every decision was audited exactly once")


if __name__ == "__main__":
    main()

"""End to end over real sockets: uvicorn on 127.0.0.1, httpx as the client."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from socialcredit.accounts import AccountStore, RateLimit, Role
from socialcredit.server import create_app
from socialcredit.service import open_ledger
from tests.api.conftest import build_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


def test_decisions_over_http_are_all_audited_by_shutdown(tmp_path: Path) -> None:
    settings = build_settings(tmp_path)
    accounts = AccountStore(settings.accounts_path())
    key = accounts.create_api_key(Role.SERVICE_POINT, "gate-1")
    app = create_app(settings, accounts=accounts, rate_limit=RateLimit(1000, 1000))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
                       log_level="warning")
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}/api/v1"
    _wait_until_up(f"{base}/health")
    subject = "110101196001010003"
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        outcomes = [
            client.post("/decisions", json={"subject": subject, "service": "air_travel"})
            for _ in range(25)
        ]
        assert [r.status_code for r in outcomes] == [200] * 25
        assert outcomes[0].json()["outcome"] in {"allow", "deny", "reward"}
        assert client.get(f"/subjects/{subject}/score").status_code == 403  # decisions only
    server.should_exit = True
    thread.join(timeout=20)
    assert not thread.is_alive()
    ledger = open_ledger(settings)
    made = [e for e in ledger.entries() if e.type == "DecisionMade"]
    ledger.store.close()
    accounts.close()
    assert len(made) == 25 and made[0].data["subject"]["id"] == subject


@pytest.mark.slow
def test_socialcredit_serve_starts_a_production_server(tmp_path: Path) -> None:
    settings = build_settings(tmp_path, records=5)
    port = _free_port()
    env = {**os.environ, "SOCIALCREDIT_STORE": settings.store}
    process = subprocess.Popen(
        [sys.executable, "-m", "socialcredit", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        _wait_until_up(f"http://127.0.0.1:{port}/api/v1/health")
        spec = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json").json()
        assert "/api/v1/health" in spec["paths"]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err.decode()
    assert f"127.0.0.1:{port}" in out.decode()

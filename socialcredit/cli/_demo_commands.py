"""``socialcredit demo``: build the synthetic city, then serve the portal over it.

The build step is :meth:`socialcredit.System.build_demo`. Serving opens the HTTP API's app (which
mounts the portal) with one demo login per role, prints the address and the logins, fetches
its own front page once to prove it serves, and runs until Ctrl-C or ``--serve-for`` seconds.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from pathlib import Path

import click

from ..errors import ConfigurationError, IntegrityError
from ..settings import Settings
from ..system import System
from ._main import StorelessCommand, cli


@cli.command(cls=StorelessCommand)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo"),
    show_default=True,
    help="Where the demo ledger is built.",
)
@click.option("--residents", default=100_000, show_default=True, type=click.IntRange(0))
@click.option("--organisations", default=5_000, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="After building, serve the portal and the API over the demo ledger.",
)
@click.option(
    "--serve-for",
    "serve_for",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Stop serving after this many seconds (default: until Ctrl-C).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to serve on; if it is taken, a free port is used instead (0: always a free one).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace what is in --dir (an earlier demo's ledger and its signing key).",
)
def demo(
    directory: Path,
    residents: int,
    organisations: int,
    seed: int,
    serve: bool,
    serve_for: float | None,
    host: str,
    port: int,
    force: bool,
) -> None:
    """Build the synthetic city into a fresh ledger, score everyone, verify, prove an entry;
    then serve the portal, printing its address and a demo login for each role.

    Refuses (exit 2) to replace what is already in --dir unless --force is given.
    """
    if not force:
        _refuse_to_replace(directory)
    result = System.build_demo(
        directory, click.echo, residents=residents, organisations=organisations, seed=seed
    )
    if not (result.verified and result.proof_ok):
        raise IntegrityError("the demo ledger did not verify")
    if serve:
        _serve(result.settings, host, port, serve_for)


def _refuse_to_replace(directory: Path) -> None:
    """Refuse to build over ``directory`` if it holds anything (the build deletes it first).

    Raises:
        ConfigurationError: saying what is there and that --force replaces it.
    """
    if not directory.is_dir():
        if directory.exists():
            raise ConfigurationError(f"--dir {directory} is a file, not a directory")
        return
    ledger = directory / "socialcredit.db"
    entries = sum(1 for _ in directory.iterdir())
    if ledger.exists():
        what = f"an earlier demo's ledger ({ledger}, with its signing key)"
    elif entries:
        what = f"{entries} files or folders"
    else:
        return
    raise ConfigurationError(
        f"{directory} already holds {what}; pass --force to replace them "
        "(the build deletes the directory first), or --dir for another place"
    )


def _serve(settings: Settings, host: str, port: int, serve_for: float | None) -> None:
    """Seed the demo logins, print them, and serve until Ctrl-C or ``serve_for`` seconds."""
    import uvicorn

    from ..server import create_app

    with System.open(settings, write=False) as system:
        logins = system.seed_demo_logins()
    sock = _bind(host, port)
    address = "http://{}:{}".format(*sock.getsockname()[:2])
    click.echo(f"portal      {address}/  (API under {address}/api/v1, docs {address}/api/v1/docs)")
    click.echo("logins      role            user                  password")
    for login in logins:
        click.echo(f"            {login.role.value:15s} {login.username:21s} {login.password}")
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    threading.Thread(
        target=_watch, args=(server, address, serve_for), name="demo-watch", daemon=True
    ).start()
    until = "until Ctrl-C" if serve_for is None else f"for {serve_for:g}s"
    click.echo(f"serving     {until}")
    server.run(sockets=[sock])
    click.echo("stopped")


def _bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or on a free port if that one is taken.

    Raises:
        ConfigurationError: if ``host`` cannot be bound at all.
    """
    for candidate in dict.fromkeys((port, 0)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as exc:
            sock.close()
            if candidate == 0:
                raise ConfigurationError(f"cannot listen on {host}: {exc}") from exc
            click.echo(f"note        port {port} is taken; using a free port")
            continue
        sock.listen(128)
        return sock
    raise ConfigurationError(f"cannot listen on {host}")  # unreachable: port 0 always binds


def _watch(server: object, address: str, serve_for: float | None) -> None:
    """Once the server is up, fetch the front page and print its status; then, with
    ``serve_for``, ask the server to stop after that many seconds."""
    started = time.monotonic()
    while not getattr(server, "started", False):
        if time.monotonic() - started > 60:
            click.echo("check       the server did not start within 60s", err=True)
            return
        time.sleep(0.05)
    try:
        with urllib.request.urlopen(f"{address}/", timeout=30) as response:
            click.echo(
                f"check       GET {address}/ -> {response.status} ({len(response.read()):,} bytes)"
            )
    except OSError as exc:
        click.echo(f"check       GET {address}/ failed: {exc}", err=True)
    if serve_for is not None:
        time.sleep(max(0.0, serve_for - (time.monotonic() - started)))
        server.should_exit = True  # type: ignore[attr-defined]

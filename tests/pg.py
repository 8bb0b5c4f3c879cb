"""A throwaway PostgreSQL 15 cluster for tests and benchmarks: ``initdb`` + ``pg_ctl`` in a
temp dir, on a free localhost port, durable (``fsync=on``), removed at the end.

``initdb`` and ``postgres`` refuse to run as root, so as root they run as the ``postgres``
system user (``runuser -u postgres --``) on a temp dir that user owns; otherwise they run as
the current user. Where the binaries (or, as root, ``runuser`` / the ``postgres`` user) are
absent, :func:`throwaway_cluster` raises :class:`ClusterUnavailableError` with the reason, and
the ``pg_cluster`` fixture turns that into a skip.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

__all__ = [
    "ClusterUnavailableError",
    "PgCluster",
    "find_binaries",
    "pg_cluster",
    "throwaway_cluster",
]

_VERSION = "15"
_DEFAULT_BIN = Path(f"/usr/lib/postgresql/{_VERSION}/bin")


class ClusterUnavailableError(Exception):
    """A throwaway cluster cannot be started here; the message says why."""


@dataclass
class PgCluster:
    """A running throwaway cluster reachable on ``127.0.0.1:port`` as ``postgres`` (trust)."""

    port: int
    directory: Path
    _names: Iterator[int] = field(default_factory=itertools.count)

    def url(self, database: str = "postgres") -> str:
        """The ``postgresql://`` URL of ``database`` on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """Create a new empty database and return its URL."""
        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def find_binaries() -> Path | None:
    """The directory holding PostgreSQL 15's ``initdb`` and ``pg_ctl``, or None."""
    if (_DEFAULT_BIN / "initdb").is_file():
        return _DEFAULT_BIN
    try:
        listing = subprocess.run(
            ["dpkg", "-L", f"postgresql-{_VERSION}"], capture_output=True, text=True, check=False
        ).stdout
    except OSError:
        return None
    for line in listing.splitlines():
        if line.endswith("/bin/initdb"):
            return Path(line).parent
    return None


def _free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _runner() -> list[str]:
    """The prefix that runs a server binary as a user it accepts (never root)."""
    if os.geteuid() != 0:
        return []
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ClusterUnavailableError("running as root and `runuser` is not installed")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise ClusterUnavailableError("running as root and there is no `postgres` user") from None
    return [runuser, "-u", "postgres", "--"]


@contextmanager
def throwaway_cluster() -> Iterator[PgCluster]:
    """Start a fresh cluster; stop it and delete its files on exit.

    Raises:
        ClusterUnavailableError: if the PostgreSQL 15 binaries, or the means to run them as a
            non-root user, are absent.
        RuntimeError: if ``initdb`` or ``pg_ctl start`` fails (with its output).
    """
    bin_dir = find_binaries()
    if bin_dir is None:
        raise ClusterUnavailableError(
            f"PostgreSQL {_VERSION} server binaries not found (no {_DEFAULT_BIN}/initdb and "
            f"no postgresql-{_VERSION} package); install postgresql-{_VERSION}"
        )
    prefix = _runner()
    directory = Path(tempfile.mkdtemp(prefix="socialcredit-pg-"))
    if prefix:
        shutil.chown(directory, "postgres", "postgres")
    data, log = directory / "data", directory / "server.log"

    def run(*args: str) -> None:
        # cwd: the postgres user may not be allowed into the caller's working directory.
        done = subprocess.run(
            [*prefix, *args], cwd=directory, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}{server_log}")

    started = False
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-instructions")  # fmt: skip
        port = _free_port()
        options = (
            f"-c port={port} -c listen_addresses=127.0.0.1 -c fsync=on "
            f"-c unix_socket_directories={directory} -c max_connections=50"
        )
        run(str(bin_dir / "pg_ctl"), "start", "-w", "-D", str(data), "-l", str(log), "-o", options)
        started = True
        yield PgCluster(port, directory)
    finally:
        if started:
            # Immediate: the files are deleted next, so the shutdown checkpoint (flushing
            # every test database) would be wasted work.
            run(str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate", "-w")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """One throwaway cluster for the test session; skips (with the reason) where unavailable."""
    try:
        cluster = throwaway_cluster()
        running = cluster.__enter__()
    except ClusterUnavailableError as exc:
        pytest.skip(f"no throwaway PostgreSQL cluster: {exc}")
    try:
        yield running
    finally:
        cluster.__exit__(None, None, None)

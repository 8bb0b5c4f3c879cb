"""Witness commands: ``witness init``, ``witness cosign`` and ``witness show``.

The witness lives in its own directory (its key and its store) and reads nothing from the
ledger but the latest signed checkpoint and a consistency proof. ``witness cosign`` exits 1,
naming the reason, when the ledger was rolled back or forked since the witness last cosigned;
``verify --witness-dir`` then checks the ledger against what the witness cosigned last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from socialcredit.ledger import public_key_text

from ..errors import Problem, ValidationError
from ..ledger import SignedCheckpoint
from ..system import System
from ..timeutil import format_time
from ..witness import Witness
from ._main import StorelessCommand, cli, emit_json, settings_of

_DIR = click.option(
    "--dir",
    "directory",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The witness's directory (its key and its store).",
)


@cli.group()
def witness() -> None:
    """An independent witness: cosign the ledger's checkpoints, refuse rollbacks and forks."""


@witness.command("init", cls=StorelessCommand)
@_DIR
@click.option("--name", help="The witness's name in its cosignatures (default: from its key).")
def init_command(directory: Path, name: str | None) -> None:
    """Create a witness in DIR: a new Ed25519 key (mode 0600) and an empty store."""
    created = Witness.create(directory, name)
    try:
        click.echo(f"created witness {created.name} in {directory}")
        click.echo(f"witness public key: {public_key_text(created.public_key)}")
    finally:
        created.close()


@witness.command()
@_DIR
@click.option(
    "--log-key",
    help="The ledger's public key (base64), pinned. Default: the signing key file's, else the "
    "store's own copy, trusted on first use (and recorded so).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the cosigned checkpoint as JSON.")
@click.pass_context
def cosign(ctx: click.Context, directory: Path, log_key: str | None, as_json: bool) -> None:
    """Cosign the ledger's latest checkpoint if it extends the one cosigned last.

    Exit status 1, with the reason, on a rollback, a fork, a changed log key, a bad
    signature or a checkpoint timed in the future.
    """
    with System.open(settings_of(ctx), write=False) as system:
        cosigned, count = system.cosign(directory, log_key)
    origin = cosigned.checkpoint.checkpoint.origin
    if as_json:
        emit_json(cosigned.to_json())
        return
    click.echo(
        f"cosigned {origin} at size {cosigned.size}, root {cosigned.root.hex()} "
        f"({count} checkpoints cosigned)"
    )


@witness.command(cls=StorelessCommand)
@_DIR
@click.option("--json", "as_json", is_flag=True, help="Print everything as JSON.")
def show(directory: Path, as_json: bool) -> None:
    """Show the witness: its key, the logs it met, what it cosigned last and what it refused."""
    opened = Witness.open(directory)
    try:
        summary = _summary(opened)
    finally:
        opened.close()
    if as_json:
        emit_json(summary)
        return
    click.echo(f"witness {summary['name']}")
    click.echo(f"public key: {summary['public_key']}")
    for log in summary["logs"]:
        _echo_log(log)


def _summary(opened: Witness) -> dict[str, Any]:
    logs = []
    for log in opened.store.logs():
        latest = opened.store.latest(log.origin)
        logs.append(
            {
                "origin": log.origin,
                "public_key": log.public_key,
                "trust": log.trust,
                "first_seen": format_time(log.first_seen_s * 1_000_000),
                "first_size": log.first_size,
                "cosigned": opened.store.count(log.origin),
                "latest": None if latest is None else latest.to_json(),
                "refused": [
                    {
                        "time": format_time(r.time_s * 1_000_000),
                        "reason": r.reason,
                        "message": r.message,
                        "checkpoint": r.checkpoint.to_json(),
                    }
                    for r in opened.store.refusals(log.origin)
                ],
            }
        )
    return {
        "name": opened.name,
        "public_key": public_key_text(opened.public_key),
        "directory": str(opened.directory),
        "logs": logs,
    }


def _echo_log(log: dict[str, Any]) -> None:
    trust = "trusted on first use" if log["trust"] == "first-use" else "pinned"
    click.echo(f"log {log['origin']}")
    click.echo(
        f"  log key:  {log['public_key']} ({trust} {log['first_seen']}, size {log['first_size']})"
    )
    latest = log["latest"]
    if latest is not None:
        checkpoint = latest["checkpoint"]
        click.echo(
            f"  cosigned: {log['cosigned']} checkpoints; latest size {checkpoint['size']}, "
            f"root {checkpoint['root']}, log time {checkpoint['time']}"
        )
    for refused in log["refused"]:
        click.echo(f"  refused:  {refused['time']} {refused['reason']}: {refused['message']}")


def witnessed_checkpoint(
    system: System,
    directory: Path | None,
    witness_key: str | None,
    kept: SignedCheckpoint | None,
) -> SignedCheckpoint | None:
    """The checkpoint ``verify`` must find in the ledger: the one the witness in
    ``directory`` cosigned last (its cosignature checked under ``witness_key``), else
    ``kept`` (``--witness FILE``).

    Raises:
        ValidationError: if ``--witness-key`` comes without ``--witness-dir``, or both
            ``--witness`` and ``--witness-dir`` are given.
        NotFoundError: if the witness never cosigned this ledger.
        IntegrityError: if the cosignature does not verify.
    """
    if directory is None:
        if witness_key:
            raise ValidationError("bad options", [Problem("--witness-key", "needs --witness-dir")])
        return kept
    if kept is not None:
        raise ValidationError(
            "bad options", [Problem("--witness-dir", "give --witness or --witness-dir, not both")]
        )
    checkpoint, source = system.witnessed_checkpoint(directory, witness_key)
    if not witness_key:
        click.echo(
            f"warning: no --witness-key; trusting the witness key that {source} names", err=True
        )
    return checkpoint

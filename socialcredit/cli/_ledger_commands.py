"""Ledger commands: init, ingest, verify, checkpoint, prove, consistency, check-proof."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from socialcredit.ledger import public_key_from_text

from ..catalogue import Source
from ..errors import IntegrityError, Problem, ValidationError
from ..ingest import FORMATS, BatchAck, IngestSummary, estimate_rows
from ..ledger import SignedCheckpoint
from ..system import System, operator
from ..witness import COSIGNED_V1, CosignedCheckpoint
from ._main import StorelessCommand, cli, emit_json, settings_of
from ._reads import with_read
from ._witness_commands import witnessed_checkpoint


@cli.command()
@click.option("--origin", help="A name for this ledger, written into every checkpoint.")
@click.pass_context
def init(ctx: click.Context, origin: str | None) -> None:
    """Create an empty ledger in the store, and its signing key if there is none."""
    settings = settings_of(ctx)
    with System.create(settings, origin) as system:
        state = system.ledger_state()
    click.echo(f"created ledger {state.origin} in {settings.store}")
    click.echo(f"signing key: {settings.signing_key_path()}")
    click.echo(f"public key:  {state.public_key}")


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the suffix.")
@click.option("--batch-size", default=10_000, show_default=True, type=click.IntRange(1))
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where refused rows go. Default: FILE.rejects.jsonl",
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "bar", "lines", "none"]),
    default="auto",
    show_default=True,
    help="'lines' prints one line per durable batch.",
)
@click.option(
    "--source",
    envvar="SOCIALCREDIT_SOURCE",
    show_envvar=True,
    help="The registered source filing FILE, '<authority kind>:<name>' (e.g. "
    "court:beijing-chaoyang): every row is filed under it, and a row whose source column "
    "names another is refused (the column may be absent or repeat it). Without it each row's "
    "source column says who files (an operator's import of a multi-source file).",
)
@click.option(
    "--authority",
    help="The source's authority kind (e.g. court); checked against the one --source carries.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def ingest(
    ctx: click.Context,
    file: Path,
    fmt: str | None,
    batch_size: int,
    rejects: Path | None,
    progress: str,
    source: str | None,
    authority: str | None,
    as_json: bool,
) -> None:
    """Ingest records from FILE (CSV, JSON Lines or Parquet) into the ledger.

    Accepted rows are committed batch by batch; refused rows go to the rejects file with
    every reason. Every row's source must be one whose authority kind may establish its kind,
    and its evidence a reference of that authority kind's form. Exit status 0 even when rows
    are refused (see the summary); 2, with nothing ingested, when the file's header lacks a
    required column or --source/--authority is not a registrable source.
    """
    filer = _filer(source, authority)
    with System.open(settings_of(ctx), write=True) as system:
        mode = progress if progress != "auto" else ("bar" if sys.stderr.isatty() else "none")
        total = estimate_rows(file, fmt) if mode == "bar" else 0
        with _Progress(mode, total) as report:
            summary = system.ingest_file(
                file,
                fmt=fmt,
                batch_size=batch_size,
                rejects=rejects,
                on_batch=report,
                source=filer,
            )
    _print_summary(summary, as_json)


def _filer(source: str | None, authority: str | None) -> Source | None:
    """The configured source, or None (each row names its own).

    Raises:
        ValidationError: naming ``source`` or ``authority`` (exit 2).
    """
    if source is None:
        if authority is not None:
            reason = "--authority needs --source (the source it is the authority kind of)"
            raise ValidationError("bad source", [Problem("authority", reason)])
        return None
    return Source.named(source, authority)


class _Progress:
    """A progress bar on a terminal, or one line per durable batch."""

    def __init__(self, mode: str, total: int) -> None:
        self.mode = mode
        self.rows = 0
        self._bar: Any = (
            click.progressbar(length=max(total, 1), label="ingest", file=sys.stderr)
            if mode == "bar"
            else None
        )

    def __call__(self, ack: BatchAck) -> None:
        done = ack.last_row - self.rows
        self.rows = ack.last_row
        if self._bar is not None:
            self._bar.update(done)
        elif self.mode == "lines":
            last = ack.results[-1].position if ack.results else None
            click.echo(f"durable batch={ack.batch} rows_to={ack.last_row} last_position={last}")
            sys.stdout.flush()

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _print_summary(summary: IngestSummary, as_json: bool) -> None:
    if as_json:
        emit_json(summary.as_dict())
        return
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    click.echo(
        f"rows {summary.rows}: accepted {summary.accepted}, "
        f"duplicates {summary.duplicates}, refused {summary.refused} "
        f"in {summary.seconds:.2f}s ({rate:,.0f} rows/s)"
    )
    if summary.refused:
        click.echo(f"refused rows written to {summary.rejects_path}")
        for reason, count in sorted(summary.refusal_reasons.items(), key=lambda kv: -kv[1])[:5]:
            click.echo(f"  {count} x {reason}")


@cli.command()
@click.option(
    "--public-key",
    help="Pinned Ed25519 public key (base64). "
    "Default: the signing key file's, else the store's own copy (with a warning).",
)
@click.option(
    "--witness",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint JSON kept from earlier, or a cosigned one as the server publishes it "
    "(GET /api/v1/ledger/cosigned); the ledger must still contain it.",
)
@click.option(
    "--witness-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A witness's directory (`socialcredit witness`); the ledger must contain the "
    "checkpoint it cosigned last.",
)
@click.option(
    "--witness-key",
    help="The witness's public key (base64), pinned. Default: the one its store names "
    "(with a warning).",
)
@click.option(
    "--index",
    "check_index",
    is_flag=True,
    help="Also check the per-subject index (what single-subject reads and decisions use) "
    "against the entries themselves: one more pass that decodes every entry.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def verify(
    ctx: click.Context,
    public_key: str | None,
    witness: Path | None,
    witness_dir: Path | None,
    witness_key: str | None,
    check_index: bool,
    as_json: bool,
) -> None:
    """Recompute every hash from the stored entries and check every signed checkpoint.

    Exit status 1 on any failure, with the first bad position.
    """
    with System.open(settings_of(ctx), write=False) as system:
        pinned = system.pinned_key(public_key)
        if pinned.from_store:
            click.echo(
                "warning: no independent public key; trusting the store's own copy", err=True
            )
        kept = _kept_checkpoint(_read_json(witness), witness_key) if witness else None
        kept = witnessed_checkpoint(system, witness_dir, witness_key, kept)
        report = system.verify_against(pinned, checkpoint=kept, check_index=check_index)
    result = {**report.to_json(), "public_key_source": pinned.source}
    if as_json:
        emit_json(result)
    elif report.ok:
        rate = report.size / report.seconds if report.seconds else 0.0
        click.echo(
            f"ok: {report.size} entries, {report.checkpoints_checked} checkpoints, "
            f"root {result['root']} ({report.seconds:.2f}s, {rate:,.0f} entries/s)"
        )
    else:
        click.echo(f"FAILED: first bad position {report.first_bad_position}")
        for problem in report.problems[:20]:
            click.echo(f"  {problem}")
    if not report.ok:
        raise IntegrityError(
            "verification failed", {"first_bad_position": report.first_bad_position}
        )


@cli.command()
@click.option("--new", "sign_new", is_flag=True, help="Sign a fresh checkpoint (needs the key).")
@click.pass_context
def checkpoint(ctx: click.Context, sign_new: bool) -> None:
    """Print the latest signed checkpoint as JSON (keep it: it is a witness for `verify`)."""
    with System.open(settings_of(ctx), write=sign_new) as system:
        signed = system.sign_checkpoint() if sign_new else system.latest_checkpoint()
        emit_json({**signed.to_json(), "public_key": system.public_key_text()})


@cli.command()
@click.argument("entry", type=click.IntRange(0))
@click.option("--size", type=click.IntRange(0), help="A checkpointed tree size (default: latest).")
@with_read(purpose_help="With it, the proof carries the entry itself (a logged read of its "
           "subject's file); without, the leaf hash only.")  # fmt: skip
@click.pass_context
def prove(
    ctx: click.Context, entry: int, size: int | None, purpose: str | None, reader: str
) -> None:
    """Print the inclusion proof of ENTRY (its position) as JSON."""
    with System.open(settings_of(ctx), write=purpose is not None) as system:
        emit_json(system.inclusion_proof(operator(reader), entry, size, purpose))


@cli.command()
@click.argument("old_size", type=click.IntRange(0))
@click.argument("new_size", type=click.IntRange(0), required=False)
@click.pass_context
def consistency(ctx: click.Context, old_size: int, new_size: int | None) -> None:
    """Print the consistency proof between two checkpointed sizes as JSON."""
    with System.open(settings_of(ctx), write=False) as system:
        emit_json(system.consistency_proof(old_size, new_size))


@cli.command("check-proof", cls=StorelessCommand)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--public-key", required=True, help="The ledger's Ed25519 public key (base64).")
def check_proof(file: Path, public_key: str) -> None:
    """Check an inclusion or consistency proof FILE offline, with only the public key."""
    document = _read_json(file)
    kind = document.get("version")
    result = System.check_proof(document, public_key)
    if not result.ok:
        raise IntegrityError("proof does not verify: " + "; ".join(result.problems))
    click.echo(f"ok: {kind} verifies")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise ValidationError("cannot read JSON", [Problem(str(path), str(exc))]) from exc
    if not isinstance(data, dict):
        raise ValidationError("cannot read JSON", [Problem(str(path), "expected an object")])
    return data


def _kept_checkpoint(document: Any, witness_key: str | None) -> SignedCheckpoint:
    """The checkpoint of a kept document: a signed checkpoint, or a witness's cosigned one
    (``CosignedCheckpointV1``, whose cosignature must verify under ``witness_key`` if given).

    Raises:
        ValidationError: if the document is malformed or the cosignature does not verify.
    """
    if not (isinstance(document, dict) and document.get("version") == COSIGNED_V1):
        return SignedCheckpoint.from_json(document)
    cosigned = CosignedCheckpoint.from_json(document)
    if witness_key and not cosigned.is_cosigned_by(public_key_from_text(witness_key)):
        reason = "its cosignature does not verify under --witness-key"
        raise ValidationError("bad witness", [Problem("--witness", reason)])
    return cosigned.checkpoint

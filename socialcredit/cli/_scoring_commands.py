"""Scoring commands: score, explain, rescore, history."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from socialcredit.rights import required_purpose

from ..errors import Problem, ValidationError
from ..scoring import Explanation
from ..system import System, operator
from ._args import parse_moment, parse_subject, parse_times, with_times
from ._main import by_grade, cli, emit_json, settings_of
from ._reads import with_read

_JSON_HELP = "Print the result as JSON."


@cli.command("score")
@click.argument("subject")
@with_times
@with_read()
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@click.pass_context
def score_command(
    ctx: click.Context,
    subject: str,
    as_of: str | None,
    known_at: str | None,
    purpose: str | None,
    reader: str,
    as_json: bool,
) -> None:
    """The score, per dimension and in total, and the grade of SUBJECT (a logged read)."""
    when, known = parse_times(as_of, known_at)
    who = parse_subject(subject)  # refuse a bad subject before opening anything
    with System.open(settings_of(ctx)) as system:
        purpose = required_purpose(purpose, "--purpose")
        result = system.score(operator(reader), who, as_of=when, known_at=known, purpose=purpose)
    if as_json:
        emit_json(result.to_json())
        return
    click.echo(
        f"{result.subject_kind} {result.subject_id}: {result.total} ({result.grade}) "
        f"as of {when:%Y-%m-%d}, policy revision {result.revision}"
    )
    for dimension, points in sorted(result.dimensions.items()):
        if points:
            click.echo(f"  {dimension:16s} {points:+d}")
    for scheme, grade in result.sector_grades.items():
        click.echo(f"  sector grade {scheme}: {grade}")


@cli.command("explain")
@click.argument("subject")
@with_times
@with_read()
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@click.pass_context
def explain_command(
    ctx: click.Context,
    subject: str,
    as_of: str | None,
    known_at: str | None,
    purpose: str | None,
    reader: str,
    as_json: bool,
) -> None:
    """Every record's contribution, the top reasons for the grade, and the way up (a logged
    read)."""
    when, known = parse_times(as_of, known_at)
    who = parse_subject(subject)  # refuse a bad subject before opening anything
    with System.open(settings_of(ctx)) as system:
        purpose = required_purpose(purpose, "--purpose")
        found = system.explain(operator(reader), who, as_of=when, known_at=known, purpose=purpose)
        statements = system.statements_about(who, known)  # they travel with the record
    if as_json:
        emit_json(
            found.to_json()
            | {"statements": {str(p): [s.to_json() for s in ss] for p, ss in statements.items()}}
        )
        return
    result = found.result
    click.echo(f"{result.subject_id}: {result.total} ({result.grade})")
    for c in result.contributions:
        click.echo(f"  entry {c.position:>8}  {c.points:+5d}  {c.reason}")
        for said in statements.get(c.position, ()):
            click.echo(f"  {'':>14}  the subject's statement: {said.text}")
    _print_recourse(found)


def _print_recourse(found: Explanation) -> None:
    """The top reasons for the grade in words, the points to the next grade, and the
    expiry schedule."""
    if found.top_reasons:
        click.echo("top reasons:")
        for rank, c in enumerate(found.top_reasons, 1):
            click.echo(f"  {rank}. {c.reason} (entry {c.position})")
    else:
        click.echo("top reasons: none (no record counts against the grade)")
    if found.result.features:
        click.echo("reason codes (binned rules that cost points):" if found.top_bins else
                   "reason codes: none (no binned rule costs points)")  # fmt: skip
    for rank, f in enumerate(found.top_bins, 1):
        click.echo(f"  {rank}. {f.feature} = {f.count}: {f.points:+d} {f.dimension}")
    if found.next_grade:
        click.echo(f"to reach {found.next_grade}: {found.points_to_next_grade} points")
    if found.expiries:
        click.echo("as negative records expire (if nothing new is recorded):")
    for step in found.expiries:
        click.echo(f"  from {step.at:%Y-%m-%d}: {step.total} ({step.grade})")


@cli.command("rescore")
@with_times
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="The batch evaluator (identical results).",
)
@click.option(
    "--master",
    default="local[2]",
    show_default=True,
    metavar="URL",
    help="The Spark master, with --engine spark.",
)
@click.option("--json", "as_json", is_flag=True, help="Every subject's total and grade.")
@click.pass_context
def rescore_command(
    ctx: click.Context,
    as_of: str | None,
    known_at: str | None,
    engine: str,
    master: str,
    as_json: bool,
) -> None:
    """Score every subject at once (batch: DuckDB, or Spark) and print the grade distribution."""
    when, known = parse_times(as_of, known_at)
    with System.open(settings_of(ctx), write=False) as system:
        done = system.rescore(as_of=when, known_at=known, engine=engine, master=master)
    if as_json:
        emit_json(
            {
                "as_of": when.isoformat(),
                "policy_revision": done.revision,
                "scores": done.table.to_pylist(),
            }
        )
        return
    click.echo(
        f"{done.table.num_rows} subjects scored as of {when:%Y-%m-%d} "
        f"(policy revision {done.revision})"
    )
    for grade, count in by_grade(done.grades()):
        click.echo(f"  {grade:4s} {count}")


@cli.command("history")
@click.argument("subject")
@click.option("--from", "start", metavar="DATE", required=True, help="The first point.")
@click.option("--to", "end", metavar="DATE", help="The last point at most (default: now).")
@click.option(
    "--every-days",
    default=30,
    show_default=True,
    type=click.IntRange(1),
    help="Days between points (at least 1).",
)
@with_read()
@click.option("--json", "as_json", is_flag=True, help="Print the points as JSON.")
@click.pass_context
def history_command(
    ctx: click.Context,
    subject: str,
    start: str,
    end: str | None,
    every_days: int,
    purpose: str | None,
    reader: str,
    as_json: bool,
) -> None:
    """SUBJECT's score over time, each point as known on its date (a logged read)."""
    first, last = _time_range(start, end)
    who = parse_subject(subject)  # refuse a bad subject before opening anything
    with System.open(settings_of(ctx)) as system:
        purpose = required_purpose(purpose, "--purpose")
        points = system.history(
            operator(reader),
            who,
            start=first,
            end=last,
            every=timedelta(days=every_days),
            purpose=purpose,
            max_points=None,
        )
    if as_json:
        emit_json(
            [{"as_of": p.as_of.isoformat(), "total": p.total, "grade": p.grade} for p in points]
        )
        return
    for p in points:
        click.echo(f"{p.as_of:%Y-%m-%d}  {p.total:5d}  {p.grade}")


def _time_range(start: str, end: str | None) -> tuple[datetime, datetime]:
    """``--from`` and ``--to`` (default now), in order.

    Raises:
        ValidationError: naming --to if it is before --from.
    """
    first, last = parse_moment(start, "--from"), parse_moment(end, "--to")
    if last < first:
        reason = f"{end or 'now'} is before --from {start}; give --to on or after it"
        raise ValidationError("bad time range", [Problem("--to", reason)])
    return first, last

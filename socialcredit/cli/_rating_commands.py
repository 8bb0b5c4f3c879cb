"""CLI commands for public ratings: rating-interaction record, rating-token issue, rate, ratings,
rating reply/dispute/assess.

Thin over the application object (:class:`socialcredit.system.System`): parse, call one use
case as the operator, print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ..system import System, operator
from ._args import ISSUER, POSITION, parse_moment
from ._main import cli, emit_json, settings_of

if TYPE_CHECKING:
    from ..ratings import PublicRating, RateeView

_STAR = click.IntRange(1, 5)
#: Who the command line acts as (every rating command is the operator's).
_OPERATOR = operator("operator")


@cli.group("rating-interaction")
def rating_interaction_group() -> None:
    """Interaction records (e-invoices, payment records) naming buyer and seller."""


@rating_interaction_group.command("record")
@click.argument("buyer")
@click.argument("seller")
@click.option(
    "--source",
    required=True,
    help="The filing source, <authority kind>:<name> (tax_authority or payment_institution).",
)
@click.option("--reference", required=True, help="The source's e-invoice or payment number.")
@click.pass_context
def interaction_command(
    ctx: click.Context, buyer: str, seller: str, source: str, reference: str
) -> None:
    """Record one interaction: BUYER (resident id) bought from SELLER (USCC, or
    RESIDENT_ID:ROLE). A token against it (--issuer record:N) makes BUYER a trust seed."""
    with System.open(settings_of(ctx)) as system:
        position = system.record_interaction(_OPERATOR, buyer, seller, reference, source=source)
    click.echo(
        f"interaction recorded at entry {position}; issue its token with --issuer record:{position}"
    )


@cli.group("rating-token")
def rating_token_group() -> None:
    """Single-use rating tokens for verified interactions."""


@rating_token_group.command("issue")
@click.argument("rater")
@click.argument("ratee")
@click.option(
    "--issuer",
    required=True,
    type=ISSUER,
    help="The ratee itself (USCC or RESIDENT_ID:ROLE), or record:N of an interaction record.",
)
@click.option("--interaction", required=True, help="The issuer's reference of the interaction.")
@click.option("--json", "as_json", is_flag=True, help="Print the token as JSON.")
@click.pass_context
def issue_command(
    ctx: click.Context, rater: str, ratee: str, issuer: str, interaction: str, as_json: bool
) -> None:
    """Issue a token for RATER to rate RATEE (USCC, or RESIDENT_ID:ROLE) once."""
    with System.open(settings_of(ctx)) as system:
        issued = system.issue_rating_token(_OPERATOR, issuer, rater, ratee, interaction)
    if as_json:
        emit_json(
            {
                "token": issued.token,
                "token_id": issued.token_id,
                "position": issued.position,
                "expires_at": issued.expires_at.isoformat(),
            }
        )
        return
    click.echo(f"{issued.token}  (entry {issued.position}, expires {issued.expires_at:%Y-%m-%d})")


@cli.command("rate")
@click.argument("token")
@click.option("--rater", required=True, help="Your resident id (the token is bound to it).")
@click.option("--ratee", required=True, help="USCC, or RESIDENT_ID:ROLE for a professional.")
@click.option("--integrity", required=True, type=_STAR)
@click.option("--professionalism", required=True, type=_STAR)
@click.option("--service", required=True, type=_STAR)
@click.option("--text", default=None, help="An optional short text (at most 500 characters).")
@click.pass_context
def rate_command(
    ctx: click.Context,
    token: str,
    rater: str,
    ratee: str,
    integrity: int,
    professionalism: int,
    service: int,
    text: str | None,
) -> None:
    """Rate with TOKEN: 1-5 stars on integrity, professionalism and service."""
    stars = {"integrity": integrity, "professionalism": professionalism, "service": service}
    with System.open(settings_of(ctx)) as system:
        position = system.rate(_OPERATOR, token, ratee, stars, text, rater=rater)
    click.echo(f"rating recorded at entry {position}")


@cli.command("ratings")
@click.argument("ratee")
@click.option("--at", "at", metavar="DATE", help="As of this time (default: now).")
@click.option("--json", "as_json", is_flag=True, help="Print the rating page as JSON.")
@click.pass_context
def ratings_command(ctx: click.Context, ratee: str, at: str | None, as_json: bool) -> None:
    """RATEE's public rating: score, credible interval, evidence, and each shown rating."""
    when = parse_moment(at, "--at")
    with System.open(settings_of(ctx), write=False) as system:
        view = system.ratee_view(ratee, when)
    if as_json:
        emit_json(_view_json(view))
        return
    a = view.aggregate
    evidence = "  LOW EVIDENCE" if a.low_evidence else ""
    click.echo(
        f"{view.ratee}: {a.score:.2f} stars ({a.low:.2f}-{a.high:.2f}), "
        f"{_count(a.count, 'counted rating')}{evidence}"
    )
    for dimension, (score, low, high) in a.per_dimension.items():
        click.echo(f"  {dimension:16s} {score:.2f} ({low:.2f}-{high:.2f})")
    for r in view.ratings:
        _echo_rating(r)
    if view.sealed:
        click.echo(
            f"  {_count(view.sealed, 'rating')} sealed until both sides have rated or the "
            "window ends"
        )


_STATUS = {
    "counted": "counted",
    "repeat": "not counted: a repeat by the same rater in one period",
    "burst": "not counted: part of a suspicious burst",
    "ring": "not counted: from a suspected rating ring",
    "shift": "not counted: part of a sustained shift by new or low-trust raters",
}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _echo_rating(r: PublicRating) -> None:
    """One shown rating: masked rater, stars, status, text, reply and disputes, in words."""
    stars = ", ".join(f"{d} {v}" for d, v in r.stars.items())
    status = _STATUS.get(r.status, r.status)
    click.echo(f"  #{r.position} {r.at:%Y-%m-%d} by {r.rater}: {stars} ({status})")
    if r.text:
        click.echo(f"      text: {r.text}")
    if r.reply:
        click.echo(f"      reply: {r.reply}")
    for opened in r.disputes:
        click.echo(f"      disputed: dispute {opened} (see `socialcredit dispute queue`)")


def _view_json(view: RateeView) -> dict[str, Any]:
    a = view.aggregate
    return {
        "ratee": view.ratee,
        "score": a.score,
        "low": a.low,
        "high": a.high,
        "count": a.count,
        "effective": a.effective,
        "low_evidence": a.low_evidence,
        "per_dimension": {d: list(v) for d, v in a.per_dimension.items()},
        "sealed": view.sealed,
        "ratings": [
            {
                "position": r.position,
                "at": r.at.isoformat(),
                "rater": r.rater,
                "stars": r.stars,
                "text": r.text,
                "status": r.status,
                "reply": r.reply,
                "disputed": r.disputed,
                "disputes": list(r.disputes),
            }
            for r in view.ratings
        ],
    }


@cli.group("rating")
def rating_group() -> None:
    """The rated party's reply to, or dispute of, a rating."""


@rating_group.command("reply")
@click.argument("position", type=POSITION)
@click.option("--ratee", required=True, help="The rated party (only it may reply).")
@click.option("--text", required=True, help="The reply (public).")
@click.pass_context
def reply_command(ctx: click.Context, position: int, ratee: str, text: str) -> None:
    """Post the one public reply to the rating at entry POSITION."""
    with System.open(settings_of(ctx)) as system:
        done = system.reply_to_rating(_OPERATOR, position, ratee, text)
    click.echo(f"reply recorded at entry {done}")


@rating_group.command("dispute")
@click.argument("position", type=POSITION)
@click.option("--ratee", required=True, help="The rated party (only it may dispute).")
@click.option("--reason", required=True, help="The grounds of the dispute.")
@click.pass_context
def dispute_command(ctx: click.Context, position: int, ratee: str, reason: str) -> None:
    """Dispute the rating at entry POSITION (the same dispute process as for records)."""
    with System.open(settings_of(ctx)) as system:
        done = system.dispute_rating(_OPERATOR, position, ratee, reason)
    click.echo(f"dispute {done} opened (see `socialcredit dispute`)")


@rating_group.command("assess")
@click.option("--at", "at", metavar="DATE", help="Assess as of this time (default: now).")
@click.pass_context
def assess_command(ctx: click.Context, at: str | None) -> None:
    """File each organisation's rating assessment (superseding its previous one), so that the
    policy's public_rating rules turn public opinion into points."""
    when = parse_moment(at, "--at") if at else None
    with System.open(settings_of(ctx)) as system:
        done = system.assess_ratings(when)
    click.echo(
        f"assessed as of {done.at:%Y-%m-%d %H:%M}Z: {done.filed} filed, "
        f"{done.withdrawn} superseded, {done.unchanged} unchanged"
    )

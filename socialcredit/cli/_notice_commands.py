"""CLI commands for notices: queue them, deliver them by e-mail, list them, and register a
subject's address (``socialcredit notices ...``)."""

from __future__ import annotations

import os

import click

from socialcredit.notices import LANGUAGE_TAGS

from ..notices import KINDS, RetryPolicy, SmtpSettings, render
from ..rights import PURPOSES
from ..system import System, operator
from ._args import parse_subject
from ._main import cli, emit_json, settings_of

#: Who a command acts as where no option names anyone (the "who did this" is not recorded).
_OPERATOR = operator("operator")


@cli.group("notices")
def notices() -> None:
    """Notices to subjects: the outbox in the ledger, and delivery by e-mail."""


def _system(ctx: click.Context, *, write: bool = True) -> System:
    return System.open(settings_of(ctx), write=write)


@notices.command("queue")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(KINDS), help="Only this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def queue_command(ctx: click.Context, kinds: tuple[str, ...], as_json: bool) -> None:
    """Put every notice the rules require into the outbox (once per trigger; idempotent)."""
    with _system(ctx) as system:
        report = system.queue_notices(kinds or None)
    if as_json:
        emit_json(report.to_json())
        return
    click.echo(f"queued {len(report.queued)} notices ({report.already} were already queued)")
    for key, reason in report.skipped:
        click.echo(f"  skipped {key}: {reason}")


@notices.command("deliver")
@click.option(
    "--smtp-host", default="127.0.0.1", show_default=True, envvar="SOCIALCREDIT_SMTP_HOST",
    help="SMTP server [env SOCIALCREDIT_SMTP_HOST].",
)  # fmt: skip
@click.option(
    "--smtp-port", default=25, show_default=True, type=int, envvar="SOCIALCREDIT_SMTP_PORT",
    help="SMTP port [env SOCIALCREDIT_SMTP_PORT].",
)  # fmt: skip
@click.option(
    "--sender", default="notices@socialcredit.invalid", show_default=True,
    envvar="SOCIALCREDIT_SMTP_SENDER", help="From address [env SOCIALCREDIT_SMTP_SENDER].",
)  # fmt: skip
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS.")
@click.option(
    "--smtp-user", envvar="SOCIALCREDIT_SMTP_USER", help="Log in as [env SOCIALCREDIT_SMTP_USER]."
)
@click.option(
    "--backoff", default=60.0, show_default=True, help="Seconds before the first retry (doubling)."
)
@click.option(
    "--max-attempts",
    default=8,
    show_default=True,
    help="Give a permanent refusal up after this many.",
)
@click.option("--limit", type=int, help="Send at most this many in a pass.")
@click.option("--connections", default=1, show_default=True, help="SMTP connections used at once.")
@click.option(
    "--watch", type=float, metavar="SECONDS", help="Keep delivering, a pass every SECONDS."
)
@click.option(
    "--for", "duration", type=float, metavar="SECONDS", help="With --watch: stop after this long."
)
@click.option("--json", "as_json", is_flag=True, help="Print each pass's report as JSON.")
@click.pass_context
def deliver_command(
    ctx: click.Context, smtp_host: str, smtp_port: int, sender: str, starttls: bool,
    smtp_user: str | None, backoff: float, max_attempts: int, limit: int | None, connections: int,
    watch: float | None, duration: float | None, as_json: bool,
) -> None:  # fmt: skip
    """Send the notices due by e-mail and record each attempt in the ledger (the password,
    if any, is read from SOCIALCREDIT_SMTP_PASSWORD)."""
    smtp = SmtpSettings(
        smtp_host, smtp_port, sender, starttls=starttls, username=smtp_user,
        password=os.environ.get("SOCIALCREDIT_SMTP_PASSWORD"),
    )  # fmt: skip
    policy = RetryPolicy(base=backoff, max_attempts=max_attempts)
    with _system(ctx) as system:
        passes = system.deliver_notices(
            smtp, policy=policy, limit=limit, connections=connections, every=watch,
            duration=duration,
        )  # fmt: skip
        for report in passes:
            if as_json:
                emit_json(report.to_json())
                continue
            line = (f"delivered {report.delivered}, failed {report.failed}, no address "
                    f"{report.no_address}, waiting for a retry {report.waiting}")  # fmt: skip
            click.echo(line + (f" (stopped: {report.stopped})" if report.stopped else ""))


@notices.command("list")
@click.argument("subject", required=False)
@click.option("--purpose", default="subject_access", show_default=True, type=click.Choice(PURPOSES),
              help="With SUBJECT: the permissible purpose of this read (logged).")  # fmt: skip
@click.option(
    "--reader", default="subject", show_default=True, help="With SUBJECT: who reads (logged)."
)
@click.option("--lang", default="zh-CN", show_default=True, type=click.Choice(LANGUAGE_TAGS),
              help="With SUBJECT: the language to show the notices in.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_command(
    ctx: click.Context, subject: str | None, purpose: str, reader: str, lang: str, as_json: bool
) -> None:
    """SUBJECT's notices in words, with their delivery (a logged read); without SUBJECT, the
    outbox: each notice's id, kind, trigger and delivery status (no personal data)."""
    if subject is None:
        with _system(ctx) as system:
            states = system.outbox()
        if as_json:
            emit_json([{k: v for k, v in s.to_json().items() if k not in ("subject", "content")}
                       for s in states])  # fmt: skip
            return
        for s in states:
            click.echo(f"{s.notice.id}  {s.notice.kind:<20} trigger {s.notice.trigger}  "
                       f"{s.status} ({s.attempts} attempts)")  # fmt: skip
        return
    who = parse_subject(subject)
    with _system(ctx) as system:
        states = system.notices(operator(reader), who, purpose=purpose)
    if as_json:
        emit_json([s.to_json() for s in states])
        return
    locale = "zh_CN" if lang == "zh-CN" else "en"
    for s in states:
        rendered = render(s.notice, locale)
        click.echo(f"== {rendered.subject_line}  [{s.status}]")
        click.echo(rendered.text())


@notices.command("contact")
@click.argument("subject")
@click.argument("address", required=False)
@click.option("--lang", default="zh-CN", show_default=True, type=click.Choice(LANGUAGE_TAGS))
@click.option("--erase", is_flag=True, help="Remove SUBJECT's address (consent withdrawn).")
@click.pass_context
def contact_command(
    ctx: click.Context, subject: str, address: str | None, lang: str, erase: bool
) -> None:
    """Register ADDRESS (the subject's consent) for SUBJECT's notices, or --erase it."""
    who = parse_subject(subject)
    with _system(ctx, write=False) as system:
        if erase:
            gone = system.erase_contact(_OPERATOR, who)
            click.echo("address erased" if gone else "no address was registered")
            return
        found = system.register_contact(_OPERATOR, who, address or "", lang)
    click.echo(f"notices to {who[0]} {who[1]} go to {found.address} in {found.language}")

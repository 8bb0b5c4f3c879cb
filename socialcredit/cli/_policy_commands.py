"""Policy commands: check, sign, publish, diff and list policy bundles; the governance."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from socialcredit.policy import RecordedGovernance

from ..policy import RevisionStatus, load_bundle, load_governance_file, read_signatures
from ..system import System
from ._main import StorelessCommand, cli, emit_json, settings_of

if TYPE_CHECKING:
    from socialcredit.simulation import ImpactAssessment

_BUNDLE_DIR = click.Path(exists=True, file_okay=False, path_type=Path)


@cli.group()
def policy() -> None:
    """Check, publish and compare policy bundles."""


@policy.command(cls=StorelessCommand)
@click.argument("directory", metavar="DIR", type=_BUNDLE_DIR)
@click.option("--json", "as_json", is_flag=True, help="Print the result (or problems) as JSON.")
@click.pass_context
def check(ctx: click.Context, directory: Path, as_json: bool) -> None:
    """Check the bundle in DIR; print every problem (exit 2), or a summary and, per kind, list,
    measure and link, the legal-basis registry entry that authorises it."""
    from ..policy import PolicyError

    try:
        bundle = load_bundle(directory)
    except PolicyError as error:
        if not as_json:
            raise
        emit_json({"ok": False, **error.as_dict()})
        ctx.exit(2)
    review = System.review_bundle(bundle)
    if as_json:
        emit_json(
            {
                "ok": True,
                "warnings": [{"field": w.field, "reason": w.reason} for w in review.warnings],
                "revision": bundle.revision,
                "effective_from": bundle.manifest.effective_from_text(),
                "digest": bundle.digest,
                "taxonomy": review.taxonomy,
                "legal_basis_registry": review.registry,
                "authorisations": [a.as_dict() for a in review.authorisations],
            }
        )
        return
    click.echo(
        f"ok: revision {bundle.revision}, effective from {bundle.manifest.effective_from_text()}, "
        f"{len(bundle.catalogue.kinds)} kinds, {len(bundle.scoring.rules)} rules"
    )
    click.echo(f"digest: {bundle.digest}")
    click.echo(f"taxonomy {review.taxonomy}, legal-basis registry {review.registry}:")
    for item in review.authorisations:
        click.echo(f"  {item.describe()}")
    for warning in review.warnings:
        click.echo(f"warning: {warning}")


@policy.command(name="publish")
@click.argument("directory", metavar="DIR", type=_BUNDLE_DIR)
@click.pass_context
def publish_command(ctx: click.Context, directory: Path) -> None:
    """Check the bundle in DIR and publish it into the ledger with the signatures in
    DIR/signatures.yaml. After the ledger's genesis it needs k signatures of the governance
    in force, an effective date at least the notice period away, and an impact assessment
    (`policy assess DIR`); every missing one is listed (exit 2) and nothing is written."""
    bundle = load_bundle(directory)
    with System.open(settings_of(ctx)) as system:
        status = system.publish_policy(bundle, read_signatures(directory))
    click.echo(f"published revision {bundle.revision} at position {status.published.position}")
    click.echo(f"digest: {bundle.digest}")
    click.echo(f"status: {status.describe()}")


@policy.command(name="diff")
@click.argument("old", metavar="REV1", type=click.IntRange(1))
@click.argument("new", metavar="REV2", type=click.IntRange(1))
@click.pass_context
def diff_command(ctx: click.Context, old: int, new: int) -> None:
    """Print what changed from published revision REV1 to REV2."""
    with System.open(settings_of(ctx), write=False) as system:
        changes = system.policy_diff(old, new)
    for change in changes:
        click.echo(change.describe())
    if not changes:
        click.echo("no changes")


@policy.command(name="list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List the published bundles: revision, status (in force, pending until DATE,
    superseded), effective date, ledger position and time, digest; under a pending one, what
    it changes from the bundle in force and its impact assessment.

    Says so when none is in force now, and scoring uses the built-in default policy.
    """
    with System.open(settings_of(ctx), write=False) as system:
        found = system.policy_overview()
    for status in found.revisions:
        item = status.published
        click.echo(
            f"revision {item.revision}  {status.describe()}  "
            f"effective {item.bundle.manifest.effective_from_text()}  "
            f"position {item.position}  recorded {item.recorded_at.isoformat()}  "
            f"{item.bundle.digest}"
        )
        _echo_pending(status)
    if found.in_force is None:
        fallback = f"the built-in default policy (revision {found.default_revision}) is in force"
        click.echo(
            f"no bundle published; {fallback}"
            if not found.published
            else f"none of these is in force yet; {fallback}"
        )


def _echo_pending(status: RevisionStatus) -> None:
    """Under a pending revision: its changes from the bundle in force, and its assessment."""
    if status.status != "pending":
        return
    click.echo(f"  changes from the bundle in force ({len(status.changes)}):")
    for change in status.changes:
        click.echo(f"    {change.describe()}")
    found = status.assessment
    if found is None:
        click.echo("  impact assessment: none recorded")
        return
    try:
        assessment = System.assessment_of(status)
    except ValueError as error:
        line = str(error)
    else:
        line = "" if assessment is None else _assessment_line(assessment)
    click.echo(
        f"  impact assessment: recorded at position {found.position} "
        f"on {found.recorded_at:%Y-%m-%d}; {line}"
    )


def _assessment_line(found: ImpactAssessment) -> str:
    """The assessment's headline figures (read back by the lab's own reader)."""
    gaps = "".join(
        f"; approval gap by {g.grouping.replace('_', ' ')} {g.approval_before or '-'} -> "
        f"{g.approval_after}"
        for g in found.fairness.gaps
    )
    return (
        f"grade down for {found.moved_down:,}, up for {found.moved_up:,}; newly restricted "
        f"{found.newly_restricted:,}; false-listing rate {found.false_listing.rate}{gaps}"
    )


_KEY_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@policy.command(name="sign", cls=StorelessCommand)
@click.argument("directory", metavar="DIR", type=_BUNDLE_DIR)
@click.option("--key", "key_path", required=True, type=_KEY_FILE, help="Ed25519 key (PEM).")
@click.option("--role", required=True, help="The governance role the key signs for.")
def sign_command(directory: Path, key_path: Path, role: str) -> None:
    """Sign the digest of the bundle in DIR as ROLE with the private key in KEY, and keep
    the signature in DIR/signatures.yaml (which is not part of the bundle)."""
    digest, count, public_key = System.sign_policy(directory, key_path, role)
    click.echo(f"signed digest {digest} as {role} ({public_key})")
    click.echo(f"{count} signature{'s' if count != 1 else ''} in {directory / 'signatures.yaml'}")


@policy.command(name="audit")
@click.pass_context
def audit_command(ctx: click.Context) -> None:
    """Re-check from the ledger alone that every governance change and every publication
    obeyed the rules in force when it was recorded (signatures, notice, assessment); print
    every breach and exit 1 if there is any."""
    with System.open(settings_of(ctx), write=False) as system:
        found = system.audit_policy()
    for problem in found.problems:
        click.echo(f"{problem.field}: {problem.reason}")
    if found.problems:
        ctx.exit(1)
    click.echo(
        f"ok: {found.publications} publications and {found.governance_changes} governance "
        "entries obeyed the rules"
    )


@policy.group()
def governance() -> None:
    """Show and change who must sign a bundle (k of n roles) and the notice period."""


@governance.command(name="show")
@click.option("--json", "as_json", is_flag=True, help="Print the governance as JSON.")
@click.pass_context
def governance_show(ctx: click.Context, as_json: bool) -> None:
    """Show the governance in force: roles and keys, threshold, notice period."""
    with System.open(settings_of(ctx), write=False) as system:
        found = system.governance()
    if as_json:
        emit_json(None if found is None else _governance_json(found))
        return
    if found is None:
        click.echo(
            "no governance recorded; publishing the first bundle records the default: "
            "ledger_operator (the ledger's own key), 1 of 1, 30 days' notice"
        )
        return
    rule = found.governance
    click.echo(f"governance {rule.describe()}")
    click.echo(
        f"digest {rule.digest()}; recorded at position {found.position} "
        f"on {found.recorded_at.isoformat()}"
    )
    for role in rule.roles:
        click.echo(f"  {role.name:<28} {role.public_key}")
    signed = ", ".join(s.role for s in found.signatures) or "none (the ledger's first)"
    click.echo(f"signed by: {signed}")


def _governance_json(found: RecordedGovernance) -> dict[str, Any]:
    return {
        **found.governance.as_dict(),
        "digest": found.governance.digest(),
        "position": found.position,
        "recorded_at": found.recorded_at.isoformat(),
        "signed_by": [s.role for s in found.signatures],
    }


@governance.command(name="set")
@click.argument("file", metavar="FILE", type=_KEY_FILE)
@click.pass_context
def governance_set(ctx: click.Context, file: Path) -> None:
    """Record the governance in FILE (YAML: version, roles, threshold, notice_days,
    signatures). A change needs k signatures of the governance in force over its digest
    (`policy governance sign`); only a ledger's first governance needs none."""
    rule, signed = load_governance_file(file)
    with System.open(settings_of(ctx)) as system:
        position = system.record_governance(rule, signed)
    click.echo(f"recorded governance {rule.describe()} at position {position}")
    click.echo(f"digest: {rule.digest()}")


@governance.command(name="sign", cls=StorelessCommand)
@click.argument("file", metavar="FILE", type=_KEY_FILE)
@click.option("--key", "key_path", required=True, type=_KEY_FILE, help="Ed25519 key (PEM).")
@click.option("--role", required=True, help="The role (of the governance in force) signing.")
def governance_sign(file: Path, key_path: Path, role: str) -> None:
    """Sign the governance document in FILE as ROLE with KEY; keep it in FILE's
    signatures list."""
    digest, count = System.sign_governance(file, key_path, role)
    click.echo(f"signed governance digest {digest} as {role}; {count} signature(s) in {file}")


@governance.command(name="keygen", cls=StorelessCommand)
@click.argument("path", metavar="KEYFILE", type=click.Path(path_type=Path))
def governance_keygen(path: Path) -> None:
    """Make a new Ed25519 key in KEYFILE (mode 0600, never overwriting) for a role holder,
    and print its public key for the governance file."""
    click.echo(System.make_role_key(path))

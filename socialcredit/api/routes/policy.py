"""Policy bundles: the published ones, their status and differences (public); check and
publish (admin). A publication carries its detached signatures as ``signatures.yaml`` among
the files; it is refused (422, every reason) unless governed as :func:`~socialcredit.policy.publish`
says."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ...accounts.auth import Principal, Role, require
from ...errors import NotFoundError
from ...policy import (
    Change,
    PolicyBundle,
    PublishedBundle,
    RevisionStatus,
    SignatureSet,
    bundle_in_force,
    diff,
    load_bundle_from_files,
    policy_revisions,
    publish,
    published_bundle,
    revision_status,
    split_signatures,
)
from .._params import Moment
from . import ctx_of

router = APIRouter(prefix="/policy", tags=["policy"])


class BundleIn(BaseModel):
    """A policy bundle's files by name (manifest.yaml, catalogue.yaml, scoring.yaml, ...),
    and its detached ``signatures.yaml`` if signed."""

    model_config = ConfigDict(extra="forbid")

    files: dict[str, str] = Field(max_length=64)


def _published_json(item: PublishedBundle, *, files: bool = False) -> dict[str, Any]:
    found = {
        "revision": item.revision,
        "effective_from": item.bundle.manifest.effective_from_text(),
        "position": item.position,
        "recorded_at": item.recorded_at.isoformat(),
        "digest": item.bundle.digest,
        "governance_version": item.governance_version,
        "signed_by": [s.role for s in item.signatures],
    }
    if files:
        found["files"] = {n: raw.decode("utf-8") for n, raw in sorted(item.bundle.files.items())}
    return found


def _changes(old: PolicyBundle, new: PolicyBundle) -> list[dict[str, Any]]:
    return [_change_json(c) for c in diff(old, new)]


def _change_json(c: Change) -> dict[str, Any]:
    return {
        "area": str(c.area),
        "key": c.key,
        "action": str(c.action),
        "aspect": c.aspect,
        "old": c.old,
        "new": c.new,
        "description": c.describe(),
    }


@router.get("/bundles")
def list_bundles(
    request: Request, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> list[dict[str, Any]]:
    """Every published bundle: revision, status (``in force``, ``pending``, ``superseded``),
    effective date, ledger position and time, digest, signers; a pending one with its changes
    from the bundle in force and whether it was assessed."""
    ctx = ctx_of(request)
    with ctx.lock:
        revisions = policy_revisions(ctx.ledger)
    return [_revision_json(r) for r in revisions]


def _revision_json(revision: RevisionStatus) -> dict[str, Any]:
    found = {**_published_json(revision.published), "status": revision.status}
    if revision.status == "pending":
        found["changes_from_in_force"] = [_change_json(c) for c in revision.changes]
        assessed = revision.assessment
        found["assessment_position"] = None if assessed is None else assessed.position
    return found


@router.get("/bundles/{revision}")
def read_bundle(
    request: Request, revision: int, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> dict[str, Any]:
    """A published bundle with its files."""
    ctx = ctx_of(request)
    with ctx.lock:
        return _published_json(published_bundle(ctx.ledger, revision), files=True)


@router.get("/in-force")
def in_force(
    request: Request,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
    at: Annotated[Moment | None, Query(description="Default: now.")] = None,
) -> dict[str, Any]:
    """The bundle in force at ``at`` as known now (404 if none is published)."""
    when = at or datetime.now(UTC)
    ctx = ctx_of(request)
    with ctx.lock:
        found = bundle_in_force(ctx.ledger, when, datetime.now(UTC))
    if found is None:
        raise NotFoundError(f"no policy bundle in force at {when.isoformat()}")
    return _published_json(found, files=True)


@router.get("/diff")
def diff_revisions(
    request: Request,
    old: Annotated[int, Query(description="The older revision.")],
    new: Annotated[int, Query(description="The newer revision.")],
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
) -> dict[str, Any]:
    """What changed from published revision ``old`` to ``new``, rule by rule."""
    ctx = ctx_of(request)
    with ctx.lock:
        before = published_bundle(ctx.ledger, old).bundle
        after = published_bundle(ctx.ledger, new).bundle
    return {"old": old, "new": new, "changes": _changes(before, after)}


def _load(body: BundleIn) -> tuple[PolicyBundle, SignatureSet]:
    files, signatures = split_signatures({n: text.encode() for n, text in body.files.items()})
    return load_bundle_from_files(files), signatures


@router.post("/check")
def check_bundle(
    request: Request, body: BundleIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Run the load-time checks on a bundle (422 with every problem) and diff it against the
    bundle in force now."""
    bundle = _load(body)[0]
    ctx = ctx_of(request)
    now = datetime.now(UTC)
    with ctx.lock:
        current = bundle_in_force(ctx.ledger, now, now)
    return {
        "ok": True,
        "revision": bundle.revision,
        "effective_from": bundle.manifest.effective_from_text(),
        "digest": bundle.digest,
        "kinds": len(bundle.catalogue.kinds),
        "rules": len(bundle.scoring.rules),
        "in_force_revision": current.revision if current else None,
        "changes_from_in_force": _changes(current.bundle, bundle) if current else [],
    }


@router.post("/bundles", status_code=201)
def publish_bundle(
    request: Request, body: BundleIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Check a bundle and publish it into the ledger: its revision must exceed every
    published one and, after genesis, it needs k signatures of the governance in force
    (``signatures.yaml``), an effective date past the notice period and an impact assessment.
    A published revision is pending until its effective date."""
    bundle, signatures = _load(body)
    ctx = ctx_of(request)
    with ctx.lock:
        position = publish(ctx.ledger, bundle, signatures=signatures)
        status = revision_status(ctx.ledger, position)
    return {
        "revision": bundle.revision,
        "position": position,
        "digest": bundle.digest,
        "status": status.status,
        "effective_from": bundle.manifest.effective_from_text(),
    }

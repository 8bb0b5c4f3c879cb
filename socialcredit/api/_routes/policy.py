"""Policy bundles: the published ones, their status and differences (public); check and
publish (admin). A publication carries its detached signatures as ``signatures.yaml`` among
the files; it is refused (422, every reason) unless governed as :func:`~socialcredit.policy.publish`
says."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from socialcredit.accounts import Principal, Role, require

from ...policy import Change, PublishedBundle, RevisionStatus
from .._params import Moment
from . import system_of

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
    return [_revision_json(r) for r in system_of(request).policy_revisions()]


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
    return _published_json(system_of(request).published_policy(revision), files=True)


@router.get("/in-force")
def in_force(
    request: Request,
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
    at: Annotated[Moment | None, Query(description="Default: now.")] = None,
) -> dict[str, Any]:
    """The bundle in force at ``at`` as known now (404 if none is published)."""
    return _published_json(system_of(request).policy_in_force(at), files=True)


@router.get("/diff")
def diff_revisions(
    request: Request,
    old: Annotated[int, Query(description="The older revision.")],
    new: Annotated[int, Query(description="The newer revision.")],
    _: Annotated[Principal, Depends(require(Role.PUBLIC))],
) -> dict[str, Any]:
    """What changed from published revision ``old`` to ``new``, rule by rule."""
    changes = system_of(request).policy_diff(old, new)
    return {"old": old, "new": new, "changes": [_change_json(c) for c in changes]}


def _files(body: BundleIn) -> dict[str, bytes]:
    return {name: text.encode() for name, text in body.files.items()}


@router.post("/check")
def check_bundle(
    request: Request, body: BundleIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Run the load-time checks on a bundle (422 with every problem) and diff it against the
    bundle in force now."""
    checked = system_of(request).check_policy(_files(body))
    bundle, current = checked.bundle, checked.in_force
    return {
        "ok": True,
        "revision": bundle.revision,
        "effective_from": bundle.manifest.effective_from_text(),
        "digest": bundle.digest,
        "kinds": len(bundle.catalogue.kinds),
        "rules": len(bundle.scoring.rules),
        "in_force_revision": current.revision if current else None,
        "changes_from_in_force": [_change_json(c) for c in checked.changes],
    }


@router.post("/bundles", status_code=201)
def publish_bundle(
    request: Request, body: BundleIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Check a bundle and publish it into the ledger: its revision must exceed every
    published one and, after genesis, it needs k signatures of the governance in force
    (``signatures.yaml``), an effective date past the notice period and an impact assessment.
    A published revision is pending until its effective date."""
    system = system_of(request)
    bundle, signatures = system.load_policy(_files(body))
    status = system.publish_policy(bundle, signatures)
    return {
        "revision": bundle.revision,
        "position": status.published.position,
        "digest": bundle.digest,
        "status": status.status,
        "effective_from": bundle.manifest.effective_from_text(),
    }

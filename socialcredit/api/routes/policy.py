"""Policy bundles: the published ones and their differences (public); check and publish (admin)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ...errors import NotFoundError
from ...policy import (
    PolicyBundle,
    PublishedBundle,
    bundle_in_force,
    diff,
    load_bundle_from_files,
    publish,
    published_bundle,
    published_bundles,
)
from .._params import moment
from ..auth import Principal, Role, require
from . import ctx_of

router = APIRouter(prefix="/policy", tags=["policy"])


class BundleIn(BaseModel):
    """A policy bundle's files by name (manifest.yaml, catalogue.yaml, scoring.yaml, ...)."""

    model_config = ConfigDict(extra="forbid")

    files: dict[str, str] = Field(max_length=64)


def _published_json(item: PublishedBundle, *, files: bool = False) -> dict[str, Any]:
    found = {
        "revision": item.revision,
        "effective_from": item.bundle.manifest.effective_from_text(),
        "position": item.position,
        "recorded_at": item.recorded_at.isoformat(),
        "digest": item.bundle.digest,
    }
    if files:
        found["files"] = {n: raw.decode("utf-8") for n, raw in sorted(item.bundle.files.items())}
    return found


def _changes(old: PolicyBundle, new: PolicyBundle) -> list[dict[str, Any]]:
    return [
        {
            "area": str(c.area),
            "key": c.key,
            "action": str(c.action),
            "aspect": c.aspect,
            "old": c.old,
            "new": c.new,
            "description": c.describe(),
        }
        for c in diff(old, new)
    ]


@router.get("/bundles")
def list_bundles(
    request: Request, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> list[dict[str, Any]]:
    """Every published bundle: revision, effective date, ledger position and time, digest."""
    ctx = ctx_of(request)
    with ctx.lock:
        return [_published_json(item) for item in published_bundles(ctx.ledger)]


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
    at: Annotated[str | None, Query(description="ISO 8601 time or date; default now.")] = None,
) -> dict[str, Any]:
    """The bundle in force at ``at`` as known now (404 if none is published)."""
    when = moment(at, "at")
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


def _load(body: BundleIn) -> PolicyBundle:
    return load_bundle_from_files({name: text.encode() for name, text in body.files.items()})


@router.post("/check")
def check_bundle(
    request: Request, body: BundleIn, _: Annotated[Principal, Depends(require(Role.ADMIN))]
) -> dict[str, Any]:
    """Run the load-time checks on a bundle (422 with every problem) and diff it against the
    bundle in force now."""
    bundle = _load(body)
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
    """Check a bundle and publish it into the ledger (its revision must exceed every
    published one)."""
    bundle = _load(body)
    ctx = ctx_of(request)
    with ctx.lock:
        position = publish(ctx.ledger, bundle)
    return {"revision": bundle.revision, "position": position, "digest": bundle.digest}

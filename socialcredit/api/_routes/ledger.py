"""The ledger for auditors: size, signed checkpoints, inclusion and consistency proofs, verify.

Auditors, and callers naming no purpose that covers personal data, see hashes only: their
inclusion proofs carry the leaf hash but not the entry. A subject may fetch the full proof of
entries about themselves; an officer naming a purpose gets the entry, and the read is logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from socialcredit.accounts import Principal, Role, require

from ...errors import NotFoundError
from .._params import Position
from . import system_of
from ._reads import PurposeQuery

router = APIRouter(prefix="/ledger", tags=["ledger"])

_LEDGER_READERS = (Role.ADMIN, Role.AUDITOR, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)
_PROVERS = (Role.ADMIN, Role.AUDITOR, Role.OFFICER, Role.APPEAL_OFFICER, Role.SUBJECT)
_Size = Annotated[
    int | None, Query(ge=0, le=2**53, description="A checkpointed size; default latest.")
]


@router.get("")
def ledger_state(
    request: Request, _: Annotated[Principal, Depends(require(*_LEDGER_READERS))]
) -> dict[str, Any]:
    """The ledger's name, size, public key and latest signed checkpoint."""
    return system_of(request).ledger_state().to_json()


@router.get("/checkpoints/latest")
def latest_checkpoint(
    request: Request, _: Annotated[Principal, Depends(require(*_LEDGER_READERS))]
) -> dict[str, Any]:
    """The latest signed checkpoint (keep it: it is a witness for later verification)."""
    return system_of(request).latest_checkpoint().to_json()


@router.get("/checkpoints/{size}")
def checkpoint_at(
    request: Request, size: Position, _: Annotated[Principal, Depends(require(*_LEDGER_READERS))]
) -> dict[str, Any]:
    """The signed checkpoint of exactly ``size`` entries (404 if none was signed)."""
    return system_of(request).checkpoint_at(size).to_json()


@router.get("/proofs/inclusion/{position}")
def inclusion_proof(
    request: Request,
    position: Position,
    principal: Annotated[Principal, Depends(require(*_PROVERS))],
    size: _Size = None,
    purpose: PurposeQuery = None,
) -> dict[str, Any]:
    """The inclusion proof (InclusionProofV1) of the entry at ``position``. The entry itself
    comes only to its subject, or to a caller naming a purpose that covers personal data (the
    read is logged); anyone else gets the leaf hash without the entry."""
    return system_of(request).inclusion_proof(principal, position, size, purpose)


@router.get("/proofs/consistency")
def consistency_proof(
    request: Request,
    old: Annotated[int, Query(ge=0, le=2**53, description="The older checkpointed size.")],
    _: Annotated[Principal, Depends(require(*_LEDGER_READERS))],
    new: _Size = None,
) -> dict[str, Any]:
    """The consistency proof (ConsistencyProofV1) between two checkpointed sizes."""
    return system_of(request).consistency_proof(old, new)


@router.get(
    "/cosigned",
    responses={404: {"description": "No witness is published, or it has not cosigned yet."}},
)
def cosigned(
    request: Request, _: Annotated[Principal, Depends(require(Role.PUBLIC))]
) -> dict[str, Any]:
    """The latest checkpoint an independent witness cosigned (CosignedCheckpointV1), and
    whether this ledger still holds it (``holds_it``; False is a rollback or a fork). Keep
    it: ``socialcredit verify --witness ...`` checks a ledger against it."""
    published = system_of(request).cosigned()
    if published is None:
        raise NotFoundError("this server publishes no witness's cosignature")
    return published


@router.post("/verify")
def verify(
    request: Request, _: Annotated[Principal, Depends(require(Role.ADMIN, Role.AUDITOR))]
) -> dict[str, Any]:
    """Recompute every hash and check every checkpoint (on a connection of its own), against
    the server's clock and, when the server publishes a witness, its latest cosignature."""
    report, pinned = system_of(request).verify()
    return {**report.to_json(), "public_key_source": pinned.source}

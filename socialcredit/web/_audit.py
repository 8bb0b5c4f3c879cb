"""The auditor's pages: ledger size, the latest signed checkpoint, verify, proof lookup.

Auditors see hashes, sizes and signatures, never personal data: a proof is checked on the
server and shown without the entry it proves.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from . import _access
from ._access import Principal, Role
from ._render import render
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_AUDITOR = _access.signed_in(Role.AUDITOR)


def _page(request: Request, who: Principal, **values: Any) -> Response:
    state = _access.system_of(request).ledger_state()
    return render(
        request,
        who,
        "audit.html",
        size=state.size,
        checkpoint=state.checkpoint.to_json(),
        public_key=state.public_key,
        witness=_access.witnessed(request),
        **values,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit(request: Request, position: int | None = None, who: Principal = _AUDITOR) -> Response:
    """The ledger at a glance, and the inclusion proof of entry ``position`` if asked."""
    if position is None:
        return _page(request, who)
    document, check = _access.system_of(request).audit_proof(position)
    return _page(request, who, proof=document, proof_check=check, position=position)


@router.post("/audit/verify", response_class=HTMLResponse)
def verify(request: Request, who: Principal = _AUDITOR) -> Response:
    """Recompute every hash and check every signed checkpoint (``socialcredit verify``), against
    the server's clock and the witness's latest cosignature if one is published."""
    report, _ = _access.system_of(request).verify()
    return _page(request, who, report=report)

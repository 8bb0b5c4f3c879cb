"""Documents to download: an organisation's public enterprise credit report (anyone) and the
subject's own credit report (the subject), both as PDF (:mod:`socialcredit.documents`).

The report is read with the app's lock held and drawn after it is released: drawing takes
longer than reading.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from ..documents import render_credit_report, render_enterprise_report
from . import _access
from ._access import Principal, Role
from ._routing import page_router

__all__ = ["router"]

router = page_router()
_ANYONE = _access.signed_in(Role.PUBLIC)
_SUBJECT = _access.signed_in(Role.SUBJECT)


def _pdf(document: bytes, filename: str) -> Response:
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/org/{number}/report.pdf")
def organisation_report(request: Request, number: int, who: Principal = _ANYONE) -> Response:
    """The organisation's public enterprise credit report: what its page shows, with proofs.

    Raises:
        NotFoundError: if there is no organisation ``number``.
    """
    report = _access.system_of(request).organisation_report(number)
    return _pdf(render_enterprise_report(report), f"enterprise-credit-report-{number}.pdf")


@router.get("/me/report.pdf")
def my_report(request: Request, who: Principal = _SUBJECT) -> Response:
    """My credit report as a PDF: a logged read with the purpose ``subject_access``."""
    assert who.subject is not None  # a subject account always has its file
    report, labels = _access.system_of(request).credit_report(who, who.subject)
    return _pdf(render_credit_report(report, labels=labels), "my-credit-report.pdf")

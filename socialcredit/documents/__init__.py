"""Credit reports as documents: the subject's credit report and an organisation's public
enterprise credit report, as PDF files with inclusion proofs (QR codes and an appendix).

Each document is a rendering of a report that the library already computes
(:func:`socialcredit.reports.subject_report`, :func:`enterprise_report`); fonts come
from the system (a CJK font when one is installed, see :func:`choose_font`).
"""

from ._credit_report import (
    checkpoint_payload,
    credit_report_pdf,
    kind_labels,
    proof_payload,
    render_credit_report,
)
from ._enterprise import (
    ENTERPRISE_REPORT_VERSION,
    enterprise_report,
    enterprise_report_pdf,
    render_enterprise_report,
)
from ._layout import FontChoice, choose_font

__all__ = [
    "ENTERPRISE_REPORT_VERSION",
    "FontChoice",
    "checkpoint_payload",
    "choose_font",
    "credit_report_pdf",
    "enterprise_report",
    "enterprise_report_pdf",
    "kind_labels",
    "proof_payload",
    "render_credit_report",
    "render_enterprise_report",
]

"""Notices that reach the subject: an outbox in the ledger, and a delivery worker (SMTP).

Every notice the rules require (a listing's advance notice, an adverse decision with its
reason codes and recourse, a dispute's deadlines and an overdue dispute, a deleted record
brought back by recertification; credit repair's outcomes once repair exists) becomes a
``NoticeQueued`` entry, once per trigger (:func:`queue_notices`). The delivery worker
(:func:`deliver_due`) sends them by e-mail to the address the subject registered
(:class:`ContactStore`, kept outside the ledger) and records each attempt as a ledger entry;
the subject sees every notice in the portal whether or not it was sent
(:func:`notices_of`). Texts are in Simplified Chinese and English (:mod:`.texts`).

Modules: :mod:`.model` (entries, the outbox projection), :mod:`.sources` (what calls for a
notice), :mod:`.contacts`, :mod:`.texts`, :mod:`.delivery`. docs/notices.md has the rest.
"""

from ._access import read_notices
from ._contacts import LANGUAGE_TAGS, Contact, ContactStore, contacts_path
from ._delivery import (
    DeliveryReport,
    RetryPolicy,
    SmtpSettings,
    deliver_due,
    run_worker,
    worker_lock,
)
from ._model import KINDS, Notice, NoticeState, notices_of, outbox
from ._sources import QueueReport, queue_notices
from ._texts import Rendered, locale_of, page_texts, render

__all__ = [
    "KINDS",
    "LANGUAGE_TAGS",
    "Contact",
    "ContactStore",
    "DeliveryReport",
    "Notice",
    "NoticeState",
    "QueueReport",
    "Rendered",
    "RetryPolicy",
    "SmtpSettings",
    "contacts_path",
    "deliver_due",
    "locale_of",
    "notices_of",
    "outbox",
    "page_texts",
    "queue_notices",
    "read_notices",
    "render",
    "run_worker",
    "worker_lock",
]

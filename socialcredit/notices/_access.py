"""Reading a subject's notices: a read of their file, so it is purpose-bound and logged."""

from __future__ import annotations

from ..ledger import Ledger
from ._model import NoticeState, notices_of

__all__ = ["read_notices"]


def read_notices(
    ledger: Ledger, subject: tuple[str, str], reader: str, purpose: str
) -> list[NoticeState]:
    """Every notice to ``subject`` with its delivery state, oldest first, after logging the
    read for a person (``FileRead``, what ``file``: the rights whitelist has no narrower
    word); an organisation's file is not personal data and is not logged.

    Raises:
        ValidationError: naming ``purpose`` or ``reader`` if refused; nothing is read then.
        LedgerError: if the ledger is read-only and the read must be logged.
    """
    if subject[0] == "person":
        from socialcredit.rights import log_read

        log_read(ledger, subject, reader, purpose, "notices")
    return notices_of(ledger, subject)

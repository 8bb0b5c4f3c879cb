"""The application object: :class:`System`, the one door of every adapter into the engine.

The command line, the HTTP API and the portal open a :class:`System` from
:class:`~socialcredit.settings.Settings` and call one method per use case (score, explain,
decide, file records, dispute, report, publish ...), each taking the caller's identity (a
:class:`~socialcredit.accounts.Principal`; :func:`operator` for the command line) and the
purpose of a read where the use case needs them. The system owns the ledger, its projections,
the decision service, the policy in force and the locking: an adapter parses its input, calls
one method and formats the answer.

    with System.open(settings) as system:
        result = system.score(operator("officer:li"), ("person", "110..."), purpose="...")
"""

from socialcredit.system._accounts import IssuedKey, OpenedSession
from socialcredit.system._core import DEFAULT_PURPOSE, SUBJECT_ACCESS, operator
from socialcredit.system._ledger import LedgerState
from socialcredit.system._memoranda import ShownMemorandum
from socialcredit.system._records import MAX_BULK, SHOWN_REJECTS, UPLOAD_BATCH, Filing
from socialcredit.system._repair import OwnRepair
from socialcredit.system._rights import HISTORY_SPAN, HISTORY_STEP, OwnFile
from socialcredit.system._scores import MAX_HISTORY_POINTS, score_points
from socialcredit.system._system import System

__all__ = [
    "DEFAULT_PURPOSE",
    "HISTORY_SPAN",
    "HISTORY_STEP",
    "MAX_BULK",
    "MAX_HISTORY_POINTS",
    "SHOWN_REJECTS",
    "SUBJECT_ACCESS",
    "UPLOAD_BATCH",
    "Filing",
    "IssuedKey",
    "LedgerState",
    "OpenedSession",
    "OwnFile",
    "OwnRepair",
    "ShownMemorandum",
    "System",
    "operator",
    "score_points",
]

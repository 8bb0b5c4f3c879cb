"""Agencies, their joint memoranda, and the exchange of public lists with points of service.

* :mod:`.registry`: agencies as parties in the ledger, each with its own Ed25519 key.
* :mod:`.memoranda`: joint memoranda, signed by every agency they name, which decisions cite.
* :mod:`.exchange`: signed, checkpointed exports of a public list (CSV and JSON), checkable
  offline.

See ``docs/memoranda.md``. :mod:`.exchange` sits above :mod:`socialcredit.consequences` (it
reads the public lists) and is imported from there, not here, so that the decision service can
read the memoranda without an import cycle.
"""

from socialcredit.agencies.memoranda import (
    Citation,
    Memorandum,
    MemorandumLink,
    RecordedMemorandum,
    check_memorandum,
    citations,
    load_memorandum_file,
    memoranda,
    memorandum,
    record_memorandum,
    sign_memorandum_file,
)
from socialcredit.agencies.registry import (
    Agency,
    agency,
    check_agency,
    competence,
    find_agency,
    register_agency,
)

__all__ = [
    "Agency",
    "Citation",
    "Memorandum",
    "MemorandumLink",
    "RecordedMemorandum",
    "agency",
    "check_agency",
    "check_memorandum",
    "citations",
    "competence",
    "find_agency",
    "load_memorandum_file",
    "memoranda",
    "memorandum",
    "record_memorandum",
    "register_agency",
    "sign_memorandum_file",
]

"""Agencies and their joint memoranda.

* :mod:`.registry`: agencies as parties in the ledger, each with its own Ed25519 key.
* :mod:`.memoranda`: joint memoranda, signed by every agency they name, which decisions cite.
* :mod:`.endings`: a memorandum ended early by a joining agency; signatures re-checked across
  agencies' key rotations (:func:`.registry.rotate_agency_key`).

See ``docs/memoranda.md``. The exchange of public lists with points of service (signed,
checkpointed exports) builds on the lists, so it lives above them in
:mod:`socialcredit.consequences._exchange`; this package sits below consequences, whose decisions
cite the memoranda.
"""

from socialcredit.agencies._endings import end_memorandum, sign_ending, verify_memorandum
from socialcredit.agencies._memoranda import (
    Citation,
    Ending,
    Memorandum,
    MemorandumLink,
    RecordedMemorandum,
    check_memorandum,
    citations,
    load_memorandum_file,
    memoranda,
    memorandum,
    parse_memorandum,
    read_memorandum,
    record_memorandum,
    sign_memorandum_file,
)
from socialcredit.agencies._registry import (
    Agency,
    agency,
    check_agency,
    competence,
    find_agency,
    key_at,
    register_agency,
    rotate_agency_key,
    sign_rotation,
)

__all__ = [
    "Agency",
    "Citation",
    "Ending",
    "Memorandum",
    "MemorandumLink",
    "RecordedMemorandum",
    "agency",
    "check_agency",
    "check_memorandum",
    "citations",
    "competence",
    "end_memorandum",
    "find_agency",
    "key_at",
    "load_memorandum_file",
    "memoranda",
    "memorandum",
    "parse_memorandum",
    "read_memorandum",
    "record_memorandum",
    "register_agency",
    "rotate_agency_key",
    "sign_ending",
    "sign_memorandum_file",
    "sign_rotation",
    "verify_memorandum",
]

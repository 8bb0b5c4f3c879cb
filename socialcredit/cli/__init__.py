"""The ``socialcredit`` command line: thin commands over the library.

Every command opens the service, calls one or two library functions and prints the result.
Errors are mapped to messages and exit statuses in exactly one place, :class:`_Group`:
exit 1 when a check fails (verify, a proof), 2 for refused input or configuration, 3 when the
ledger pushes back (retry later).

``--store`` and ``--key-file`` are accepted before and after every command name
(``socialcredit --store URL verify`` and ``socialcredit verify --store URL``); the one nearest
the end wins. :func:`settings_of` is the one place that turns them into :class:`Settings`.
"""

from . import (  # noqa: F401  (registers the commands)
    _assess_commands,
    _consequence_commands,
    _demo_commands,
    _ledger_commands,
    _memorandum_commands,
    _notice_commands,
    _policy_commands,
    _rating_commands,
    _repair_commands,
    _rights_commands,
    _scale_commands,
    _scorecard_commands,
    _scoring_commands,
    _serve_commands,
    _simulation_commands,
    _witness_commands,
)
from ._main import cli, main

__all__ = ["cli", "main"]

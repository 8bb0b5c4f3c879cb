"""``python -m socialcredit`` runs the command line."""

from .cli import main

main()

"""CLI commands for the subject's rights (report, disputes, appeals, statements)."""

from __future__ import annotations

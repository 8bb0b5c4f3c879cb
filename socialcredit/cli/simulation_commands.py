"""CLI commands for the policy lab (simulate, sweep, lab report): thin over the library."""

from __future__ import annotations

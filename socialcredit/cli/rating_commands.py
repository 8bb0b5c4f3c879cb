"""CLI commands for public ratings (rate, ratings): thin over the library."""

from __future__ import annotations

"""CLI commands for lists, measures and decisions (decide, lists): thin over the library."""

from __future__ import annotations

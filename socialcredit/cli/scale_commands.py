"""CLI commands for scale-out (migrate, export, import): thin over the library."""

from __future__ import annotations

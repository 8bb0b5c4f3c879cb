"""CLI commands for the HTTP API and portal (serve): thin over the library."""

from __future__ import annotations

"""Pausing Python's cyclic garbage collector around bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (and restore its state after).

    Bulk work — ingesting a file, replaying a ledger into a projection, loading a snapshot —
    allocates millions of objects that reference counting frees or keeps; the collector would
    keep rescanning everything alive (the growing projection included), which costs more than
    the work itself.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

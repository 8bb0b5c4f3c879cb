"""Reading only the entries a projection needs: the type is read from the canonical
bytes (``...,"type":"X","v":N}``) before anything is decoded."""

from __future__ import annotations

from collections.abc import Collection, Iterator

from ._entries import Entry, decode_entry
from ._ledger import Ledger

_TYPE_MARK = b',"type":"'


def entry_type(raw: bytes) -> str:
    """The entry type written in canonical entry bytes."""
    start = raw.rfind(_TYPE_MARK) + len(_TYPE_MARK)
    return raw[start : raw.index(b'"', start)].decode()


def scan_entries(
    ledger: Ledger,
    types: Collection[str],
    *,
    containing: bytes | None = None,
    stop: int | None = None,
) -> Iterator[Entry]:
    """Decoded entries whose type is in ``types`` (and whose bytes hold ``containing``), in
    ledger order, below position ``stop``."""
    for position, raw in ledger.raw_entries(0, stop):
        if containing is not None and containing not in raw:
            continue
        if entry_type(raw) in types:
            yield decode_entry(position, raw)


def ledger_now(ledger: Ledger) -> int:
    """The ledger time the next entry would get: the clock, never before the last entry."""
    return max(ledger.clock(), ledger.store.state().last_recorded_at_us)

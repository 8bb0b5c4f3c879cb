"""A bounded memo for the ingest hot path: a dict that empties itself when full.

``functools.lru_cache`` re-links its recency list on every hit, which on 200,000-record batches
costs more in memory traffic than the lookup itself. Identifier checks and timestamp parses are
pure functions of their input, so a plain dict read on a hit and a full reset when the bound is
reached (rare, O(1) amortised) is enough to keep memory bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

DEFAULT_MAXSIZE = 2**18


class BoundedMemo(Generic[K, V]):
    """Memoise a pure one-argument function, holding at most ``maxsize`` results.

    Hot callers read ``memo.values.get(key)`` inline and call ``memo.compute(key)`` on a miss.
    Results must never be None (None marks a miss).
    """

    __slots__ = ("function", "maxsize", "values")

    def __init__(self, function: Callable[[K], V], maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.function = function
        self.maxsize = maxsize
        self.values: dict[K, V] = {}

    def __call__(self, key: K) -> V:
        value = self.values.get(key)
        return self.compute(key) if value is None else value

    def compute(self, key: K) -> V:
        """Compute and remember the result for a key the caller already missed in ``values``."""
        value = self.function(key)
        if len(self.values) >= self.maxsize:
            self.values.clear()
        self.values[key] = value
        return value

    def clear(self) -> None:
        """Forget every remembered result."""
        self.values.clear()

"""A token bucket per caller (API key, session or client address), in memory.

Each caller may make ``burst`` requests at once and ``per_second`` on average; a request that
finds the bucket empty is refused with :class:`RateLimitedError`, saying when a token will be
there (the HTTP layer turns it into 429 with ``Retry-After``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import Problem, RateLimitedError, ValidationError

__all__ = ["RateLimit", "RateLimiter"]

_MAX_BUCKETS = 100_000


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The allowance of every caller: ``per_second`` on average, ``burst`` at once.

    Raises:
        ValidationError: if either is not positive.
    """

    per_second: float = 200.0
    burst: float = 400.0

    def __post_init__(self) -> None:
        problems = [
            Problem(name, "must be positive")
            for name, value in (("per_second", self.per_second), ("burst", self.burst))
            if not value > 0
        ]
        if problems:
            raise ValidationError("bad rate limit", problems)


class RateLimiter:
    """Token buckets by caller key; thread-safe."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Take one token from ``key``'s bucket.

        Raises:
            RateLimitedError: if the bucket is empty, with the seconds until the next token.
        """
        rate, burst = self.limit.per_second, self.limit.burst
        with self._lock:
            now = self._clock()
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / rate
                raise RateLimitedError(f"rate limit of {rate:g} requests/s exceeded", wait)
            if len(self._buckets) >= _MAX_BUCKETS and key not in self._buckets:
                self._prune(now)
            self._buckets[key] = (tokens - 1.0, now)

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled completely (they are equal to a new one)."""
        full = self.limit.burst / self.limit.per_second
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full}

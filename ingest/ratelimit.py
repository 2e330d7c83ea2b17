"""Token buckets that keep one client or one site from flooding ingest: over the limit is a 429.

Buckets live in the memory of each ingest process (limits are per process; a deployment with N web
processes admits up to N times the rate). Keys are kept as their hash, and forgotten once refilled.

    >>> limiter = RateLimiter(rate_per_s=1, burst=2, clock=lambda: 0.0)
    >>> [limiter.allow("client") for _ in range(3)]
    [True, True, False]
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MAX_BUCKETS = 200_000


class RateLimiter:
    def __init__(
        self, *, rate_per_s: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, at)

    def allow(self, key: str) -> bool:
        """Take one token from ``key``'s bucket; False when it is empty. A rate of 0 means no limit."""
        if self.rate <= 0:
            return True
        digest = hash(key)  # per-process keyed SipHash: the key itself is not kept
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(digest, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[digest] = (tokens, now)
                return False
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            self._buckets[digest] = (tokens - 1, now)
            return True

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold nothing a fresh bucket would not."""
        refill_s = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill_s}

"""A revocation generation: a number that grows whenever access to ingest may have been taken away.

The panel bumps it (after the change is committed) when it revokes an API key, removes a member or
changes a member's role; ingest's ``KeyRing`` keeps each cached grant with the
generation it was loaded under and loads it again once the generation has moved, so a revocation
takes effect on the next request instead of after the cache's TTL.

    revocations = shared()                          # one per process, from REDIS_URL
    transaction.on_commit(revocations.bump)         # the panel, after revoking
    KeyRing(accounts.fetch_key, revocations=revocations)

The generation is this process's own count (embedded mode: panel and ingest are one process) and, with
``REDIS_URL``, the counter ``lantern:revocations`` that every process bumps with ``INCR``. A process
reads that counter at most once per ``KEY_REVOCATION_CHECK_MS`` (default 50), and only when a request
carries a key, so tracker traffic never reads it. While Redis is unreachable the last value read is
kept (retried after a second) and a change made elsewhere meanwhile reaches this process within the
``KeyRing``'s TTL, as before.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from analytics.config import env_int, redis_url

log = logging.getLogger(__name__)

KEY = "lantern:revocations"
RETRY_AFTER_S = 1.0  # how long a process waits before reading Redis again after a failure

Generation = tuple[int, int]  # this process's bumps, and the shared counter as last read


class Revocations:
    """This process's view of the revocation generation (see the module docstring)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        key: str = KEY,
        check_every_s: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = (
            redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 1))
            if url
            else None
        )
        self._key = key
        self._check_every_s = check_every_s
        self._clock = clock
        self._lock = threading.Lock()
        self._local = 0
        self._shared = 0
        self._next_read = float("-inf")

    def bump(self) -> None:
        """Access was taken away: every cached grant, in every process, is to be loaded again."""
        with self._lock:
            self._local += 1
        if self._redis is None:
            return
        try:
            self._redis.incr(self._key)
        except redis.RedisError as exc:  # the other processes see it within the KeyRing's TTL
            log.warning("could not publish a revocation to Redis: %s", exc)

    def generation(self) -> Generation:
        """The current generation; reads Redis only if the last read is ``check_every_s`` old."""
        if self._redis is not None and self._clock() >= self._next_read:
            self._read_shared()
        return self._local, self._shared

    def _read_shared(self) -> None:
        assert self._redis is not None
        now = self._clock()
        try:
            value = self._redis.get(self._key)
        except redis.RedisError as exc:
            log.warning("could not read the revocation generation from Redis: %s", exc)
            self._next_read = now + RETRY_AFTER_S
            return
        self._shared = int(value) if isinstance(value, bytes | int | str) else 0
        self._next_read = now + self._check_every_s


@functools.cache
def shared() -> Revocations:
    """The process's one ``Revocations``, on ``REDIS_URL`` when set."""
    return Revocations(redis_url() or None, check_every_s=env_int("KEY_REVOCATION_CHECK_MS", 50) / 1000)

"""A visit that crosses 00:00 UTC stays one visit, although the salt behind visitor ids changes then.

Near midnight a visitor's id under today's salt differs from the one under yesterday's. So ingest
remembers, for 30 minutes, the ids it used late in the day (from 23:30 UTC) and of visits it carried
over; after midnight an event whose yesterday-salt id is still remembered keeps that id, and the visit
goes on. Outside those hours nothing is looked up or kept. Only the ids are remembered, never an
address: in this process's memory (embedded), or in Redis with a 30-minute expiry (server mode, so
every web process sees the same visits). An id is carried until ``CARRY_FOR`` after midnight at most;
the sessions layer ends a session that crossed midnight then too (``analytics.sessions.CARRY``), so
such a visit counts as one session.

    >>> recent = MemoryRecent()
    >>> keeper = Continuity(recent)
    >>> late = dt.datetime(2026, 11, 21, 23, 50, tzinfo=dt.UTC)
    >>> keeper.choose(1, late, today_id=111, yesterday_id=None)
    111
    >>> keeper.choose(1, late + dt.timedelta(minutes=20), today_id=222, yesterday_id=111)
    111
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Protocol

import redis

SESSION_GAP = dt.timedelta(minutes=30)
CARRY_FOR = dt.timedelta(hours=3)  # after midnight, look for carried visits this long at most


class Recent(Protocol):
    def remember(self, key: str) -> None: ...

    def alive(self, key: str) -> bool: ...


class MemoryRecent:
    """Ids seen in the last 30 minutes, in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._until: dict[str, float] = {}

    def remember(self, key: str) -> None:
        now = self._clock()
        with self._lock:
            if len(self._until) > 100_000:
                self._until = {k: t for k, t in self._until.items() if t > now}
            self._until[key] = now + SESSION_GAP.total_seconds()

    def alive(self, key: str) -> bool:
        return self._until.get(key, 0.0) > self._clock()


class RedisRecent:
    """Ids seen in the last 30 minutes, shared by every web process through Redis."""

    def __init__(self, url: str, prefix: str = "lantern:recent:") -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix

    def remember(self, key: str) -> None:
        with contextlib.suppress(redis.RedisError):  # a visit split at midnight beats a refused event
            self.redis.set(self.prefix + key, b"1", ex=int(SESSION_GAP.total_seconds()))

    def alive(self, key: str) -> bool:
        try:
            return bool(self.redis.exists(self.prefix + key))
        except redis.RedisError:
            return False


class Continuity:
    def __init__(self, recent: Recent) -> None:
        self.recent = recent

    def choose(self, site_id: int, at: dt.datetime, *, today_id: int, yesterday_id: int | None) -> int:
        """The visitor id for an event at ``at``: yesterday's while its visit goes on, else today's."""
        since_midnight = at - at.replace(hour=0, minute=0, second=0, microsecond=0)
        if yesterday_id is not None and since_midnight < CARRY_FOR:
            carried = f"{site_id}:{yesterday_id}"
            if self.recent.alive(carried):
                self.recent.remember(carried)
                return yesterday_id
        if since_midnight >= dt.timedelta(days=1) - SESSION_GAP:
            self.recent.remember(f"{site_id}:{today_id}")
        return today_id

    @staticmethod
    def wants_yesterday(at: dt.datetime) -> bool:
        """Whether ``choose`` would look at yesterday's id (so the caller computes it only then)."""
        return at - at.replace(hour=0, minute=0, second=0, microsecond=0) < CARRY_FOR

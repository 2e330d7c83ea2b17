"""Anonymous visitor ids: a keyed BLAKE2b hash of (daily salt, site, IP, user agent).

The salt is random, made per UTC day, and deleted after two days, so an id cannot be linked across
days or reversed to an address. Yesterday's salt stays so a visit crossing midnight stays one visit
(``ingest/continuity.py`` keeps its id).
An event sent server-side with an older ``timestamp`` gets a salt for its day that lives only in this
process's memory: visitors stay consistent within an import and nothing older is ever stored.

    >>> visitor_id(b"k" * 32, 1, "203.0.113.9", "UA") == visitor_id(b"k" * 32, 1, "203.0.113.9", "UA")
    True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Callable

SALT_DAYS_KEPT = 2


def visitor_id(salt: bytes, site_id: int, ip: str, user_agent: str) -> int:
    digest = hashlib.blake2b(
        f"{site_id}\x00{ip}\x00{user_agent}".encode("utf-8", "surrogatepass"), key=salt[:64], digest_size=8
    ).digest()
    return int.from_bytes(digest, "big")


class SaltStore:
    """Today's salt, fetched once per UTC day through ``load(day)`` and then cached in memory."""

    def __init__(
        self,
        load: Callable[[dt.date], bytes],
        purge_before: Callable[[dt.date], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._load = load
        self._purge_before = purge_before
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[dt.date, bytes] = {}
        self._old: dict[dt.date, bytes] = {}

    def today(self) -> bytes:
        return self.for_day(self._clock().date())

    def for_day(self, day: dt.date) -> bytes:
        """The salt for a UTC day: today's or yesterday's from the store, an older day's from memory."""
        if day < self._clock().date() - dt.timedelta(days=SALT_DAYS_KEPT - 1):
            return self._ephemeral(day)
        salt = self._cache.get(day)
        if salt is not None:
            return salt
        with self._lock:
            if day not in self._cache:
                self._cache[day] = self._load(day)
                self._purge_before(day - dt.timedelta(days=SALT_DAYS_KEPT - 1))
                self._cache = {d: s for d, s in self._cache.items() if d >= day - dt.timedelta(days=1)}
            return self._cache[day]

    def _ephemeral(self, day: dt.date) -> bytes:
        with self._lock:
            if day not in self._old:
                if len(self._old) > 400:
                    self._old.clear()
                self._old[day] = secrets.token_bytes(32)
            return self._old[day]

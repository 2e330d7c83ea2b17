"""Why events were not stored, counted per site, UTC day and reason, for the dashboard.

Counts are kept in memory and handed to the buffer as pre-aggregated records every few seconds, so a
flood of bot traffic costs one buffered record per site and reason, not one per request. The flusher
sends them to the ``dropped_events`` table (a SummingMergeTree). A process killed between two hand-overs
loses at most those seconds of counts; stored events never depend on them.

    >>> counter = DropCounter()
    >>> counter.add(7, "bot", dt.date(2026, 11, 21))
    >>> counter.drain()
    [b'D{"site_id":7,"day":"2026-11-21","reason":"bot","count":1}']
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
import json
import threading

PREFIX = b"D"  # the flusher routes records with this prefix to dropped_events


class DropReason(enum.StrEnum):
    """The fixed set of reasons; each is named in ``X-Lantern-Dropped`` and counted."""

    UNKNOWN_SITE = "unknown_site"
    BOT = "bot"
    PREFETCH = "prefetch"
    SPAM = "spam"
    SHIELD_IP = "shield_ip"
    SHIELD_PAGE = "shield_page"
    SHIELD_COUNTRY = "shield_country"
    SHIELD_HOSTNAME = "shield_hostname"
    RATE_LIMITED = "rate_limited"


class DropCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: collections.Counter[tuple[int, dt.date, str]] = collections.Counter()

    def add(self, site_id: int, reason: str, day: dt.date) -> None:
        with self._lock:
            self._counts[(site_id, day, reason)] += 1

    def drain(self) -> list[bytes]:
        """The counts since the last drain, as buffer records, and a fresh start."""
        with self._lock:
            counts, self._counts = self._counts, collections.Counter()
        return [
            PREFIX
            + json.dumps(
                {"site_id": site_id, "day": day.isoformat(), "reason": reason, "count": n},
                separators=(",", ":"),
            ).encode()
            for (site_id, day, reason), n in sorted(counts.items())
        ]

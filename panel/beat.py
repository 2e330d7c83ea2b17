"""Celery beat's scheduler for Lantern: it sends the schedule only while it holds the beat lease.

    app.conf.beat_scheduler = "panel.beat:LeasedScheduler"   # panel/celery.py

Every beat process (``celery beat``, or a worker started with ``--beat``) tries to take the lease
``lantern:lease:beat`` in Redis at each tick; the one holding it renews it every ``LEASE_S / 3`` and
sends what is due, the others send nothing and try again as often. When the holder stops (killed,
stalled, Redis unreachable from it) its lease expires ``LEASE_S`` later and another takes over. A
beat taking over starts from its own schedule file, so it may send each job once early; every job is
safe to run again (``panel.jobs``).
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery.beat import PersistentScheduler

from analytics.config import redis_url
from panel.lease import Lease

log = logging.getLogger(__name__)

BEAT_LEASE = "lantern:lease:beat"
LEASE_S = 30.0


class LeasedScheduler(PersistentScheduler):  # type: ignore[misc]  # celery has no types
    lease_s = LEASE_S
    lease_name = BEAT_LEASE

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = redis_url()
        if not url:
            raise RuntimeError("Celery beat needs REDIS_URL (embedded mode runs the jobs in ./dev serve)")
        self._redis = redis.Redis.from_url(url, socket_timeout=5)
        self.lease = Lease(self._redis, self.lease_name, ttl_s=self.lease_s)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Send what is due if this beat holds the lease; the seconds until the next tick."""
        was_leading = self.lease.held
        if not self.lease.hold():
            if was_leading:
                log.warning("beat: lost the lease %s; another beat sends the schedule", self.lease_name)
            return self.lease_s / 3
        if not was_leading:
            log.info("beat: holding the lease %s; sending the schedule", self.lease_name)
        return float(min(super().tick(*args, **kwargs), self.lease_s / 3))

    def close(self) -> None:
        self.lease.release()
        self._redis.close()
        super().close()

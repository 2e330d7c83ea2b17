"""Leases in Redis: at most one holder of a name at a time, for a time to live its holder renews.

    lease = Lease(redis.Redis.from_url(url), "lantern:lease:beat", ttl_s=30)
    if lease.hold():   # taken, or renewed if this holder has it; False while another one has it
        ...
    lease.release()

    with holding(client, "lantern:lease:job:reports", ttl_s=60) as held:  # a thread renews it meanwhile
        if held:
            run()

A lease is redis-py's ``Lock`` (``SET name token NX PX ttl``; renewing and releasing check the token in
a script), so a holder that stops renewing (killed, stalled) loses it ``ttl_s`` later, and one that lost
it can neither renew nor release the next holder's. While Redis is unreachable nobody holds anything.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import redis
from redis.exceptions import LockError

log = logging.getLogger(__name__)


class Lease:
    def __init__(self, client: redis.Redis, name: str, *, ttl_s: float) -> None:
        self.name = name
        self.ttl_s = ttl_s
        self._lock = client.lock(name, timeout=ttl_s, blocking=False, thread_local=False)
        self._held = False

    @property
    def held(self) -> bool:
        return self._held

    def hold(self) -> bool:
        """Renew the lease if this holder has it, else try to take it; whether it is held now."""
        try:
            if self._held:
                with contextlib.suppress(LockError):  # expired, maybe taken: try to take it again
                    return bool(self._lock.reacquire())
            self._held = bool(self._lock.acquire(blocking=False))
        except redis.RedisError as exc:
            log.warning("lease %s: Redis is unreachable, not holding it: %s", self.name, exc)
            self._held = False
        return self._held

    def release(self) -> None:
        """Let the lease go now (if this holder still has it), so another takes it without waiting."""
        if not self._held:
            return
        self._held = False
        with contextlib.suppress(LockError, redis.RedisError):  # lost already, or Redis away: it expires
            self._lock.release()


@contextlib.contextmanager
def holding(client: redis.Redis, name: str, *, ttl_s: float) -> Iterator[bool]:
    """Take the lease for the block (False: another has it) and renew it every third of ``ttl_s``
    from a thread until the block ends, then release it."""
    lease = Lease(client, name, ttl_s=ttl_s)
    if not lease.hold():
        yield False
        return
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(ttl_s / 3):
            if not lease.hold():
                log.warning("lease %s was lost while held", name)

    renewer = threading.Thread(target=renew, name=f"lease:{name}", daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        lease.release()

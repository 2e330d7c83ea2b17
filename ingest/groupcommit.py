"""Group commit: concurrent calls from one process's request threads share one round trip.

The first thread to call while no round trip is under way becomes the leader: it runs everything queued
so far as one call, then whatever queued meanwhile, until the queue is empty. The others wait for the
call that carried their item and get its outcome: their own result, or the same exception (so their
request answers 503 rather than 202 when nothing took the records). Nothing waits on a timer: on a quiet
site every call runs at once, alone; under load the round trips of one call gather the next group, so
Redis sees one call, and the flusher reads one stream entry, for many events.

``Grouped`` is the mechanism; ``GroupCommit`` applies it to buffer pushes. In server mode an event
push (``push_pending``) carries the events waiting for their visits and a rate-limit check: the group's
one round trip takes the tokens (``ingest/ratelimit.py``), and, for the pushes within the limits only,
decides the events' visits in Redis (``ingest/visits.py``) and adds them (``FallbackBuffer``, which
decides them itself while Redis is out). Over a buffer that keeps no limits and no visits (a spool),
every push is added, its visits decided by this process.

    >>> buffer = GroupCommit(FallbackBuffer(RedisStreamBuffer(url), spool))  # doctest: +SKIP
    >>> buffer.push_pending(outcome.pendings, ip, sites)  # once the write with it is done  # doctest: +SKIP
    None
    >>> squares = Grouped(lambda items: [i * i for i in items])
    >>> squares.call(3)
    9
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from ingest.buffer import Batch, Buffer, Push
from ingest.visits import MemoryVisits, Pending

MAX_GROUP_RECORDS = 1_000

In = TypeVar("In")
Out = TypeVar("Out")


@dataclasses.dataclass
class _Waiter(Generic[In]):
    item: In
    wake: threading.Event = dataclasses.field(default_factory=threading.Event)
    leads: bool = False
    done: bool = False
    result: Any = None
    error: BaseException | None = None


class Grouped(Generic[In, Out]):
    """``call(item)`` from many threads; ``run`` gets the items of a group and returns one result each."""

    def __init__(
        self,
        run: Callable[[list[In]], Sequence[Out]],
        *,
        size: Callable[[In], int] = lambda item: 1,
        max_size: int = MAX_GROUP_RECORDS,
    ) -> None:
        self._run = run
        self._size = size
        self._max = max_size
        self._lock = threading.Lock()
        self._queue: list[_Waiter[In]] = []
        self._leading = False

    def call(self, item: In) -> Out:
        waiter = _Waiter(item)
        with self._lock:
            self._queue.append(waiter)
            if not self._leading:
                self._leading = waiter.leads = True
        if not waiter.leads:
            waiter.wake.wait()  # woken when a leader ran our group, or to lead the next one
        if not waiter.done:
            self._run_group()
        if waiter.error is not None:
            raise waiter.error
        result: Out = waiter.result
        return result

    def _run_group(self) -> None:
        """Run the group at the head of the queue (the leader is its first), then pass the lead on."""
        with self._lock:
            group = self._take_group()
        results: Sequence[Any]
        error: BaseException | None = None
        try:
            results = self._run([waiter.item for waiter in group])
            if len(results) != len(group):
                raise RuntimeError(f"{len(results)} results for a group of {len(group)} calls")
        except BaseException as exc:  # every waiter of the group answers with the same failure
            results, error = [None] * len(group), exc
        for waiter, result in zip(group, results, strict=True):
            waiter.result, waiter.error, waiter.done = result, error, True
            waiter.wake.set()
        with self._lock:
            if self._queue:
                self._queue[0].leads = True
                self._queue[0].wake.set()
            else:
                self._leading = False

    def _take_group(self) -> list[_Waiter[In]]:
        group: list[_Waiter[In]] = []
        size = 0
        while self._queue and (not group or size + self._size(self._queue[0].item) <= self._max):
            waiter = self._queue.pop(0)
            group.append(waiter)
            size += self._size(waiter.item)
        return group


class GroupCommit(Grouped[Push, str | None]):
    """A buffer whose concurrent pushes share one write to ``inner``."""

    def __init__(self, inner: Buffer, *, max_group_records: int = MAX_GROUP_RECORDS) -> None:
        super().__init__(self._write, size=Push.size, max_size=max_group_records)
        self.inner = inner
        self._visits = MemoryVisits()  # for an inner buffer that cannot decide visits

    def push(self, records: Sequence[bytes]) -> None:
        self.call(Push(records))

    def push_pending(self, pendings: Sequence[Pending], client: str, sites: Sequence[str]) -> str | None:
        """Decide the visits of ``pendings`` and push them, if the client and the sites are within the
        rate limits the inner buffer keeps (if it keeps any: else always). None when pushed, else
        ``CLIENT`` or the site over."""
        return self.call(Push(pendings=pendings, check=(client, tuple(sites))))

    def _write(self, pushes: list[Push]) -> Sequence[str | None]:
        push_checked = getattr(self.inner, "push_checked", None)
        if push_checked is not None:
            verdicts: list[str | None] = push_checked(pushes)
            return verdicts
        decide = self._visits.decide_all
        self.inner.push([record for push in pushes for record in [*push.records, *decide(push.pendings)]])
        return [None] * len(pushes)

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        return self.inner.read(max_records, wait_s, held)

    def ack(self, batch: Batch) -> None:
        self.inner.ack(batch)

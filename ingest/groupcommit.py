"""Group commit: concurrent pushes from one process's request threads share one write to the buffer.

The first thread to push while no write is under way becomes the leader: it writes everything queued
so far as one push, then whatever queued meanwhile, until the queue is empty. The others wait for the
write that carried their records and get its outcome: success, or the same exception (so their request
answers 503 rather than 202 when nothing took the records). Nothing waits on a timer: on a quiet site
every push is written at once, alone; under load the round trips of one write gather the next group,
so Redis sees one call, and the flusher reads one stream entry, for many events.

    >>> buffer = GroupCommit(FallbackBuffer(RedisStreamBuffer(url), spool))  # doctest: +SKIP
    >>> buffer.push([event.to_json()])  # returns once the write that carried it succeeded  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence

from ingest.buffer import Batch, Buffer

MAX_GROUP_RECORDS = 1_000


@dataclasses.dataclass
class _Waiter:
    records: Sequence[bytes]
    wake: threading.Event = dataclasses.field(default_factory=threading.Event)
    leads: bool = False
    done: bool = False
    error: BaseException | None = None


class GroupCommit:
    def __init__(self, inner: Buffer, *, max_group_records: int = MAX_GROUP_RECORDS) -> None:
        self.inner = inner
        self._max = max_group_records
        self._lock = threading.Lock()
        self._queue: list[_Waiter] = []
        self._leading = False

    def push(self, records: Sequence[bytes]) -> None:
        waiter = _Waiter(records)
        with self._lock:
            self._queue.append(waiter)
            if not self._leading:
                self._leading = waiter.leads = True
        if not waiter.leads:
            waiter.wake.wait()  # woken when a leader wrote our group, or to lead the next one
        if not waiter.done:
            self._write_group()
        if waiter.error is not None:
            raise waiter.error

    def _write_group(self) -> None:
        """Write the group at the head of the queue (the leader is its first), then pass the lead on."""
        with self._lock:
            group = self._take_group()
        error: BaseException | None = None
        try:
            self.inner.push([record for waiter in group for record in waiter.records])
        except BaseException as exc:  # every waiter of the group answers with the same failure
            error = exc
        for waiter in group:
            waiter.error, waiter.done = error, True
            waiter.wake.set()
        with self._lock:
            if self._queue:
                self._queue[0].leads = True
                self._queue[0].wake.set()
            else:
                self._leading = False

    def _take_group(self) -> list[_Waiter]:
        group: list[_Waiter] = []
        size = 0
        while self._queue and (not group or size + len(self._queue[0].records) <= self._max):
            waiter = self._queue.pop(0)
            group.append(waiter)
            size += len(waiter.records)
        return group

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        return self.inner.read(max_records, wait_s, held)

    def ack(self, batch: Batch) -> None:
        self.inner.ack(batch)

"""Where accepted events wait between ingest and ClickHouse: at-least-once, re-readable until acked.

Two implementations of one small interface, chosen by ``REDIS_URL``:

- ``RedisStreamBuffer``: a Redis stream with a consumer group. Unacknowledged entries (a flusher
  killed mid-batch) are re-read by the same consumer on restart, or claimed by another after a while.
- ``SpoolBuffer`` (embedded): append-only segment files on local disk in one process. A segment is
  sealed into a batch and deleted only once its insert is acknowledged.

Every batch carries a ``token`` that is the same each time the same records are re-read, so the
ClickHouse insert deduplicates a retry.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import redis


@dataclasses.dataclass(frozen=True)
class Batch:
    token: str
    records: tuple[bytes, ...]
    handle: Any = None


class Buffer(Protocol):
    def push(self, records: Sequence[bytes]) -> None: ...

    def read(self, max_records: int, wait_s: float) -> Batch | None: ...

    def ack(self, batch: Batch) -> None: ...


class SpoolBuffer:
    """Embedded mode's buffer: one process appends lines to ``open-*.jsonl``; the flusher seals it."""

    def __init__(self, directory: Path, *, seal_after_records: int = 50_000) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._seal_after = seal_after_records
        self._lock = threading.Condition()
        self._file: Any = None
        self._path: Path | None = None
        self._count = 0
        for leftover in self.directory.glob("open-*.jsonl"):  # a previous process's unsealed segment
            leftover.rename(leftover.with_name("seg-" + leftover.name.removeprefix("open-")))

    def push(self, records: Sequence[bytes]) -> None:
        with self._lock:
            if self._file is None:
                name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.jsonl"
                self._path = self.directory / f"open-{name}"
                self._file = open(self._path, "ab")  # noqa: SIM115 - kept open across pushes
            self._file.write(b"".join(record.rstrip(b"\n") + b"\n" for record in records))
            self._file.flush()
            self._count += len(records)
            if self._count >= self._seal_after:
                self._seal()
            self._lock.notify_all()

    def _seal(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._path.rename(self._path.with_name("seg-" + self._path.name.removeprefix("open-")))
        self._file, self._path, self._count = None, None, 0

    def read(self, max_records: int, wait_s: float) -> Batch | None:
        with self._lock:
            if not self._sealed() and self._count == 0:
                self._lock.wait(timeout=wait_s)
            if not self._sealed():
                self._seal()
            sealed = self._sealed()
        if not sealed:
            return None
        path = sealed[0]
        lines = path.read_bytes().split(b"\n")
        records = tuple(line for line in lines if line.strip())
        return Batch(token=f"spool:{path.name}", records=records, handle=path)

    def _sealed(self) -> list[Path]:
        return sorted(self.directory.glob("seg-*.jsonl"))

    def ack(self, batch: Batch) -> None:
        Path(batch.handle).unlink(missing_ok=True)

    def close(self) -> None:
        """Seal what is open, so the next process (or a flush) picks it up."""
        with self._lock:
            self._seal()


def spool_is_empty(directory: Path) -> bool:
    """Whether a spool directory holds no buffered record; reads only, so any process may ask."""
    try:
        return all(path.stat().st_size == 0 for path in directory.glob("*.jsonl"))
    except FileNotFoundError:  # a segment acknowledged while we looked
        return False


class RedisStreamBuffer:
    """Server mode's buffer: XADD on ingest, XREADGROUP/XACK in the flusher."""

    def __init__(
        self,
        url: str,
        *,
        stream: str = "lantern:events",
        group: str = "flushers",
        consumer: str | None = None,
        claim_idle_ms: int = 60_000,
    ) -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        self.stream = stream
        self.group = group
        self.consumer = consumer or os.environ.get("FLUSHER_NAME") or socket.gethostname()
        self._claim_idle_ms = claim_idle_ms
        self._group_ready = False

    def push(self, records: Sequence[bytes]) -> None:
        pipe = self.redis.pipeline(transaction=False)
        for record in records:
            pipe.xadd(self.stream, {b"e": record})
        pipe.execute()

    def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    def read(self, max_records: int, wait_s: float) -> Batch | None:
        self._ensure_group()
        # 1. our own entries that were read but never acknowledged (we were killed mid-batch)
        entries = self._read_group("0", max_records, block_ms=None)
        # 2. entries another, silent consumer left behind
        if not entries:
            claimed = self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self._claim_idle_ms, "0-0", count=max_records
            )
            entries = [(eid, fields) for eid, fields in claimed[1] if fields]
        # 3. new entries
        if not entries:
            entries = self._read_group(">", max_records, block_ms=max(1, int(wait_s * 1000)))
        if not entries:
            return None
        ids = [eid for eid, _ in entries]
        token = "redis:" + hashlib.sha256(b",".join(ids)).hexdigest()
        return Batch(token=token, records=tuple(fields[b"e"] for _, fields in entries), handle=ids)

    def _read_group(
        self, start: str, count: int, block_ms: int | None
    ) -> list[tuple[bytes, dict[bytes, bytes]]]:
        response: Any = self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: start}, count=count, block=block_ms
        )
        if not response:
            return []
        return [(eid, fields) for eid, fields in response[0][1] if fields]

    def ack(self, batch: Batch) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.xack(self.stream, self.group, *batch.handle)
        pipe.xdel(self.stream, *batch.handle)
        pipe.execute()

    def pending(self) -> int:
        return int(self.redis.xlen(self.stream))

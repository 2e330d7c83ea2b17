"""The flusher: read a batch from the buffer, insert it into ClickHouse with its token, then ack.

A crash anywhere before the ack leaves the batch to be read again; the token makes the repeated
insert a no-op, so each event is counted once.

    python -m ingest.flusher        # server mode: a long-running worker beside the web processes
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Callable, Sequence

from analytics import client
from analytics.schema import EVENT_COLUMN_NAMES, Event, to_columns
from ingest.buffer import Batch, Buffer

log = logging.getLogger(__name__)

Sink = Callable[[Sequence[Event], str], None]


def clickhouse_sink(events: Sequence[Event], token: str) -> None:
    client.insert("events", to_columns(events), EVENT_COLUMN_NAMES, token=token)


def decode(batch: Batch) -> list[Event]:
    events = []
    for record in batch.records:
        try:
            events.append(Event.from_wire(json.loads(record)))
        except (ValueError, KeyError, TypeError) as exc:  # a torn line from a crash mid-write
            log.error("skipping an unreadable buffered record: %s", exc)
    return events


class Flusher:
    def __init__(self, buffer: Buffer, sink: Sink = clickhouse_sink, *, batch_size: int = 50_000) -> None:
        self.buffer = buffer
        self.sink = sink
        self.batch_size = batch_size

    def flush_once(self, wait_s: float = 0.5) -> int:
        """Move one batch; returns how many events it held (0 when the buffer was empty)."""
        batch = self.buffer.read(self.batch_size, wait_s)
        if batch is None:
            return 0
        events = decode(batch)
        if events:
            self.sink(events, batch.token)
        self.buffer.ack(batch)
        return len(events)

    def run(self, stop: threading.Event, *, interval_s: float = 0.5, max_backoff_s: float = 30.0) -> None:
        """Flush until ``stop`` is set; on an error keep the batch and retry with a growing pause."""
        backoff = interval_s
        while not stop.is_set():
            try:
                self.flush_once(wait_s=interval_s)
                backoff = interval_s
            except Exception as exc:
                log.warning("flush failed, will retry in %.1fs: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff_s)
        self.drain()

    def drain(self) -> None:
        """Best effort on shutdown: move what is buffered now; anything left waits for the next start."""
        try:
            while self.flush_once(wait_s=0):
                pass
        except Exception as exc:
            log.warning("could not drain the buffer on shutdown (it stays buffered): %s", exc)


def start_thread(flusher: Flusher) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=flusher.run, args=(stop,), name="lantern-flusher", daemon=True)
    thread.start()
    return thread, stop


def main() -> int:
    from ingest.runtime import make_buffer

    logging.basicConfig(level=logging.INFO, format="%(asctime)s flusher %(levelname)s %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    log.info("flushing to ClickHouse")
    Flusher(make_buffer()).run(stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())

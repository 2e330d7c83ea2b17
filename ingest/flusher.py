"""The flusher: read a batch from the buffer, insert it into ClickHouse with its token, then ack.

A crash anywhere before the ack leaves the batch to be read again; the token makes the repeated
insert a no-op, so each event is counted once. Events arrive with their visits decided (ingest/visits.py)
and the same insert feeds the visits table (a materialized view): nothing else to do after it.
After a full batch, a thread reads the next one while this one is inserted (a backlog drains at the
engine's pace, not at the engine's plus the buffer's); two batches are then held, each under its token.

A batch the engine refuses for its content (``refuses_data``: a value it cannot parse, not the engine
being away) is bisected, each half under the batch's token plus ``:0`` or ``:1``, down to the records it
refuses; the rest is stored and those are set aside (``ingest/deadletter.py``), then the batch is acked.
Bisection is deterministic, so a batch redone after a crash inserts the same halves under the same tokens.
Records moved and the time of the last flush that ended well are kept for ``/metrics``.

    python -m ingest.flusher        # server mode: a long-running worker beside the web processes
    METRICS_PORT=9100 METRICS_TOKEN=... python -m ingest.flusher   # with /metrics on a port of its own
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from analytics import client
from analytics.background import lower_priority
from analytics.config import env_int
from analytics.metrics import FLUSHER_LAST_SUCCESS, FLUSHER_RECORDS
from ingest.buffer import Batch, Buffer
from ingest.deadletter import DeadLetters, Refused, directory
from ingest.drops import PREFIX as DROPS_PREFIX

log = logging.getLogger(__name__)

Sink = Callable[[str, Sequence[bytes], str], None]


def clickhouse_sink(table: str, lines: Sequence[bytes], token: str) -> None:
    """Insert JSON lines; a line torn by a crash mid-write is skipped rather than blocking the batch."""
    try:
        client.insert_json_lines(table, lines, token=token)
    except client.ClickHouseError:
        readable = [line for line in lines if _is_json(line)]
        if len(readable) == len(lines):
            raise  # the lines are fine: the engine is not, so the batch waits
        log.error("skipping %d unreadable buffered record(s)", len(lines) - len(readable))
        if readable:
            client.insert_json_lines(table, readable, token=token)


def _is_json(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


# ClickHouse error codes that say a value could not be read or does not fit its column: the same
# records would be refused on any retry. Anything else (the engine away, a table detached or read-only,
# a timeout, an unknown code) keeps the batch in the buffer to be retried.
DATA_ERROR_CODES = frozenset(
    {
        6,  # CANNOT_PARSE_TEXT
        25,  # CANNOT_PARSE_ESCAPE_SEQUENCE
        26,  # CANNOT_PARSE_QUOTED_STRING
        27,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
        38,  # CANNOT_PARSE_DATE
        41,  # CANNOT_PARSE_DATETIME
        53,  # TYPE_MISMATCH
        70,  # CANNOT_CONVERT_TYPE
        72,  # CANNOT_PARSE_NUMBER
        117,  # INCORRECT_DATA
        131,  # TOO_LARGE_STRING_SIZE
        321,  # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
        349,  # CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
        376,  # CANNOT_PARSE_UUID
        441,  # CANNOT_PARSE_IPV4
        442,  # CANNOT_PARSE_IPV6
        467,  # CANNOT_PARSE_BOOL
    }
)
_CODE = re.compile(r"\bCode: (\d+)\.")


def error_code(exc: BaseException) -> int | None:
    """The ClickHouse error code of an exception: the client's ``code``, else the one in its text."""
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        return code
    found = _CODE.search(str(exc))
    return int(found.group(1)) if found else None


def refuses_data(exc: BaseException) -> bool:
    """Whether an insert failed for the records it carried, not for the engine (see ``DATA_ERROR_CODES``)."""
    return isinstance(exc, client.ClickHouseError) and error_code(exc) in DATA_ERROR_CODES


def split(records: Sequence[bytes]) -> tuple[list[bytes], list[bytes]]:
    """Event lines, and drop-count lines with their prefix removed."""
    events, drops = [], []
    for record in records:
        if record.startswith(DROPS_PREFIX):
            drops.append(record[len(DROPS_PREFIX) :])
        elif record.strip():
            events.append(record)
    return events, drops


@dataclasses.dataclass(frozen=True)
class _Taken:
    """A batch read from the buffer, split into its event lines and drop-count lines."""

    batch: Batch
    events: list[bytes]
    drops: list[bytes]


class Flusher:
    def __init__(
        self,
        buffer: Buffer,
        sink: Sink = clickhouse_sink,
        *,
        batch_size: int = 10_000,
        dead_letters: DeadLetters | None = None,
    ) -> None:
        self.buffer = buffer
        self.sink = sink
        self.batch_size = batch_size
        self.dead_letters = dead_letters or DeadLetters(directory())
        self.set_aside = 0  # records this flusher put in the dead-letter store (a counter for its life)
        self._reader: ThreadPoolExecutor | None = None
        self._ahead: Future[_Taken | None] | None = None

    def flush_once(self, wait_s: float = 0.5) -> int:
        """Move one batch; returns how many records it held, events and drop counts (0: buffer empty)."""
        ahead, self._ahead = self._ahead, None
        taken = ahead.result() if ahead is not None else None  # a failed read ahead raises here
        taken = taken if taken is not None else self._take(wait_s)
        if taken is None:
            FLUSHER_LAST_SUCCESS.set_to_current_time()
            return 0
        batch, events, drops = taken.batch, taken.events, taken.drops
        if len(batch.records) >= self.batch_size:  # a backlog: read the next batch meanwhile
            self._reader = self._reader or ThreadPoolExecutor(1, thread_name_prefix="lantern-flush-read")
            self._ahead = self._reader.submit(self._take, 0, batch)
        if events:
            self._store("events", events, batch.token)
        if drops:
            self._store("dropped_events", drops, batch.token + ":dropped")
        self.buffer.ack(batch)
        FLUSHER_RECORDS.inc(len(batch.records))
        FLUSHER_LAST_SUCCESS.set_to_current_time()
        return len(batch.records)

    def _store(self, table: str, lines: Sequence[bytes], token: str) -> None:
        """Insert lines; set aside the ones the engine refuses (raises if it is the engine that fails)."""
        refused = self._insert(table, lines, token)
        if refused:
            path = self.dead_letters.put(table, token, refused)
            self.set_aside += len(refused)
            log.error(
                "set aside %d of %d record(s) for %s that the event store refused (%s): %s",
                len(refused),
                len(lines),
                table,
                path,
                refused[0].error.splitlines()[0] if refused[0].error else "",
            )

    def _insert(self, table: str, lines: Sequence[bytes], token: str) -> list[Refused]:
        """Insert ``lines`` under ``token``, or, refused for their data, each half under a token of its
        own; returns the single records refused, with the engine's error."""
        try:
            self.sink(table, lines, token)
            return []
        except Exception as exc:
            if not refuses_data(exc):
                raise
            if len(lines) == 1:
                return [Refused(lines[0], str(exc))]
        half = len(lines) // 2
        return self._insert(table, lines[:half], token + ":0") + self._insert(
            table, lines[half:], token + ":1"
        )

    def _take(self, wait_s: float, held: Batch | None = None) -> _Taken | None:
        batch = self.buffer.read(self.batch_size, wait_s, () if held is None else (held,))
        return None if batch is None else _Taken(batch, *split(batch.records))

    def run(self, stop: threading.Event, *, interval_s: float = 0.5, max_backoff_s: float = 30.0) -> None:
        """Flush until ``stop`` is set; on an error keep the batch and retry with a growing pause.

        After a batch smaller than ``batch_size`` it pauses ``interval_s``, so a steady trickle becomes
        one insert per interval rather than a stream of tiny ones (each costs the engine a part).
        """
        lower_priority()  # events wait in the buffer; the requests bringing them do not
        backoff = interval_s
        while not stop.is_set():
            try:
                if self.flush_once(wait_s=interval_s) < self.batch_size:
                    stop.wait(interval_s)
                backoff = interval_s
            except Exception as exc:
                log.warning("flush failed, will retry in %.1fs: %s", backoff, exc)
                stop.wait(backoff)
                backoff = min(backoff * 2, max_backoff_s)
        self.drain()

    def move_all(self) -> int:
        """Move everything buffered now, batch by batch; returns the records moved. Unlike ``drain``, a
        failure raises (what was not moved stays buffered): for callers that must not go on without it."""
        moved = 0
        while count := self.flush_once(wait_s=0):
            moved += count
        return moved

    def drain(self) -> None:
        """Best effort on shutdown: move what is buffered now; anything left waits for the next start."""
        try:
            while self.flush_once(wait_s=0):
                pass
        except Exception as exc:
            log.warning("could not drain the buffer on shutdown (it stays buffered): %s", exc)


def flush_interval_s() -> float:
    """How long the flusher lets a trickle of events gather into one insert (``FLUSH_INTERVAL_MS``)."""
    return env_int("FLUSH_INTERVAL_MS", 1_000, minimum=10) / 1000


def start_thread(
    flusher: Flusher, *, interval_s: float = 0.5, max_backoff_s: float = 30.0
) -> tuple[threading.Thread, threading.Event]:
    """Run ``flusher.run`` in a daemon thread; set the returned event to stop it (it drains first)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=flusher.run,
        args=(stop,),
        kwargs={"interval_s": interval_s, "max_backoff_s": max_backoff_s},
        name="lantern-flusher",
        daemon=True,
    )
    thread.start()
    return thread, stop


def main() -> int:
    from analytics.config import ConfigError
    from analytics.datadir import private_umask
    from analytics.logs import configure
    from analytics.metrics import metrics_port, metrics_token, serve
    from ingest.ops import buffer_gauges
    from ingest.wiring import make_buffer

    private_umask()
    try:
        configure("flusher")
        (host, port), token = metrics_port(), metrics_token()
    except ConfigError as exc:
        print(f"flusher: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    buffer = make_buffer()
    if port:
        serve(port, host=host, token=token, probes=[buffer_gauges(buffer)])
        log.info("metrics at http://%s:%d/metrics", host, port)
    log.info("flushing to ClickHouse")
    Flusher(buffer).run(stop, interval_s=flush_interval_s())
    return 0


if __name__ == "__main__":
    sys.exit(main())

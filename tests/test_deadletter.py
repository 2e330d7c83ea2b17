"""A record the event store refuses is set aside; the rest of its batch and every later one is stored once.

Records are pushed straight into a real buffer (the spool on disk, a Redis stream on the test run's
Redis); inserts go to the real engine, which refuses a timestamp that is not a time. Replays go through
``python -m ingest.deadletter`` against a data directory (and, in server mode, a Redis) of the test's own.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from analytics import client
from ingest import deadletter
from ingest.buffer import Batch, Buffer, RedisStreamBuffer, SpoolBuffer, spool_is_empty
from ingest.deadletter import DeadLetters
from ingest.drops import PREFIX as DROPS_PREFIX
from ingest.flusher import Flusher, clickhouse_sink, refuses_data, start_thread
from tests.conftest import make_event, wait_until
from tests.services import Redis

ROOT = Path(__file__).resolve().parent.parent
SITE = 6161


def totals() -> tuple[int, int, int]:
    """count(), uniqExact(event_id), uniqExact(pathname) of the test site's stored events."""
    row = client.execute(
        "SELECT count(), uniqExact(event_id), uniqExact(pathname) FROM events WHERE site_id = {s:UInt64}",
        {"s": SITE},
    ).rows[0]
    return int(row[0]), int(row[1]), int(row[2])


def good(i: int) -> bytes:
    return make_event(SITE, pathname=f"/e/{i}").to_json()


def bad(i: int) -> bytes:
    """A record the engine refuses (CANNOT_PARSE_DATETIME), as version skew or a damaged disk leaves one."""
    record = json.loads(good(i))
    record["timestamp"] = "not a time"
    return json.dumps(record).encode()


def drop_count(site: int, n: int, day: str = "2026-01-02") -> bytes:
    return DROPS_PREFIX + json.dumps({"site_id": site, "day": day, "reason": "bot", "count": n}).encode()


def drops_of(site: int) -> int:
    query = "SELECT sum(count) FROM dropped_events WHERE site_id = {s:UInt64}"
    return int(client.execute(query, {"s": site}).rows[0][0])


def drain(flusher: Flusher) -> None:
    while flusher.flush_once(wait_s=0):
        pass


def is_empty(buffer: Buffer) -> bool:
    if isinstance(buffer, RedisStreamBuffer):
        return buffer.pending() == 0 and buffer.redis.hlen(buffer.batches_key) == 0
    assert isinstance(buffer, SpoolBuffer)
    return spool_is_empty(buffer.directory)


@pytest.fixture(params=["spool", "redis"])
def buffer(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> Iterator[Buffer]:
    if request.param == "spool":
        yield SpoolBuffer(tmp_path / "var" / "spool")
        return
    stream = RedisStreamBuffer(redis_url, stream=f"test:{uuid.uuid4().hex}")
    yield stream
    stream.redis.delete(stream.stream, stream.batches_key)


def test_a_refused_record_is_set_aside_and_every_other_one_is_stored_once(
    buffer: Buffer, tmp_path: Path, events_table: None, caplog: pytest.LogCaptureFixture
) -> None:
    letters = DeadLetters(tmp_path / "var" / "dead-letter")
    flusher = Flusher(buffer, batch_size=50, dead_letters=letters)
    thread, stop = start_thread(flusher, interval_s=0.02, max_backoff_s=0.1)
    try:
        buffer.push([good(i) for i in range(5)] + [bad(5)] + [good(i) for i in range(6, 11)])
        wait_until(lambda: totals()[0] >= 10 and is_empty(buffer), "the batch to be stored and acked")
        buffer.push([good(i) for i in range(11, 21)])  # the flusher goes on with later batches
        wait_until(lambda: totals()[0] >= 20 and is_empty(buffer), "the next batch")
    finally:
        stop.set()
        thread.join(20)
    assert totals() == (20, 20, 20)
    assert letters.count() == 1 and flusher.set_aside == 1
    [logged] = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "ingest.flusher"]
    assert "set aside 1 of 11 record(s)" in logged.getMessage()
    [line] = deadletter.lines(letters.files()[0])
    item = json.loads(line)
    assert item["table"] == "events" and json.loads(item["record"])["pathname"] == "/e/5"
    assert "CANNOT_PARSE_DATETIME" in item["error"] and item["at"] and item["batch"]
    assert letters.files()[0].stat().st_mode & 0o777 == 0o600
    assert letters.root.stat().st_mode & 0o777 == 0o700


class Dying:
    """A sink whose engine goes away after ``landing`` tries (refused or not)."""

    def __init__(self, landing: int) -> None:
        self.landing = landing

    def __call__(self, table: str, lines: Sequence[bytes], token: str) -> None:
        if self.landing <= 0:
            raise ConnectionError("the engine went away")
        self.landing -= 1
        clickhouse_sink(table, lines, token)


class Unacked:
    """The buffer of a flusher killed between its inserts and its ack."""

    def __init__(self, inner: Buffer) -> None:
        self.inner = inner

    def push(self, records: Sequence[bytes]) -> None:
        self.inner.push(records)

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        return self.inner.read(max_records, wait_s, held)

    def ack(self, batch: Batch) -> None:
        raise ConnectionError("killed before the ack")


def test_a_batch_redone_after_a_crash_mid_bisection_stores_each_record_once(
    buffer: Buffer, tmp_path: Path, events_table: None
) -> None:
    records = [good(i) for i in range(12)]
    records[3], records[9] = bad(3), bad(9)
    buffer.push(records)
    letters = DeadLetters(tmp_path / "dead-letter")
    for crash_after in (1, 3, 5, 8):  # the engine goes away at another point of the bisection each try
        with pytest.raises(ConnectionError):
            Flusher(buffer, Dying(crash_after), dead_letters=letters).flush_once(wait_s=0)
        assert not is_empty(buffer)  # the batch waits in the buffer, its halves under stable tokens
    with pytest.raises(ConnectionError):  # all stored and set aside, then killed before the ack
        Flusher(Unacked(buffer), dead_letters=letters).flush_once(wait_s=0)
    assert letters.count() == 2
    drain(Flusher(buffer, dead_letters=letters))
    assert totals() == (10, 10, 10)
    assert is_empty(buffer)
    stored = sorted(json.loads(json.loads(line)["record"])["pathname"] for line in all_lines(letters))
    assert stored == ["/e/3", "/e/9"]


def test_the_engine_away_is_retried_not_set_aside(tmp_path: Path, events_table: None) -> None:
    buffer = SpoolBuffer(tmp_path / "spool")
    letters = DeadLetters(tmp_path / "dead-letter")
    buffer.push([good(0), bad(1), good(2)])
    client.command("DETACH TABLE events")
    try:
        with pytest.raises(client.ClickHouseError) as failed:
            Flusher(buffer, dead_letters=letters).flush_once(wait_s=0)
        assert not refuses_data(failed.value)
        assert letters.count() == 0 and not spool_is_empty(buffer.directory)
    finally:
        client.command("ATTACH TABLE events")
    drain(Flusher(buffer, dead_letters=letters))  # the engine is back: now the bad record is found
    assert totals() == (2, 2, 2) and letters.count() == 1


class EngineError(client.ClickHouseError):
    """An error as the client raises it, with the engine's ``code`` when it answered (chDB and HTTP)."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@pytest.mark.parametrize(
    ("error", "refused"),
    [
        (EngineError("Code: 41. DB::Exception: Cannot read DateTime", code=41), True),  # chDB, HTTP alike
        (EngineError("Received ClickHouse exception, code: 27, server response: ...", code=27), True),
        (EngineError("Code: 53. DB::Exception: Type mismatch"), True),  # the code only in the text
        (EngineError("Code: 60. DB::Exception: Table default.events does not exist", code=60), False),
        (EngineError("Code: 242. DB::Exception: Table is in readonly mode", code=242), False),
        (EngineError("Code: 159. DB::Exception: Timeout exceeded", code=159), False),
        (EngineError("Code: 241. DB::Exception: Memory limit exceeded", code=241), False),
        (EngineError("Error HTTPConnectionPool(host='ch', port=8123): connection refused"), False),
        (ConnectionError("Code: 41."), False),  # not the engine's answer at all
    ],
)
def test_only_an_error_about_the_records_sets_them_aside(error: Exception, refused: bool) -> None:
    assert refuses_data(error) is refused


def run_deadletter(command: str, data_dir: Path, redis_url: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["LANTERN_DATA_DIR"] = str(data_dir)
    if redis_url:
        env["REDIS_URL"] = redis_url
    done = subprocess.run(
        [sys.executable, "-m", "ingest.deadletter", command],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def fix(path: Path) -> None:
    """What an operator does once the cause is known: mend the refused values in the file."""
    fixed = []
    for line in deadletter.lines(path):
        item = json.loads(line)
        record = item["record"].replace("not a time", dt.datetime.now(dt.UTC).isoformat())
        item["record"] = record.replace("not a day", "2026-01-03")
        fixed.append(json.dumps(item).encode() + b"\n")
    path.write_bytes(b"".join(fixed))


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_refused_records_fixed_and_replayed_are_stored_once(
    mode: str, tmp_path: Path, events_table: None
) -> None:
    data = tmp_path / "var"
    drops_site = random.randrange(10**6, 10**9)  # dropped_events is not emptied between tests
    server = Redis.start(tmp_path / "redis") if mode == "server" else None
    try:
        url = server.url if server else None
        buffer: Buffer = (
            RedisStreamBuffer(url) if url else SpoolBuffer(data / "spool")
        )  # as the runtime makes it
        letters = DeadLetters(data / "dead-letter")
        flusher = Flusher(buffer, dead_letters=letters)
        buffer.push(
            [good(0), bad(1), good(2), drop_count(drops_site, 4), drop_count(drops_site, 5, day="not a day")]
        )
        drain(flusher)
        assert totals() == (2, 2, 2) and drops_of(drops_site) == 4
        assert letters.count() == 2 and len(letters.files()) == 2  # one file per table of the batch

        listed = run_deadletter("list", data, url)
        assert "2 record(s) in 2 file(s)" in listed and "CANNOT_PARSE_DATETIME" in listed

        for path in letters.files():
            fix(path)
        assert "replayed 2 record(s)" in run_deadletter("replay", data, url)
        assert letters.count() == 0
        assert "replayed 0 record(s)" in run_deadletter("replay", data, url)  # nothing left to replay
        drain(flusher)
        assert totals() == (3, 3, 3) and drops_of(drops_site) == 9
        assert is_empty(buffer) and letters.count() == 0
    finally:
        if server:
            server.stop()


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_a_replay_pushed_twice_under_one_name_is_stored_once(
    mode: str, tmp_path: Path, redis_url: str, events_table: None
) -> None:
    """A replay killed after its push but before it removed the file pushes the same name again."""
    if mode == "server":
        stream = RedisStreamBuffer(redis_url, stream=f"test:{uuid.uuid4().hex}")
        buffer: Buffer = stream
        push = deadletter.stream_pusher(stream)
    else:
        buffer = SpoolBuffer(tmp_path / "spool")
        push = deadletter.spool_pusher(tmp_path / "spool")
    flusher = Flusher(buffer, dead_letters=DeadLetters(tmp_path / "dead-letter"))
    assert push("dead-letter-batch-x", [good(0), good(1)])
    drain(flusher)
    push("dead-letter-batch-x", [good(0), good(1)])
    drain(flusher)
    assert totals()[0] == 2
    if isinstance(buffer, RedisStreamBuffer):
        buffer.redis.delete(buffer.stream, buffer.batches_key)


def all_lines(letters: DeadLetters) -> list[bytes]:
    return [line for path in letters.files() for line in deadletter.lines(path)]

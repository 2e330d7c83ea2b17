"""Buffers and the flusher: a crash between read and insert loses nothing and counts nothing twice.

The Redis stream runs against the real Redis of the test run; the spool against a temp directory;
inserts go to the real engine.
"""

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import redis

from analytics import client
from ingest.buffer import (
    SEGMENT_BYTES,
    Buffer,
    FallbackBuffer,
    RedisStreamBuffer,
    SpoolBuffer,
    SpooledPush,
    parse_spooled,
    spool_is_empty,
)
from ingest.flusher import Flusher, clickhouse_sink
from tests.conftest import make_event
from tests.services import free_port

SITE = 4242


def records(n: int) -> list[bytes]:
    return [make_event(SITE, visitor_id=i).to_json() for i in range(n)]


def stored() -> int:
    return int(
        client.execute("SELECT count() FROM events WHERE site_id = {s:UInt64}", {"s": SITE}).rows[0][0]
    )


@pytest.fixture
def stream(redis_url: str) -> Iterator[str]:
    name = f"test:{uuid.uuid4().hex}"
    yield name
    redis.Redis.from_url(redis_url).delete(name)


def make_spool(tmp_path: Path) -> SpoolBuffer:
    return SpoolBuffer(tmp_path / "spool")


def make_redis(
    url: str, stream: str, consumer: str = "worker-1", claim_idle_ms: int = 60_000
) -> RedisStreamBuffer:
    return RedisStreamBuffer(url, stream=stream, consumer=consumer, claim_idle_ms=claim_idle_ms)


def test_the_spool_hands_back_what_was_pushed(tmp_path: Path) -> None:
    spool = make_spool(tmp_path)
    spool.push(records(3))
    assert not spool_is_empty(spool.directory)
    batch = spool.read(100, 0)
    assert batch is not None and len(batch.records) == 3
    spool.ack(batch)
    assert spool.read(100, 0) is None
    assert spool_is_empty(spool.directory)


def test_a_crash_before_the_ack_rereads_the_same_spool_batch(tmp_path: Path, events_table: None) -> None:
    spool = make_spool(tmp_path)
    spool.push(records(5))
    first = spool.read(100, 0)
    assert first is not None
    clickhouse_sink("events", first.records, first.token)
    # the process dies here: inserted, never acknowledged
    restarted = make_spool(tmp_path)
    assert Flusher(restarted).flush_once(wait_s=0) == 5
    assert stored() == 5
    assert restarted.read(100, 0) is None


@pytest.mark.filterwarnings(
    "ignore::pytest.PytestUnraisableExceptionWarning"
)  # the dead one's file stays open
def test_an_unsealed_segment_of_a_dead_process_is_flushed(tmp_path: Path, events_table: None) -> None:
    make_spool(tmp_path).push(records(4))  # never sealed, never closed: as if killed
    assert Flusher(make_spool(tmp_path)).flush_once(wait_s=0) == 4
    assert stored() == 4


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_dead_process_segment_keeps_its_whole_records_and_drops_a_copy_cut_short(tmp_path: Path) -> None:
    dead, pushed = make_spool(tmp_path), records(3)
    dead.push(pushed)
    assert dead._map is not None
    cut_short = b'{"site_id": 4242, "pathn'  # the kill came in the middle of the next push's copy
    dead._map[dead._used : dead._used + len(cut_short)] = cut_short
    (segment,) = spool_files(tmp_path)
    assert segment.stat().st_size == SEGMENT_BYTES  # reserved, mostly zeros
    batch = make_spool(tmp_path).read(100, 0)
    assert batch is not None
    assert list(batch.records) == pushed
    assert Path(batch.handle).read_bytes() == b"".join(record + b"\n" for record in pushed)


def test_an_open_segment_without_records_is_an_empty_spool(tmp_path: Path) -> None:
    spool = make_spool(tmp_path)
    spool.push([])
    assert spool_files(tmp_path) and spool_is_empty(spool.directory)
    spool.push(records(1))
    assert not spool_is_empty(spool.directory)


def test_pushes_larger_than_a_segment_and_across_segments_read_back_whole(tmp_path: Path) -> None:
    spool = make_spool(tmp_path)
    big = b'{"pathname": "' + b"a" * SEGMENT_BYTES + b'"}'
    pushed = [*records(2), big, *records(2)]
    spool.push(pushed[:2])
    spool.push([big])  # does not fit the open segment: it is sealed and a larger one opened
    spool.push(pushed[3:])
    read: list[bytes] = []
    while (batch := spool.read(100, 0)) is not None:
        read.extend(batch.records)
        spool.ack(batch)
    assert read == pushed


def spool_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "spool").glob("*.jsonl"))


def test_the_redis_stream_rereads_unacknowledged_entries(
    redis_url: str, stream: str, events_table: None
) -> None:
    make_redis(redis_url, stream).push(records(6))
    first = make_redis(redis_url, stream).read(100, 0.1)
    assert first is not None and len(first.records) == 6
    clickhouse_sink("events", first.records, first.token)
    # killed before XACK; the same consumer starts again
    again = make_redis(redis_url, stream)
    second = again.read(100, 0.1)
    assert second is not None and second.token == first.token
    Flusher(again).flush_once(wait_s=0)  # re-reads its pending batch (same token) and acknowledges it
    assert stored() == 6
    assert again.read(100, 0.05) is None
    assert again.pending() == 0


def test_a_push_is_one_stream_entry_and_reads_back_as_its_records_in_order(
    redis_url: str, stream: str
) -> None:
    buffer = make_redis(redis_url, stream)
    first_push, second_push = records(5), records(3)
    buffer.push(first_push)
    buffer.push(second_push)
    assert buffer.pending() == 2  # entries, not records
    entries: Any = buffer.redis.xrange(stream)
    assert [fields for _, fields in entries] == [
        {b"e": b"\n".join(first_push)},
        {b"e": b"\n".join(second_push)},
    ]
    batch = buffer.read(1, 0)  # one entry asked for: the whole first push comes back
    assert batch is not None and batch.records == tuple(first_push)
    buffer.ack(batch)
    rest = buffer.read(100, 0)
    assert rest is not None and rest.records == tuple(second_push)
    buffer.ack(rest)
    assert buffer.pending() == 0 and buffer.read(100, 0) is None
    buffer.redis.delete(buffer.batches_key)


def test_another_flusher_claims_entries_a_dead_one_left(
    redis_url: str, stream: str, events_table: None
) -> None:
    dead = make_redis(redis_url, stream, consumer="dead")
    dead.push(records(3))
    assert dead.read(100, 0.1) is not None  # read, then gone for good
    survivor = make_redis(redis_url, stream, consumer="alive", claim_idle_ms=0)
    assert Flusher(survivor).flush_once(wait_s=0) == 3
    assert stored() == 3


class FlakySink:
    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.batches: list[int] = []

    def __call__(self, table: str, lines: Sequence[bytes], token: str) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("ClickHouse is down")
        clickhouse_sink(table, lines, token)
        self.batches.append(len(lines))


@pytest.mark.parametrize("kind", ["spool", "redis"])
def test_a_failed_insert_keeps_the_batch_for_the_next_try(
    kind: str, tmp_path: Path, redis_url: str, stream: str, events_table: None
) -> None:
    buffer: Buffer = make_spool(tmp_path) if kind == "spool" else make_redis(redis_url, stream)
    buffer.push(records(7))
    sink = FlakySink(failures=2)
    flusher = Flusher(buffer, sink)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            flusher.flush_once(wait_s=0.05)
    assert flusher.flush_once(wait_s=0.05) == 7
    assert stored() == 7 and sink.batches == [7]


@pytest.mark.parametrize(
    ("lines", "pushes"),
    [
        ([b"#push - 0", b"{1}", b"{2}"], [SpooledPush(None, 0, (b"{1}", b"{2}"))]),
        (
            [b"#push s:lane:a 7", b"{1}", b"#push - 0", b"{2}", b"D{3}"],
            [SpooledPush("s:lane:a", 7, (b"{1}",)), SpooledPush(None, 0, (b"{2}", b"D{3}"))],
        ),
        ([b"#push s:lane:a 7", b"{1}", b"#push s:la"], [SpooledPush("s:lane:a", 7, (b"{1}",))]),  # torn
        ([b"#push s:lane:a 7"], []),
    ],
)
def test_a_fallback_segment_splits_into_its_pushes(lines: list[bytes], pushes: list[SpooledPush]) -> None:
    assert parse_spooled(lines) == pushes


def test_a_live_processes_fallback_spool_is_left_to_it(redis_url: str, stream: str, tmp_path: Path) -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"
    alive = FallbackBuffer(RedisStreamBuffer(down, stream=stream), tmp_path / "fallback")
    alive.push(records(3))  # spooled: its Redis is out
    other = FallbackBuffer(make_redis(redis_url, stream), tmp_path / "fallback")
    assert other.replay_once() == 0  # the directory is locked by a live process: not adopted
    assert alive.spooled() and other.primary.pending() == 0
    alive.close()  # now it is gone
    assert other.replay_once() == 3
    assert not other.spooled() and other.primary.pending() == 3


def test_a_held_spool_segment_is_not_handed_out_again(tmp_path: Path) -> None:
    spool = make_spool(tmp_path)
    spool.push(records(2))
    first = spool.read(100, 0)
    spool.push(records(3))
    assert first is not None
    second = spool.read(100, 0, held=[first])  # seals the open segment rather than repeat the held one
    assert second is not None and second.token != first.token and len(second.records) == 3
    assert spool.read(100, 0, held=[first, second]) is None
    assert spool.read(100, 0) == first  # not held any more: it is still there until acknowledged


def test_a_consumer_holds_two_batches_and_its_successor_resumes_both_under_their_tokens(
    redis_url: str, stream: str, events_table: None
) -> None:
    buffer = make_redis(redis_url, stream)
    for _ in range(3):
        buffer.push(records(4))
    first = buffer.read(1, 0)
    assert first is not None
    second = buffer.read(1, 0, held=[first])  # the next entry, not the held batch again
    assert second is not None and second.token != first.token
    assert buffer.redis.hlen(buffer.batches_key) == 2
    # the flusher dies holding both; the same consumer starts again
    again = make_redis(redis_url, stream)
    resumed = again.read(100, 0)
    assert resumed is not None
    other = again.read(100, 0, held=[resumed])
    assert other is not None
    assert {resumed.token, other.token} == {first.token, second.token}
    assert {resumed.records, other.records} == {first.records, second.records}
    rest = again.read(100, 0, held=[resumed, other])
    assert rest is not None and len(rest.records) == 4  # then the entry nobody took yet
    for batch in (resumed, other, rest):
        clickhouse_sink("events", batch.records, batch.token)
        again.ack(batch)
    assert stored() == 12 and again.pending() == 0 and again.redis.hlen(again.batches_key) == 0


@pytest.mark.parametrize("successor", ["the same consumer", "another consumer"])
def test_entries_delivered_but_never_recorded_are_adopted_once(
    successor: str, redis_url: str, stream: str, events_table: None
) -> None:
    dead = make_redis(redis_url, stream, consumer="dead")
    for _ in range(3):
        dead.push(records(2))
    dead.redis.xgroup_create(stream, dead.group, id="0")
    # the reader dies after XREADGROUP delivered two entries, before its record
    delivered: Any = dead.redis.xreadgroup(dead.group, dead.consumer, {stream: ">"}, count=2)
    first, last = delivered[0][1][0][0], delivered[0][1][-1][0]

    consumer = "dead" if successor == "the same consumer" else "heir"
    other = make_redis(redis_url, stream, consumer="other")
    third = other.read(100, 0)  # a live flusher goes on past them: fresh ones are left to their reader
    assert third is not None and len(third.records) == 2
    other.ack(third)
    heir = make_redis(redis_url, stream, consumer=consumer, claim_idle_ms=0)
    adopted = heir.read(100, 0)
    assert adopted is not None and len(adopted.records) == 4
    # the dead reader was only slow: its record is refused, so it does not insert them
    record: Any = dead._record_script(
        keys=[stream, dead.batches_key], args=[dead.group, "dead", first, last, 2, "late"]
    )
    assert record is None
    again = make_redis(redis_url, stream, consumer=consumer)
    resumed = again.read(100, 0)  # the adopted batch is now recorded: resumed under its token
    assert resumed is not None and resumed.token == adopted.token and resumed.records == adopted.records
    Flusher(again).flush_once(wait_s=0)
    assert stored() == 4
    again.redis.delete(again.batches_key)


def test_another_consumers_fresh_unrecorded_entries_are_left_to_it(redis_url: str, stream: str) -> None:
    reader = make_redis(redis_url, stream, consumer="reader")
    reader.push(records(2))
    reader.redis.xgroup_create(stream, reader.group, id="0")
    reader.redis.xreadgroup(reader.group, reader.consumer, {stream: ">"}, count=1)  # not recorded yet
    assert make_redis(redis_url, stream, consumer="other", claim_idle_ms=60_000).read(100, 0) is None
    reader.redis.delete(reader.batches_key)


class FailingSink:
    def __init__(self) -> None:
        self.tokens: list[str] = []

    def __call__(self, table: str, lines: Sequence[bytes], token: str) -> None:
        self.tokens.append(token)
        raise ConnectionError("ClickHouse is down")


def test_the_flusher_reads_the_next_batch_while_it_inserts_and_a_crash_then_loses_nothing(
    redis_url: str, stream: str, events_table: None
) -> None:
    buffer = make_redis(redis_url, stream)
    for _ in range(5):
        buffer.push(records(3))
    failing = FailingSink()
    flusher = Flusher(buffer, failing, batch_size=1)  # every batch is full: the next one is read ahead
    for _ in range(3):
        with pytest.raises(ConnectionError):
            flusher.flush_once(wait_s=0)
    # the failed batch and the one read ahead take turns; no third batch is taken while inserts fail
    assert len(failing.tokens) == 3 and len(set(failing.tokens)) == 2
    assert buffer.redis.hlen(buffer.batches_key) == 2
    # killed now, holding both; the same consumer starts again
    again = make_redis(redis_url, stream)
    inserted: list[str] = []

    def recording_sink(table: str, lines: Sequence[bytes], token: str) -> None:
        inserted.append(token)
        clickhouse_sink(table, lines, token)

    flusher = Flusher(again, recording_sink, batch_size=1)
    while flusher.flush_once(wait_s=0):
        pass
    assert set(failing.tokens) <= set(inserted) and len(inserted) == len(set(inserted)) == 5
    assert stored() == 15 and again.pending() == 0 and again.redis.hlen(again.batches_key) == 0

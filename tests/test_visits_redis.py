"""Server mode decides visits in the push script (``ingest/buffer.py``): the same visits as
``MemoryVisits`` for any stream of events, once per push however often it is retried, shared by every
web process; while Redis is out the web process decides them itself.

Real Redis (the test run's); each test keeps its stream and visit states under a prefix of its own.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analytics.schema import GAP_MS
from ingest.buffer import FallbackBuffer, Push, RedisStreamBuffer, parse_spooled
from ingest.ratelimit import CLIENT, Limits, RateLimiter, SharedLimits
from ingest.visits import MemoryVisits, Pending, pending
from tests.conftest import make_event
from tests.services import free_port
from tests.test_faults import ReplyLost

MIDNIGHT = dt.datetime(2026, 3, 14, tzinfo=dt.UTC)


def buffer_at(url: str, prefix: str) -> RedisStreamBuffer:
    """A web process's Redis buffer, its stream and visit states under ``prefix``."""
    return RedisStreamBuffer(url, stream=f"{prefix}events", visits=f"{prefix}visit:")


def stored(stream: RedisStreamBuffer) -> list[bytes]:
    entries: Any = stream.redis.xrange(stream.stream)
    return [record for _, fields in entries for record in fields[b"e"].split(b"\n")]


def event_at(moment: dt.datetime, visitor: int, carried: int | None = None, path: str = "/") -> Pending:
    return pending(make_event(1, timestamp=moment, visitor_id=visitor, pathname=path), carried)


def visit_ids(records: list[bytes]) -> list[int]:
    return [orjson.loads(record)["visit_id"] for record in records]


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    name = f"test:visits:{uuid.uuid4().hex}:"
    yield name
    forget(redis_url, name)


def forget(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


# Steps between events: around the 30-minute gap, short, long (across 00:00 and 03:00), and back.
STEPS_MS = st.one_of(
    st.sampled_from([GAP_MS - 1, GAP_MS, GAP_MS + 1, -GAP_MS, -GAP_MS - 1]),
    st.integers(0, 10 * 60_000),
    st.integers(0, 5 * 3_600_000),
    st.integers(-2 * 3_600_000, 0),
)


@st.composite
def streams(draw: st.DrawFn) -> list[list[Pending]]:
    """Pushes of pending events: a few visitors (today's ids 1-4, and as yesterday's), time moving
    forward and sometimes back across a midnight, sometimes to the millisecond before 03:00 or on it."""
    moment = MIDNIGHT + dt.timedelta(milliseconds=draw(st.integers(-3 * 3_600_000, 3_600_000)))
    visitors = draw(st.integers(1, 4))
    pendings = []
    for _ in range(draw(st.integers(1, 60))):
        moment += dt.timedelta(milliseconds=draw(STEPS_MS))
        if draw(st.integers(0, 9)) == 0:  # to the edge of 03:00 of the moment's day
            day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
            moment = day + dt.timedelta(hours=3, milliseconds=draw(st.sampled_from([-1, 0])))
        visitor = draw(st.integers(1, visitors))
        carried = draw(st.one_of(st.none(), st.integers(1, visitors)))
        pendings.append(event_at(moment, visitor, carried))
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(pendings) - 1)), max_size=10)))
    return [pendings[a:b] for a, b in zip([0, *cuts], [*cuts, len(pendings)], strict=True) if a < b]


def across_0300(last_ms: int) -> list[list[Pending]]:
    """A visit from 23:50 with an event every 20 minutes, then one at 03:00 plus ``last_ms``."""
    moments = [MIDNIGHT + dt.timedelta(minutes=m) for m in range(-10, 171, 20)]
    return [
        [event_at(moment, 1)] for moment in [*moments, MIDNIGHT + dt.timedelta(hours=3, milliseconds=last_ms)]
    ]


@given(pushes=streams(), group=st.integers(1, 3))
@example(pushes=across_0300(-1), group=1)
@example(pushes=across_0300(0), group=2)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_push_script_decides_the_visits_memory_visits_decides(
    redis_url: str, pushes: list[list[Pending]], group: int
) -> None:
    name = f"test:visits:{uuid.uuid4().hex}:"
    stream = buffer_at(redis_url, name)
    try:
        for first in range(0, len(pushes), group):  # ``group`` pushes to a script, as GroupCommit sends
            batch = [Push(pendings=chunk) for chunk in pushes[first : first + group]]
            assert stream.push_checked(batch) == [None] * len(batch)
        expected = MemoryVisits().decide_all(p for chunk in pushes for p in chunk)
        assert stored(stream) == expected
    finally:
        forget(redis_url, name)


def test_a_retried_push_adds_nothing_and_decides_nothing_again(redis_url: str, prefix: str) -> None:
    stream = buffer_at(redis_url, prefix)
    lane = f"{stream.stream}:lane:test"
    first = event_at(MIDNIGHT + dt.timedelta(hours=10), 1, path="/a")
    assert stream._run_push(lane, 1, [Push(pendings=[first])]) == [0]
    state = stream.redis.get(f"{prefix}visit:1:1")
    # The retry of push 1 (redis-py's, after a lost answer): under that number even other events, a
    # visit's worth later, are neither added nor decided.
    later = event_at(MIDNIGHT + dt.timedelta(hours=12), 1, path="/b")
    assert stream._run_push(lane, 1, [Push(pendings=[later])]) == [0]
    assert stream.redis.get(f"{prefix}visit:1:1") == state
    assert stream.pending() == 1 and [orjson.loads(r)["pathname"] for r in stored(stream)] == ["/a"]
    assert stream._run_push(lane, 2, [Push(pendings=[later])]) == [0]  # the next push is decided
    assert stream.redis.get(f"{prefix}visit:1:1") != state and len(set(visit_ids(stored(stream)))) == 2


def test_two_web_processes_share_the_visits(redis_url: str, prefix: str) -> None:
    one, other = buffer_at(redis_url, prefix), buffer_at(redis_url, prefix)
    evening = MIDNIGHT - dt.timedelta(minutes=20)
    assert one.push_pending([event_at(evening, 7, path="/begun")], "198.51.100.1", ["1"]) is None
    assert (
        other.push_pending([event_at(evening + dt.timedelta(minutes=10), 7)], "198.51.100.1", ["1"]) is None
    )
    after_midnight = MIDNIGHT + dt.timedelta(minutes=15)  # today's id is 8; yesterday's 7 goes on
    assert one.push_pending([event_at(after_midnight, 8, carried=7)], "198.51.100.1", ["1"]) is None
    assert other.push_pending([event_at(MIDNIGHT + dt.timedelta(hours=1), 8)], "198.51.100.1", ["1"]) is None
    ids = visit_ids(stored(one))
    assert ids[0] == ids[1] == ids[2] != ids[3]  # the last came 45 minutes after: a visit of its own
    assert stored(other) == stored(one)


def test_a_group_decides_its_pushes_in_order_and_not_those_over_the_limits(
    redis_url: str, prefix: str
) -> None:
    local = Limits(RateLimiter(rate_per_s=0.01, burst=1), RateLimiter(rate_per_s=0, burst=0))
    stream = buffer_at(redis_url, prefix)
    stream.limits = SharedLimits(local, secret=lambda: b"s" * 32, prefix=f"{prefix}rate:")
    ten = MIDNIGHT + dt.timedelta(hours=10)
    begun, limited, fresh = (event_at(ten + dt.timedelta(minutes=m), v) for m, v in ((0, 1), (5, 2), (10, 2)))
    continued = event_at(ten + dt.timedelta(minutes=20), 1)
    pushes = [
        Push(pendings=[begun], check=("198.51.100.1", ("1",))),
        Push(pendings=[limited], check=("198.51.100.1", ("1",))),  # over the client's burst of 1
        Push(records=[b'{"drops":1}']),
        Push(pendings=[fresh, continued], check=("198.51.100.2", ("1",))),
    ]
    assert stream.push_checked(pushes) == [None, CLIENT, None, None]
    assert stored(stream) == [
        begun.record(begun.fresh),
        b'{"drops":1}',
        fresh.record(fresh.fresh),  # the limited event of visitor 2 began no visit
        continued.record(begun.fresh),
    ]


def test_while_redis_is_out_the_web_process_decides_the_visits_and_spools_them(tmp_path: Path) -> None:
    web = FallbackBuffer(RedisStreamBuffer(f"redis://127.0.0.1:{free_port()}/0"), tmp_path / "spool")
    ten = MIDNIGHT + dt.timedelta(hours=10)
    for minutes in (0, 10, 50):
        assert (
            web.push_pending([event_at(ten + dt.timedelta(minutes=minutes), 1)], "198.51.100.1", ["1"])
            is None
        )
    spool = web.own_spool()
    spool.close()
    batch = spool.read(0, 0)
    assert batch is not None
    ids = visit_ids([record for push in parse_spooled(batch.records) for record in push.records])
    assert ids[0] == ids[1] != ids[2]
    web.close()


def test_a_push_whose_answer_was_lost_keeps_the_visits_redis_decided(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    primary = ReplyLost(redis_url, stream=f"{prefix}events", visits=f"{prefix}visit:")
    web = FallbackBuffer(primary, tmp_path / "spool", retry_after_s=0)
    ten = MIDNIGHT + dt.timedelta(hours=10)
    for minutes in (0, 10, 20):  # the first landed in Redis, and was spooled (decided here) as well
        assert (
            web.push_pending([event_at(ten + dt.timedelta(minutes=minutes), 1)], "198.51.100.1", []) is None
        )
    assert web.spooled() and web.replay_once() == 0  # its lane shows it landed: the spooled copy goes
    ids = visit_ids(stored(primary))
    assert len(ids) == 3 and len(set(ids)) == 1

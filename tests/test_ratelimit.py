"""Rate limits shared through Redis: the buffer push takes the tokens, so every web process (one buffer
each) draws on one budget per client and per site, in the one round trip that stores the events; keys
are hashed and expire; while Redis is out each process limits on its own and spools what is within.
The pushes are of events waiting for their visits (``push_pending``), as the app makes them.

Real Redis: the test run's, or a server of the test's own where it is stopped and started again.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from ingest.buffer import FallbackBuffer, RedisStreamBuffer, parse_spooled
from ingest.groupcommit import GroupCommit
from ingest.ratelimit import CLIENT, Limits, RateLimiter, SharedLimits
from ingest.visits import pending
from tests.conftest import make_event
from tests.services import Redis, free_port

IP = "203.0.113.9"


def shared(
    url: str, prefix: str, spool: Path, *, client: tuple[float, float], site: tuple[float, float]
) -> GroupCommit:
    """A web process's buffer in server mode: (rate/s, burst) per client and per site."""
    local = Limits(
        per_client=RateLimiter(rate_per_s=client[0], burst=client[1]),
        per_site=RateLimiter(rate_per_s=site[0], burst=site[1]),
    )
    limits = SharedLimits(local, secret=lambda: b"s" * 32, prefix=prefix)
    stream = RedisStreamBuffer(url, stream=f"{prefix}events", limits=limits, visits=f"{prefix}visit:")
    return GroupCommit(FallbackBuffer(stream, spool / uuid.uuid4().hex, retry_after_s=0))


def check(buffer: GroupCommit, client: str, sites: list[str], n: int = 0) -> str | None:
    """Push one event (its pathname ``/<n>``) with the client's and the sites' check."""
    return buffer.push_pending([pending(make_event(1, pathname=f"/{n}"))], client, sites)


def pathnames(records: list[bytes]) -> list[str]:
    return [json.loads(record)["pathname"] for record in records]


def stored(url: str, prefix: str) -> list[bytes]:
    entries: Any = redis.Redis.from_url(url).xrange(f"{prefix}events")
    return [record for _, fields in entries for record in fields[b"e"].split(b"\n")]


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    name = f"test:rate:{uuid.uuid4().hex}:"
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{name}*"):
        client.delete(key)


def test_two_processes_share_one_budget_per_client(redis_url: str, prefix: str, tmp_path: Path) -> None:
    first, second = (shared(redis_url, prefix, tmp_path, client=(0.01, 3), site=(0, 0)) for _ in range(2))
    assert [check(first, IP, ["1"]), check(first, IP, ["1"]), check(second, IP, ["1"])] == [None] * 3
    assert check(second, IP, ["1"]) == CLIENT
    assert check(first, IP, ["1"]) == CLIENT
    assert check(first, "198.51.100.7", ["1"]) is None  # another client has a budget of its own


def test_two_processes_share_one_budget_per_site(redis_url: str, prefix: str, tmp_path: Path) -> None:
    first, second = (shared(redis_url, prefix, tmp_path, client=(0, 0), site=(0.01, 2)) for _ in range(2))
    assert check(first, "198.51.100.1", ["7"]) is None
    assert check(second, "198.51.100.2", ["7"]) is None
    assert check(first, "198.51.100.3", ["7"]) == "7"
    assert check(second, "198.51.100.4", ["8", "7"]) == "7"  # the first site over its limit is named
    assert [check(second, "198.51.100.5", ["8"]) for _ in range(2)] == [None, "8"]  # 8 gave one above


def test_a_limited_push_stores_nothing(redis_url: str, prefix: str, tmp_path: Path) -> None:
    first, second = (shared(redis_url, prefix, tmp_path, client=(0.01, 2), site=(0, 0)) for _ in range(2))
    verdicts = [check(buffer, IP, ["1"], n) for n, buffer in enumerate([first, second] * 2)]
    first.push([b'{"drops":1}'])  # a push without a check is never limited
    assert verdicts == [None, None, CLIENT, CLIENT]
    records = stored(redis_url, prefix)
    assert pathnames(records[:2]) == ["/0", "/1"] and records[2:] == [b'{"drops":1}']


def test_a_client_over_its_limit_takes_nothing_from_the_sites(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    buffer = shared(redis_url, prefix, tmp_path, client=(0.01, 1), site=(0.01, 2))
    assert check(buffer, IP, ["7"]) is None
    assert [check(buffer, IP, ["7"]) for _ in range(5)] == [CLIENT] * 5
    assert [check(buffer, "198.51.100.1", ["7"]), check(buffer, "198.51.100.2", ["7"])] == [None, "7"]


def test_concurrent_pushes_from_many_threads_and_processes_admit_exactly_the_burst(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    buffers = [shared(redis_url, prefix, tmp_path, client=(0.01, 25), site=(0, 0)) for _ in range(2)]
    verdicts: list[str | None] = []
    start = threading.Barrier(40)

    def send(buffer: GroupCommit) -> None:
        start.wait()
        for _ in range(5):
            verdicts.append(check(buffer, IP, ["1"]))

    threads = [threading.Thread(target=send, args=(buffers[i % 2],)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(verdicts) == 200 and verdicts.count(None) == 25
    assert len(stored(redis_url, prefix)) == 25


def test_buckets_refill_at_the_rate(redis_url: str, prefix: str, tmp_path: Path) -> None:
    buffer = shared(redis_url, prefix, tmp_path, client=(5, 1), site=(0, 0))
    assert [check(buffer, IP, []), check(buffer, IP, [])] == [None, CLIENT]
    time.sleep(0.3)  # 1.5 tokens' worth at 5/s; the bucket holds 1
    assert check(buffer, IP, []) is None


def test_redis_holds_only_hashes_that_expire_once_the_bucket_is_full_again(
    redis_url: str, prefix: str, tmp_path: Path
) -> None:
    buffer = shared(redis_url, prefix, tmp_path, client=(0.5, 10), site=(1, 50))
    check(buffer, IP, ["4242"])
    client = redis.Redis.from_url(redis_url)
    keys = [key for key in client.scan_iter(f"{prefix}*") if b":events" not in key and b":visit:" not in key]
    assert len(keys) == 2
    for key in keys:
        assert IP.encode() not in key and b"4242" not in key
        assert IP.encode() not in (client.get(key) or b"")
    ttls = sorted(int(client.pttl(key)) for key in keys)
    assert 0 < ttls[0] <= 1_001 and 1_001 < ttls[1] <= 2_001  # one token back: 1 s at 1/s, 2 s at 0.5/s


def test_the_limits_and_the_push_are_one_round_trip(tmp_path: Path) -> None:
    server = Redis.start(tmp_path / "redis")
    try:
        buffer = shared(server.url, "rate:", tmp_path, client=(0.01, 100), site=(0.01, 100))
        check(buffer, IP, ["1", "2"])  # loads the script, opens the connection
        stats = redis.Redis.from_url(server.url)

        def calls() -> dict[str, int]:
            return {name: int(s["calls"]) for name, s in stats.info("commandstats").items()}

        before = calls()
        assert check(buffer, "198.51.100.1", ["1", "2"]) is None
        after = calls()
        changed = {
            name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name)
        }
        # One EVALSHA from the web process (INFO is this test's); the rest ran inside that script.
        assert changed.pop("cmdstat_evalsha") == 1 and changed.pop("cmdstat_info") == 1
        assert set(changed) <= {"cmdstat_get", "cmdstat_set", "cmdstat_time", "cmdstat_xadd"}
        # 3 buckets, the visit's state and the lane
        assert changed["cmdstat_xadd"] == 1 and changed["cmdstat_set"] == 5
    finally:
        server.stop()


def test_without_redis_each_process_limits_on_its_own_spools_and_never_fails(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    buffer = shared(url, "test:rate:", tmp_path, client=(0.01, 2), site=(0, 0))
    verdicts = [check(buffer, IP, ["1"], n) for n in range(3)]
    assert verdicts == [None, None, CLIENT]
    fallback = buffer.inner
    assert isinstance(fallback, FallbackBuffer)
    spool = fallback.own_spool()
    spool.close()
    batch = spool.read(0, 0)
    assert batch is not None
    spooled = [record for push in parse_spooled(batch.records) for record in push.records]
    assert pathnames(spooled) == ["/0", "/1"]
    fallback.close()


def test_the_limits_are_shared_again_once_redis_is_back(tmp_path: Path) -> None:
    server = Redis.start(tmp_path / "redis")
    try:
        first, second = (
            shared(server.url, "rate:", tmp_path, client=(0.01, 2), site=(0, 0)) for _ in range(2)
        )
        assert check(first, IP, []) is None
        server.stop()
        assert [check(second, IP, []) for _ in range(3)] == [None, None, CLIENT]  # its own bucket
        server = server.start_again()  # its buckets were never written to disk (the events were): full
        assert [check(first, IP, []), check(second, IP, []), check(first, IP, [])] == [None, None, CLIENT]
        assert len(stored(server.url, "rate:")) == 1 + 2  # before the stop, and after the restart
        for buffer in (first, second):
            buffer.inner.close()  # type: ignore[attr-defined]
    finally:
        server.stop()

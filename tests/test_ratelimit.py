"""Rate limits shared through Redis: every limiter (one per web process) draws on one budget per client
and per site; keys are hashed and expire; while Redis is out each process limits on its own.

Real Redis: the test run's, or a server of the test's own where it is stopped and started again.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.ratelimit import CLIENT, Limits, RateLimiter, SharedLimits
from tests.services import Redis, free_port

IP = "203.0.113.9"


def shared(url: str, prefix: str, *, client: tuple[float, float], site: tuple[float, float]) -> SharedLimits:
    """A limiter as a web process makes one: (rate/s, burst) per client and per site."""
    local = Limits(
        per_client=RateLimiter(rate_per_s=client[0], burst=client[1]),
        per_site=RateLimiter(rate_per_s=site[0], burst=site[1]),
    )
    return SharedLimits(url, local, secret=lambda: b"s" * 32, prefix=prefix, retry_after_s=0)


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    name = f"test:rate:{uuid.uuid4().hex}:"
    yield name
    limiter = shared(redis_url, name, client=(0, 0), site=(0, 0))
    for key in limiter.redis.scan_iter(f"{name}*"):
        limiter.redis.delete(key)


def test_two_processes_share_one_budget_per_client(redis_url: str, prefix: str) -> None:
    first, second = (shared(redis_url, prefix, client=(0.01, 3), site=(0, 0)) for _ in range(2))
    assert [first.check(IP, ["1"]), first.check(IP, ["1"]), second.check(IP, ["1"])] == [None] * 3
    assert second.check(IP, ["1"]) == CLIENT
    assert first.check(IP, ["1"]) == CLIENT
    assert first.check("198.51.100.7", ["1"]) is None  # another client has a budget of its own


def test_two_processes_share_one_budget_per_site(redis_url: str, prefix: str) -> None:
    first, second = (shared(redis_url, prefix, client=(0, 0), site=(0.01, 2)) for _ in range(2))
    assert first.check("198.51.100.1", ["7"]) is None
    assert second.check("198.51.100.2", ["7"]) is None
    assert first.check("198.51.100.3", ["7"]) == "7"
    assert second.check("198.51.100.4", ["8", "7"]) == "7"  # the first site over its limit is named
    assert [second.check("198.51.100.5", ["8"]) for _ in range(2)] == [None, "8"]  # 8 gave one above


def test_a_client_over_its_limit_takes_nothing_from_the_sites(redis_url: str, prefix: str) -> None:
    limiter = shared(redis_url, prefix, client=(0.01, 1), site=(0.01, 2))
    assert limiter.check(IP, ["7"]) is None
    assert [limiter.check(IP, ["7"]) for _ in range(5)] == [CLIENT] * 5
    assert [limiter.check("198.51.100.1", ["7"]), limiter.check("198.51.100.2", ["7"])] == [None, "7"]


def test_concurrent_checks_from_many_threads_and_processes_admit_exactly_the_burst(
    redis_url: str, prefix: str
) -> None:
    limiters = [shared(redis_url, prefix, client=(0.01, 25), site=(0, 0)) for _ in range(2)]
    verdicts: list[str | None] = []
    start = threading.Barrier(40)

    def send(limiter: SharedLimits) -> None:
        start.wait()
        for _ in range(5):
            verdicts.append(limiter.check(IP, ["1"]))

    threads = [threading.Thread(target=send, args=(limiters[i % 2],)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(verdicts) == 200 and verdicts.count(None) == 25


def test_buckets_refill_at_the_rate(redis_url: str, prefix: str) -> None:
    limiter = shared(redis_url, prefix, client=(5, 1), site=(0, 0))
    assert [limiter.check(IP, []), limiter.check(IP, [])] == [None, CLIENT]
    time.sleep(0.3)  # 1.5 tokens' worth at 5/s; the bucket holds 1
    assert limiter.check(IP, []) is None


def test_redis_holds_only_hashes_that_expire_once_the_bucket_is_full_again(
    redis_url: str, prefix: str
) -> None:
    limiter = shared(redis_url, prefix, client=(0.5, 10), site=(1, 50))
    limiter.check(IP, ["4242"])
    keys = list(limiter.redis.scan_iter(f"{prefix}*"))
    assert len(keys) == 2
    for key in keys:
        assert IP.encode() not in key and b"4242" not in key
        assert IP.encode() not in (limiter.redis.get(key) or b"")
    ttls = sorted(int(limiter.redis.pttl(key)) for key in keys)
    assert 0 < ttls[0] <= 1_001 and 1_001 < ttls[1] <= 2_001  # one token back: 1 s at 1/s, 2 s at 0.5/s


def test_without_redis_each_process_limits_on_its_own_and_never_fails() -> None:
    limiter = shared(f"redis://127.0.0.1:{free_port()}/0", "test:rate:", client=(0.01, 2), site=(0, 0))
    assert [limiter.check(IP, ["1"]) for _ in range(3)] == [None, None, CLIENT]


def test_the_limits_are_shared_again_once_redis_is_back(tmp_path: Path) -> None:
    server = Redis.start(tmp_path / "redis")
    try:
        first, second = (shared(server.url, "rate:", client=(0.01, 2), site=(0, 0)) for _ in range(2))
        assert first.check(IP, []) is None
        server.stop()
        assert [second.check(IP, []) for _ in range(3)] == [None, None, CLIENT]  # its own bucket
        server = server.start_again()  # its buckets were never written to disk: all full
        assert [first.check(IP, []), second.check(IP, []), first.check(IP, [])] == [None, None, CLIENT]
    finally:
        server.stop()

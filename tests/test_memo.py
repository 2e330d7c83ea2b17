"""A few seconds' memory (``analytics.memo``): one computation for the callers of a key at once, none
kept after a failure, none served past its time, none across this process's own writes."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from analytics import client, memo
from tests.conftest import make_event, seed


def test_callers_at_once_share_one_computation() -> None:
    started, release, calls = threading.Event(), threading.Event(), []

    def slow() -> int:
        calls.append(1)
        started.set()
        release.wait(5)
        return 42

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(memo.remembered, ("shared", id(slow)), slow, ttl=60)
        started.wait(5)
        others = [pool.submit(memo.remembered, ("shared", id(slow)), slow, ttl=60) for _ in range(3)]
        release.set()
        assert [f.result() for f in (first, *others)] == [42] * 4
    assert len(calls) == 1


def test_a_failure_is_not_kept() -> None:
    calls: list[int] = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("engine away")
        return 7

    with pytest.raises(ValueError, match="engine away"):
        memo.remembered(("flaky",), flaky, ttl=60)
    assert memo.remembered(("flaky",), flaky, ttl=60) == 7


def test_an_answer_past_its_time_is_computed_again() -> None:
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    assert memo.remembered(("aged",), count, ttl=-1) == 1  # already older than it may be
    assert memo.remembered(("aged",), count, ttl=-1) == 2


def test_this_process_writing_to_the_store_is_a_new_scope(clickhouse: None) -> None:
    before = memo.scope()
    client.command("TRUNCATE TABLE IF EXISTS dropped_events")
    assert memo.scope() != before


def test_an_events_insert_is_a_new_scope_only_where_events_count(clickhouse: None) -> None:
    """Inserts of events change ``scope()``, not ``scope(events=False)`` (for answers whose keys hold the
    days' event counts, or that no event changes); any other write changes both."""
    whole, apart = memo.scope(), memo.scope(events=False)
    seed([make_event(987_654, timestamp=dt.datetime.now(dt.UTC), visitor_id=1)])
    assert memo.scope() != whole
    assert memo.scope(events=False) == apart
    client.command("ALTER TABLE events DELETE WHERE site_id = 987654", settings={"mutations_sync": 2})
    assert memo.scope(events=False) != apart

"""The sessionizer follows the queue that every events insert fills, and turns it into sessions.

Real chDB: the queue is a materialized view of the events table, so these tests insert events the
way the flusher does and check what the sessions table holds after each round.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator

import pytest

from analytics import client, run_query, sessionizer, sessions
from analytics.periods import DateRange
from analytics.query import Query
from analytics.rolled import rolled_sql
from analytics.schema import Event
from tests.conftest import seed

SITE = 11
DAY = dt.date(2026, 11, 20)
AT = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
VISITS = Query(SITE, DateRange(DAY, DAY, "UTC"), ("visitors", "visits", "pageviews", "visit_duration"))


def pageview(visitor: int, minutes: float, day: dt.datetime = AT) -> Event:
    return Event(SITE, day + dt.timedelta(minutes=minutes), uuid.uuid4(), "pageview", visitor, "x.com", "/")


@pytest.fixture
def store(events_table: None) -> Iterator[None]:
    yield


def test_it_builds_the_sessions_of_queued_visitor_days_once(store: None) -> None:
    seed([pageview(1, 0), pageview(1, 2), pageview(2, 0)])
    assert sessionizer.catch_up(margin=0) == 2
    assert run_query(VISITS) == [{"visitors": 2, "visits": 2, "pageviews": 3, "visit_duration": 60}]
    assert sessionizer.catch_up(margin=0) == 0  # nothing new queued: nothing redone
    seed([pageview(2, 10)])  # a late event extends visitor 2's visit
    assert sessionizer.catch_up(margin=0) == 1
    assert run_query(VISITS) == [{"visitors": 2, "visits": 2, "pageviews": 4, "visit_duration": 360}]


def test_a_rebuild_counts_the_queue_it_covered_as_read(store: None) -> None:
    """After ``rebuild`` (a loaded store, an upgrade) the next round does not redo every queued day;
    what is queued after it still is."""
    seed([pageview(1, 0), pageview(1, 2), pageview(2, 0)])
    assert sessions.main(["rebuild"]) == 0  # every site: python -m analytics.sessions rebuild
    assert run_query(VISITS) == [{"visitors": 2, "visits": 2, "pageviews": 3, "visit_duration": 60}]
    assert sessionizer.catch_up(margin=0) == 0  # the queue before the rebuild: covered by it
    seed([pageview(1, 5)])
    assert sessionizer.rebuild() == 2  # and again, with more queued since
    assert sessionizer.catch_up(margin=0) == 0
    seed([pageview(2, 10)])
    assert sessionizer.catch_up(margin=0) == 1
    assert run_query(VISITS) == [{"visitors": 2, "visits": 2, "pageviews": 5, "visit_duration": 450}]


def test_it_leaves_the_newest_moments_of_the_queue_for_the_next_round(store: None) -> None:
    seed([pageview(1, 0)])
    assert sessionizer.catch_up(margin=3600) == 0  # queued less than an hour ago: not yet
    assert run_query(VISITS)[0]["visits"] == 0
    assert sessionizer.catch_up(margin=0) == 1
    assert run_query(VISITS)[0]["visits"] == 1


def test_a_round_that_dies_before_recording_progress_is_redone_harmlessly(
    store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed([pageview(1, 0), pageview(1, 1), pageview(3, 0, AT - dt.timedelta(days=1))])
    real = client.command

    def dies_at_progress(sql: str, parameters: object = None) -> object:
        if sql.startswith("INSERT INTO sessions_progress"):
            raise client.ClickHouseError("the process died here")
        return real(sql, parameters)  # type: ignore[arg-type]

    monkeypatch.setattr(client, "command", dies_at_progress)
    with pytest.raises(client.ClickHouseError):
        sessionizer.catch_up(margin=0)
    monkeypatch.setattr(client, "command", real)
    before = client.execute("SELECT count() FROM sessions").rows
    assert sessionizer.catch_up(margin=0) == 2  # the same visitor-days again (two days)...
    assert client.execute("SELECT count() FROM sessions").rows == before  # ... and nothing new written
    assert run_query(VISITS) == [{"visitors": 1, "visits": 1, "pageviews": 2, "visit_duration": 60}]


def test_the_thread_keeps_sessions_following_the_events_when_poked(store: None) -> None:
    """Embedded chDB needs no margin; the flusher pokes the thread after each insert, so visits do not
    wait for the (here, very long) interval."""
    assert sessionizer.margin_s() == 0
    thread, stop = sessionizer.start_thread(interval_s=60)
    try:
        time.sleep(0.2)  # the thread's first round has run and it now waits out its interval
        seed([pageview(5, 0), pageview(6, 0)])
        sessionizer.poke()
        deadline = time.monotonic() + 20
        while run_query(VISITS)[0]["visits"] != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run_query(VISITS)[0]["visits"] == 2
        # deferred work gives way to the requests: the thread runs at a lower priority (nice 10)
        assert thread.native_id is not None
        lowered = min(os.getpriority(os.PRIO_PROCESS, 0) + 10, 19)
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == lowered
    finally:
        stop.set()
        sessionizer.poke()
        thread.join(10)
    assert not thread.is_alive()


def test_the_thread_builds_the_rollups_of_quiet_days(store: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLUP_EVERY_S", "1")
    monkeypatch.setenv("ROLLUP_QUIET_S", "0")
    monkeypatch.setenv("ROLLUP_DAYS", "100000")  # the builder's window reaches DAY on any day
    seed([pageview(5, 0), pageview(6, 0), pageview(5, 10)])
    thread, stop = sessionizer.start_thread(interval_s=0.2, timezones=lambda: {SITE: "UTC"})
    try:
        deadline = time.monotonic() + 30
        while rolled_sql(VISITS) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rolled_sql(VISITS) is not None  # the day is read from its rollup now, with the same answer
        assert run_query(VISITS) == [{"visitors": 2, "visits": 2, "pageviews": 3, "visit_duration": 300}]
    finally:
        stop.set()
        sessionizer.poke()
        thread.join(30)
    assert not thread.is_alive()


def test_the_command_catches_up_once(
    store: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSIONS_MARGIN_MS", "0")
    seed([pageview(1, 0)])
    assert sessionizer.main() == 0
    assert capsys.readouterr().out.strip() == "sessions: recomputed 1 visitor-day(s)"

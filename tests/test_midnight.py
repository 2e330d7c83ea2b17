"""A visit that crosses 00:00 UTC is one visit: through the query layer, rollups, the sessionizer,
``rebuild`` and retention; and the bound on sessions that go on across several midnights."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest

from analytics import client, rollups, run_query, sessionizer, sessions
from analytics.deletion import delete_older_than
from analytics.periods import DateRange
from analytics.query import Query, build_sql
from analytics.rolled import rolled_sql
from analytics.schema import Event
from ingest.continuity import CARRY_FOR
from tests.conftest import seed
from tests.reference import Reference

SITE = 21
DAY = dt.date(2026, 11, 20)
VISIT = ("visits", "visitors", "pageviews", "bounce_rate", "visit_duration", "views_per_visit")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """``day`` days after DAY, at hour:minute UTC."""
    return dt.datetime.combine(DAY + dt.timedelta(days=day), dt.time(hour, minute), dt.UTC)


def pageview(visitor: int, moment: dt.datetime, path: str = "/", source: str = "") -> Event:
    return Event(
        SITE,
        moment,
        uuid.uuid4(),
        "pageview",
        visitor,
        "x.com",
        path,
        referrer_source=source,
        country_code="DE",
    )


def days(first: int, last: int, tz: str = "UTC") -> DateRange:
    return DateRange(DAY + dt.timedelta(days=first), DAY + dt.timedelta(days=last), tz)


def ask(date_range: DateRange, metrics: tuple[str, ...] = VISIT, dims: tuple[str, ...] = ()) -> list[Any]:
    return run_query(Query(SITE, date_range, metrics, dims))


CROSSING = [pageview(1, at(0, 23, 50), "/a", "Google"), pageview(1, at(1, 0, 10), "/b", "Bing")]


def assert_one_crossing_visit() -> None:
    both = {"visits": 1, "visitors": 1, "pageviews": 2, "bounce_rate": 0, "visit_duration": 1200}
    assert ask(days(0, 1)) == [{**both, "views_per_visit": 2.0}]
    # Each day overlaps the visit: it counts there whole, with that day's pageviews.
    assert ask(days(0, 0)) == [{**both, "pageviews": 1, "views_per_visit": 2.0}]
    assert ask(days(1, 1)) == [{**both, "pageviews": 1, "views_per_visit": 2.0}]
    pages = ("visit:entry_page", "visit:exit_page", "visit:source")
    assert ask(days(0, 1), ("visits",), pages) == [
        {"visit:entry_page": "/a", "visit:exit_page": "/b", "visit:source": "Google", "visits": 1}
    ]
    # Charted by its last event.
    assert ask(days(0, 1), ("visits",), ("time:day",)) == [
        {"time:day": "2026-11-20", "visits": 0},
        {"time:day": "2026-11-21", "visits": 1},
    ]


def stored_rows() -> int:
    return int(client.execute("SELECT count() FROM sessions").rows[0][0])


def test_a_visit_across_midnight_is_one_visit(events_table: None) -> None:
    seed(CROSSING)
    sessionizer.catch_up(margin=0)
    assert_one_crossing_visit()


def test_a_gap_of_31_minutes_across_midnight_makes_two_visits(events_table: None) -> None:
    seed([pageview(1, at(0, 23, 50), "/a"), pageview(1, at(1, 0, 21), "/b")])
    sessionizer.catch_up(margin=0)
    assert ask(days(0, 1)) == [
        {
            "visits": 2,
            "visitors": 1,
            "pageviews": 2,
            "bounce_rate": 100,
            "visit_duration": 0,
            "views_per_visit": 1.0,
        }
    ]


def test_the_sessionizer_joins_the_halves_whatever_order_they_arrive_in(events_table: None) -> None:
    first, second = CROSSING
    seed([second])  # the morning first
    sessionizer.catch_up(margin=0)
    assert ask(days(1, 1), ("visits", "bounce_rate")) == [{"visits": 1, "bounce_rate": 100}]
    seed([first])  # then the evening before: the morning's session is gone, merged into it
    sessionizer.catch_up(margin=0)
    assert_one_crossing_visit()
    rows = stored_rows()
    sessions.update([first.to_json(), second.to_json()])  # a batch delivered again: nothing new
    assert stored_rows() == rows
    # A late event before the start moves it: still one visit, entered on the new first page.
    seed([pageview(1, at(0, 23, 30), "/early")])
    sessionizer.catch_up(margin=0)
    assert ask(days(0, 1), ("visits", "visit_duration", "pageviews")) == [
        {"visits": 1, "visit_duration": 2400, "pageviews": 3}
    ]
    assert ask(days(0, 1), ("visits",), ("visit:entry_page",)) == [
        {"visit:entry_page": "/early", "visits": 1}
    ]


def test_rebuild_makes_the_same_visit(events_table: None) -> None:
    seed(CROSSING)
    assert sessions.rebuild(SITE) == 2  # visitor-days
    assert_one_crossing_visit()
    rows = stored_rows()
    sessions.rebuild(SITE)
    assert stored_rows() == rows  # nothing changed: nothing written


def test_a_session_ends_before_3_utc_of_the_day_after_it_began(events_table: None) -> None:
    """Active every 20 minutes from 22:00 over two midnights: a session begun the day before ends
    before 03:00, so three visits; another begun at 00:10 lasts until 02:50 the next day (26 h 40)."""
    steady = [pageview(3, at(0, 22) + dt.timedelta(minutes=20 * n)) for n in range(94)]  # to D+2 05:00
    long = [pageview(4, at(1, 0, 10) + dt.timedelta(minutes=20 * n)) for n in range(80)]  # to D+2 02:30
    events = steady + long
    random.Random(3).shuffle(events)
    for part in range(0, len(events), 40):  # in batches, out of order
        seed(events[part : part + 40])
        sessionizer.catch_up(margin=0)
    reference = Reference(events)
    starts = sorted((s.start, s.end) for s in reference.sessions if s.first.visitor_id == 3)
    assert [dt.datetime.fromtimestamp(s / 1000, dt.UTC) for s, _ in starts] == [
        at(0, 22),
        at(1, 3),
        at(2, 3),
    ]
    queries = [
        Query(SITE, days(0, 2), VISIT),
        Query(SITE, days(0, 2), VISIT, ("time:day",)),
        Query(SITE, days(2, 2), ("visits", "visit_duration")),
        Query(SITE, DateRange.between(at(2, 2), at(2, 2, 30), "UTC"), ("visits", "visit_duration")),
        Query(SITE, days(1, 2, "Europe/Berlin"), VISIT, ("time:day",)),
    ]
    for query in queries:
        assert run_query(query) == reference.run(query), query
    assert run_query(queries[0])[0]["visits"] == 4
    assert run_query(queries[3])[0]["visits"] == 2  # the 26-hour visit began more than a day before
    rows = stored_rows()
    sessions.rebuild(SITE)
    assert stored_rows() == rows


def test_sessions_end_when_ingest_stops_carrying_ids() -> None:
    assert sessions.CARRY == CARRY_FOR


def _history() -> list[Event]:
    """The crossing visit, a 31-minute gap across midnight, visitors of single days, one visit across
    Berlin's midnight (23:00 UTC), and another visit across 00:00 UTC four days later."""
    out = [*CROSSING, pageview(2, at(1, 23, 50), "/c"), pageview(2, at(2, 0, 21), "/d")]
    out += [pageview(5, at(2, 1, 0), "/e", "Google"), pageview(5, at(2, 1, 5), "/a")]
    out += [pageview(6, at(1, 12), "/b"), pageview(7, at(0, 21, 45), "/a", "Bing")]
    out += [
        pageview(7, at(0, 22, 10), "/c"),
        pageview(7, at(0, 22, 50), "/b"),
        pageview(7, at(0, 23, 5), "/a"),
    ]
    out += [pageview(9, at(4, 23, 55), "/a", "Google"), pageview(9, at(5, 0, 5), "/b")]
    return [*out, pageview(10, at(3, 9), "/c"), pageview(11, at(6, 9), "/d")]


RANGES = [(0, 0), (0, 1), (1, 1), (0, 2), (2, 3), (4, 4), (4, 5), (-1, 6), (5, 6), (0, 6)]


def _rolled_equals_raw(tz: str) -> int:
    used = 0
    for first, last in RANGES:
        for dims in [(), ("time:day",), ("visit:entry_page",)]:
            metrics = ("visits", "visitors", "pageviews", "bounce_rate", "visit_duration")
            query = Query(SITE, days(first, last, tz), metrics, dims)
            found = rolled_sql(query)
            if found is not None:
                used += 1
                assert client.execute(*found).rows == client.execute(*build_sql(query)).rows, query
    return used


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin"])
def test_rolled_answers_count_the_visit_once(
    events_table: None, tz: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROLLUP_DAYS", "100000")  # the builder's window reaches DAY on any day
    seed(_history())
    sessions.rebuild(SITE)
    rollups.rebuild(SITE, tz)
    assert _rolled_equals_raw(tz) == 3 * len(RANGES)
    assert ask(days(0, 1, "UTC"), ("visits",)) == [{"visits": 5}]  # visitor 7 twice, 2 once there
    # The morning after changes (the crossing visit goes on): the evening's build is no longer used,
    # nor the builds of the days whose visits may begin on that morning; a range reading them raw and
    # the fifth day rolled counts visitor 9's visit once, where it ends.
    seed([pageview(1, at(1, 0, 25), "/f")])
    sessionizer.catch_up(margin=0)
    assert _rolled_equals_raw(tz) >= 9
    # The evening changes (a new visitor): it is read raw too.
    seed([pageview(8, at(0, 12), "/g")])
    sessionizer.catch_up(margin=0)
    assert _rolled_equals_raw(tz) >= 9
    # Built again: the changed days and those depending on them (the fourth day's builds count the
    # first's events), and no other.
    # Quiet by the clock that stamped the changes (the engine's): not yet, then a minute on.
    assert rollups.refresh({SITE: tz}, catch_up=lambda: None, quiet_s=60) == 0
    quiet = client.engine_now() + dt.timedelta(seconds=61)
    assert rollups.refresh({SITE: tz}, catch_up=lambda: None, quiet_s=60, now=quiet) == 5
    assert _rolled_equals_raw(tz) == 3 * len(RANGES)


def test_retention_leaves_the_morning_half_a_visit_of_its_own(events_table: None) -> None:
    seed(CROSSING)
    sessionizer.catch_up(margin=0)
    delete_older_than(SITE, at(1, 0))
    assert ask(days(1, 1)) == [
        {
            "visits": 1,
            "visitors": 1,
            "pageviews": 1,
            "bounce_rate": 100,
            "visit_duration": 0,
            "views_per_visit": 1.0,
        }
    ]
    assert ask(days(1, 1), ("visits",), ("visit:entry_page",)) == [{"visit:entry_page": "/b", "visits": 1}]

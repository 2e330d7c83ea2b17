"""The faster ways to the same numbers give exactly the numbers of the plain ways.

- ``sessions.rebuild`` (set-based, whole days per statement) writes exactly the rows that the
  flusher's per-visitor ``reconcile`` writes, from nothing and over stale stored sessions.
- Visit breakdowns and visit filters over event metrics (visitors, pageviews, events) read whole
  sessions and join only the sessions crossing an edge of the range to their events
  (``events_by_session``); every event joined to its session (``events_joined``, the plain path) and
  the plain-Python reference give the same rows, above all for sessions crossing the range's edges.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import client, run_query, sessions
from analytics.periods import DateRange
from analytics.query import Filter, Plan, Query
from analytics.schema import Event
from tests.conftest import seed
from tests.reference import Reference
from tests.test_metrics_reference import histories

SITE = 7
DAY = dt.date(2026, 11, 20)
MIDNIGHT = dt.datetime.combine(DAY, dt.time(), dt.UTC)
BERLIN_DAY = DateRange(DAY, DAY, "Europe/Berlin")  # [19th 23:00, 20th 23:00) UTC: edges inside UTC days
EVENT_METRICS = ("visitors", "pageviews", "events", "visits")
VISIT_DIMENSIONS = ("visit:source", "visit:entry_page", "visit:exit_page", "visit:country", "visit:browser")


@pytest.fixture
def store(events_table: None) -> Iterator[None]:
    yield


def snapshot() -> list[tuple[object, ...]]:
    """Every stored sessions row, every column, in a fixed order."""
    columns = ", ".join(sessions.TABLE_COLUMNS)
    return client.execute(f"SELECT {columns} FROM sessions ORDER BY {columns}", max_rows=0).rows


def all_visitor_days() -> list[sessions.VisitorDay]:
    rows = client.execute(
        "SELECT DISTINCT site_id, visitor_id, toDate(timestamp) FROM events", max_rows=0
    ).rows
    return [sessions.VisitorDay(int(s), int(v), d) for s, v, d in rows]


def plain(query: Query) -> list[dict[str, object]]:
    """``run_query`` with every event joined to its session, as before ``events_by_session``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Plan, "events_by_session", Plan.events_joined)
        return run_query(query)


def keyed(rows: list[dict[str, object]], dimension: str) -> dict[object, dict[str, object]]:
    return {row[dimension]: row for row in rows}


def at(hours: float, minutes: float = 0) -> dt.datetime:
    return MIDNIGHT + dt.timedelta(hours=hours, minutes=minutes)


def event(visitor: int, when: dt.datetime, name: str = "pageview", page: str = "/", **more: object) -> Event:
    return Event(SITE, when, uuid.uuid4(), name, visitor, "example.com", page, **more)  # type: ignore[arg-type]


# Sessions crossing the edges of Berlin's 20 November: 19th 23:00 UTC and 20th 23:00 UTC.
EDGE_EVENTS = [
    # crosses the start: one pageview before it, one in the range
    event(1, at(-1, -10), page="/early", referrer_source="Google", country_code="DE"),
    event(1, at(-1, 10), page="/in"),
    # crosses the start with only engagement in the range: a visit, but no visitor or pageview
    event(2, at(-1, -20), page="/e", referrer_source="Bing"),
    event(2, at(-1, 5), name="engagement", page="/e", engagement_time=5000),
    # crosses the end: a pageview in the range, one after it
    event(3, at(22, 45), page="/late", referrer_source="Google", country_code="US"),
    event(3, at(23, 10), page="/after"),
    # crosses the end with its only pageview after it
    event(4, at(22, 58), name="engagement", page="/x"),
    event(4, at(23, 5), page="/x", referrer_source="Twitter"),
    # one visitor: a session inside (Google) and one crossing the end (Google again), and one
    # inside from Bing: counted once for Google and once for Bing
    event(5, at(8), page="/a", referrer_source="Google", browser="Firefox"),
    event(5, at(12), page="/b", referrer_source="Bing", browser="Firefox"),
    event(5, at(22, 50), page="/c", referrer_source="Google", browser="Firefox"),
    event(5, at(23, 10), page="/d"),
    # wholly inside, with a custom event
    event(6, at(10), page="/", referrer_source="Google", country_code="DE"),
    event(6, at(10, 5), name="Signup", page="/"),
    # wholly outside
    event(7, at(-3), page="/before", referrer_source="Google"),
    # (for stale sessions: split in halves, odd places arriving later) a start that moves earlier ...
    event(8, at(10), page="/moved"),
    event(8, at(10, 20), page="/first"),
    # ... and two sessions that a later event merges
    event(9, at(14, 20), page="/bridge"),
    event(9, at(14), page="/one"),
    event(10, at(15), page="/other"),
    event(9, at(14, 40), page="/two"),
]


def test_rebuild_writes_what_reconcile_writes_from_nothing(store: None) -> None:
    seed(EDGE_EVENTS)
    sessions.reconcile(all_visitor_days())
    by_visitor = snapshot()
    client.command("TRUNCATE TABLE sessions")
    assert sessions.rebuild() == len(all_visitor_days())
    assert snapshot() == by_visitor
    assert len(by_visitor) >= 8


def test_rebuild_writes_what_reconcile_writes_over_stale_sessions(store: None) -> None:
    """Sessions written from part of the events, then more events (one merges two sessions, one moves
    a start): both ways add the same new rows and the same deleted rows."""
    first, later = EDGE_EVENTS[::2], EDGE_EVENTS[1::2]
    seed(first)
    sessions.reconcile(all_visitor_days())
    client.command("DROP TABLE IF EXISTS sessions_start")
    client.command("CREATE TABLE sessions_start AS sessions")
    try:
        client.command("INSERT INTO sessions_start SELECT * FROM sessions")
        seed(later)
        sessions.reconcile(all_visitor_days())
        by_visitor = snapshot()
        client.command("TRUNCATE TABLE sessions")
        client.command("INSERT INTO sessions SELECT * FROM sessions_start")
        sessions.rebuild(SITE)
        assert snapshot() == by_visitor
        assert any(row[sessions.TABLE_COLUMNS.index("deleted")] for row in by_visitor)
    finally:
        client.command("DROP TABLE IF EXISTS sessions_start")


def live() -> list[tuple[object, ...]]:
    """Each live session's key and content (its fingerprint covers every column)."""
    return client.execute(
        "SELECT site_id, visitor_id, session_start, argMax(fingerprint, version) FROM sessions"
        " GROUP BY site_id, visitor_id, session_start HAVING argMax(deleted, version) = 0"
        " ORDER BY site_id, visitor_id, session_start",
        max_rows=0,
    ).rows


def test_a_day_whose_events_move_during_the_rebuild_is_redone_visitor_by_visitor(
    store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An event lands while a day's statement runs (a flusher at work): that day is redone by
    ``reconcile``, and the live sessions are those of all the events."""
    late = event(1, at(-1, 20), page="/late")  # joins visitor 1's session that crosses the start
    seed(EDGE_EVENTS)
    real = client.command
    statements: list[str] = []

    def meanwhile(sql: str, parameters: dict[str, object] | None = None) -> object:
        statements.append(sql)
        done = real(sql, parameters)
        if sql == sessions.RECONCILE_DAYS and statements.count(sql) == 1:
            seed([late])
        return done

    monkeypatch.setattr(client, "command", meanwhile)
    sessions.rebuild(SITE)
    monkeypatch.setattr(client, "command", real)
    assert statements.count(sessions.RECONCILE_DAYS) == 1
    assert sessions.RECONCILE in statements  # the moved day, visitor by visitor
    rebuilt = live()
    client.command("TRUNCATE TABLE sessions")
    sessions.reconcile(all_visitor_days())
    assert rebuilt == live()
    query = Query(SITE, BERLIN_DAY, EVENT_METRICS, ("visit:exit_page",), limit=1000)
    assert keyed(run_query(query), "visit:exit_page")["/late"]["pageviews"] == 2  # /in and /late


def test_rebuild_leaves_other_sites_alone(store: None) -> None:
    seed([*EDGE_EVENTS, dataclasses.replace(EDGE_EVENTS[0], site_id=SITE + 1, event_id=uuid.uuid4())])
    sessions.rebuild(SITE)
    assert {row[0] for row in snapshot()} == {SITE}


@pytest.mark.parametrize("dimension", VISIT_DIMENSIONS)
def test_visit_breakdowns_at_the_edges_match_the_plain_path_and_the_reference(
    store: None, dimension: str
) -> None:
    seed(EDGE_EVENTS)
    sessions.rebuild()
    query = Query(SITE, BERLIN_DAY, EVENT_METRICS, (dimension,), limit=1000)
    expected = keyed(Reference(EDGE_EVENTS).run(query), dimension)
    assert keyed(run_query(query), dimension) == expected
    assert keyed(plain(query), dimension) == expected


def test_the_edges_count_as_the_definitions_say(store: None) -> None:
    seed(EDGE_EVENTS)
    sessions.rebuild()
    query = Query(SITE, BERLIN_DAY, EVENT_METRICS, ("visit:source",), limit=1000)
    rows = {row["visit:source"]: row for row in run_query(query)}
    # Google: visitor 1 (start edge), 3 (end edge), 5 (inside and end edge, once), 6 (inside)
    assert rows["Google"]["visitors"] == 4
    assert rows["Google"]["pageviews"] == 1 + 1 + 2 + 1
    assert rows["Google"]["events"] == 1 + 1 + 2 + 2
    # Bing: visitor 2's only event in the range is engagement (a visit, no visitor); visitor 5's
    assert (rows["Bing"]["visitors"], rows["Bing"]["visits"]) == (1, 2)
    # Twitter: visitor 4's pageview lies after the end
    assert "Twitter" not in rows or rows["Twitter"]["visitors"] == 0


def test_visit_filters_at_the_edges_match_the_plain_path(store: None) -> None:
    seed(EDGE_EVENTS)
    sessions.rebuild()
    query = Query(
        SITE,
        BERLIN_DAY,
        EVENT_METRICS,
        ("visit:country",),
        (Filter("is", "visit:source", ("Google",)),),
        limit=1000,
    )
    expected = keyed(Reference(EDGE_EVENTS).run(query), "visit:country")
    assert keyed(run_query(query), "visit:country") == keyed(plain(query), "visit:country") == expected
    total = Query(
        SITE, BERLIN_DAY, ("visitors", "pageviews"), (), (Filter("is_not", "visit:source", ("Bing",)),)
    )
    assert run_query(total) == plain(total) == Reference(EDGE_EVENTS).run(total)


def near_edges(events: list[Event]) -> list[Event]:
    """The random histories moved so that they straddle Berlin's midnights (23:00 UTC)."""
    return [dataclasses.replace(e, timestamp=e.timestamp + dt.timedelta(hours=1)) for e in events]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    events=histories().map(near_edges),
    dimension=st.sampled_from(VISIT_DIMENSIONS),
    range_=st.sampled_from([BERLIN_DAY, DateRange(DAY - dt.timedelta(days=1), DAY, "America/New_York")]),
)
def test_random_visits_across_the_edges_match_the_reference(
    store: None, events: list[Event], dimension: str, range_: DateRange
) -> None:
    client.command("TRUNCATE TABLE events")
    client.command("TRUNCATE TABLE sessions")
    seed(events)
    sessions.rebuild()
    query = Query(SITE, range_, EVENT_METRICS, (dimension,), limit=1000)
    assert keyed(run_query(query), dimension) == keyed(Reference(events).run(query), dimension)

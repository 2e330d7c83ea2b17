"""Rollups answer exactly what the raw query answers: across timezones, cuts, DST, carried visits,
time buckets, and days changed after their build (read raw until rebuilt)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest

from analytics import client, prop_keys, rollups, sessions
from analytics import rolled as rolled_module
from analytics.dimensions import GOAL
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.pieces import cut, decompose
from analytics.query import Query, build_sql
from analytics.rolled import rolled_sql, top_prop_keys
from analytics.runner import run_query
from analytics.schema import Event
from tests.conftest import make_event, seed

SITE = 1
FIRST = dt.date(2026, 3, 26)  # Europe's clocks go forward on 29 March 2026
DAYS = 6
PAGES = ["/", "/a", "/b", "/a/x", "/c"]
DIMS = [
    "visit:source",
    "visit:country",
    "visit:entry_page",
    "visit:exit_page",
    "visit:browser",
    "visit:city_name",
    "event:page",
    "event:name",
    "event:props:plan",
    "time:day",
    "time:week",
]
METRICS = ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"]


def _visit(rng: random.Random, visitor: int, at: dt.datetime) -> list[Event]:
    source = rng.choice(["", "Google", "Twitter"])
    country = rng.choice(["", "DE", "US"])
    out = []
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(["pageview", "pageview", "pageview", "Signup"])
        out.append(
            make_event(
                SITE,
                timestamp=at,
                visitor_id=visitor,
                name=name,
                pathname=rng.choice(PAGES),
                referrer_source=source,
                country_code=country,
                city=rng.choice(["", "Berlin", "Paris"]),
                browser=rng.choice(["Firefox", "Chrome"]),
                interactive=rng.random() < 0.5,
                **rng.choice([{}, {"prop_keys": ("plan",), "prop_values": (rng.choice(["pro", "free"]),)}]),
            )
        )
        at += dt.timedelta(minutes=rng.choice([1, 5, 20, 29, 45]))
    return out


def _history(rng: random.Random) -> list[Event]:
    """Visitors within a UTC day, and some whose id carries over 00:00 UTC into the next morning."""
    events = []
    for visitor in range(1, 160):
        day = FIRST + dt.timedelta(days=rng.randrange(DAYS))
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        if rng.random() < 0.2 and day < FIRST + dt.timedelta(days=DAYS - 1):  # carried across midnight
            at = start + dt.timedelta(hours=23, minutes=rng.randint(0, 59))
            events += _visit(rng, visitor, at)
            later = start + dt.timedelta(days=1, minutes=rng.randint(0, 180))
            events += _visit(rng, visitor, later)
        else:
            # around the local midnights of the zones below, and anywhere in the day
            hour = rng.choice([0, 4, 5, 13, 18, 21, 22, 23, rng.randint(0, 23)])
            events += _visit(rng, visitor, start + dt.timedelta(hours=hour, minutes=rng.randint(0, 59)))
    return [e for e in events if e.timestamp.date() < FIRST + dt.timedelta(days=DAYS)]


def _queries(rng: random.Random, tz: str) -> list[Query]:
    out = []
    for _ in range(24):
        first = FIRST - dt.timedelta(days=1) + dt.timedelta(days=rng.randrange(DAYS))
        last = first + dt.timedelta(days=rng.randrange(1, DAYS + 1))
        dims = tuple(rng.sample(DIMS, 1)) if rng.random() < 0.8 else ()
        pool = [m for m in METRICS if not (dims and dims[0].startswith("event:") and m in METRICS[1:2])]
        metrics = tuple(rng.sample(pool, rng.randint(1, 3)))
        if dims and not dims[0].startswith("time:") and rng.random() < 0.3:
            metrics = (*metrics, "percentage")
        if dims == ("visit:exit_page",) and rng.random() < 0.5:
            metrics = (*metrics, "exit_rate")
        if dims and dims[0].startswith("event:"):
            metrics = tuple(m for m in metrics if m in {"visitors", "pageviews", "events", "percentage"}) or (
                "visitors",
            )
        order = ((dims[0], "asc"),) if dims and rng.random() < 0.3 else ()
        out.append(Query(SITE, DateRange(first, last, tz), metrics, dims, order_by=order, limit=100))
    return out


def _run(sql_params: tuple[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    return client.execute(*sql_params, max_rows=0).rows


@pytest.mark.parametrize(
    ("tz", "seed_value", "edges_after_days"),
    [
        ("Europe/Berlin", 1, 62),
        ("America/New_York", 2, 62),
        ("Asia/Kolkata", 3, 62),
        ("UTC", 4, 62),
        ("Europe/Berlin", 5, 0),
    ],
)
def test_rolled_answers_equal_raw_answers(
    events_table: None, monkeypatch: pytest.MonkeyPatch, tz: str, seed_value: int, edges_after_days: int
) -> None:
    """(With ``edges_after_days`` 0, every read takes the long ranges' way: edge kinds on edge days.)"""
    monkeypatch.setattr(rolled_module, "_EDGES_AFTER_DAYS", edges_after_days)
    rng = random.Random(seed_value)
    seed(_history(rng))
    sessions.rebuild(SITE)
    rollups.rebuild(SITE, tz)
    queries = _queries(rng, tz)
    rolled = 0
    for query in queries:
        found = rolled_sql(query)
        if found is None:
            continue
        rolled += 1
        assert _run(found) == _run(build_sql(query)), query
    assert rolled >= len(queries) // 2
    for query in queries:
        assert top_prop_keys(SITE, query.date_range) == prop_keys.top_prop_keys(SITE, query.date_range)

    # A day changes after its build: it (and its neighbour, for shared visitors) is read raw.
    changed = FIRST + dt.timedelta(days=2)
    late = dt.datetime.combine(changed, dt.time(23, 50), dt.UTC)
    seed([make_event(SITE, timestamp=late, visitor_id=10_000, event_id=uuid.uuid4())])  # a new visitor
    sessions.rebuild(SITE)
    for query in queries:
        found = rolled_sql(query)
        if found is not None:
            assert _run(found) == _run(build_sql(query)), query
    # Rebuilt, every query reads rollups again, and still agrees.
    rollups.rebuild(SITE, tz, days=[changed, changed + dt.timedelta(days=1)])
    for query in queries:
        found = rolled_sql(query)
        if found is not None:
            assert _run(found) == _run(build_sql(query)), query


def test_run_query_reads_rollups_and_fills_buckets(events_table: None) -> None:
    rng = random.Random(9)
    seed(_history(rng))
    sessions.rebuild(SITE)
    query = Query(
        SITE,
        DateRange(FIRST, FIRST + dt.timedelta(days=DAYS + 2), "Europe/Berlin"),
        ("visitors",),
        ("time:day",),
    )
    before = run_query(query)
    rollups.rebuild(SITE, "Europe/Berlin")
    assert rolled_sql(query) is not None
    after = run_query(query)
    assert after == before
    assert len(after) == DAYS + 3 and after[-1]["visitors"] == 0


def test_a_rollup_of_another_timezone_is_not_used(events_table: None) -> None:
    seed(_history(random.Random(5)))
    sessions.rebuild(SITE)
    rollups.rebuild(SITE, "UTC")
    query = Query(
        SITE,
        DateRange(FIRST, FIRST + dt.timedelta(days=3), "Europe/Berlin"),
        ("visitors",),
        ("visit:source",),
    )
    assert rolled_sql(query) is None  # every day's build has the wrong cut: the raw query alone
    assert (
        rolled_sql(Query(SITE, DateRange(FIRST, FIRST + dt.timedelta(days=3), "UTC"), ("visitors",)))
        is not None
    )


def test_refresh_builds_only_quiet_changed_days(events_table: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROLLUP_DAYS", "100000")  # the builder's window reaches FIRST on any day
    day = FIRST + dt.timedelta(days=1)
    seed([make_event(SITE, timestamp=dt.datetime.combine(day, dt.time(12), dt.UTC))])
    caught: list[int] = []
    now = client.engine_now()  # the clock that stamped the change
    zones = {SITE: "UTC"}
    assert rollups.refresh(zones, catch_up=lambda: caught.append(1), quiet_s=60, now=now) == 0
    later = now + dt.timedelta(minutes=2)
    assert rollups.refresh(zones, catch_up=lambda: caught.append(1), quiet_s=60, now=later) == 1
    assert caught == [1]
    assert rollups.refresh(zones, catch_up=lambda: caught.append(1), quiet_s=60, now=later) == 0
    assert rollups.refresh({}, catch_up=lambda: None, quiet_s=60, now=later) == 0  # a deleted site
    # The site's timezone changed: its days are cut anew.
    assert rollups.refresh({SITE: "Europe/Berlin"}, catch_up=lambda: None, quiet_s=60, now=later) == 1


def test_pieces_of_a_berlin_month() -> None:
    berlin = "Europe/Berlin"
    assert cut(dt.date(2026, 7, 1), berlin) == dt.datetime(2026, 7, 1, 22, tzinfo=dt.UTC)
    assert cut(dt.date(2026, 7, 1), "UTC") is None
    assert cut(dt.date(2026, 7, 1), "Asia/Kolkata") == dt.datetime(2026, 7, 1, 18, 30, tzinfo=dt.UTC)
    first, last = DateRange(dt.date(2026, 7, 1), dt.date(2026, 7, 31), berlin).bounds_utc()
    cuts = {
        first.date() + dt.timedelta(days=n): cut(first.date() + dt.timedelta(days=n), berlin)
        for n in range(32)
    }
    from analytics.pieces import Bucket

    uses = decompose([Bucket("", first, last)], cuts)
    assert uses is not None
    kinds = [u.kind for u in uses]
    assert kinds[0] == "tail" and kinds.count("whole") == 30 and kinds.count("head") == 1
    assert kinds.count("xWW") == 29 and kinds.count("xTW") == 1 and kinds.count("xWH") == 1


def test_the_kind_numbers_are_the_tables() -> None:
    """Readers compute with a row's kind number: the table's Enum must list ``KINDS`` in order."""
    rows = client.execute("SELECT type FROM system.columns WHERE table = 'rollups' AND name = 'kind'").rows
    enum = ", ".join(f"'{kind}' = {number}" for number, kind in enumerate(rollups.KINDS, start=1))
    assert rows == [(f"Enum8({enum})",)]


def _builds_with_rows() -> set[int]:
    return {int(row[0]) for row in client.execute("SELECT DISTINCT build FROM rollups", max_rows=0).rows}


def test_a_replaced_build_keeps_its_rows_until_the_next(events_table: None) -> None:
    """A query that read a day's state just before a rebuild still finds the rows that state names."""
    seed(_history(random.Random(11)))
    sessions.rebuild(SITE)
    rollups.rebuild(SITE, "UTC")
    first = {
        state.build for state in rollups.day_states(SITE, FIRST, FIRST + dt.timedelta(days=DAYS)).values()
    }
    rollups.rebuild(SITE, "UTC")
    second = {
        state.build for state in rollups.day_states(SITE, FIRST, FIRST + dt.timedelta(days=DAYS)).values()
    }
    assert first.isdisjoint(second)
    assert first | second <= _builds_with_rows()
    rollups.rebuild(SITE, "UTC")
    assert _builds_with_rows().isdisjoint(first)
    assert second <= _builds_with_rows()


def test_day_states_are_kept_briefly_and_never_past_a_write(
    events_table: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(_history(random.Random(12)))
    sessions.rebuild(SITE)
    rollups.rebuild(SITE, "UTC")
    reads: list[int] = []
    day_states = rollups.day_states

    def counted(*args: Any) -> Any:
        reads.append(1)
        return day_states(*args)

    monkeypatch.setattr(rollups, "day_states", counted)
    monkeypatch.setenv("ROLLUP_STATE_TTL_MS", "600000")
    query = Query(SITE, DateRange(FIRST, FIRST + dt.timedelta(days=DAYS), "UTC"), ("visitors", "events"))
    before = run_query(query)
    assert run_query(query) == before and len(reads) == 1  # the page's next request: states kept
    # An event arrives through this process: the next request reads the states again, and counts it.
    seed([make_event(SITE, timestamp=dt.datetime.combine(FIRST, dt.time(9), dt.UTC), visitor_id=99_999)])
    after = run_query(query)
    assert len(reads) == 2
    assert after[0]["events"] == before[0]["events"] + 1
    assert after == client.execute(*build_sql(query)).dicts()
    monkeypatch.setenv("ROLLUP_STATE_TTL_MS", "0")
    run_query(query)
    assert len(reads) == 3


@pytest.mark.parametrize("tz", ["Europe/Berlin", "UTC"])
def test_goal_breakdowns_read_rollups_with_the_raw_answer(events_table: None, tz: str) -> None:
    seed(_history(random.Random(21)))
    sessions.rebuild(SITE)
    rollups.rebuild(SITE, tz)
    goals = (Goal(event_name="Signup"), Goal(page_path="/a"), Goal(page_path="/a/x", display_name="Deep"))
    ranges = [
        DateRange(FIRST, FIRST + dt.timedelta(days=DAYS), tz),
        DateRange(FIRST + dt.timedelta(days=1), FIRST + dt.timedelta(days=2), tz),
    ]
    for date_range in ranges:
        for metrics in (("visitors", "events", "conversion_rate"), ("conversion_rate", "visitors")):
            query = Query(SITE, date_range, metrics, (GOAL,), goals=goals, limit=9)
            found = rolled_sql(query)
            assert found is not None
            assert _run(found) == _run(build_sql(query)) != []
    # A goal of several pages (a wildcard) is read raw: its visitors are not a rolled value's.
    wild = Query(SITE, ranges[0], ("visitors",), (GOAL,), goals=(*goals, Goal(page_path="/a/*")))
    assert rolled_sql(wild) is None
    # A day changed since its build (a new visitor: ids never recur days apart) is read raw.
    seed(
        [
            make_event(
                SITE,
                timestamp=dt.datetime.combine(FIRST, dt.time(12), dt.UTC),
                name="Signup",
                visitor_id=10_077,
            )
        ]
    )
    sessions.rebuild(SITE)
    query = Query(SITE, ranges[0], ("visitors", "events", "conversion_rate"), (GOAL,), goals=goals)
    found = rolled_sql(query)
    assert found is not None and _run(found) == _run(build_sql(query))


def test_a_property_key_a_build_did_not_take_is_read_raw(
    events_table: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = dt.datetime.combine(FIRST, dt.time(10), dt.UTC)
    events = [
        make_event(SITE, timestamp=day, visitor_id=n, prop_keys=("plan",), prop_values=("pro",))
        for n in range(5)
    ]
    events.append(make_event(SITE, timestamp=day, visitor_id=9, prop_keys=("color",), prop_values=("red",)))
    seed(events)
    sessions.rebuild(SITE)
    monkeypatch.setenv("ROLLUP_PROP_KEYS", "1")  # each day's build takes its most used key only
    rollups.rebuild(SITE, "UTC")
    date_range = DateRange(FIRST, FIRST, "UTC")
    for key in ("plan", "color"):
        query = Query(SITE, date_range, ("visitors", "events"), (f"event:props:{key}",))
        found = rolled_sql(query)
        answer = _run(found) if found is not None else None
        assert answer in (None, _run(build_sql(query)))
        assert _run(build_sql(query)) != []
    assert rolled_sql(Query(SITE, date_range, ("visitors",), ("event:props:plan",))) is not None

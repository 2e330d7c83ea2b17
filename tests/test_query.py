"""The query layer against the real engine: metrics, breakdowns, timeseries in the site's timezone,
filters, visits and their metrics by hand-worked examples, and hostile strings that must stay values.

(tests/test_metrics_reference.py checks every metric against a plain-Python reference on random data.)
"""

import dataclasses
import datetime as dt
from collections.abc import Iterator

import pytest

from analytics import run_query
from analytics.errors import QueryError
from analytics.periods import DateRange, resolve_period
from analytics.query import Filter, Query
from analytics.schema import Event
from tests.conftest import make_event, seed

DAY = dt.date(2026, 11, 20)
RANGE = DateRange(DAY, DAY, "UTC")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


@pytest.fixture
def store(events_table: None) -> Iterator[None]:
    yield


@pytest.fixture
def seeded(store: None) -> None:
    seed(
        [
            make_event(
                1, timestamp=at(9), visitor_id=1, pathname="/", referrer_source="Google", country_code="GB"
            ),
            make_event(
                1,
                timestamp=at(9, 5),
                visitor_id=1,
                pathname="/pricing",
                referrer_source="Google",
                country_code="GB",
            ),
            make_event(1, timestamp=at(10), visitor_id=2, pathname="/", country_code="US", browser="Firefox"),
            make_event(1, timestamp=at(23, 30), visitor_id=3, pathname="/blog", country_code=""),
            make_event(1, timestamp=at(12), visitor_id=3, name="Signup"),
            make_event(2, timestamp=at(9), visitor_id=9, pathname="/other-site"),
        ]
    )


def test_it_counts_visitors_pageviews_and_events(seeded: None) -> None:
    rows = run_query(Query(site_id=1, date_range=RANGE, metrics=("visitors", "pageviews", "events")))
    assert rows == [{"visitors": 3, "pageviews": 4, "events": 5}]


def test_it_breaks_down_by_page_and_source(seeded: None) -> None:
    pages = run_query(Query(site_id=1, date_range=RANGE, metrics=("visitors",), dimensions=("event:page",)))
    assert pages[0] == {"event:page": "/", "visitors": 2}
    sources = run_query(
        Query(site_id=1, date_range=RANGE, metrics=("visitors",), dimensions=("visit:source",))
    )
    assert {r["visit:source"]: r["visitors"] for r in sources} == {"Google": 1, "Direct / None": 2}


def test_percentage_is_a_share_of_all_the_visitors(seeded: None) -> None:
    rows = run_query(
        Query(site_id=1, date_range=RANGE, metrics=("visitors", "percentage"), dimensions=("visit:source",))
    )
    assert rows == [
        {"visit:source": "Direct / None", "visitors": 2, "percentage": 66.7},
        {"visit:source": "Google", "visitors": 1, "percentage": 33.3},
    ]


def test_it_leaves_unknown_countries_out_of_the_breakdown(seeded: None) -> None:
    rows = run_query(Query(site_id=1, date_range=RANGE, metrics=("visitors",), dimensions=("visit:country",)))
    assert {r["visit:country"] for r in rows} == {"GB", "US"}


def test_it_fills_every_hour_and_uses_the_site_timezone(seeded: None) -> None:
    rows = run_query(Query(site_id=1, date_range=RANGE, metrics=("visitors",), dimensions=("time:hour",)))
    assert len(rows) == 24
    assert rows[9] == {"time:hour": "2026-11-20 09:00:00", "visitors": 1}
    assert rows[0]["visitors"] == 0
    # 23:30 UTC on the 20th is 00:30 on the 21st in Berlin: it moves to the next local day.
    berlin = DateRange(DAY, DAY + dt.timedelta(days=1), "Europe/Berlin")
    days = run_query(Query(site_id=1, date_range=berlin, metrics=("pageviews",), dimensions=("time:day",)))
    assert days == [{"time:day": "2026-11-20", "pageviews": 3}, {"time:day": "2026-11-21", "pageviews": 1}]


def test_it_filters(seeded: None) -> None:
    only_gb = Query(
        site_id=1, date_range=RANGE, metrics=("pageviews",), filters=(Filter("is", "visit:country", ("GB",)),)
    )
    assert run_query(only_gb) == [{"pageviews": 2}]
    not_home = Query(
        site_id=1, date_range=RANGE, metrics=("pageviews",), filters=(Filter("is_not", "event:page", ("/",)),)
    )
    assert run_query(not_home) == [{"pageviews": 2}]
    contains = Query(
        site_id=1,
        date_range=RANGE,
        metrics=("pageviews",),
        filters=(Filter("contains", "event:page", ("PRIC",)),),
    )
    assert run_query(contains) == [{"pageviews": 1}]


VISIT_METRICS = (
    "visitors",
    "visits",
    "pageviews",
    "views_per_visit",
    "bounce_rate",
    "visit_duration",
    "events",
)


def visit(visitor: int, *steps: tuple[int, str, str], **fields: object) -> list[Event]:
    """One visitor's events at (minute of the day, name, page)."""
    return [
        make_event(
            1, timestamp=at(minute // 60, minute % 60), visitor_id=visitor, name=name, pathname=page, **fields
        )
        for minute, name, page in steps
    ]


def test_visit_metrics_follow_plausibles_definitions(store: None) -> None:
    seed(
        [
            *visit(1, (600, "pageview", "/"), (605, "pageview", "/pricing")),  # 5 minutes, 2 pages
            *visit(2, (600, "pageview", "/")),  # a bounce
            *visit(3, (600, "pageview", "/"), (601, "Signup", "/")),  # interactive: not a bounce
            *visit(4, (600, "pageview", "/blog"), (610, "Scrolled", "/blog"), interactive=False),  # bounce
        ]
    )
    rows = run_query(Query(site_id=1, date_range=RANGE, metrics=VISIT_METRICS))
    # durations 300 + 0 + 60 + 0 (bounces count 0) over 4 visits = 90 s; 5 pageviews over 4 visits
    assert rows == [
        {
            "visitors": 4,
            "visits": 4,
            "pageviews": 5,
            "views_per_visit": 1.25,
            "bounce_rate": 50,
            "visit_duration": 90,
            "events": 7,
        }
    ]


def test_a_gap_of_exactly_30_minutes_continues_the_visit(store: None) -> None:
    start = at(10)
    seed(
        [
            make_event(1, timestamp=start, visitor_id=1),
            make_event(1, timestamp=start + dt.timedelta(minutes=30), visitor_id=1),
            make_event(1, timestamp=start, visitor_id=2),
            make_event(1, timestamp=start + dt.timedelta(minutes=30, milliseconds=1), visitor_id=2),
        ]
    )
    assert run_query(Query(site_id=1, date_range=RANGE, metrics=("visits", "visit_duration"))) == [
        {"visits": 3, "visit_duration": 600}  # 1800 s + two bounces, over 3 visits
    ]


def test_a_visits_entry_and_exit_pages_are_its_first_and_last_pageviews(store: None) -> None:
    seed(visit(1, (600, "pageview", "/"), (625, "pageview", "/a"), (650, "pageview", "/b")))
    seed(visit(2, (600, "pageview", "/"), (650, "pageview", "/b")))  # 50 minutes apart: two visits
    entry = Query(
        site_id=1, date_range=RANGE, metrics=("visits", "bounce_rate"), dimensions=("visit:entry_page",)
    )
    assert run_query(entry) == [
        {"visit:entry_page": "/", "visits": 2, "bounce_rate": 50},
        {"visit:entry_page": "/b", "visits": 1, "bounce_rate": 100},
    ]
    exits = dataclasses.replace(entry, dimensions=("visit:exit_page",))
    assert run_query(exits) == [
        {"visit:exit_page": "/b", "visits": 2, "bounce_rate": 50},
        {"visit:exit_page": "/", "visits": 1, "bounce_rate": 100},
    ]


def test_a_visit_is_attributed_to_its_first_touch(store: None) -> None:
    seed(
        [
            *visit(1, (600, "pageview", "/"), referrer_source="Google", country_code="DE"),
            *visit(1, (601, "pageview", "/a"), referrer_source="", country_code="DE"),  # an internal click
            *visit(2, (600, "pageview", "/"), referrer_source="", country_code="US"),
        ]
    )
    query = Query(site_id=1, date_range=RANGE, metrics=("visitors", "visits", "pageviews"))
    by_source = dataclasses.replace(query, dimensions=("visit:source",))
    assert run_query(by_source) == [
        {"visit:source": "Direct / None", "visitors": 1, "visits": 1, "pageviews": 1},
        {"visit:source": "Google", "visitors": 1, "visits": 1, "pageviews": 2},
    ]
    from_google = dataclasses.replace(query, filters=(Filter("is", "visit:source", ("Google",)),))
    assert run_query(from_google) == [{"visitors": 1, "visits": 1, "pageviews": 2}]


def test_the_bounce_rate_of_a_page_is_over_the_visits_that_entered_on_it(store: None) -> None:
    seed(
        [
            *visit(1, (600, "pageview", "/")),  # entered on / and bounced
            *visit(2, (600, "pageview", "/"), (602, "pageview", "/blog")),
            *visit(3, (600, "pageview", "/blog")),  # entered on /blog and bounced
        ]
    )
    query = Query(site_id=1, date_range=RANGE, metrics=("visitors", "visits", "bounce_rate"))
    pages = run_query(dataclasses.replace(query, dimensions=("event:page",)))
    assert pages == [
        {"event:page": "/", "visitors": 2, "visits": 2, "bounce_rate": 50},
        {"event:page": "/blog", "visitors": 2, "visits": 2, "bounce_rate": 100},  # one of one entry
    ]
    blog = dataclasses.replace(query, filters=(Filter("is", "event:page", ("/blog",)),))
    assert run_query(blog) == [{"visitors": 2, "visits": 2, "bounce_rate": 100}]


def test_time_on_page_and_scroll_depth_come_from_engagement(store: None) -> None:
    engaged = {"name": "engagement"}
    seed(
        [
            *visit(1, (600, "pageview", "/")),
            make_event(
                1,
                timestamp=at(10, 1),
                visitor_id=1,
                pathname="/",
                engagement_time=30_000,
                scroll_depth=40,
                **engaged,
            ),
            make_event(
                1,
                timestamp=at(10, 3),
                visitor_id=1,
                pathname="/",
                engagement_time=20_000,
                scroll_depth=90,
                **engaged,
            ),
            *visit(2, (600, "pageview", "/")),
            make_event(
                1,
                timestamp=at(10, 2),
                visitor_id=2,
                pathname="/",
                engagement_time=11_000,
                scroll_depth=21,
                **engaged,
            ),
            make_event(
                1,
                timestamp=at(10, 2),
                visitor_id=2,
                pathname="/x",
                engagement_time=7_000,
                scroll_depth=100,
                **engaged,
            ),
        ]
    )
    pages = run_query(
        Query(
            site_id=1,
            date_range=RANGE,
            metrics=("time_on_page", "scroll_depth", "events"),
            dimensions=("event:page",),
        )
    )
    # "/": visitor 1 50 s deepest 90, visitor 2 11 s deepest 21 -> 30.5 s rounds to 31, 55.5 to 56
    assert pages == [
        {"event:page": "/", "time_on_page": 31, "scroll_depth": 56, "events": 2},
        {"event:page": "/x", "time_on_page": 7, "scroll_depth": 100, "events": 0},
    ]


@pytest.mark.parametrize("name", ["pathname) FROM events --", "event:page; DROP", "visitors`"])
def test_unknown_names_are_refused_before_any_sql(name: str) -> None:
    with pytest.raises(QueryError):
        Query(site_id=1, date_range=RANGE, metrics=(name,))
    with pytest.raises(QueryError):
        Query(site_id=1, date_range=RANGE, metrics=("visitors",), dimensions=(name,))
    with pytest.raises(QueryError):
        Query(site_id=1, date_range=RANGE, metrics=("visitors",), filters=(Filter("is", name, ("x",)),))


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("day", "2026-11-21", "2026-11-21"),
        ("7d", "2026-11-15", "2026-11-21"),
        ("30d", "2026-10-23", "2026-11-21"),
        ("month", "2026-11-01", "2026-11-30"),
        ("6mo", "2026-06-01", "2026-11-30"),
        ("12mo", "2025-12-01", "2026-11-30"),
        ("year", "2026-01-01", "2026-12-31"),
    ],
)
def test_periods_resolve_to_local_dates(period: str, first: str, last: str) -> None:
    found = resolve_period(period, "UTC", today=dt.date(2026, 11, 21))
    assert (found.first.isoformat(), found.last.isoformat()) == (first, last)


def test_a_custom_period_needs_a_valid_range() -> None:
    assert resolve_period("custom", "UTC", today=DAY, custom="2026-01-01,2026-01-31").days == 31
    for bad in (None, "2026-01-01", "2026-02-01,2026-01-01", "yesterday,today"):
        with pytest.raises(QueryError) as caught:
            resolve_period("custom", "UTC", today=DAY, custom=bad)
        assert caught.value.field == "date"
    with pytest.raises(QueryError) as caught:
        resolve_period("fortnight", "UTC", today=DAY)
    assert caught.value.field == "period"

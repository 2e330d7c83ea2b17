"""The query layer against the real engine: metrics, breakdowns, timeseries in the site's timezone,
filters, and hostile strings that must stay values."""

import datetime as dt

import pytest

from analytics import client, run_query
from analytics.errors import QueryError
from analytics.periods import DateRange, resolve_period
from analytics.query import Filter, Query, build_sql
from tests.conftest import make_event, seed

DAY = dt.date(2026, 11, 20)
RANGE = DateRange(DAY, DAY, "UTC")


def at(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), dt.UTC)


@pytest.fixture
def seeded(events_table: None) -> None:
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


HOSTILE = [
    "' OR 1=1 --",
    "\\'; DROP TABLE events; --",
    "{site_id:UInt64}",
    "`x`",
    "\x00",
    "é' UNION SELECT 1",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_filter_values_stay_values(seeded: None, value: str) -> None:
    query = Query(
        site_id=1,
        date_range=RANGE,
        metrics=("visitors",),
        dimensions=("event:page",),
        filters=(Filter("is", "event:page", (value,)),),
    )
    benign = Query(
        site_id=1,
        date_range=RANGE,
        metrics=("visitors",),
        dimensions=("event:page",),
        filters=(Filter("is", "event:page", ("/benign",)),),
    )
    sql, params = build_sql(query)
    assert sql == build_sql(benign)[0]
    assert params["f0"] == [value]
    assert run_query(query) == []
    assert client.execute("SELECT count() FROM events").rows == [(6,)]


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

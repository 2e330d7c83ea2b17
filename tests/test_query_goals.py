"""Goals, custom props, revenue, exit rate, wildcards, regexes and and/or/not, by hand-worked examples
against the real engine (tests/test_metrics_reference.py checks them on random data too)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from analytics import client, run_query
from analytics.errors import QueryError
from analytics.filters import Filter, Logic
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.query import Query, build_sql
from tests.conftest import make_event, seed

DAY = dt.date(2026, 11, 20)
RANGE = DateRange(DAY, DAY, "UTC")
SIGNUP = Goal(event_name="Signup")
BLOG = Goal(page_path="/blog/*")
BUY = Goal(event_name="Purchase", display_name="Buy", currency="EUR")
TIP = Goal(event_name="Tip", currency="USD")
GOALS = (SIGNUP, BLOG, BUY, TIP)


def at(minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(10), dt.UTC) + dt.timedelta(minutes=minute)


@pytest.fixture
def shop(events_table: None) -> Iterator[None]:
    """Four visitors: 1 reads a post and signs up; 2 reads two posts and buys twice (one in USD);
    3 only views the home page; 4 buys, with a plan."""
    seed(
        [
            make_event(1, timestamp=at(0), visitor_id=1, pathname="/", referrer_source="Google"),
            make_event(1, timestamp=at(1), visitor_id=1, pathname="/blog/a"),
            make_event(1, timestamp=at(2), visitor_id=1, name="Signup", pathname="/blog/a"),
            make_event(1, timestamp=at(0), visitor_id=2, pathname="/blog/a"),
            make_event(1, timestamp=at(3), visitor_id=2, pathname="/blog/b/c"),
            make_event(
                1,
                timestamp=at(4),
                visitor_id=2,
                name="Purchase",
                revenue_amount="10.50",
                revenue_currency="EUR",
            ),
            make_event(
                1, timestamp=at(5), visitor_id=2, name="Purchase", revenue_amount="99", revenue_currency="USD"
            ),
            make_event(1, timestamp=at(0), visitor_id=3, pathname="/"),
            make_event(
                1,
                timestamp=at(6),
                visitor_id=4,
                name="Purchase",
                pathname="/checkout",
                revenue_amount="4.25",
                revenue_currency="EUR",
                prop_keys=("plan",),
                prop_values=("pro",),
            ),
        ]
    )
    yield


def query(metrics: tuple[str, ...], dimensions: tuple[str, ...] = (), *filters: Filter | Logic) -> Query:
    return Query(1, RANGE, metrics, dimensions, tuple(filters), goals=GOALS)


def test_a_goal_breakdown_gives_visitors_events_and_conversion_rate(shop: None) -> None:
    rows = run_query(query(("visitors", "events", "conversion_rate"), ("event:goal",)))
    assert rows == [
        {"event:goal": "Buy", "visitors": 2, "events": 3, "conversion_rate": 50.0},
        {"event:goal": "Visit /blog/*", "visitors": 2, "events": 2, "conversion_rate": 50.0},  # not /blog/b/c
        {"event:goal": "Signup", "visitors": 1, "events": 1, "conversion_rate": 25.0},
    ]


def test_a_site_without_goals_has_an_empty_goal_breakdown(shop: None) -> None:
    none = dataclasses.replace(query(("visitors", "events", "conversion_rate"), ("event:goal",)), goals=())
    assert run_query(none) == []
    sql, _ = build_sql(none)  # the query it stands for finds nothing either
    assert client.execute(sql, _).rows == []


def test_conversion_rate_with_a_goal_filter_and_by_group(shop: None) -> None:
    signup = Filter("is", "event:goal", ("Signup",))
    assert run_query(query(("visitors", "conversion_rate"), (), signup)) == [
        {"visitors": 1, "conversion_rate": 25.0}
    ]
    buyers = Filter("is", "event:goal", ("Buy",))
    rows = run_query(
        query(("visitors", "conversion_rate", "group_conversion_rate"), ("visit:source",), buyers)
    )
    # Direct: 2 buyers of 3 visitors (66.67 within the group, 50 of all 4); Google: none, not listed.
    assert rows == [
        {
            "visit:source": "Direct / None",
            "visitors": 2,
            "conversion_rate": 50.0,
            "group_conversion_rate": 66.67,
        }
    ]


def test_goal_metrics_need_a_goal(shop: None) -> None:
    for metrics, dimensions in [
        (("conversion_rate",), ("visit:source",)),
        (("total_revenue",), ()),
        (("group_conversion_rate",), ("event:goal",)),
        (("exit_rate",), ("event:page",)),
    ]:
        with pytest.raises(QueryError) as caught:
            query(metrics, dimensions)
        assert caught.value.field == "metrics"


def test_revenue_per_goal_in_its_currency(shop: None) -> None:
    rows = run_query(query(("visitors", "total_revenue", "average_revenue"), ("event:goal",)))
    by_goal = {row["event:goal"]: row for row in rows}
    assert by_goal["Buy"]["total_revenue"] == {
        "value": 14.75,
        "currency": "EUR",
        "short": "€14.75",
        "long": "€14.75",
    }
    assert by_goal["Buy"]["average_revenue"]["value"] == 7.38  # (10.50 + 4.25) / 2, half up; USD left out
    assert by_goal["Signup"]["total_revenue"] is None  # not a revenue goal
    only_buy = query(("total_revenue",), (), Filter("is", "event:goal", ("Buy",)))
    assert run_query(only_buy) == [
        {"total_revenue": {"value": 14.75, "currency": "EUR", "short": "€14.75", "long": "€14.75"}}
    ]
    with pytest.raises(QueryError) as caught:  # euros and dollars are not added up
        query(("total_revenue",), (), Filter("is", "event:goal", ("Buy", "Tip")))
    assert caught.value.field == "metrics" and "EUR, USD" in caught.value.message


def test_custom_props_break_down_and_filter(shop: None) -> None:
    rows = run_query(query(("visitors", "events"), ("event:props:plan",)))
    assert rows == [
        {"event:props:plan": "(none)", "visitors": 3, "events": 8},
        {"event:props:plan": "pro", "visitors": 1, "events": 1},
    ]
    pro = Filter("is", "event:props:plan", ("pro",))
    assert run_query(query(("visitors",), (), pro)) == [{"visitors": 1}]
    with pytest.raises(QueryError):
        query(("visitors",), ("event:props:" + "k" * 301,))


def test_exit_rate_is_exits_per_pageview_of_the_page(shop: None) -> None:
    rows = run_query(query(("visits", "exit_rate"), ("visit:exit_page",)))
    # "/": 2 pageviews, 1 visit left there (3); "/blog/a": 2 pageviews, 1 exit (1); "/blog/b/c": 1 and 1.
    assert {r["visit:exit_page"]: (r["visits"], r["exit_rate"]) for r in rows} == {
        "/": (1, 50.0),
        "/blog/a": (1, 50.0),
        "/blog/b/c": (1, 100.0),
    }


def test_wildcards_regexes_and_logic(shop: None) -> None:
    def pageviews(*filters: Filter | Logic) -> int:
        return int(run_query(query(("pageviews",), (), *filters))[0]["pageviews"])

    assert pageviews(Filter("is", "event:page", ("/blog/*",))) == 2  # /blog/a twice, not /blog/b/c
    assert pageviews(Filter("is", "event:page", ("/blog/**",))) == 3
    assert pageviews(Filter("is_not", "event:page", ("/blog/**",))) == 2
    assert pageviews(Filter("matches", "event:page", ("^/blog/[a-z]$",))) == 2
    assert pageviews(Filter("matches_not", "event:page", ("c$", "^/$"))) == 2
    either = Logic("or", (Filter("is", "event:page", ("/",)), Filter("contains", "event:page", ("B/C",))))
    assert pageviews(either) == 3
    assert pageviews(Logic("not", (either,))) == 2
    google = Logic("and", (Filter("is", "visit:source", ("Google",)), Filter("is", "visit:country", ("",))))
    assert pageviews(google) == 2
    with pytest.raises(QueryError) as caught:  # one group mixing visit: and event: is refused
        query(("visitors",), (), Logic("or", (Filter("is", "visit:source", ("Google",)), either)))
    assert caught.value.field == "filters"
    with pytest.raises(QueryError):
        Logic("not", (either, either))


def test_the_realtime_period_buckets_by_minute(events_table: None) -> None:
    now = dt.datetime(2026, 11, 20, 12, 0, 30, tzinfo=dt.UTC)
    from analytics.periods import resolve_period

    realtime = resolve_period("realtime", "Asia/Kolkata", today=DAY, now=now)
    assert realtime.bounds_utc() == (
        now.replace(second=0) - dt.timedelta(minutes=29),
        now.replace(second=0) + dt.timedelta(minutes=1),
    )
    seed(
        [
            make_event(1, timestamp=now - dt.timedelta(minutes=5), visitor_id=1),
            make_event(1, timestamp=now - dt.timedelta(minutes=45), visitor_id=2),  # too early
        ]
    )
    rows = run_query(Query(1, realtime, ("visitors",), ("time:minute",)))
    assert len(rows) == 30
    assert rows[-1] == {"time:minute": "2026-11-20 17:30:00", "visitors": 0}  # local time, +05:30
    assert [r["visitors"] for r in rows].count(1) == 1 and rows[24]["time:minute"] == "2026-11-20 17:25:00"
    assert rows[24]["visitors"] == 1


def test_year_before_keeps_the_dates_and_shortens_a_leap_day() -> None:
    leap = DateRange(dt.date(2028, 2, 29), dt.date(2028, 3, 31), "UTC")
    assert leap.year_before() == DateRange(dt.date(2027, 2, 28), dt.date(2027, 3, 31), "UTC")
    assert dataclasses.replace(leap, first=dt.date(2028, 1, 1)).year_before().first == dt.date(2027, 1, 1)


def test_filters_take_lists_from_json_and_refuse_other_shapes() -> None:
    assert Filter("is", "event:page", ["/"]).values == ("/",)  # type: ignore[arg-type]
    assert Logic("or", [Filter("is", "event:page", ("/",))]).children == (Filter("is", "event:page", ("/",)),)  # type: ignore[arg-type]
    bad_shapes: list[Callable[[], object]] = [
        lambda: Filter("is", "event:page", ()),
        lambda: Filter("is", "event:page", (1,)),  # type: ignore[arg-type]
        lambda: Filter("like", "event:page", ("/",)),
        lambda: Logic("xor", (Filter("is", "event:page", ("/",)),)),
        lambda: Logic("and", ("event:page",)),  # type: ignore[arg-type]
    ]
    for bad in bad_shapes:
        with pytest.raises(QueryError) as caught:
            bad()
        assert caught.value.field == "filters"

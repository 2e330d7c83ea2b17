"""Stats API v2 (``POST /api/v2/query``) over HTTP against seeded chDB rows: Plausible's request and
answer shapes, agreement with v1, comparisons, auth (key, session with CSRF), and bad bodies (always a
4xx naming the JSON path, never a 500)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.errors import QueryError
from analytics.periods import today_in
from analytics.query import OPERATORS, FilterNode, Logic
from analytics.schema import Event
from panel.stats_api import v2_params
from tests.conftest import Persona, make_event, seed

URL = "/api/v2/query"


def seed_visits(events: list[Event]) -> None:
    seed(events)


def post(body: Any, key: str | None, *, browser: Client | None = None, **headers: str) -> Any:
    if key:
        headers["Authorization"] = f"Bearer {key}"
    raw = body if isinstance(body, bytes) else json.dumps(body)
    return (browser or Client()).post(URL, raw, content_type="application/json", headers=headers)


def query(key: str, **body: Any) -> Any:
    response = post({"site_id": "example.com", **body}, key)
    assert response.status_code == 200, response.content
    return response.json()


def v1(path: str, key: str, **params: str) -> Any:
    response = Client().get(
        f"/api/v1/stats/{path}",
        {"site_id": "example.com", **params},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def today(owner: Persona) -> dt.date:
    return today_in(owner.site.timezone)


@pytest.fixture
def seeded(owner: Persona, outsider: Persona, events_table: None, today: dt.date) -> None:
    """Today (Berlin): visitor 1 reads / then /docs from Google, visitor 2 bounces on /, visitor 5 on
    /docs from Germany; ten days ago visitor 3 on /old; the outsider's site has its own visitor."""
    noon = dt.datetime.combine(today, dt.time(12), zoneinfo.ZoneInfo(owner.site.timezone))
    site, minute = owner.site.id, dt.timedelta(minutes=1)
    outsider_noon = dt.datetime.combine(today_in(outsider.site.timezone), dt.time(12), dt.UTC)
    seed_visits(
        [
            make_event(site, timestamp=noon, visitor_id=1, pathname="/", referrer_source="Google"),
            make_event(
                site, timestamp=noon + minute, visitor_id=1, pathname="/docs", referrer_source="Google"
            ),
            make_event(site, timestamp=noon, visitor_id=2, pathname="/"),
            make_event(site, timestamp=noon + 2 * minute, visitor_id=5, pathname="/docs", country_code="DE"),
            make_event(site, timestamp=noon - dt.timedelta(days=10), visitor_id=3, pathname="/old"),
            # noon of the outsider's own today (UTC): Berlin's today is UTC's tomorrow from 23:00 UTC
            make_event(outsider.site.id, timestamp=outsider_noon, visitor_id=4, pathname="/secret"),
        ]
    )


ALL_METRICS = [
    "visitors",
    "visits",
    "pageviews",
    "views_per_visit",
    "bounce_rate",
    "visit_duration",
    "events",
]


def test_an_aggregate_answers_in_plausibles_shape(owner: Persona, seeded: None, today: dt.date) -> None:
    answer = query(owner.key, metrics=["visitors", "pageviews"], date_range="day")
    offset = dt.datetime.combine(today, dt.time(), zoneinfo.ZoneInfo(owner.site.timezone)).isoformat()[-6:]
    assert answer["results"] == [{"metrics": [3, 4], "dimensions": []}]
    assert answer["meta"] == {}
    assert answer["query"] == {
        "site_id": "example.com",
        "metrics": ["visitors", "pageviews"],
        "date_range": [f"{today}T00:00:00{offset}", f"{today}T23:59:59{offset}"],
        "filters": [],
        "dimensions": [],
        "order_by": [["visitors", "desc"]],
        "include": {},
        "pagination": {"limit": 10000, "offset": 0},
    }
    month = query(owner.key, metrics=["pageviews"], date_range="30d")
    assert month["results"] == [{"metrics": [5], "dimensions": []}]


def test_the_echoed_date_range_can_be_sent_back(owner: Persona, seeded: None) -> None:
    first = query(owner.key, metrics=["visitors"], date_range="7d")
    again = query(owner.key, metrics=["visitors"], date_range=first["query"]["date_range"])
    assert again["results"] == first["results"] == [{"metrics": [3], "dimensions": []}]
    assert again["query"]["date_range"] == first["query"]["date_range"]


def test_v1_and_v2_agree(owner: Persona, seeded: None) -> None:
    aggregate = query(owner.key, metrics=ALL_METRICS, date_range="7d")["results"][0]["metrics"]
    assert aggregate == [
        v1("aggregate", owner.key, period="7d", metrics=",".join(ALL_METRICS))[m]["value"]
        for m in ALL_METRICS
    ]
    for prop, key in (("event:page", "page"), ("visit:source", "source"), ("visit:country", "country")):
        rows = query(owner.key, metrics=["visitors", "pageviews"], date_range="30d", dimensions=[prop])[
            "results"
        ]
        old = v1("breakdown", owner.key, period="30d", property=prop, metrics="visitors,pageviews")
        assert rows == [{"metrics": [r["visitors"], r["pageviews"]], "dimensions": [r[key]]} for r in old]
        assert rows  # something was compared
    series = query(owner.key, metrics=["visitors", "bounce_rate"], date_range="7d", dimensions=["time:day"])
    old = v1("timeseries", owner.key, period="7d", metrics="visitors,bounce_rate")
    assert series["results"] == [
        {"metrics": [r["visitors"], r["bounce_rate"]], "dimensions": [r["date"]]} for r in old
    ]
    filtered = query(
        owner.key, metrics=["visitors"], date_range="7d", filters=[["is", "event:page", ["/docs", "/nope"]]]
    )
    assert filtered["results"][0]["metrics"] == [
        v1("aggregate", owner.key, period="7d", filters="event:page==/docs|/nope")["visitors"]["value"]
    ]


def test_a_breakdown_pages_and_counts_its_rows(owner: Persona, seeded: None) -> None:
    body = {"metrics": ["visitors"], "date_range": "30d", "dimensions": ["event:page"]}
    answer = query(owner.key, **body, pagination={"limit": 1, "offset": 1}, include={"total_rows": True})
    assert answer["results"] == [{"metrics": [2], "dimensions": ["/docs"]}]
    assert answer["meta"] == {"total_rows": 3}
    assert answer["query"]["pagination"] == {"limit": 1, "offset": 1}
    ordered = query(owner.key, **body, order_by=[["event:page", "desc"]])
    assert [r["dimensions"] for r in ordered["results"]] == [["/old"], ["/docs"], ["/"]]


def test_time_picks_hours_for_a_day_and_labels_every_bucket(
    owner: Persona, seeded: None, today: dt.date
) -> None:
    answer = query(
        owner.key, metrics=["visitors"], date_range="day", dimensions=["time"], include={"time_labels": True}
    )
    labels = answer["meta"]["time_labels"]
    assert labels == [f"{today} {hour:02d}:00:00" for hour in range(24)]
    assert answer["query"]["dimensions"] == ["time:hour"]
    assert answer["query"]["order_by"] == [["time:hour", "asc"]]
    noon = next(r for r in answer["results"] if r["dimensions"] == [f"{today} 12:00:00"])
    assert noon["metrics"] == [3]
    assert query(owner.key, metrics=["visitors"], date_range="30d", dimensions=["time"])["query"][
        "dimensions"
    ] == ["time:day"]
    busiest = query(
        owner.key,
        metrics=["visitors"],
        date_range="7d",
        dimensions=["time"],
        order_by=[["visitors", "desc"]],
        pagination={"limit": 1},
    )
    assert busiest["results"] == [{"metrics": [3], "dimensions": [today.isoformat()]}]


def test_filters_nest_with_and_or_not(owner: Persona, seeded: None) -> None:
    def visitors(*filters: Any) -> int:
        answer = query(owner.key, metrics=["visitors"], date_range="day", filters=list(filters))
        return int(answer["results"][0]["metrics"][0])

    assert visitors(["is", "event:page", ["/docs"]]) == 2
    assert visitors(["not", ["is", "event:page", ["/docs"]]]) == 2  # visitors with an event elsewhere
    assert visitors(["or", [["is", "visit:country", ["DE"]], ["is", "visit:country", ["FR"]]]]) == 1
    assert visitors(["and", [["is", "event:page", ["/docs"]], ["is_not", "visit:country", ["DE"]]]]) == 1
    assert (
        visitors(["not", ["or", [["is", "visit:source", ["Google"]], ["is", "visit:country", ["DE"]]]]]) == 1
    )
    assert visitors(["contains", "event:page", ["DOC"]]) == 2
    assert visitors(["is", "event:page", ["/"]], ["is", "visit:source", ["Google"]]) == 1
    assert visitors(["or", [["is", "visit:source", ["Google"]], ["is", "visit:country", ["DE"]]]]) == 2
    assert visitors(["or", [["is", "event:page", ["/"]], ["and", [["is", "event:page", ["/docs"]]]]]]) == 3
    assert visitors(["matches", "event:page", ["^/d.c"]]) == 2
    assert visitors(["is", "event:page", ["/d*"]]) == 2  # a wildcard, as in Plausible's page filters


def test_goals_convert_and_break_down(owner: Persona, events_table: None, today: dt.date) -> None:
    from panel.goals.models import Goal

    Goal.objects.create(site=owner.site, event_name="Signup", display_name="Signup")
    noon = dt.datetime.combine(today, dt.time(12), zoneinfo.ZoneInfo(owner.site.timezone))
    site = owner.site.id
    seed_visits(
        [
            make_event(site, timestamp=noon, visitor_id=1),
            make_event(site, timestamp=noon, visitor_id=2),
            make_event(site, timestamp=noon, visitor_id=3),
            make_event(site, timestamp=noon, visitor_id=4),
            make_event(site, timestamp=noon, visitor_id=4, name="Signup"),
        ]
    )
    body = {"metrics": ["visitors", "conversion_rate"], "date_range": "day"}
    goals = query(owner.key, **body, dimensions=["event:goal"])
    assert goals["results"] == [{"metrics": [1, 25.0], "dimensions": ["Signup"]}]
    filtered = query(owner.key, **body, filters=[["is", "event:goal", ["Signup"]]])
    assert filtered["results"] == [{"metrics": [1, 25.0], "dimensions": []}]


def test_revenue_and_custom_properties_agree_with_v1_and_compare(
    owner: Persona, events_table: None, today: dt.date
) -> None:
    from panel.goals.models import Goal

    Goal.objects.create(site=owner.site, event_name="Purchase", display_name="Buy", currency="EUR")
    Goal.objects.create(site=owner.site, event_name="Signup", display_name="Signup")
    noon = dt.datetime.combine(today, dt.time(12), zoneinfo.ZoneInfo(owner.site.timezone))
    site, day = owner.site.id, dt.timedelta(days=1)

    def buy(at: dt.datetime, visitor: int, amount: str) -> Event:
        return make_event(site, timestamp=at, visitor_id=visitor, name="Purchase", revenue_amount=amount,
                          revenue_currency="EUR", prop_keys=("plan",), prop_values=("pro",))  # fmt: skip

    seed_visits(
        [
            make_event(site, timestamp=noon, visitor_id=1),
            buy(noon, 1, "12.5"),
            make_event(
                site, timestamp=noon, visitor_id=2, name="Signup", prop_keys=("plan",), prop_values=("free",)
            ),
            buy(noon - day, 3, "10"),
        ]
    )
    body = {"metrics": ["visitors", "total_revenue"], "date_range": "day", "dimensions": ["event:goal"]}
    answer = query(owner.key, **body, include={"comparisons": {"mode": "previous_period"}})
    euros = {"value": 12.5, "currency": "EUR", "short": "€12.50", "long": "€12.50"}
    before = {"value": 10.0, "currency": "EUR", "short": "€10.00", "long": "€10.00"}
    buy_then = {"dimensions": ["Buy"], "metrics": [1, before], "change": [0, 25]}
    signup_then = {"dimensions": ["Signup"], "metrics": [0, None], "change": [100, None]}
    assert answer["results"] == [
        {"metrics": [1, euros], "dimensions": ["Buy"], "comparison": buy_then},
        {"metrics": [1, None], "dimensions": ["Signup"], "comparison": signup_then},
    ]
    old = v1("breakdown", owner.key, period="day", property="event:goal", metrics="visitors,total_revenue")
    assert [r["metrics"] for r in answer["results"]] == [[r["visitors"], r["total_revenue"]] for r in old]
    plans = query(owner.key, metrics=["visitors"], date_range="day", dimensions=["event:props:plan"])
    old_plans = v1("breakdown", owner.key, period="day", property="event:props:plan")
    assert plans["results"] == [{"metrics": [r["visitors"]], "dimensions": [r["plan"]]} for r in old_plans]
    assert [r["dimensions"] for r in plans["results"]] == [["(none)"], ["free"], ["pro"]]


def test_a_date_time_range_counts_exactly_its_seconds(owner: Persona, seeded: None, today: dt.date) -> None:
    offset = dt.datetime.combine(today, dt.time(), zoneinfo.ZoneInfo(owner.site.timezone)).isoformat()[-6:]
    bounds = [f"{today}T12:00:00{offset}", f"{today}T12:00:59{offset}"]
    answer = query(owner.key, metrics=["visitors", "pageviews"], date_range=bounds, dimensions=["time"])
    assert answer["query"]["date_range"] == bounds
    assert answer["query"]["dimensions"] == ["time:minute"]
    assert answer["results"] == [{"metrics": [2, 2], "dimensions": [f"{today} 12:00:00"]}]
    realtime = query(owner.key, metrics=["visitors"], date_range="realtime", dimensions=["time"])
    assert realtime["query"]["dimensions"] == ["time:minute"] and len(realtime["results"]) == 30


def test_comparisons_follow_plausibles_shape(owner: Persona, events_table: None) -> None:
    site = owner.site.id

    def day(number: int) -> dt.datetime:
        return dt.datetime(2026, 1, number, 12, tzinfo=dt.UTC)

    seed_visits(
        [
            make_event(site, timestamp=day(1), visitor_id=1, browser="Firefox"),
            make_event(site, timestamp=day(1), visitor_id=2, browser="Firefox"),
            make_event(site, timestamp=day(2), visitor_id=3, browser="Chrome"),
            make_event(site, timestamp=day(8), visitor_id=4, browser="Chrome"),
            make_event(site, timestamp=day(9), visitor_id=5, browser="Chrome"),
            make_event(site, timestamp=day(9), visitor_id=6, browser="Safari"),
        ]
    )
    week = ["2026-01-07", "2026-01-13"]
    previous = {"comparisons": {"mode": "previous_period"}}
    total = query(owner.key, metrics=["visitors"], date_range=week, include=previous)
    assert total["results"] == [
        {"metrics": [3], "dimensions": [], "comparison": {"dimensions": [], "metrics": [3], "change": [0]}}
    ]
    assert total["query"]["include"] == previous
    series = query(
        owner.key, metrics=["visitors"], date_range=week, dimensions=["time:day"], include=previous
    )
    assert series["results"][:3] == [
        {
            "metrics": [0],
            "dimensions": ["2026-01-07"],
            "comparison": {"dimensions": ["2025-12-31"], "metrics": [0], "change": [0]},
        },
        {
            "metrics": [1],
            "dimensions": ["2026-01-08"],
            "comparison": {"dimensions": ["2026-01-01"], "metrics": [2], "change": [-50]},
        },
        {
            "metrics": [2],
            "dimensions": ["2026-01-09"],
            "comparison": {"dimensions": ["2026-01-02"], "metrics": [1], "change": [100]},
        },
    ]
    browsers = query(
        owner.key, metrics=["visitors"], date_range=week, dimensions=["visit:browser"], include=previous
    )
    assert browsers["results"] == [
        {
            "metrics": [2],
            "dimensions": ["Chrome"],
            "comparison": {"dimensions": ["Chrome"], "metrics": [1], "change": [100]},
        },
        {
            "metrics": [1],
            "dimensions": ["Safari"],
            "comparison": {"dimensions": ["Safari"], "metrics": [0], "change": [100]},
        },
    ]
    custom = {"comparisons": {"mode": "custom", "date_range": ["2026-01-01", "2026-01-01"]}}
    one_day = query(owner.key, metrics=["visitors"], date_range=["2026-01-09", "2026-01-09"], include=custom)
    assert one_day["results"][0]["comparison"] == {"dimensions": [], "metrics": [2], "change": [0]}
    yearly = query(
        owner.key,
        metrics=["visitors"],
        date_range=["2027-01-01", "2027-01-09"],
        include={"comparisons": {"mode": "year_over_year"}},
    )
    assert yearly["results"][0]["comparison"] == {"dimensions": [], "metrics": [6], "change": [-100]}


def test_match_day_of_week_moves_a_yearly_comparison_not_a_custom_one() -> None:
    """Plausible's rules (``analytics.comparisons``, tested in test_compare.py) reached from the body."""

    def compared(date_range: list[str], comparisons: dict[str, Any]) -> tuple[str, str]:
        body = {"metrics": ["visitors"], "date_range": date_range, "include": {"comparisons": comparisons}}
        other = v2_params.parse(body, site_id=1, tz="UTC", today=dt.date(2026, 1, 20)).include.comparison
        assert other is not None
        return other.first.isoformat(), other.last.isoformat()

    week = ["2023-01-01", "2023-01-07"]  # Sunday 1 January 2023 against Sunday 2 January 2022
    assert compared(week, {"mode": "year_over_year"}) == ("2022-01-01", "2022-01-07")
    assert compared(week, {"mode": "year_over_year", "match_day_of_week": True}) == (
        "2022-01-02",
        "2022-01-08",
    )
    custom = {"mode": "custom", "date_range": ["2025-12-01", "2025-12-07"], "match_day_of_week": True}
    assert compared(["2026-01-07", "2026-01-13"], custom) == ("2025-12-01", "2025-12-07")


def test_a_session_post_needs_the_csrf_token(owner: Persona, seeded: None) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner.user)
    body = {"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"}
    refused = post(body, None, browser=browser)
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    browser.get("/sites/")  # a page sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    allowed = post(body, None, browser=browser, **{"X-CSRFToken": token})
    assert allowed.status_code == 200 and allowed.json()["results"] == [{"metrics": [3], "dimensions": []}]
    keyed = post(body, owner.key, browser=Client(enforce_csrf_checks=True))
    assert keyed.status_code == 200  # an API key needs no CSRF token


def test_keys_scopes_and_sites_are_checked(owner: Persona, outsider: Persona, seeded: None) -> None:
    from panel.apikeys.models import ApiKey

    body = {"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"}
    assert post(body, None).status_code == 401
    assert post(body, "lk_wrong").status_code == 401
    assert post(body, outsider.key).status_code == 404
    _key, writer = ApiKey.objects.issue(owner.user, scopes=["events:write"])
    assert post(body, writer).status_code == 403
    get = Client().get(URL, headers={"Authorization": f"Bearer {owner.key}"})
    assert get.status_code == 405
    assert post({**body, "site_id": "elsewhere.org"}, outsider.key).json()["results"] == [
        {"metrics": [1], "dimensions": []}
    ]


def test_the_key_allowance_counts_v2_requests(owner: Persona, events_table: None) -> None:
    body = {"site_id": "example.com", "metrics": ["visitors"], "date_range": "day"}
    with override_settings(STATS_API_RATE="2/h"):
        statuses = [post(body, owner.key).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


BAD_BODIES: list[tuple[Any, str]] = [
    ({}, "#/metrics"),
    ({"metrics": "visitors", "date_range": "day"}, "#/metrics"),
    ({"metrics": [], "date_range": "day"}, "#/metrics"),
    ({"metrics": ["visitors", "nonsense"], "date_range": "day"}, "#/metrics/1"),
    ({"metrics": [7], "date_range": "day"}, "#/metrics/0"),
    ({"metrics": ["visitors", "visitors"], "date_range": "day"}, "#/metrics/1"),
    ({"metrics": ["visitors"]}, "#/date_range"),
    ({"metrics": ["visitors"], "date_range": "forever"}, "#/date_range"),
    ({"metrics": ["visitors"], "date_range": ["2026-01-01"]}, "#/date_range"),
    ({"metrics": ["visitors"], "date_range": ["2026-13-01", "2026-01-02"]}, "#/date_range/0"),
    ({"metrics": ["visitors"], "date_range": ["2026-01-02", "2026-01-01"]}, "#/date_range"),
    ({"metrics": ["visitors"], "date_range": ["0001-01-01", "2026-01-01"]}, "#/date_range/0"),
    ({"metrics": ["visitors"], "date_range": ["2000-01-01", "2026-01-01"]}, "#/date_range"),
    (
        {"metrics": ["visitors"], "date_range": ["2026-01-01T12:00:00+01:00", "2026-01-01T11:59:59+01:00"]},
        "#/date_range",
    ),
    (
        {"metrics": ["visitors"], "date_range": ["2026-01-01T00:00:00", "2026-01-01T23:59:59"]},
        "#/date_range/0",
    ),
    ({"metrics": ["visitors"], "date_range": [1, 2]}, "#/date_range/0"),
    ({"metrics": ["visitors"], "date_range": ["2026-01-01", "9999-12-31T23:59:59-14:00"]}, "#/date_range/1"),
    ({"metrics": ["visitors"], "date_range": ["0001-01-01T00:00:00+14:00", "2026-01-01"]}, "#/date_range/0"),
    ({"metrics": ["visitors"], "date_range": "day", "date": "yesterday"}, "#/date"),
    ({"metrics": ["visitors"], "date_range": "day", "dimensions": ["event:pages"]}, "#/dimensions/0"),
    ({"metrics": ["visitors"], "date_range": "day", "dimensions": "event:page"}, "#/dimensions"),
    (
        {"metrics": ["visitors"], "date_range": "day", "dimensions": ["time:day", "time:hour"]},
        "#/dimensions/1",
    ),
    ({"metrics": ["visitors"], "date_range": "day", "dimensions": ["event:props:"]}, "#/dimensions/0"),
    ({"metrics": ["visitors"], "date_range": "day", "filters": [["is", "event:page"]]}, "#/filters/0"),
    (
        {"metrics": ["visitors"], "date_range": "day", "filters": [["like", "event:page", ["/"]]]},
        "#/filters/0/0",
    ),
    (
        {"metrics": ["visitors"], "date_range": "day", "filters": [["is", "visit:evil", ["x"]]]},
        "#/filters/0/1",
    ),
    ({"metrics": ["visitors"], "date_range": "day", "filters": [["is", "time", ["x"]]]}, "#/filters/0/1"),
    ({"metrics": ["visitors"], "date_range": "day", "filters": [["is", "event:page", "/"]]}, "#/filters/0/2"),
    ({"metrics": ["visitors"], "date_range": "day", "filters": [["is", "event:page", []]]}, "#/filters/0/2"),
    (
        {"metrics": ["visitors"], "date_range": "day", "filters": [["is", "event:page", [None]]]},
        "#/filters/0/2/0",
    ),
    (
        {
            "metrics": ["visitors"],
            "date_range": "day",
            "filters": [["is", "event:page", ["/"], {"case_sensitive": False}]],
        },
        "#/filters/0/3/case_sensitive",
    ),
    ({"metrics": ["visitors"], "date_range": "day", "filters": [["and", []]]}, "#/filters/0/1"),
    ({"metrics": ["visitors"], "date_range": "day", "filters": [["not"]]}, "#/filters/0"),
    (
        {
            "metrics": ["visitors"],
            "date_range": "day",
            "filters": [["or", [["is", "event:page", ["/"]], ["is", "visit:country", ["DE"]]]]],
        },
        "#/filters",
    ),
    (
        {"metrics": ["visitors"], "date_range": "day", "filters": [["is", "event:page", ["x"] * 101]]},
        "#/filters/0/2",
    ),
    (
        {"metrics": ["visitors"], "date_range": "day", "filters": [["matches", "event:page", ["("]]]},
        "#/filters",
    ),
    ({"metrics": ["conversion_rate"], "date_range": "day"}, "#/metrics"),
    ({"metrics": ["visitors"], "date_range": "day", "filters": "event:page==/"}, "#/filters"),
    ({"metrics": ["visitors"], "date_range": "day", "order_by": [["pageviews", "desc"]]}, "#/order_by/0/0"),
    ({"metrics": ["visitors"], "date_range": "day", "order_by": [["visitors", "up"]]}, "#/order_by/0/1"),
    ({"metrics": ["visitors"], "date_range": "day", "order_by": ["visitors"]}, "#/order_by/0"),
    (
        {"metrics": ["visitors"], "date_range": "day", "include": {"time_labels": True}},
        "#/include/time_labels",
    ),
    (
        {"metrics": ["visitors"], "date_range": "day", "include": {"total_rows": "yes"}},
        "#/include/total_rows",
    ),
    ({"metrics": ["visitors"], "date_range": "day", "include": {"everything": True}}, "#/include/everything"),
    (
        {"metrics": ["visitors"], "date_range": "day", "include": {"comparisons": {"mode": "last_year"}}},
        "#/include/comparisons/mode",
    ),
    (
        {"metrics": ["visitors"], "date_range": "day", "include": {"comparisons": {"mode": "custom"}}},
        "#/include/comparisons/date_range",
    ),
    ({"metrics": ["visitors"], "date_range": "day", "include": {"comparisons": {}}}, "#/include/comparisons"),
    (
        {
            "metrics": ["visitors"],
            "date_range": "day",
            "include": {"comparisons": {"mode": "year_over_year", "match_day_of_week": "yes"}},
        },
        "#/include/comparisons/match_day_of_week",
    ),
    (
        {
            "metrics": ["visitors"],
            "date_range": "day",
            "include": {"comparisons": {"mode": "custom", "date_range": ["2026-02-01", "2026-01-01"]}},
        },
        "#/include/comparisons/date_range",
    ),
    (
        {
            "metrics": ["visitors"],
            "date_range": "day",
            "include": {"comparisons": {"mode": "custom", "date_range": ["2026-02-30", "2026-03-01"]}},
        },
        "#/include/comparisons/date_range/0",
    ),
    ({"metrics": ["visitors"], "date_range": "day", "pagination": {"limit": 0}}, "#/pagination/limit"),
    ({"metrics": ["visitors"], "date_range": "day", "pagination": {"limit": True}}, "#/pagination/limit"),
    ({"metrics": ["visitors"], "date_range": "day", "pagination": {"offset": -1}}, "#/pagination/offset"),
    ({"metrics": ["visitors"], "date_range": "day", "pagination": {"limit": 10**30}}, "#/pagination/limit"),
    ({"metrics": ["visitors"], "date_range": "day", "select": "*"}, "#/select"),
    ({"metrics": ["visitors"], "date_range": "day", "a/b~c": 1}, "#/a~1b~0c"),
]


def test_a_bad_body_gets_400_naming_the_json_path(owner: Persona) -> None:
    wrong = []
    for body, path in BAD_BODIES:
        response = post({"site_id": "example.com", **body}, owner.key)
        error = response.json().get("error", "")
        if response.status_code != 400 or not error.startswith(f"{path}: "):
            wrong.append((body, path, response.status_code, error))
    assert wrong == []


UNREADABLE: list[tuple[bytes, str, int, str]] = [
    (b"{not json", "application/json", 400, "#: "),
    (b"[1, 2]", "application/json", 400, "#: "),
    (b"  ", "application/json", 400, "#: "),
    (b'{"site_id": "example.com"}', "text/plain", 415, "Content-Type"),
    (b"site_id=example.com", "application/x-www-form-urlencoded", 415, "Content-Type"),
    (b'{"site_id": "' + b"x" * 70_000 + b'"}', "application/json", 413, "the query"),
    (b"[" * 5000 + b"]" * 5000, "application/json", 400, "#: "),
    (b'{"site_id": 5}', "application/json", 400, "#/site_id"),
    (b'{"site_id": "\\ud800"}', "application/json", 400, "#: "),
    (b"\xff\xfe", "application/json", 400, "#: "),
]


def test_unreadable_bodies_get_a_4xx_with_a_json_error(owner: Persona) -> None:
    headers = {"Authorization": f"Bearer {owner.key}"}
    wrong = []
    for raw, content_type, status, start in UNREADABLE:
        response = Client().post(URL, raw, content_type=content_type, headers=headers)
        error = response.json().get("error", "")
        if response.status_code != status or not error.startswith(start):
            wrong.append((raw[:40], response.status_code, error))
    assert wrong == []


def test_deeply_nested_filters_are_refused_before_any_work(owner: Persona, events_table: None) -> None:
    tree: Any = ["is", "event:page", ["/"]]
    for _ in range(200):
        tree = ["not", tree]
    response = post(
        {"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "filters": [tree]}, owner.key
    )
    assert response.status_code == 400
    assert "nest at most" in response.json()["error"]
    many = [["is", "event:page", [str(n)]] for n in range(101)]
    response = post(
        {"site_id": "example.com", "metrics": ["visitors"], "date_range": "day", "filters": many}, owner.key
    )
    assert response.status_code == 400 and response.json()["error"].startswith("#/filters")


def test_hostile_values_are_only_ever_values(owner: Persona, seeded: None) -> None:
    hostile = ["'; DROP TABLE events; --", "{site_id:UInt64}", "\x00", "é" * 2000, "\\", "`"]
    for text in hostile:
        body = {
            "metrics": ["visitors"],
            "date_range": "day",
            "dimensions": ["event:page"],
            "filters": [["contains", "event:page", [text]]],
        }
        assert query(owner.key, **body)["results"] == []
    assert query(owner.key, metrics=["visitors"], date_range="day")["results"] == [
        {"metrics": [3], "dimensions": []}
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.sampled_from(
    [
        "visitors",
        "pageviews",
        "bounce_rate",
        "event:page",
        "visit:source",
        "time",
        "time:day",
        "is",
        "or",
        "not",
        "day",
        "7d",
        "nope",
    ]
)
SHAPED = st.fixed_dictionaries(
    {"site_id": st.just("example.com")},
    optional={
        "metrics": st.lists(NAMES, max_size=3) | JSON,
        "date_range": NAMES
        | st.lists(st.sampled_from(["2026-01-01", "2026-01-02T00:00:00+01:00", "x"]), max_size=3)
        | JSON,
        "dimensions": st.lists(NAMES, max_size=3) | JSON,
        "filters": st.lists(st.lists(NAMES | st.lists(NAMES, max_size=2) | JSON, max_size=4), max_size=3)
        | JSON,
        "order_by": st.lists(st.lists(NAMES | st.sampled_from(["asc", "desc"]), max_size=3), max_size=2)
        | JSON,
        "include": st.dictionaries(
            st.sampled_from(["time_labels", "total_rows", "comparisons", "x"]),
            JSON | st.booleans(),
            max_size=3,
        ),
        "pagination": st.dictionaries(
            st.sampled_from(["limit", "offset"]), st.integers(-5, 20_000) | JSON, max_size=2
        ),
        "date": st.sampled_from(["2026-01-01", "2026-02-30"]) | JSON,
    },
)


OFFSETS = st.integers(-14, 14).map(lambda hours: dt.timezone(dt.timedelta(hours=hours)))
MOMENTS = st.datetimes(timezones=OFFSETS).map(dt.datetime.isoformat) | st.dates().map(dt.date.isoformat)


@settings(max_examples=300, deadline=None)
@given(
    body=SHAPED | JSON,
    dates=st.lists(MOMENTS, min_size=2, max_size=2),
    tz=st.sampled_from(["UTC", "Pacific/Kiritimati", "America/Adak"]),
)
def test_parsing_any_json_raises_nothing_but_query_errors(body: Any, dates: list[str], tz: str) -> None:
    bodies = (
        [body, {"metrics": ["visitors"], "date_range": dates}]
        if isinstance(body, dict)
        else [{"metrics": ["visitors"], "date_range": dates}]
    )
    for each in bodies:
        try:
            v2_params.parse(each, site_id=1, tz=tz, today=dt.date(2026, 1, 1))
        except QueryError as exc:
            assert exc.field.startswith("#") and exc.message


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=SHAPED | JSON)
def test_random_json_never_gets_a_500(owner: Persona, events_table: None, body: Any) -> None:
    browser = Client()  # the session: no key allowance to run out of
    browser.force_login(owner.user)
    response = post(body, None, browser=browser)
    assert response.status_code in (200, 400, 404), response.content
    if response.status_code != 200:
        assert response.json()["error"]
    else:
        assert set(response.json()) == {"results", "meta", "query"}


# -- filter trees: what the parser hands on means what was sent ---------------------------------

DIMS = ["event:page", "event:hostname"]  # one scope: a group may not mix event: and visit:
VALUES = ["a", "b", "ab"]
SIMPLE = st.builds(
    lambda op, dim, values: [op, dim, values],
    st.sampled_from([op for op in ("is", "is_not", "contains", "contains_not") if op in OPERATORS]),
    st.sampled_from(DIMS),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2),
)
TREES = st.recursive(
    SIMPLE,
    lambda kids: (
        st.tuples(st.sampled_from(["and", "or"]), st.lists(kids, min_size=1, max_size=3)).map(list)
        | kids.map(lambda kid: ["not", kid])
    ),
    max_leaves=6,
)


def holds(tree: Any, row: dict[str, str]) -> bool:
    """What a filter tree means for one row, read straight from Plausible's documentation."""
    op = tree[0]
    if op == "and":
        return all(holds(kid, row) for kid in tree[1])
    if op == "or":
        return any(holds(kid, row) for kid in tree[1])
    if op == "not":
        return not holds(tree[1], row)
    value, clauses = row[tree[1]], tree[2]
    found = value in clauses if op.startswith("is") else any(c.lower() in value.lower() for c in clauses)
    return found if op in ("is", "contains") else not found


def passes(node: FilterNode, row: dict[str, str]) -> bool:
    return holds(as_tree(node), row)


def as_tree(node: FilterNode) -> Any:
    if isinstance(node, Logic):
        kids = [as_tree(child) for child in node.children]
        return ["not", kids[0]] if node.op == "not" else [node.op, kids]
    return [node.operator, node.dimension, list(node.values)]


@settings(max_examples=300, deadline=None)
@given(trees=st.lists(TREES, max_size=3))
def test_simplified_filters_mean_what_was_sent(trees: list[Any]) -> None:
    body = {"site_id": "x", "metrics": ["visitors"], "date_range": "day", "filters": trees}
    try:
        parsed = v2_params.parse(body, site_id=1, tz="UTC", today=dt.date(2026, 1, 1))
    except QueryError as exc:
        assert exc.field.startswith("#/filters") and "nest" in exc.message  # only too deep a tree
        return
    for page in VALUES:
        for country in VALUES:
            row = {"event:page": page, "event:hostname": country}
            assert all(passes(f, row) for f in parsed.query.filters) == all(holds(t, row) for t in trees)

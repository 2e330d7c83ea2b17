"""Stats API v1 over HTTP: Plausible's shapes, API-key and session auth, 4xx naming the parameter."""

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client

from analytics import client
from analytics.periods import today_in
from tests.conftest import Persona, make_event, seed


@pytest.fixture
def seeded(owner: Persona, outsider: Persona, events_table: None) -> None:
    now, ms = dt.datetime.now(dt.UTC), dt.timedelta(milliseconds=1)
    site = owner.site.id
    events = [
        make_event(site, timestamp=now, visitor_id=1, pathname="/", referrer_source="Google"),
        make_event(site, timestamp=now + ms, visitor_id=1, pathname="/docs", referrer_source="Google"),
        make_event(site, timestamp=now, visitor_id=2, pathname="/"),
        make_event(site, timestamp=now - dt.timedelta(days=10), visitor_id=3, pathname="/old"),
        make_event(outsider.site.id, timestamp=now, visitor_id=4, pathname="/secret"),
    ]
    seed(events)


def get(path: str, key: str | None, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client().get(f"/api/v1/stats/{path}", params, headers=headers)


def test_aggregate_answers_in_plausibles_shape(owner: Persona, seeded: None) -> None:
    response = get("aggregate", owner.key, site_id="example.com", period="day", metrics="visitors,pageviews")
    assert response.status_code == 200
    assert response.json() == {"results": {"visitors": {"value": 2}, "pageviews": {"value": 3}}}
    month = get("aggregate", owner.key, site_id="example.com", period="30d", metrics="pageviews")
    assert month.json() == {"results": {"pageviews": {"value": 4}}}


def test_breakdown_names_rows_by_the_property(owner: Persona, seeded: None) -> None:
    response = get(
        "breakdown", owner.key, site_id="example.com", period="7d", property="event:page", limit="1"
    )
    assert response.json() == {"results": [{"page": "/", "visitors": 2}]}
    page2 = get(
        "breakdown", owner.key, site_id="example.com", period="7d", property="event:page", limit="1", page="2"
    )
    assert page2.json() == {"results": [{"page": "/docs", "visitors": 1}]}
    sources = get("breakdown", owner.key, site_id="example.com", period="day", property="visit:source")
    assert sources.json()["results"] == [
        {"source": "Direct / None", "visitors": 1},
        {"source": "Google", "visitors": 1},
    ]


def test_aggregate_answers_every_visit_metric(owner: Persona, seeded: None) -> None:
    metrics = "visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events"
    response = get("aggregate", owner.key, site_id="example.com", period="day", metrics=metrics)
    assert response.json() == {
        "results": {
            "visitors": {"value": 2},
            "visits": {"value": 2},
            "pageviews": {"value": 3},
            "views_per_visit": {"value": 1.5},
            "bounce_rate": {"value": 50},
            "visit_duration": {"value": 0},
            "events": {"value": 3},
        }
    }
    engagement = get("aggregate", owner.key, site_id="example.com", metrics="time_on_page,scroll_depth")
    assert engagement.json() == {"results": {"time_on_page": {"value": 0}, "scroll_depth": {"value": 0}}}


def test_breakdown_order_by_a_metric_or_the_property(owner: Persona, seeded: None) -> None:
    def pages(**params: str) -> list[tuple[str, int]]:
        response = get(
            "breakdown", owner.key, site_id="example.com", period="30d", property="event:page", **params
        )
        assert response.status_code == 200, response.content
        return [(row["page"], row["visitors"]) for row in response.json()["results"]]

    assert pages() == [("/", 2), ("/docs", 1), ("/old", 1)]  # the first metric, descending; then the page
    assert pages(order_by="visitors:asc") == [("/docs", 1), ("/old", 1), ("/", 2)]
    assert pages(order_by="event:page:desc") == [("/old", 1), ("/docs", 1), ("/", 2)]
    assert pages(order_by="visitors:asc,event:page:desc") == [("/old", 1), ("/docs", 1), ("/", 2)]
    assert pages(order_by="event:page:desc", limit="1", page="2") == [("/docs", 1)]  # pages follow the order
    by_bounce = get(
        "breakdown", owner.key, site_id="example.com", period="30d", property="event:page",
        metrics="visitors,bounce_rate", order_by="bounce_rate:asc",
    )  # fmt: skip
    rates = [(row["page"], row["bounce_rate"]) for row in by_bounce.json()["results"]]
    assert rates == [("/docs", 0), ("/", 50), ("/old", 100)]


def test_breakdown_by_entry_page_with_visit_metrics(owner: Persona, seeded: None) -> None:
    response = get(
        "breakdown",
        owner.key,
        site_id="example.com",
        period="7d",
        property="visit:entry_page",
        metrics="visits,bounce_rate",
    )
    assert response.json() == {"results": [{"entry_page": "/", "visits": 2, "bounce_rate": 50}]}


def test_timeseries_carries_visit_metrics(owner: Persona, seeded: None) -> None:
    response = get("timeseries", owner.key, site_id="example.com", period="7d", metrics="visits,bounce_rate")
    results = response.json()["results"]
    assert results[-1] == {"date": today_in("Europe/Berlin").isoformat(), "visits": 2, "bounce_rate": 50}
    assert [r["visits"] for r in results[:-1]] == [0] * 6


def test_timeseries_fills_every_day_in_the_site_timezone(owner: Persona, seeded: None) -> None:
    response = get("timeseries", owner.key, site_id="example.com", period="7d")
    results = response.json()["results"]
    assert len(results) == 7
    assert results[-1] == {"date": today_in("Europe/Berlin").isoformat(), "visitors": 2}
    assert sum(r["visitors"] for r in results) == 2


def test_filters_narrow_the_numbers(owner: Persona, seeded: None) -> None:
    response = get(
        "aggregate",
        owner.key,
        site_id="example.com",
        period="day",
        metrics="pageviews",
        filters="event:page==/docs|/nope",
    )
    assert response.json() == {"results": {"pageviews": {"value": 1}}}


def test_a_logged_in_owner_reads_with_the_session(owner: Persona, seeded: None) -> None:
    browser = Client()
    browser.force_login(owner.user)
    response = browser.get("/api/v1/stats/aggregate", {"site_id": "example.com", "period": "day"})
    assert response.json() == {"results": {"visitors": {"value": 2}}}


def test_another_organisation_gets_404_never_the_data(
    owner: Persona, outsider: Persona, seeded: None
) -> None:
    response = get("aggregate", outsider.key, site_id="example.com", period="day")
    assert response.status_code == 404
    browser = Client()
    browser.force_login(outsider.user)
    assert (
        browser.get(
            "/api/v1/stats/breakdown", {"site_id": "example.com", "property": "event:page"}
        ).status_code
        == 404
    )
    assert browser.get("/example.com/").status_code == 404


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer lk_wrong"}, 401), ({"Authorization": "Basic abc"}, 401)],
)
def test_it_refuses_missing_and_wrong_keys(owner: Persona, headers: dict[str, str], status: int) -> None:
    response = Client().get("/api/v1/stats/aggregate", {"site_id": "example.com"}, headers=headers)
    assert response.status_code == status
    assert "error" in response.json()


def test_a_key_in_the_query_string_is_not_accepted(owner: Persona) -> None:
    response = Client().get("/api/v1/stats/aggregate", {"site_id": "example.com", "api_key": owner.key})
    assert response.status_code == 401


def test_a_key_without_the_stats_scope_is_refused(owner: Persona) -> None:
    from panel.apikeys.models import ApiKey

    _key, raw = ApiKey.objects.issue(owner.user, scopes=["events:write"])
    assert get("aggregate", raw, site_id="example.com").status_code == 403


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("aggregate", {}, "site_id"),
        ("aggregate", {"site_id": "example.com", "period": "forever"}, "period"),
        ("aggregate", {"site_id": "example.com", "metrics": "visitors,nonsense"}, "metrics"),
        (
            "aggregate",
            {"site_id": "example.com", "period": "custom", "date": "2026-13-01,2026-01-01"},
            "date",
        ),
        ("aggregate", {"site_id": "example.com", "date": "\x00"}, "date"),
        ("aggregate", {"site_id": "example.com", "filters": "event:page"}, "filters"),
        ("aggregate", {"site_id": "example.com", "filters": "visit:evil==x"}, "filters"),
        ("breakdown", {"site_id": "example.com"}, "property"),
        ("breakdown", {"site_id": "example.com", "property": "pathname) --"}, "property"),
        ("breakdown", {"site_id": "example.com", "property": "event:page", "limit": "-5"}, "limit"),
        ("breakdown", {"site_id": "example.com", "property": "event:page", "page": "x"}, "page"),
        (
            "breakdown",
            {"site_id": "example.com", "property": "event:page", "order_by": "visitors"},
            "order_by",
        ),
        (
            "breakdown",
            {"site_id": "example.com", "property": "event:page", "order_by": "visitors:up"},
            "order_by",
        ),
        ("breakdown", {"site_id": "example.com", "property": "event:page", "order_by": ":asc"}, "order_by"),
        (
            "breakdown",
            {"site_id": "example.com", "property": "event:page", "order_by": "pageviews:desc"},
            "order_by",
        ),  # not a requested metric
        (
            "breakdown",
            {"site_id": "example.com", "property": "event:page", "order_by": "visit:source:asc"},
            "order_by",
        ),  # not the property
        (
            "breakdown",
            {"site_id": "example.com", "property": "event:page", "order_by": "visitors:asc,visitors:desc"},
            "order_by",
        ),
        (
            "breakdown",
            {"site_id": "example.com", "property": "event:page", "order_by": "visitors) --:asc"},
            "order_by",
        ),
        ("timeseries", {"site_id": "example.com", "interval": "fortnight"}, "interval"),
        ("aggregate", {"site_id": "example.com", "snapshot": "a b"}, "snapshot"),
        ("breakdown", {"site_id": "example.com", "property": "event:page", "snapshot": "x" * 41}, "snapshot"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(
    owner: Persona, events_table: None, path: str, params: dict[str, str], field: str
) -> None:
    response = get(path, owner.key, **params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)


def test_realtime_visitors_counts_the_last_five_minutes(
    owner: Persona, outsider: Persona, events_table: None
) -> None:
    now = dt.datetime.now(dt.UTC)
    site = owner.site.id
    seed(
        [
            make_event(site, timestamp=now - dt.timedelta(minutes=1), visitor_id=1),
            make_event(site, timestamp=now - dt.timedelta(minutes=4), visitor_id=1, name="engagement"),
            make_event(site, timestamp=now - dt.timedelta(minutes=2), visitor_id=2, name="Signup"),
            make_event(site, timestamp=now - dt.timedelta(minutes=7), visitor_id=3),
            make_event(outsider.site.id, timestamp=now, visitor_id=4),
        ]
    )
    response = get("realtime/visitors", owner.key, site_id="example.com")
    assert (response.status_code, response.json()) == (200, 2)
    assert get("realtime/visitors", owner.key, site_id="elsewhere.org").status_code == 404
    assert get("realtime/visitors", None, site_id="example.com").status_code == 401


def test_each_api_key_has_an_hourly_allowance(owner: Persona, outsider: Persona, events_table: None) -> None:
    from django.test import override_settings

    with override_settings(STATS_API_RATE="3/h"):
        statuses = [get("realtime/visitors", owner.key, site_id="example.com").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = get("aggregate", owner.key, site_id="example.com", metrics="visitors")
        assert refused.status_code == 429 and "3/h" in refused.json()["error"]
        assert get("realtime/visitors", outsider.key, site_id="elsewhere.org").status_code == 200  # its own


def test_each_logged_in_user_has_an_allowance(owner: Persona, outsider: Persona, events_table: None) -> None:
    from django.test import override_settings

    browser, other = Client(), Client()
    browser.force_login(owner.user)
    other.force_login(outsider.user)
    url = "/api/v1/stats/realtime/visitors"
    with override_settings(SESSION_STATS_RATE="3/h"):
        statuses = [browser.get(url, {"site_id": "example.com"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = browser.get("/dashboard-data/prop-keys", {"site_id": "example.com"})
        assert refused.status_code == 429 and refused["Content-Type"] == "application/json"
        assert refused.json() == {"error": "Too many requests: a logged-in user may make 3/h; wait and retry"}
        assert other.get(url, {"site_id": "elsewhere.org"}).status_code == 200  # their own allowance
        assert get("realtime/visitors", owner.key, site_id="example.com").status_code == 200  # a key: its own


def test_aggregate_compares_with_the_previous_period(owner: Persona, events_table: None) -> None:
    today = today_in(owner.site.timezone)
    noon = dt.datetime.combine(today, dt.time(12), dt.UTC)
    site = owner.site.id
    this_week = [make_event(site, timestamp=noon - dt.timedelta(days=d), visitor_id=d) for d in range(3)]
    last_week = [make_event(site, timestamp=noon - dt.timedelta(days=8), visitor_id=9)] * 1
    seed(this_week + last_week)
    response = get(
        "aggregate", owner.key, site_id="example.com", period="7d", metrics="visitors,pageviews",
        compare="previous_period",
    )  # fmt: skip
    before = [(today - dt.timedelta(days=d)).isoformat() for d in (13, 7)]
    assert response.json() == {
        "results": {
            "visitors": {"value": 3, "comparison_value": 1, "change": 200},
            "pageviews": {"value": 3, "comparison_value": 1, "change": 200},
        },
        "comparison": {"date_range": before},  # which range it was: the dashboard says so
    }
    bad = get("aggregate", owner.key, site_id="example.com", metrics="visitors", compare="yesterday")
    assert bad.status_code == 400 and bad.json()["error"].startswith("compare:")


@pytest.fixture
def converting(owner: Persona, events_table: None) -> None:
    """Today, three visitors: 1 signs up on the pro plan, 2 buys for 12.50 EUR, 3 reads the blog."""
    from panel.goals.models import Goal

    Goal.objects.create(site=owner.site, event_name="Signup", display_name="Signup")
    Goal.objects.create(site=owner.site, event_name="Purchase", display_name="Buy", currency="EUR")
    Goal.objects.create(site=owner.site, page_path="/blog/**", display_name="Visit /blog/**")
    now, site = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2), owner.site.id
    ms = dt.timedelta(milliseconds=1)  # after the pageview: the visit's first touch is the pageview's
    events = [
        make_event(site, timestamp=now, visitor_id=1, pathname="/", referrer_source="Google"),
        make_event(
            site, timestamp=now + ms, visitor_id=1, name="Signup", prop_keys=("plan",), prop_values=("pro",)
        ),
        make_event(site, timestamp=now, visitor_id=2, pathname="/shop"),
        make_event(
            site,
            timestamp=now + ms,
            visitor_id=2,
            name="Purchase",
            revenue_amount="12.5",
            revenue_currency="EUR",
        ),
        make_event(site, timestamp=now, visitor_id=3, pathname="/blog/2026/hello"),
    ]
    seed(events)


def test_goal_filters_and_conversion_rate(owner: Persona, converting: None) -> None:
    response = get(
        "aggregate", owner.key, site_id="example.com", period="day", metrics="visitors,conversion_rate",
        filters="event:goal==Signup|Buy",
    )  # fmt: skip
    assert response.json() == {"results": {"visitors": {"value": 2}, "conversion_rate": {"value": 66.67}}}
    no_goal = get("aggregate", owner.key, site_id="example.com", metrics="conversion_rate")
    assert no_goal.status_code == 400 and no_goal.json()["error"].startswith("metrics")
    unknown = get("aggregate", owner.key, site_id="example.com", filters="event:goal==Nope")
    assert unknown.status_code == 400 and unknown.json()["error"].startswith("filters")


def test_breakdown_by_goal_gives_visitors_events_conversion_rate_and_revenue(
    owner: Persona, converting: None
) -> None:
    response = get(
        "breakdown", owner.key, site_id="example.com", period="day", property="event:goal",
        metrics="visitors,events,conversion_rate,total_revenue",
    )  # fmt: skip
    euros = {"value": 12.5, "currency": "EUR", "short": "€12.50", "long": "€12.50"}
    assert response.json() == {
        "results": [
            {"goal": "Buy", "visitors": 1, "events": 1, "conversion_rate": 33.33, "total_revenue": euros},
            {"goal": "Signup", "visitors": 1, "events": 1, "conversion_rate": 33.33, "total_revenue": None},
            {
                "goal": "Visit /blog/**",
                "visitors": 1,
                "events": 1,
                "conversion_rate": 33.33,
                "total_revenue": None,
            },
        ]
    }


def test_a_breakdown_with_a_goal_filter_rates_each_group(owner: Persona, converting: None) -> None:
    response = get(
        "breakdown", owner.key, site_id="example.com", period="day", property="visit:source",
        metrics="visitors,conversion_rate", filters="event:goal==Signup",
    )  # fmt: skip
    assert response.json() == {"results": [{"source": "Google", "visitors": 1, "conversion_rate": 100.0}]}
    ordered = get(
        "breakdown", owner.key, site_id="example.com", period="day", property="visit:source",
        metrics="visitors,conversion_rate", filters="event:goal==Signup", order_by="conversion_rate:asc",
    )  # fmt: skip
    assert ordered.json() == response.json()  # v1's conversion_rate, the group's rate, orders too


def test_breakdown_by_a_custom_prop(owner: Persona, converting: None) -> None:
    response = get(
        "breakdown", owner.key, site_id="example.com", period="day", property="event:props:plan",
        metrics="visitors,events",
    )  # fmt: skip
    assert response.json() == {
        "results": [
            {"plan": "(none)", "visitors": 3, "events": 4},
            {"plan": "pro", "visitors": 1, "events": 1},
        ]
    }
    filtered = get(
        "aggregate", owner.key, site_id="example.com", period="day", filters="event:props:plan==pro"
    )
    assert filtered.json() == {"results": {"visitors": {"value": 1}}}


@pytest.mark.parametrize(
    ("filters", "pageviews"),
    [
        ("event:page~BLOG", 1),
        ("event:page!~blog", 2),
        ("event:page==/blog/**", 1),
        ("event:page==/blog/*", 0),
        ("event:page==/shop|/", 2),
        ("event:page!=/shop;visit:source==Google", 1),
        ("event:page==/a\\|b", 0),
    ],
)
def test_v1_filter_operators(owner: Persona, converting: None, filters: str, pageviews: int) -> None:
    response = get(
        "aggregate", owner.key, site_id="example.com", period="day", metrics="pageviews", filters=filters
    )
    assert response.json() == {"results": {"pageviews": {"value": pageviews}}}


def test_a_filter_clause_is_split_in_linear_time() -> None:
    """A long run of spaces made the old clause pattern backtrack quadratically (~10 s at 30,000)."""
    code = (
        "from panel.stats_api.params import parse_filters\n"
        "from analytics.errors import QueryError\n"
        "assert parse_filters('event:page ' + ' ' * 30000 + ' ==/a')[0].values == ('/a',)\n"
        "try:\n"
        "    parse_filters('event:page' + ' ' * 30000 + 'x')\n"
        "except QueryError as exc:\n"
        "    print(exc.field)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=5, check=True)
    assert out.stdout.strip() == "filters"


def test_realtime_period_in_minutes(owner: Persona, converting: None) -> None:
    response = get("timeseries", owner.key, site_id="example.com", period="realtime", metrics="visitors")
    results = response.json()["results"]
    assert len(results) == 30
    assert sum(r["visitors"] for r in results) == 3
    aggregate = get("aggregate", owner.key, site_id="example.com", period="realtime", metrics="pageviews")
    assert aggregate.json() == {"results": {"pageviews": {"value": 3}}}
    monthly = get("timeseries", owner.key, site_id="example.com", period="30d", interval="minute")
    assert monthly.status_code == 400 and monthly.json()["error"].startswith("interval")


def test_compare_year_over_year(owner: Persona, events_table: None) -> None:
    today = today_in(owner.site.timezone)
    noon = dt.datetime.combine(today, dt.time(12), dt.UTC)
    a_year_ago = noon.replace(year=noon.year - 1) if (today.month, today.day) != (2, 29) else noon
    site = owner.site.id
    seed(
        [
            make_event(site, timestamp=noon, visitor_id=1),
            make_event(site, timestamp=noon, visitor_id=2),
            make_event(site, timestamp=a_year_ago, visitor_id=3),
            make_event(site, timestamp=noon - dt.timedelta(days=1), visitor_id=4),  # the previous period
        ]
    )
    response = get(
        "aggregate",
        owner.key,
        site_id="example.com",
        period="day",
        metrics="visitors",
        compare="year_over_year",
    )
    before = (
        a_year_ago.date().isoformat() if (today.month, today.day) != (2, 29) else f"{today.year - 1}-02-28"
    )
    assert response.json() == {
        "results": {"visitors": {"value": 2, "comparison_value": 1, "change": 100}},
        "comparison": {"date_range": [before, before]},
    }


def test_compare_with_a_custom_period_and_the_same_weekday(owner: Persona, events_table: None) -> None:
    today = today_in(owner.site.timezone)
    noon = dt.datetime.combine(today, dt.time(12), dt.UTC)
    site = owner.site.id
    seed(
        [
            make_event(site, timestamp=noon, visitor_id=1),
            make_event(site, timestamp=noon - dt.timedelta(days=40), visitor_id=2),
            make_event(site, timestamp=noon - dt.timedelta(days=40), visitor_id=3),
            make_event(site, timestamp=noon - dt.timedelta(days=41), visitor_id=4),  # outside the range
        ]
    )
    custom = f"{today - dt.timedelta(days=40)},{today - dt.timedelta(days=40)}"
    aggregate = get(
        "aggregate", owner.key, site_id="example.com", period="day", metrics="visitors",
        compare="custom", compare_date=custom,
    )  # fmt: skip
    assert aggregate.json() == {
        "results": {"visitors": {"value": 1, "comparison_value": 2, "change": -50}},
        "comparison": {"date_range": custom.split(",")},
    }
    # the same range asked for by the timeseries: its own buckets beside the period's
    series = get(
        "timeseries", owner.key, site_id="example.com", period="7d", metrics="visitors",
        compare="custom", compare_date=f"{today - dt.timedelta(days=46)},{today - dt.timedelta(days=40)}",
    ).json()  # fmt: skip
    assert [row["visitors"] for row in series["results"]] == [0, 0, 0, 0, 0, 0, 1]
    assert [row["visitors"] for row in series["comparison"]["results"]] == [0, 0, 0, 0, 0, 1, 2]
    assert series["comparison"]["results"][-1]["date"] == (today - dt.timedelta(days=40)).isoformat()
    # a month to date is compared as far as today, and the same weekday moves the range to it
    month = get(
        "aggregate", owner.key, site_id="example.com", period="month", metrics="visitors",
        compare="previous_period",
    ).json()  # fmt: skip
    first = today.replace(day=1)
    assert month["comparison"]["date_range"] == [
        (first - dt.timedelta(days=today.day)).isoformat(),
        (first - dt.timedelta(days=1)).isoformat(),
    ]
    weekly = get(
        "timeseries", owner.key, site_id="example.com", period="30d", metrics="visitors",
        compare="year_over_year", match_day_of_week="true",
    ).json()  # fmt: skip
    compared = [dt.date.fromisoformat(d) for d in weekly["comparison"]["date_range"]]
    assert compared[0].weekday() == (today - dt.timedelta(days=29)).weekday()
    length = (compared[1] - compared[0]).days + 1  # 30 days, or 29 where a leap day falls out
    assert length in (29, 30) and len(weekly["comparison"]["results"]) == length
    assert abs((today - dt.timedelta(days=29) - compared[0]).days - 365) <= 7
    plain = get("timeseries", owner.key, site_id="example.com", period="7d", metrics="visitors").json()
    assert "comparison" not in plain


BAD_COMPARISONS = [
    ({"compare": "yesterday"}, "compare"),
    ({"compare": "custom"}, "compare_date"),
    ({"compare": "custom", "compare_date": "2026-01-01"}, "compare_date"),
    ({"compare": "custom", "compare_date": "2026-13-45,2026-01-01"}, "compare_date"),
    ({"compare": "custom", "compare_date": "2026-02-01,2026-01-01"}, "compare_date"),
    ({"compare": "custom", "compare_date": "2000-01-01,2026-01-01"}, "compare_date"),
    ({"compare": "custom", "compare_date": "a,b,c"}, "compare_date"),
    ({"compare": "previous_period", "compare_date": "2026-01-01,2026-01-02"}, "compare_date"),
    ({"compare_date": "2026-01-01,2026-01-02"}, "compare_date"),
    ({"compare": "year_over_year", "match_day_of_week": "yes"}, "match_day_of_week"),
    ({"compare": "previous_period", "match_day_of_week": "1"}, "match_day_of_week"),
]


@pytest.mark.parametrize(("params", "field"), BAD_COMPARISONS)
@pytest.mark.parametrize("path", ["aggregate", "timeseries"])
def test_a_bad_comparison_answers_400_naming_the_field(
    owner: Persona, events_table: None, params: dict[str, str], field: str, path: str
) -> None:
    response = get(path, owner.key, site_id="example.com", period="7d", **params)
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(f"{field}: "), response.json()


HOSTILE = ["' OR 1=1 --", "{site_id:UInt64}", "\\'; DROP TABLE events; --", "((", "é\x00🦆", "|;|", "==!=~"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_parameters_answer_200_or_400_never_500(owner: Persona, converting: None, value: str) -> None:
    dimensions = ["event:page", "visit:source", "event:goal", "event:props:plan", f"event:props:{value}"]
    requests = [
        ("aggregate", {"filters": f"{dimension}{op}{value}"})
        for dimension in dimensions
        for op in ("==", "!=", "~", "!~")
    ]
    requests += [
        ("breakdown", {"property": value}),
        ("breakdown", {"property": f"event:props:{value}"}),
        ("aggregate", {"metrics": value}),
        ("aggregate", {"period": value}),
        ("aggregate", {"compare": value}),
        ("aggregate", {"compare": "custom", "compare_date": value}),
        ("timeseries", {"compare": value}),
        ("timeseries", {"match_day_of_week": value}),
        ("aggregate", {"date": value}),
        ("timeseries", {"interval": value}),
        ("funnel", {"funnel": value}),
        ("breakdown", {"property": "event:page", "order_by": value}),
        ("breakdown", {"property": "event:page", "order_by": f"{value}:asc"}),
        ("breakdown", {"property": f"event:props:{value}", "order_by": f"event:props:{value}:desc"}),
    ]
    for path, params in requests:
        response = get(path, owner.key, site_id="example.com", **{"period": "day", **params})
        assert response.status_code in (200, 400), (path, params, response.content)
        if response.status_code == 400:
            named = response.json()["error"].split(":")[0]
            assert named in (*params, "date"), (params, response.json())
    assert client.execute("SELECT count() FROM events").rows == [(5,)]


def test_breakdown_by_exit_page_with_exit_rate(owner: Persona, converting: None) -> None:
    response = get(
        "breakdown", owner.key, site_id="example.com", period="day", property="visit:exit_page",
        metrics="visits,exit_rate",
    )  # fmt: skip
    assert response.json() == {
        "results": [
            {"exit_page": "/", "visits": 1, "exit_rate": 100.0},
            {"exit_page": "/blog/2026/hello", "visits": 1, "exit_rate": 100.0},
            {"exit_page": "/shop", "visits": 1, "exit_rate": 100.0},
        ]
    }
    wrong = get("breakdown", owner.key, site_id="example.com", property="event:page", metrics="exit_rate")
    assert wrong.status_code == 400 and wrong.json()["error"].startswith("metrics")


def test_all_time_starts_at_the_first_event_not_at_the_sites_creation(
    owner: Persona, events_table: None
) -> None:
    """A site created today with 40 days of backfilled history shows all of it under "all time"."""
    today = today_in(owner.site.timezone)
    first = today - dt.timedelta(days=40)
    noon = dt.datetime.combine(first, dt.time(12), dt.UTC)
    seed([make_event(owner.site.id, timestamp=noon, visitor_id=1), make_event(owner.site.id, visitor_id=2)])
    total = get("aggregate", owner.key, site_id="example.com", period="all", metrics="visitors")
    assert total.json() == {"results": {"visitors": {"value": 2}}}
    days = get("timeseries", owner.key, site_id="example.com", period="all", metrics="visitors")
    results = days.json()["results"]
    assert (results[0]["date"], results[0]["visitors"]) == (first.isoformat(), 1)
    assert (results[-1]["date"], len(results)) == (today.isoformat(), 41)
    browser = Client()
    browser.force_login(owner.user)
    page = browser.get("/example.com/").content.decode()
    assert f'data-start="{first.isoformat()}"' in page


def test_all_time_of_a_site_without_events_is_its_first_day(owner: Persona, events_table: None) -> None:
    hours = get("timeseries", owner.key, site_id="example.com", period="all", metrics="visitors")
    today = today_in(owner.site.timezone).isoformat()
    assert {row["date"][:10] for row in hours.json()["results"]} == {today}

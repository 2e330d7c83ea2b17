"""Stats API v1 over HTTP: Plausible's shapes, API-key and session auth, 4xx naming the parameter."""

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from analytics import client, sessions
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
    client.command("TRUNCATE TABLE sessions")
    seed(events)
    sessions.update([event.to_json() for event in events])  # as the flusher does after its insert


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
        ("timeseries", {"site_id": "example.com", "interval": "fortnight"}, "interval"),
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
    assert response.json() == {
        "results": {"visitors": {"value": 3, "change": 200}, "pageviews": {"value": 3, "change": 200}}
    }
    bad = get("aggregate", owner.key, site_id="example.com", metrics="visitors", compare="yesterday")
    assert bad.status_code == 400 and bad.json()["error"].startswith("compare:")

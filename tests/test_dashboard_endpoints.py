"""The dashboard's own endpoints and their queries: what was filtered out (drops per UTC day and
reason), the custom property keys in use and the site's funnels; site access as the Stats API checks
it, never an API key, 4xx naming the parameter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from analytics.dropped import DroppedDay, dropped_events, per_day
from analytics.periods import DateRange
from analytics.prop_keys import top_prop_keys
from panel.goals.models import Funnel, Goal
from tests.conftest import Persona, make_event, seed, seed_dropped


def test_per_day_groups_reasons_and_totals_oldest_first() -> None:
    d1, d2 = dt.date(2026, 11, 19), dt.date(2026, 11, 20)
    rows = [(d2, "spam", 2), (d1, "bot", 5), (d2, "bot", 1), (d2, "spam", 1)]
    assert per_day(rows) == [
        DroppedDay("2026-11-19", 5, {"bot": 5}),
        DroppedDay("2026-11-20", 4, {"bot": 1, "spam": 3}),
    ]
    assert per_day([]) == []


@pytest.fixture
def drops(owner: Persona, outsider: Persona, clickhouse: None) -> dt.date:
    today = dt.datetime.now(dt.UTC).date()
    seed_dropped(
        [
            (owner.site.id, today, "bot", 7),
            (owner.site.id, today, "bot", 3),  # summed, as the SummingMergeTree does on merge
            (owner.site.id, today, "shield_ip", 2),
            (owner.site.id, today - dt.timedelta(days=1), "spam", 4),
            (owner.site.id, today - dt.timedelta(days=40), "bot", 100),
            (outsider.site.id, today, "bot", 999),
        ]
    )
    return today


def test_dropped_events_counts_one_site_between_two_days(owner: Persona, drops: dt.date) -> None:
    yesterday = drops - dt.timedelta(days=1)
    assert dropped_events(owner.site.id, yesterday, drops) == [
        DroppedDay(yesterday.isoformat(), 4, {"spam": 4}),
        DroppedDay(drops.isoformat(), 12, {"bot": 10, "shield_ip": 2}),
    ]
    assert dropped_events(owner.site.id, drops + dt.timedelta(days=1), drops + dt.timedelta(days=2)) == []


def _get(browser: Client, endpoint: str = "dropped", **params: str) -> Any:
    return browser.get(f"/dashboard-data/{endpoint}", params)


def test_the_logged_in_owner_reads_the_drops_of_the_period(owner: Persona, drops: dt.date) -> None:
    browser = Client()
    browser.force_login(owner.user)
    response = _get(browser, site_id="example.com", period="7d")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [day["total"] for day in results] == [4, 12]
    assert results[-1] == {"date": drops.isoformat(), "total": 12, "reasons": {"bot": 10, "shield_ip": 2}}


def test_another_organisation_gets_404(owner: Persona, outsider: Persona, drops: dt.date) -> None:
    browser = Client()
    browser.force_login(outsider.user)
    response = _get(browser, site_id="example.com", period="7d")
    assert response.status_code == 404
    assert "site_id" in response.json()["error"]


@pytest.mark.parametrize("endpoint", ["dropped", "prop-keys", "props", "funnels"])
def test_it_is_for_the_session_not_api_keys_nor_strangers(owner: Persona, endpoint: str) -> None:
    with_key = Client().get(
        f"/dashboard-data/{endpoint}",
        {"site_id": "example.com"},
        headers={"Authorization": f"Bearer {owner.key}"},
    )
    assert with_key.status_code == 403
    assert _get(Client(), endpoint, site_id="example.com").status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"period": "custom", "date": "2026-13-01,2026-12-01"}, "date"),
        ({"period": "custom"}, "date"),
        ({}, "site_id"),
    ],
)
@pytest.mark.parametrize("endpoint", ["dropped", "prop-keys", "props", "funnels"])
def test_bad_parameters_get_400_naming_the_field(
    owner: Persona, params: dict[str, str], field: str, endpoint: str
) -> None:
    browser = Client()
    browser.force_login(owner.user)
    query = {"site_id": "example.com", **params} if field != "site_id" else params
    response = _get(browser, endpoint, **query)
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)


@pytest.fixture
def props(owner: Persona, outsider: Persona, events_table: None) -> None:
    now = dt.datetime.now(dt.UTC)
    site = owner.site.id
    events = [
        make_event(site, name="Signup", prop_keys=("plan", "via"), prop_values=("pro", "ad")),
        make_event(site, name="Signup", prop_keys=("plan",), prop_values=("free",)),
        make_event(site, name="Download", prop_keys=("file",), prop_values=("a.pdf",)),
        make_event(site, name="engagement", prop_keys=("hidden",), prop_values=("x",)),
        make_event(site, timestamp=now - dt.timedelta(days=60), prop_keys=("old",), prop_values=("y",)),
        make_event(outsider.site.id, prop_keys=("secret",), prop_values=("z",)),
    ]
    seed(events)


def test_prop_keys_are_the_periods_most_used_first(owner: Persona, props: None) -> None:
    today = dt.datetime.now(dt.UTC).date()
    week = DateRange(today - dt.timedelta(days=6), today, "UTC")
    assert top_prop_keys(owner.site.id, week) == ["plan", "file", "via"]
    assert top_prop_keys(owner.site.id, week, limit=1) == ["plan"]
    browser = Client()
    browser.force_login(owner.user)
    response = _get(browser, "prop-keys", site_id="example.com", period="7d")
    assert response.json() == {"results": ["plan", "file", "via"]}


def test_the_props_card_is_one_request_for_its_keys_and_rows(owner: Persona, props: None) -> None:
    browser = Client()
    browser.force_login(owner.user)
    most_used = _get(browser, "props", site_id="example.com", period="7d", limit="5").json()
    assert most_used == {
        "keys": ["plan", "file", "via"],
        "key": "plan",
        "results": [
            {"plan": "(none)", "visitors": 1, "events": 1},
            {"plan": "free", "visitors": 1, "events": 1},
            {"plan": "pro", "visitors": 1, "events": 1},
        ],
    }
    signups = {"site_id": "example.com", "period": "7d", "filters": "event:name==Signup"}
    asked = _get(browser, "props", key="via", **signups)
    assert asked.json()["key"] == "via"
    assert asked.json()["results"] == [
        {"via": "(none)", "visitors": 1, "events": 1},
        {"via": "ad", "visitors": 1, "events": 1},
    ]
    unknown = _get(browser, "props", site_id="example.com", period="7d", key="<script>")
    assert unknown.json()["key"] == "plan"  # a key not in use shows the most used one
    for bad, field in (({"limit": "0"}, "limit"), ({"filters": "nope"}, "filters")):
        refused = _get(browser, "props", site_id="example.com", period="7d", **bad)
        assert refused.status_code == 400
        assert refused.json()["error"].startswith(field)


def test_funnels_are_the_sites_own_by_name(owner: Persona, outsider: Persona) -> None:
    home = Goal.objects.create(site=owner.site, page_path="/")
    signup = Goal.objects.create(site=owner.site, event_name="Signup")
    second = Funnel.objects.create_with_steps(owner.site, "Signup", [home, signup])
    first = Funnel.objects.create_with_steps(owner.site, "Home then signup", [home, signup])
    theirs = Goal.objects.create(site=outsider.site, page_path="/")
    Funnel.objects.create_with_steps(
        outsider.site, "Secret", [theirs, Goal.objects.create(site=outsider.site, event_name="X")]
    )
    browser = Client()
    browser.force_login(owner.user)
    response = _get(browser, "funnels", site_id="example.com")
    assert response.json() == {
        "results": [{"id": first.pk, "name": "Home then signup"}, {"id": second.pk, "name": "Signup"}]
    }

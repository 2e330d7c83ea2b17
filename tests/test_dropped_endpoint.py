"""The dashboard's "filtered out" endpoint and its query: drops per UTC day and reason, site access as
the Stats API checks it, session only, 4xx naming the parameter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from analytics.dropped import DroppedDay, dropped_events, per_day
from tests.conftest import Persona, seed_dropped


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


def _get(browser: Client, **params: str) -> Any:
    return browser.get("/api/dashboard/dropped", params)


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


def test_it_is_for_the_session_not_api_keys_nor_strangers(owner: Persona, drops: dt.date) -> None:
    with_key = Client().get(
        "/api/dashboard/dropped", {"site_id": "example.com"}, headers={"Authorization": f"Bearer {owner.key}"}
    )
    assert with_key.status_code == 403
    assert _get(Client(), site_id="example.com").status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"period": "custom", "date": "2026-13-01,2026-12-01"}, "date"),
        ({"period": "custom"}, "date"),
        ({}, "site_id"),
    ],
)
def test_bad_parameters_get_400_naming_the_field(owner: Persona, params: dict[str, str], field: str) -> None:
    browser = Client()
    browser.force_login(owner.user)
    query = {"site_id": "example.com", **params} if field != "site_id" else params
    response = _get(browser, **query)
    assert response.status_code == 400
    assert response.json()["error"].startswith(field)

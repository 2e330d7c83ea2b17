"""GET /api/v1/stats/funnel (a Lantern extension): one of the site's funnels, by API key or session."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from panel.goals.models import Funnel, Goal
from tests.conftest import Persona, make_event, seed


def get(key: str | None, **params: str) -> Any:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return Client().get("/api/v1/stats/funnel", params, headers=headers)


@pytest.fixture
def funnel(owner: Persona, events_table: None) -> Funnel:
    home = Goal.objects.create(site=owner.site, page_path="/", display_name="Visit /")
    signup = Goal.objects.create(site=owner.site, event_name="Signup", display_name="Signup")
    now, site = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), owner.site.id
    events = [
        make_event(site, timestamp=now, visitor_id=1, pathname="/", country_code="DE"),
        make_event(site, timestamp=now + dt.timedelta(seconds=30), visitor_id=1, name="Signup"),
        make_event(site, timestamp=now, visitor_id=2, pathname="/"),
        make_event(site, timestamp=now, visitor_id=3, pathname="/about"),
    ]
    seed(events)
    return Funnel.objects.create_with_steps(owner.site, "Signup flow", [home, signup])


def test_it_answers_each_step(owner: Persona, funnel: Funnel) -> None:
    response = get(owner.key, site_id="example.com", funnel=str(funnel.pk), period="day")
    assert response.status_code == 200
    assert response.json() == {
        "results": {
            "name": "Signup flow",
            "all_visitors": 3,
            "entering_visitors": 2,
            "never_entering_visitors": 1,
            "steps": [
                {
                    "label": "Visit /",
                    "visitors": 2,
                    "conversion_rate": 100.0,
                    "dropoff": 0,
                    "dropoff_percentage": 0.0,
                },
                {
                    "label": "Signup",
                    "visitors": 1,
                    "conversion_rate": 50.0,
                    "dropoff": 1,
                    "dropoff_percentage": 50.0,
                },
            ],
        }
    }
    germans = get(
        owner.key, site_id="example.com", funnel=str(funnel.pk), period="day", filters="visit:country==DE"
    )
    assert [s["visitors"] for s in germans.json()["results"]["steps"]] == [1, 1]


def test_a_logged_in_owner_reads_it_and_others_cannot(
    owner: Persona, outsider: Persona, funnel: Funnel
) -> None:
    browser = Client()
    browser.force_login(owner.user)
    answer = browser.get(
        "/api/v1/stats/funnel", {"site_id": "example.com", "funnel": str(funnel.pk), "period": "day"}
    )
    assert answer.json()["results"]["entering_visitors"] == 2
    assert get(outsider.key, site_id="example.com", funnel=str(funnel.pk)).status_code == 404
    theirs = get(outsider.key, site_id="elsewhere.org", funnel=str(funnel.pk))  # not a funnel of their site
    assert theirs.status_code == 400 and theirs.json()["error"].startswith("funnel")
    assert get(None, site_id="example.com", funnel=str(funnel.pk)).status_code == 401


@pytest.mark.parametrize("raw", ["", "x", "-1", "1.5", "٣", "9" * 30])
def test_a_bad_funnel_id_is_a_400_naming_it(owner: Persona, funnel: Funnel, raw: str) -> None:
    response = get(owner.key, site_id="example.com", funnel=raw)
    assert response.status_code == 400
    assert response.json()["error"].startswith("funnel")

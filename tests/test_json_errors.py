"""The JSON endpoints (/api/…, /dashboard-data/…) answer JSON errors always: a query layer that fails
for real (the events table detached in the real chDB store, as a damaged part would) gives a 500 with
a JSON body and no traceback text, and Django's own error pages become JSON there too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from analytics import client
from tests.conftest import Persona


@pytest.fixture
def broken_store(events_table: None) -> Iterator[None]:
    """The events, their visits and their days' counts gone from under the query layer (a range without
    a day of events is answered without reading events), restored afterwards."""
    for table in BROKEN:
        client.command(f"DETACH TABLE {table}")
    try:
        yield
    finally:
        for table in reversed(BROKEN):
            client.command(f"ATTACH TABLE {table}")


BROKEN = ("events", "visits", "day_events")


def assert_json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert list(body) == ["error"] and body["error"]
    text = response.content.decode()
    for leak in ("Traceback", 'File "', "DB::Exception", "<html", "<!DOCTYPE"):
        assert leak not in text
    return body


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/stats/aggregate?site_id=example.com&metrics=visitors,pageviews",
        "/api/v1/stats/breakdown?site_id=example.com&property=event:page",
        "/api/v1/stats/timeseries?site_id=example.com",
        "/dashboard-data/prop-keys?site_id=example.com",
    ],
)
def test_a_failing_store_answers_a_json_500(owner: Persona, broken_store: None, path: str) -> None:
    browser = Client()
    browser.force_login(owner.user)
    body = assert_json_error(browser.get(path), 500)
    assert body["error"].startswith("internal error")


def test_a_failing_store_answers_a_json_500_to_an_api_key_and_v2(owner: Persona, broken_store: None) -> None:
    browser = Client(headers={"Authorization": f"Bearer {owner.key}"})
    assert_json_error(browser.get("/api/v1/stats/aggregate?site_id=example.com"), 500)
    query = {"site_id": "example.com", "metrics": ["visitors"], "date_range": "7d"}
    assert_json_error(browser.post("/api/v2/query", query, content_type="application/json"), 500)


def test_djangos_own_error_pages_are_json_there(owner: Persona) -> None:
    assert_json_error(Client().get("/api/v1/no-such-endpoint"), 404)
    assert_json_error(Client().get("/dashboard-data/nothing-here"), 404)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner.user)
    refused = browser.post("/api/v1/stats/aggregate?site_id=example.com")  # Django's CSRF failure page
    assert_json_error(refused, 403)


def test_pages_keep_html_error_pages(owner: Persona) -> None:
    response = Client().get("/no-such-page/at-all/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")

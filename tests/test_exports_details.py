"""``/<domain>/export/details.csv``: the dashboard's Details view of a card as CSV, the rows the Stats
API's breakdown lists for the same property, metrics, filters (the search among them) and order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from panel.goals.models import Goal
from panel.sharing.models import SharedLink
from tests.conftest import Persona, make_event, seed
from tests.test_exports import member, read_csv

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1", "-1", "@SUM(A1:A2)"]
URL = "/example.com/export/details.csv"


@pytest.fixture
def seeded(owner: Persona, outsider: Persona, events_table: None) -> None:
    now = dt.datetime.now(dt.UTC)
    ms = dt.timedelta(milliseconds=1)
    site = owner.site.id
    events = [
        make_event(
            site, timestamp=now, visitor_id=1, pathname="/", referrer_source="Google", country_code="DE"
        ),
        make_event(site, timestamp=now + ms, visitor_id=1, pathname="/blog", referrer_source="Google"),
        make_event(
            site, timestamp=now, visitor_id=2, pathname="/blog", referrer_source="Google", country_code="FR"
        ),
        make_event(
            site, timestamp=now, visitor_id=3, pathname="/", referrer_source="Bing", country_code="DE"
        ),
        *(
            make_event(site, timestamp=now, visitor_id=10 + i, pathname=path, referrer_source=path)
            for i, path in enumerate(HOSTILE)
        ),
        make_event(
            site,
            timestamp=now + 2 * ms,
            visitor_id=2,
            name="Buy",
            revenue_amount="12.5",
            revenue_currency="EUR",
        ),
        make_event(outsider.site.id, timestamp=now, visitor_id=4, pathname="/secret"),
    ]
    seed(events)
    Goal.objects.create(site=owner.site, event_name="Buy", currency="EUR")


def details(browser: Client, **params: str) -> Any:
    return browser.get(URL, {"period": "day", **params})


def test_the_rows_columns_and_order_of_the_view(owner: Persona, seeded: None) -> None:
    response = details(
        member(owner),
        property="visit:source",
        metrics="visitors,visits,bounce_rate,visit_duration",
        order_by="visit:source:desc",
        filters="visit:source~g",
    )
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "-details-" in response["Content-Disposition"]
    assert read_csv(response.content) == [
        ["source", "visitors", "visits", "bounce_rate", "visit_duration"],
        ["Google", "2", "2", "0", "0"],  # visitor 2 bought something: not a bounce
        ["Bing", "1", "1", "100", "0"],
    ]
    api = Client()
    api.force_login(owner.user)
    same = api.get(
        "/api/v1/stats/breakdown",
        {
            "site_id": "example.com",
            "period": "day",
            "property": "visit:source",
            "metrics": "visitors,visits,bounce_rate,visit_duration",
            "order_by": "visit:source:desc",
            "filters": "visit:source~g",
        },
    )
    assert [row["source"] for row in same.json()["results"]] == ["Google", "Bing"]


def test_every_hostile_cell_is_prefixed(owner: Persona, seeded: None) -> None:
    rows = read_csv(details(member(owner), property="visit:source", metrics="visitors").content)
    assert {row[0] for row in rows[1:]} >= {"'" + value for value in HOSTILE}
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row


def test_countries_carry_their_names_and_goals_their_revenue(owner: Persona, seeded: None) -> None:
    countries = read_csv(details(member(owner), property="visit:country", metrics="visitors").content)
    assert countries == [["country", "name", "visitors"], ["DE", "Germany", "2"], ["FR", "France", "1"]]
    goals = details(
        member(owner),
        property="event:goal",
        metrics="visitors,events,conversion_rate,total_revenue,average_revenue",
    )
    assert read_csv(goals.content) == [
        ["goal", "visitors", "events", "conversion_rate", "total_revenue", "average_revenue", "currency"],
        ["Buy", "1", "1", "14.29", "12.5", "12.5", "EUR"],
    ]
    rated = details(
        member(owner), property="visit:source", metrics="visitors,conversion_rate", filters="event:goal==Buy"
    )
    assert read_csv(rated.content) == [["source", "visitors", "conversion_rate"], ["Google", "1", "50.0"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "property"),
        ({"property": "visit:nope"}, "property"),
        ({"property": "event:page", "metrics": "visitors,nope"}, "metrics"),
        ({"property": "event:page", "order_by": "pageviews:desc"}, "order_by"),
        ({"property": "event:page", "order_by": "visitors:sideways"}, "order_by"),
        ({"property": "event:page", "filters": "event:page~a;b"}, "filters"),
        ({"property": "event:page", "period": "fortnight"}, "period"),
        ({"property": "event:page", "with_imported": "maybe"}, "with_imported"),
    ],
)
def test_bad_parameters_answer_400_naming_them(
    owner: Persona, seeded: None, params: dict[str, str], field: str
) -> None:
    response = details(member(owner), **params)
    assert response.status_code == 400 and response.content.decode().startswith(f"{field}:"), response.content


def test_the_page_size_is_not_the_files(owner: Persona, seeded: None) -> None:
    """The file holds every row (up to 10,000), whatever page the view was on."""
    rows = read_csv(details(member(owner), property="event:page", limit="1", page="3").content)
    assert [row[0] for row in rows[1:]][:2] == ["/", "/blog"] and len(rows) == 1 + 2 + len(HOSTILE)


def test_only_members_and_the_sites_shared_links(owner: Persona, outsider: Persona, seeded: None) -> None:
    assert details(member(outsider), property="event:page").status_code == 404
    link = SharedLink.objects.create_for(owner.site, name="Public")
    shared = details(Client(), property="event:page", auth=link.slug)
    assert shared.status_code == 200 and "/secret" not in shared.content.decode()
    theirs = Client().get("/elsewhere.org/export/details.csv", {"property": "event:page", "auth": link.slug})
    assert theirs.status_code == 404
    assert Client().get(URL, {"property": "event:page"}).status_code == 302  # to the login page

"""CSV export of the dashboard's view: every widget, one widget, for members and shared links only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.test import Client

from analytics.periods import today_in
from panel.exports.widgets import WIDGETS
from panel.goals.models import Goal
from panel.sharing.models import SharedLink
from tests.conftest import Persona, make_event, seed

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1", "-1", "@SUM(A1:A2)"]


@pytest.fixture
def seeded(owner: Persona, outsider: Persona, events_table: None) -> None:
    now = dt.datetime.now(dt.UTC)
    events = [
        make_event(owner.site.id, timestamp=now, visitor_id=1, pathname="/", referrer_source="Google"),
        make_event(owner.site.id, timestamp=now, visitor_id=2, pathname="/pricing", country_code="DE"),
        *(
            make_event(owner.site.id, timestamp=now, visitor_id=10 + i, pathname=path, referrer_source=path)
            for i, path in enumerate(HOSTILE)
        ),
        make_event(
            owner.site.id,
            timestamp=now + dt.timedelta(milliseconds=1),
            visitor_id=1,
            name="Signup",
            prop_keys=["plan"],
            prop_values=["=pro"],
        ),
        make_event(outsider.site.id, timestamp=now, visitor_id=3, pathname="/secret"),
    ]
    Goal.objects.create(site=owner.site, event_name="Signup")
    seed(events)


def member(persona: Persona) -> Client:
    browser = Client()
    browser.force_login(persona.user)
    return browser


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_the_zip_holds_every_widget(owner: Persona, seeded: None) -> None:
    response = member(owner).get("/example.com/export.zip", {"period": "day"})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="example.com-')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in [*WIDGETS, "props"])
    visitors = read_csv(archive.read("visitors.csv"))
    assert visitors[0] == [
        "date",
        "visitors",
        "visits",
        "pageviews",
        "views_per_visit",
        "bounce_rate",
        "visit_duration",
    ]
    assert len(visitors) == 1 + 24 and sum(int(row[1]) for row in visitors[1:]) == 6  # hours of the day
    pages = read_csv(archive.read("pages.csv"))
    assert pages[0] == ["page", "visitors", "pageviews", "bounce_rate", "time_on_page", "scroll_depth"]
    names = {row[0] for row in pages[1:]}
    assert names == {"/", "/pricing", *("'" + path for path in HOSTILE)}
    sources = {row[0] for row in read_csv(archive.read("sources.csv"))[1:]}
    assert {"Google", "'+1", "'-1", "'@SUM(A1:A2)"} <= sources
    countries = read_csv(archive.read("countries.csv"))
    assert countries[0] == ["country", "visitors", "percentage"] and ["DE", "1", "16.7"] in countries
    assert "secret" not in b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert today_in(owner.site.timezone).isoformat() in response["Content-Disposition"]


def test_the_zip_lists_every_custom_property_in_use(owner: Persona, outsider: Persona, seeded: None) -> None:
    now = dt.datetime.now(dt.UTC)
    seed([make_event(owner.site.id, timestamp=now, name="Signup", prop_keys=["author"], prop_values=["ann"])])
    day = {"period": "day"}
    archive = zipfile.ZipFile(io.BytesIO(member(owner).get("/example.com/export.zip", day).content))
    props = read_csv(archive.read("props.csv"))
    assert props[0] == ["property", "value", "visitors", "events"]
    values = {(row[0], row[1]) for row in props[1:] if row[1] != "(none)"}
    assert values == {("plan", "'=pro"), ("author", "ann")}
    theirs = zipfile.ZipFile(io.BytesIO(member(outsider).get("/elsewhere.org/export.zip", day).content))
    assert "props.csv" not in theirs.namelist()  # no property in use, no file


def test_one_widget_as_csv_with_the_views_filters(owner: Persona, seeded: None) -> None:
    response = member(owner).get(
        "/example.com/export/pages.csv", {"period": "day", "filters": "event:page==/pricing|/"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert "-pages-" in response["Content-Disposition"]
    rows = read_csv(response.content)
    assert [row[:3] for row in rows[1:]] == [["/", "1", "1"], ["/pricing", "1", "1"]]


def test_every_hostile_cell_is_prefixed_in_every_file(owner: Persona, seeded: None) -> None:
    archive = zipfile.ZipFile(io.BytesIO(member(owner).get("/example.com/export.zip").content))
    for name in archive.namelist():
        for row in read_csv(archive.read(name)):
            for cell in row:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"filters": "event:nope==1"}, "filters"),
        ({"interval": "x"}, "interval"),
    ],
)
def test_bad_parameters_answer_400_naming_them(
    owner: Persona, seeded: None, params: dict[str, str], field: str
) -> None:
    response = member(owner).get("/example.com/export/visitors.csv", params)
    assert response.status_code == 400 and response.content.decode().startswith(f"{field}:")


def test_unknown_widget_is_404(owner: Persona) -> None:
    assert member(owner).get("/example.com/export/passwords.csv").status_code == 404


def test_another_organisation_gets_404(owner: Persona, outsider: Persona, seeded: None) -> None:
    browser = member(outsider)
    assert browser.get("/example.com/export.zip").status_code == 404
    assert browser.get("/example.com/export/pages.csv").status_code == 404
    assert browser.get("/nosuch.example/export.zip").status_code == 404


def test_logged_out_goes_to_login(owner: Persona) -> None:
    response = Client().get("/example.com/export.zip?period=7d")
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")


def test_a_shared_link_exports_its_own_site_only(owner: Persona, outsider: Persona, seeded: None) -> None:
    link = SharedLink.objects.create_for(owner.site, name="Public")
    browser = Client()
    response = browser.get("/example.com/export/pages.csv", {"auth": link.slug, "period": "day"})
    assert response.status_code == 200 and len(read_csv(response.content)) == 1 + 6
    assert browser.get("/example.com/export.zip", {"auth": link.slug}).status_code == 200
    assert browser.get("/elsewhere.org/export.zip", {"auth": link.slug}).status_code == 404


def test_a_locked_shared_link_exports_after_its_password(owner: Persona, seeded: None) -> None:
    link = SharedLink.objects.create_for(owner.site, name="Board", password="open sesame please")
    browser = Client()
    assert browser.get("/example.com/export.zip", {"auth": link.slug}).status_code == 404
    browser.post(link.path(), {"password": "open sesame please"})
    assert browser.get("/example.com/export.zip", {"auth": link.slug}).status_code == 200


def test_exports_are_get_only(owner: Persona) -> None:
    assert member(owner).post("/example.com/export.zip").status_code == 405


@pytest.mark.parametrize(
    "params",
    [
        {"period": "custom", "date": "2026-13-01,nope"},
        {"period": "custom"},
        {"period": "day", "date": "'; DROP TABLE events"},
        {"filters": "event:page=='; DROP TABLE events --"},
        {"filters": "visit:source=={x:String}|\\\\"},
        {"filters": ";;;"},
        {"interval": "minute", "period": "7d"},
        {"period": "all", "interval": "month"},
        {"metrics": "nope", "limit": "-1", "page": "x", "compare": "bogus"},  # not the view's: ignored
    ],
)
def test_odd_parameters_never_fail_the_server(owner: Persona, seeded: None, params: dict[str, str]) -> None:
    response = member(owner).get("/example.com/export/visitors.csv", params)
    assert response.status_code in (200, 400), response.content[:200]
    zipped = member(owner).get("/example.com/export.zip", params)
    assert zipped.status_code == response.status_code


def test_goals_and_custom_properties(owner: Persona, seeded: None) -> None:
    browser = member(owner)
    goals = read_csv(browser.get("/example.com/export/goals.csv", {"period": "day"}).content)
    assert goals == [["goal", "visitors", "events", "conversion_rate"], ["Signup", "1", "1", "16.67"]]
    props = browser.get("/example.com/export/props.csv", {"period": "day", "property": "event:props:plan"})
    assert props.status_code == 200 and "-props-" in props["Content-Disposition"]
    assert read_csv(props.content) == [
        ["property", "value", "visitors", "events"],
        ["plan", "(none)", "6", "6"],  # events without the property, as the Stats API counts them
        ["plan", "'=pro", "1", "1"],
    ]
    missing = browser.get("/example.com/export/props.csv", {"period": "day"})
    assert missing.status_code == 400 and missing.content.startswith(b"property:")


def test_each_shared_link_viewer_has_an_export_allowance(owner: Persona, seeded: None, settings: Any) -> None:
    settings.EXPORT_RATE = "2/h"
    link = SharedLink.objects.create_for(owner.site, name="Public")

    def zip_for(address: str) -> Any:
        return Client().get(
            "/example.com/export.zip", {"auth": link.slug, "period": "all"}, REMOTE_ADDR=address
        )

    answers = [zip_for("192.0.2.7") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert answers[-1]["Content-Type"].startswith("text/plain")
    assert (
        answers[-1].content.decode()
        == "Too many exports: a shared link's viewer may make 2/h; wait and retry"
    )
    assert zip_for("192.0.2.8").status_code == 200  # another viewer counts on its own


def test_a_member_has_an_export_allowance_and_csvs_count_as_stats_calls(
    owner: Persona, seeded: None, settings: Any
) -> None:
    settings.EXPORT_RATE = "1/h"
    settings.SESSION_STATS_RATE = "2/h"
    browser = member(owner)
    assert browser.get("/example.com/export.zip").status_code == 200
    refused = browser.get("/example.com/export.zip")
    assert refused.status_code == 429 and b"a logged-in user may make 1/h" in refused.content
    csvs = [browser.get("/example.com/export/pages.csv").status_code for _ in range(3)]
    assert csvs == [200, 200, 429]

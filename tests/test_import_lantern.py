"""Lantern to Lantern: a site's full export, made by the real export job, imports into another site (as
it would into another installation): the same raw events, visits derived here, the same Stats API
answers; a bad cell names its file, line and column and leaves nothing; importing again adds nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from analytics import client
from analytics.imported.lantern import staged_imports
from analytics.imported.lantern_rows import EVENT_FILE_COLUMNS, EventReader
from analytics.imported.rows import ImportFileError, unquote
from analytics.imported.tables import TABLES
from panel.exports.csv import exact_cell
from tests.conftest import make_event, seed, seed_dropped
from tests.plausible_export import sample, write_export
from tests.reports_fixtures import Team, make_team

TODAY = dt.datetime.now(dt.UTC).date()
HISTORY = TODAY - dt.timedelta(days=400)  # a Plausible import the source site holds
DAYS = [TODAY - dt.timedelta(days=n) for n in (6, 5, 4, 3, 2)]
PERIOD = {"period": "custom", "date": f"{DAYS[0] - dt.timedelta(days=1)},{TODAY}"}
TRICKY = ["'quoted", "''twice", "=SUM(A1)", "-minus", "@at", "+plus", "\ttab", "plain"]


@pytest.fixture
def team(
    transactional_db: None, events_table: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Team]:
    monkeypatch.setenv("LANTERN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("REDIS_URL", raising=False)  # embedded: the job runs in a thread of this process
    for table in (*TABLES, "dropped_events"):
        client.command(f"TRUNCATE TABLE {table}")
    yield make_team("source.example")


@pytest.fixture
def target(team: Team) -> Any:
    """A fresh site of the same organisation, in the same timezone: where the export goes."""
    from panel.goals.models import Goal
    from panel.sites.models import Site

    site = Site.objects.create(
        organisation=team.site.organisation, domain="example.com", timezone="Europe/Berlin"
    )
    for each in (team.site, site):
        Goal.objects.create(site=each, event_name="Signup")
        Goal.objects.create(site=each, event_name="Purchase", currency="EUR")
        Goal.objects.create(site=each, page_path="/pricing")
    return site


def _as(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def source_events(site_id: int) -> None:
    """Pageviews, custom events with props, revenue and engagement over several days, by visitors who
    come back (new visits after 30 minutes), with values a spreadsheet would run or that start with '."""
    events = []
    for n, day in enumerate(DAYS):
        start = dt.datetime.combine(day, dt.time(9, 0), dt.UTC)
        for visitor in range(1, 6):
            at = start + dt.timedelta(minutes=7 * visitor)
            source = ["Google", "Twitter", TRICKY[(n + visitor) % len(TRICKY)], "", "Google"][visitor - 1]
            common = {"visitor_id": visitor + 100 * n, "referrer_source": source, "country_code": "DE"}
            events += [
                make_event(site_id, timestamp=at, pathname="/", **common),
                make_event(site_id, timestamp=at + dt.timedelta(minutes=2), pathname="/pricing", **common),
                make_event(
                    site_id,
                    timestamp=at + dt.timedelta(minutes=3),
                    name="engagement",
                    pathname="/pricing",
                    engagement_time=40_000 + visitor,
                    scroll_depth=60 + visitor,
                    **common,
                ),
            ]
            if visitor % 2:
                events.append(
                    make_event(
                        site_id,
                        timestamp=at + dt.timedelta(minutes=4),
                        name="Signup",
                        pathname=TRICKY[visitor],
                        prop_keys=("plan", "from"),
                        prop_values=(["pro", "free"][n % 2], TRICKY[(visitor + n) % len(TRICKY)]),
                        **common,
                    )
                )
            if visitor == 2:
                events.append(
                    make_event(
                        site_id,
                        timestamp=at + dt.timedelta(minutes=5),
                        name="Purchase",
                        revenue_amount="15.990000",
                        revenue_currency="EUR",
                        interactive=False,
                        **common,
                    )
                )
            # the same visitor an hour later: a second visit
            events.append(
                make_event(site_id, timestamp=at + dt.timedelta(hours=1), pathname="/blog", **common)
            )
    seed(events)


def upload(browser: Client, path: Path, domain: str = "example.com") -> str:
    """Post the zip on the site's imports page, wait for the job; the status page's URL."""
    with path.open("rb") as file:
        response = browser.post(f"/{domain}/settings/imports/", {"export": file})
    assert response.status_code == 302, response.content
    for thread in threading.enumerate():
        if thread.name == "lantern.import":
            thread.join(60)
    return str(response["Location"])


def export_zip(team: Team) -> Path:
    """The source site's full export, written by the export job."""
    from panel.reports.full_export import export_dir, run_export
    from panel.reports.models import SiteExport

    export = SiteExport.objects.create(site=team.site, requested_by=team.owner)
    assert run_export(export.pk) == "done"
    export.refresh_from_db()
    return export_dir() / export.file_name


def answers(browser: Client, domain: str) -> dict[str, Any]:
    """What the Stats API says of the site: top stats with visit metrics, the chart, sources, pages,
    goals with conversions and revenue, a custom property, the imported history."""

    def v1(path: str, **params: str) -> Any:
        response = browser.get(f"/api/v1/stats/{path}", {"site_id": domain, **PERIOD, **params})
        assert response.status_code == 200, response.content
        return response.json()["results"]

    metrics = "visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events"
    body = {
        "site_id": domain,
        "metrics": ["visitors", "events", "scroll_depth", "time_on_page"],
        "date_range": PERIOD["date"].split(","),
        "dimensions": ["event:page"],
        "filters": [["is", "event:page", ["/pricing"]]],
    }
    v2 = browser.post("/api/v2/query", body, content_type="application/json")
    assert v2.status_code == 200, v2.content
    return {
        "aggregate": v1("aggregate", metrics=metrics),
        "chart": v1("timeseries", metrics="visitors,visits,bounce_rate,visit_duration"),
        "sources": v1("breakdown", property="visit:source", metrics="visitors,visits,bounce_rate"),
        "pages": v1("breakdown", property="event:page", metrics="visitors,pageviews,visits"),
        "entry": v1("breakdown", property="visit:entry_page", metrics="visitors,visits"),
        "goals": v1(
            "breakdown",
            property="event:goal",
            metrics="visitors,events,conversion_rate,total_revenue",
        ),
        "signup": v1("aggregate", metrics="visitors,conversion_rate", filters="event:goal==Signup"),
        "plans": v1("breakdown", property="event:props:from", metrics="visitors,events"),
        "engagement": v2.json()["results"],
        "history": v1(
            "aggregate", metrics="visitors,pageviews", date=f"{HISTORY},{TODAY}", with_imported="true"
        ),
    }


def stored_events(site_id: int) -> list[tuple[Any, ...]]:
    """The site's events, every column but the site and visit ids (the visit's start included)."""
    return client.execute(
        "SELECT * EXCEPT (site_id, visit_id) FROM events WHERE site_id = {s:UInt64}"
        " ORDER BY timestamp, event_id",
        {"s": site_id},
    ).rows


def count(table: str, site_id: int) -> int:
    sql = f"SELECT count() FROM {table} WHERE site_id = {{s:UInt64}}"
    return int(client.execute(sql, {"s": site_id}).rows[0][0])


def nothing_of(site_id: int) -> None:
    for table in ("events", "visits", "day_events", "dropped_events", *TABLES):
        assert count(table, site_id) == 0, table
    assert staged_imports() == []


def test_the_export_imports_into_another_site_with_the_same_numbers(
    team: Team, target: Any, tmp_path: Path
) -> None:
    owner = _as(team.owner)
    upload(
        owner, write_export(tmp_path / "plausible.zip", sample(HISTORY), HISTORY, HISTORY), "source.example"
    )
    source_events(team.site.id)
    day = DAYS[1]
    seed_dropped(
        [
            (team.site.id, DAYS[0], "bot", 4),
            (team.site.id, day, "bot", 3),
            (team.site.id, day, "spam", 2),
            (target.id, day, "bot", 5),  # the target counted that day itself: its count stays
        ]
    )
    expected = answers(owner, "source.example")
    assert expected["aggregate"]["visitors"]["value"] == 25 and expected["aggregate"]["visits"]["value"] == 50
    assert expected["goals"] and expected["signup"]["conversion_rate"]["value"] > 0
    assert expected["history"]["visitors"]["value"] > expected["aggregate"]["visitors"]["value"]
    path = export_zip(team)

    status_url = upload(owner, path)
    status = owner.get(status_url + "status.json").json()
    assert status["status"] == "done", status
    page = owner.get(status_url).content.decode()
    events = len(stored_events(team.site.id))
    assert f"{events} events added" in page

    assert answers(owner, "example.com") == expected
    assert stored_events(target.id) == stored_events(team.site.id)  # raw events exactly, visit starts too
    rederived = client.execute(
        "SELECT countIf(visit_id != cityHash64(site_id, visitor_id, visit_start)), count() FROM events"
        " WHERE site_id = {s:UInt64}",
        {"s": target.id},
    ).rows
    assert rederived == [(0, events)]  # visit ids are this installation's, derived from its events
    drops = client.execute(
        "SELECT day, reason, sum(count) FROM dropped_events WHERE site_id = {s:UInt64}"
        " GROUP BY day, reason ORDER BY day, reason",
        {"s": target.id},
    ).rows
    assert drops == [(DAYS[0], "bot", 4), (day, "bot", 5), (day, "spam", 2)]
    assert 'id="import-note"' not in page  # the same settings: nothing to say


def test_importing_the_same_zip_again_adds_nothing(team: Team, target: Any, tmp_path: Path) -> None:
    from panel.imports.models import SiteImport

    owner = _as(team.owner)
    source_events(team.site.id)
    seed_dropped([(team.site.id, DAYS[0], "bot", 4)])
    path = export_zip(team)
    upload(owner, path)
    before = answers(owner, "example.com")
    stored, dropped = stored_events(target.id), count("dropped_events", target.id)

    out = io.StringIO()
    call_command("importlantern", "example.com", str(path), stdout=out)
    assert f"added 0 events ({len(stored)} were there already) and 0 filtered-out counts" in out.getvalue()
    assert answers(owner, "example.com") == before
    assert stored_events(target.id) == stored and count("dropped_events", target.id) == dropped
    assert count("visits", target.id) == before["aggregate"]["visits"]["value"]
    again = SiteImport.objects.filter(site=target).latest("pk")
    assert (again.status, again.events_added, again.events_present) == ("done", 0, len(stored))
    assert again.source == "lantern"
    plausible = write_export(tmp_path / "plausible.zip", sample(HISTORY), HISTORY, HISTORY)
    with pytest.raises(CommandError, match="not Lantern's full export"):
        call_command("importlantern", "example.com", str(plausible), stdout=io.StringIO())


def test_an_import_stopped_in_its_move_is_completed_by_the_next(
    team: Team, target: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from analytics import rederive

    owner = _as(team.owner)
    source_events(team.site.id)
    expected = answers(owner, "source.example")
    path = export_zip(team)
    real = rederive.rederive

    def engine_gone(*args: Any) -> int:
        raise client.ClickHouseError("connection refused")

    monkeypatch.setattr(rederive, "rederive", engine_gone)  # the events are moved, their visits not
    status_url = upload(owner, path)
    assert "import the same file again" in owner.get(status_url + "status.json").json()["error"]
    assert staged_imports() == []
    monkeypatch.setattr(rederive, "rederive", real)
    status_url = upload(owner, path)
    status = owner.get(status_url + "status.json").json()
    assert status["status"] == "done"
    assert answers(owner, "example.com") == expected
    assert stored_events(target.id) == stored_events(team.site.id)
    rederived = client.execute(
        "SELECT countIf(visit_id != cityHash64(site_id, visitor_id, visit_start)) FROM events"
        " WHERE site_id = {s:UInt64}",
        {"s": target.id},
    ).rows
    assert rederived == [(0,)]


def test_the_days_asked_for_only(team: Team, target: Any) -> None:
    source_events(team.site.id)
    seed_dropped([(team.site.id, DAYS[0], "bot", 4), (team.site.id, DAYS[1], "bot", 1)])
    day = str(DAYS[1])
    out = io.StringIO()
    call_command(
        "importlantern", "example.com", str(export_zip(team)), "--from", day, "--to", day, stdout=out
    )
    that_day = [e for e in stored_events(team.site.id) if e[0].date() == DAYS[1]]
    assert f"added {len(that_day)} events (0 were there already) and 1 filtered-out counts" in out.getvalue()
    assert stored_events(target.id) == that_day and that_day
    assert "100%" in out.getvalue()


def _rewrite(path: Path, out: Path, name: str, edit: Any) -> Path:
    """A copy of the zip with the member ``name``'s rows passed through ``edit``."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == name:
                rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
                text = io.StringIO()
                csv.writer(text).writerows(edit(rows))
                data = text.getvalue().encode()
            copy.writestr(info.filename, data)
    return out


def test_a_bad_cell_names_its_place_and_leaves_nothing(
    team: Team, target: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("analytics.imported.lantern.BATCH", 3)  # batches are staged before the bad line
    owner = _as(team.owner)
    upload(
        owner, write_export(tmp_path / "plausible.zip", sample(HISTORY), HISTORY, HISTORY), "source.example"
    )
    source_events(team.site.id)
    seed_dropped([(team.site.id, DAYS[0], "bot", 4)])
    good = export_zip(team)
    column = EVENT_FILE_COLUMNS.index("visitor_id")

    def spoil(rows: list[list[str]]) -> list[list[str]]:
        rows[9][column] = "-12"  # line 10 of the file (line 1 is the header)
        return rows

    bad = _rewrite(good, tmp_path / "bad.zip", "events.csv", spoil)
    status_url = upload(owner, bad)
    status = owner.get(status_url + "status.json").json()
    assert status["status"] == "failed"
    assert status["error"] == (
        f"events.csv, line 10, column {column + 1} (visitor_id): '-12' is not a whole number"
        f" from 0 to {2**64 - 1}"
    )
    assert "events.csv, line 10" in owner.get(status_url).content.decode()
    nothing_of(target.id)

    def unknown(rows: list[list[str]]) -> list[list[str]]:
        return [[*rows[0][:-1], "visit_begin"], *rows[1:]]

    status_url = upload(owner, _rewrite(good, tmp_path / "header.zip", "events.csv", unknown))
    error = owner.get(status_url + "status.json").json()["error"]
    assert error.startswith(
        f"events.csv, line 1, column {len(EVENT_FILE_COLUMNS)} (visit_begin): unknown column"
    )
    nothing_of(target.id)

    def pages(rows: list[list[str]]) -> list[list[str]]:
        rows[1][4] = "lots"  # imported_pages' visitors: the history fails after the events were staged
        return rows

    with zipfile.ZipFile(good) as archive:
        [history] = [name for name in archive.namelist() if name.startswith("imported_pages_")]
    status_url = upload(owner, _rewrite(good, tmp_path / "history.zip", history, pages))
    error = owner.get(status_url + "status.json").json()["error"]
    assert error.startswith(f"{history}, line 2, column 5 (visitors): 'lots' is not a whole number")
    nothing_of(target.id)

    status_url = upload(owner, good)  # the retry with the good file takes it all
    assert owner.get(status_url + "status.json").json()["status"] == "done"
    assert stored_events(target.id) == stored_events(team.site.id)
    assert count("dropped_events", target.id) == 1 and staged_imports() == []


def test_settings_that_differ_are_named_not_applied(team: Team, target: Any) -> None:
    from panel.sites.models import Site

    Site.objects.filter(pk=team.site.pk).update(retention_days=400, excluded_pages="/admin/**\n/preview")
    team.site.refresh_from_db()
    source_events(team.site.id)
    status_url = upload(_as(team.owner), export_zip(team))
    page = _as(team.owner).get(status_url).content.decode()
    assert "retention days 400 (here 1095)" in page
    assert "excluded pages /admin/**, /preview (here none)" in page
    target.refresh_from_db()
    assert (target.retention_days, target.excluded_pages) == (1095, "")


def test_cells_round_trip_exactly() -> None:
    for value in [*TRICKY, "'", "", "'=x", "\r"]:
        assert unquote(exact_cell(value)) == value
    header = list(EVENT_FILE_COLUMNS)
    reader = EventReader("events.csv", header)
    row = dict.fromkeys(header, "")
    row |= {
        "timestamp": "2026-03-01T10:00:00.123000+01:00",
        "event_id": "0b3c4c1e-5d2f-4a57-9f3a-6d0e1c2b3a49",
        "name": "'=Signup",
        "visitor_id": "7",
        "prop_keys": '["a"]',
        "prop_values": '["\'x"]',
        "revenue_amount": "'-1.500000",
        "revenue_currency": "EUR",
        "interactive": "False",
        "engagement_time": "0",
        "scroll_depth": "255",
        "visit_id": "0",
        "visit_start": "2026-03-01T09:00:00.123000+00:00",
    }
    values = dict(zip(("site_id", *header), reader.row(9, 2, [row[c] for c in header]), strict=True))
    assert values["site_id"] == 9 and values["timestamp"] == "2026-03-01 09:00:00.123"
    assert (values["name"], values["prop_values"], values["revenue_amount"]) == (
        "=Signup",
        ["'x"],
        "-1.500000",
    )
    assert values["interactive"] is False and values["scroll_depth"] == 255
    for column, cell, message in [
        ("scroll_depth", "256", "'256' is not a whole number from 0 to 255"),
        ("event_id", "nope", "'nope' is not a UUID"),
        ("timestamp", "2026-03-01", "is not a time"),
        ("prop_values", '["x", "y"]', "2 values for 1 keys"),
        ("prop_keys", '{"a": 1}', "is not a JSON list of texts"),
        ("revenue_amount", "1.1234567", "is not an amount"),
        ("revenue_currency", "", "an amount without its currency"),
        ("interactive", "yes", "neither True nor False"),
    ]:
        with pytest.raises(ImportFileError, match=message) as raised:
            reader.row(9, 5, [(cell if c == column else row[c]) for c in header])
        assert raised.value.line == 5 and raised.value.column.endswith(f"({column})")

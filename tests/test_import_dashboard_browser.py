"""The dashboard of a site with imported history, in headless Chromium: the top stats, the chart and
the cards show the files' numbers, the toggle takes them out and back, the note says which."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import client, import_kept_days, load_plausible
from analytics.imported.tables import TABLES
from tests.conftest import Persona
from tests.plausible_export import sample, write_export
from tests.test_dashboard_browser import Watched, _rows, watched_dashboard

pytestmark = pytest.mark.browser
FIRST = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=400)
LAST = FIRST + dt.timedelta(days=1)
VIEW = f"?period=custom&date={FIRST},{LAST}"


@pytest.fixture
def imported(site: Persona, events_table: None, tmp_path: Path) -> Iterator[Persona]:
    from panel.imports.models import SiteImport

    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")
    record = SiteImport.objects.create(site=site.site, file_name="export.zip")
    load_plausible(
        write_export(tmp_path / "e.zip", sample(FIRST), FIRST, LAST),
        site.site.id,
        record.pk,
        import_kept_days(None, None),
    )
    SiteImport.objects.filter(pk=record.pk).update(status="done", first_day=FIRST, last_day=LAST, rows=30)
    yield site
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")


@pytest.fixture
def dashboard(imported: Persona) -> Iterator[Watched]:
    with watched_dashboard(imported.user) as watched:
        yield watched
    assert watched.foreign == [] and watched.dialogs == []


def test_imported_days_fill_the_dashboard_and_the_toggle_takes_them_out(dashboard: Watched) -> None:
    dashboard.open(VIEW)
    assert dashboard.text("#stat-visitors") == "15"
    assert dashboard.text("#stat-pageviews") == "40"
    assert dashboard.text("#imports-note") == f"Includes imported data ({FIRST} to {LAST})."
    assert _rows(dashboard, "sources") == [
        ("Organic Search", "7"),
        ("Email", "5"),
        ("Direct", "3"),
    ]  # channels
    assert dashboard.page.get_attribute("#imports-toggle", "aria-pressed") == "true"
    dashboard.page.click("#imports-toggle")
    dashboard.ready()
    assert dashboard.query()["imports"] == ["off"]
    assert dashboard.text("#stat-visitors") == "0"
    assert "is left out" in dashboard.text("#imports-note")
    dashboard.page.go_back()
    dashboard.ready()
    assert dashboard.text("#stat-visitors") == "15"


def test_a_filter_of_another_family_leaves_imports_out_and_says_so(dashboard: Watched) -> None:
    dashboard.open(VIEW + "&filters=visit:source==Google")
    assert dashboard.text("#stat-visitors") == "7"  # a source filter: the sources table answers
    dashboard.open(VIEW + "&filters=visit:source==Google;visit:country==DE")
    assert dashboard.text("#stat-visitors") == "0"
    assert "left out of this view" in dashboard.text("#imports-note")

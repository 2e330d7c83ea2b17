"""Retention: the scheduled job deletes a site's rows older than its retention period from every table
that holds sites' rows (events, visits, drop counts), keeps the recent ones, and leaves other sites
alone. Events and visits go by their visit's start: a visit is kept or deleted whole."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics import client, drop_imports, import_kept_days, load_plausible
from analytics.deletion import older_than_condition, site_table_columns, tables_with_site_data
from analytics.imported.store import table_rows
from panel.reports.retention import cutoff_for
from tests.conftest import Persona
from tests.plausible_export import sample, write_export
from tests.reports_fixtures import seed_visits

OLD = ("events", "visits", "dropped_events")
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def _count(table: str, site_id: int) -> int:
    return int(
        client.execute(f"SELECT count() FROM {table} WHERE site_id = {{s:UInt64}}", {"s": site_id}).rows[0][0]
    )


def _seed_drops(rows: list[tuple[int, dt.date]]) -> None:
    lines = [
        f'{{"site_id":{site},"day":"{day.isoformat()}","reason":"bot","count":1}}'.encode()
        for site, day in rows
    ]
    client.insert_json_lines("dropped_events", lines, token=f"test-drops-{NOW.timestamp()}-{len(lines)}")


def test_old_rows_go_and_recent_ones_stay(owner: Persona, outsider: Persona, events_table: None) -> None:
    from panel.reports.retention import enforce_retention
    from panel.sites.models import Site

    client.command("TRUNCATE TABLE dropped_events")
    Site.objects.filter(pk=owner.site.pk).update(retention_days=30)
    old, recent = NOW - dt.timedelta(days=40), NOW - dt.timedelta(days=5)
    seed_visits(owner.site.id, [(old, 1, "/old", ""), (recent, 2, "/new", "")])
    seed_visits(outsider.site.id, [(old, 3, "/kept", "")])  # the default retention is three years
    _seed_drops([(owner.site.id, old.date()), (owner.site.id, recent.date()), (outsider.site.id, old.date())])

    result = enforce_retention(NOW)

    assert set(result["example.com"]) == set(tables_with_site_data())
    assert {t: result["example.com"][t] for t in OLD} == dict.fromkeys(OLD, 1)
    assert set(result["elsewhere.org"].values()) == {0}
    paths = client.execute("SELECT pathname FROM events ORDER BY pathname").rows
    assert paths == [("/kept",), ("/new",)]
    assert _count("visits", owner.site.id) == 1 and _count("visits", outsider.site.id) == 1
    assert _count("dropped_events", owner.site.id) == 1 and _count("dropped_events", outsider.site.id) == 1
    assert set(enforce_retention(NOW)["example.com"].values()) == {0}


def test_imported_days_older_than_the_retention_go(owner: Persona, clickhouse: None, tmp_path: Path) -> None:
    from panel.reports.retention import enforce_retention
    from panel.sites.models import Site

    Site.objects.filter(pk=owner.site.pk).update(retention_days=30)
    old = NOW.date() - dt.timedelta(days=31)  # the two days around the cutoff (30 days before NOW)
    export = write_export(tmp_path / "export.zip", sample(old), old, old + dt.timedelta(days=1))
    load_plausible(export, owner.site.id, 41, import_kept_days(None, None))
    kept = table_rows(owner.site.id, 41)

    result = enforce_retention(NOW)["example.com"]

    assert result["imported_visitors"] == 1 and result["imported_sources"] == 2
    assert table_rows(owner.site.id, 41)["imported_visitors"] == 1
    assert {t: kept[t] - result[t] for t in kept} == table_rows(owner.site.id, 41)
    drop_imports(owner.site.id, [41])


def test_a_visit_begun_before_the_cutoff_goes_whole(owner: Persona, events_table: None) -> None:
    from panel.reports.retention import enforce_retention
    from panel.sites.models import Site

    Site.objects.filter(pk=owner.site.pk).update(retention_days=30)
    cutoff = cutoff_for(30, NOW)
    seed_visits(
        owner.site.id, [(cutoff - dt.timedelta(minutes=10), 1, "/before", ""), (cutoff, 1, "/after", "")]
    )
    seed_visits(owner.site.id, [(cutoff + dt.timedelta(minutes=5), 2, "/kept", "")])
    deleted = enforce_retention(NOW)["example.com"]
    assert (deleted["events"], deleted["visits"]) == (2, 1)
    assert client.execute("SELECT pathname FROM events").rows == [("/kept",)]


def test_the_cutoff_keeps_whole_days() -> None:
    assert cutoff_for(30, NOW) == dt.datetime(2026, 10, 22, tzinfo=dt.UTC)


def test_every_site_table_is_dated_by_a_column(events_table: None) -> None:
    conditions = {
        table: older_than_condition(table, columns) for table, columns in site_table_columns().items()
    }
    by_visit = "`visit_start` < {cutoff:DateTime64(3, 'UTC')}"  # whole visits go together
    assert conditions["events"] == conditions["visits"] == by_visit
    assert conditions["dropped_events"] == "`day` < toDate({cutoff:DateTime64(3, 'UTC')})"


def test_a_site_table_without_a_time_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="none of the columns"):
        older_than_condition("odd", {"site_id": "UInt64", "queued": "UInt32"})

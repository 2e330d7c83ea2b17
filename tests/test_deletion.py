"""Deleting a site's data from ClickHouse: no row of it remains in any table; other sites' rows stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from analytics import build_closed_days, client, import_kept_days, load_plausible
from analytics.deletion import delete_site_data, site_row_counts, tables_with_site_data
from tests.conftest import make_event, seed
from tests.plausible_export import sample, write_export

GONE, KEPT = 7001, 7002
# Tables that hold no site's data (everything else must have a site_id column, or deletion misses it).
NOT_SITE_DATA = {"lantern_migrations"}


@pytest.fixture
def two_sites(clickhouse: None, tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    first = now.date() - dt.timedelta(days=400)
    export = write_export(tmp_path / "export.zip", sample(first), first, first + dt.timedelta(days=1))
    events = [
        make_event(site, timestamp=now - dt.timedelta(days=days), visitor_id=visitor, pathname=f"/{days}")
        for site in (GONE, KEPT)
        for visitor in (1, 2)
        for days in (0, 40)  # two monthly partitions
    ]
    seed(events)
    for site in (GONE, KEPT):
        build_closed_days(site, "UTC", (), now)  # the closed day's sums: rows of the site too
        client.command("INSERT INTO dropped_events VALUES ({site:UInt64}, today(), 'bot', 3)", {"site": site})
        load_plausible(export, site, site, import_kept_days(None, None))  # imported history: every table


def test_every_table_of_site_data_is_covered(clickhouse: None) -> None:
    tables = {
        str(row[0])
        for row in client.execute(
            "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree'"
        ).rows
    }
    assert {"events", "visits", "dropped_events"} <= set(tables_with_site_data())
    assert tables - set(tables_with_site_data()) <= NOT_SITE_DATA


def test_it_deletes_every_row_of_the_site_and_only_those(two_sites: None) -> None:
    before_gone, before_kept = site_row_counts(GONE), site_row_counts(KEPT)
    assert all(count > 0 for count in before_gone.values()), before_gone
    assert delete_site_data(GONE) == before_gone
    assert site_row_counts(GONE) == dict.fromkeys(before_gone, 0)
    assert site_row_counts(KEPT) == before_kept
    # physically gone: the mutation has finished, nothing is waiting to be applied
    pending = client.execute("SELECT count() FROM system.mutations WHERE is_done = 0").rows[0][0]
    assert pending == 0


def test_deleting_a_site_without_data_is_harmless(two_sites: None) -> None:
    before = site_row_counts(KEPT)
    delete_site_data(999_999)
    assert site_row_counts(KEPT) == before

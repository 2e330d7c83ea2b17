"""Deleting a site's events, sessions and drop counts: those older than its retention period, or all
of them when the site itself is deleted.

Values are bound parameters; the tables and their time columns come from the list below. A table with
nothing to delete is left alone (no needless mutation), so running this often costs one count a table.

    >>> delete_older_than(site_id=1, cutoff=dt.datetime(2023, 11, 21, tzinfo=dt.UTC))  # doctest: +SKIP
    {'events': 120, 'sessions': 40, 'dropped_events': 3}
    >>> delete_site_data(site_id=1)  # doctest: +SKIP
    {'events': 5400, 'sessions': 1800, 'dropped_events': 12}
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics import client

# table -> the condition that a row is older than {cutoff}
TABLES: dict[str, str] = {
    "events": "timestamp < {cutoff:DateTime64(3, 'UTC')}",
    "sessions": "session_start < {cutoff:DateTime64(3, 'UTC')}",
    "dropped_events": "day < toDate({cutoff:DateTime64(3, 'UTC')})",
}
# Wait for the deletion to be applied, so the job's work is done when it returns.
_SYNC = {"lightweight_deletes_sync": 2, "mutations_sync": 2}


def _delete(table: str, where: str, params: dict[str, Any]) -> int:
    counted = f"SELECT count() FROM {table} WHERE {where}"  # noqa: S608 - names from TABLES only
    count = int(client.execute(counted, params, tag="deletion").rows[0][0])
    if count:
        client.command(f"DELETE FROM {table} WHERE {where}", params, settings=_SYNC)  # noqa: S608
    return count


def delete_older_than(site_id: int, cutoff: dt.datetime) -> dict[str, int]:
    """Delete the site's rows from before ``cutoff`` (aware); how many rows each table had that old."""
    params = {"site": site_id, "cutoff": cutoff}
    return {
        table: _delete(table, f"site_id = {{site:UInt64}} AND {older}", params)
        for table, older in TABLES.items()
    }


def delete_site_data(site_id: int) -> dict[str, int]:
    """Delete every row of the site (the site is being deleted); how many each table had."""
    return {table: _delete(table, "site_id = {site:UInt64}", {"site": site_id}) for table in TABLES}

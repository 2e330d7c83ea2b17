"""Retention: delete a site's events, sessions and drop counts older than its retention period.

Values are bound parameters; the tables and their time columns come from the list below. A table with
nothing that old is left alone (no needless mutation), so running this often costs one count a table.

    >>> delete_older_than(site_id=1, cutoff=dt.datetime(2023, 11, 21, tzinfo=dt.UTC))  # doctest: +SKIP
    {'events': 120, 'sessions': 40, 'dropped_events': 3}
"""

from __future__ import annotations

import datetime as dt

from analytics import client

# table -> the expression that places a row in time, compared with the cutoff
TABLES: dict[str, str] = {
    "events": "timestamp < {cutoff:DateTime64(3, 'UTC')}",
    "sessions": "session_start < {cutoff:DateTime64(3, 'UTC')}",
    "dropped_events": "day < toDate({cutoff:DateTime64(3, 'UTC')})",
}
# Wait for the deletion to be applied, so the job's work is done when it returns.
_SYNC = {"lightweight_deletes_sync": 2, "mutations_sync": 2}


def delete_older_than(site_id: int, cutoff: dt.datetime) -> dict[str, int]:
    """Delete the site's rows from before ``cutoff`` (aware); how many rows each table had that old."""
    params = {"site": site_id, "cutoff": cutoff}
    deleted: dict[str, int] = {}
    for table, older in TABLES.items():
        where = f"site_id = {{site:UInt64}} AND {older}"
        counted = f"SELECT count() FROM {table} WHERE {where}"  # noqa: S608 - names from TABLES only
        count = int(client.execute(counted, params, tag="retention").rows[0][0])
        if count:
            client.command(f"DELETE FROM {table} WHERE {where}", params, settings=_SYNC)  # noqa: S608
        deleted[table] = count
    return deleted

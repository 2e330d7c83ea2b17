"""Deleting a site's events from ClickHouse: every row, in every table that holds a ``site_id``.

    >>> delete_site_data(42)  # doctest: +SKIP
    ['dropped_events', 'events', 'sessions']

The tables are read from ``system.columns`` (every MergeTree-family table with a ``site_id`` column),
so a table or rollup added by a later migration is covered without a change here. Their names come
from the engine's own catalogue and are checked and quoted; the site id is a bound parameter.
``ALTER TABLE … DELETE`` rewrites the parts that hold the rows (the data is gone from disk, not
hidden), and ``mutations_sync = 2`` returns only when the deletion is complete.
"""

from __future__ import annotations

import re

from analytics import client

_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,200}$")
_TABLES = """
SELECT c.table
FROM system.columns AS c
INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
WHERE c.database = currentDatabase() AND c.name = 'site_id' AND t.engine LIKE '%MergeTree'
ORDER BY c.table
"""


def tables_with_site_data() -> list[str]:
    """The tables a site's rows live in, by name."""
    names = [str(row[0]) for row in client.execute(_TABLES, tag="deletion:tables").rows]
    for name in names:
        if not _NAME.match(name):
            raise ValueError(f"unexpected table name {name!r}")
    return names


def delete_site_data(site_id: int) -> list[str]:
    """Delete every row of ``site_id`` from every table that holds sites' rows; returns the tables."""
    tables = tables_with_site_data()
    for table in tables:
        client.command(
            f"ALTER TABLE `{table}` DELETE WHERE site_id = {{site_id:UInt64}}",
            {"site_id": site_id},
            settings={"mutations_sync": 2},
        )
    return tables


def site_row_counts(site_id: int) -> dict[str, int]:
    """How many rows of ``site_id`` each table holds (0 everywhere after ``delete_site_data``)."""
    return {
        table: int(
            client.execute(
                f"SELECT count() FROM `{table}` WHERE site_id = {{site_id:UInt64}}",  # noqa: S608
                {"site_id": site_id},
                tag="deletion:count",
            ).rows[0][0]
        )
        for table in tables_with_site_data()
    }

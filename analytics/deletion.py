"""Deleting sites' rows from ClickHouse: all of a site's rows (the site is deleted or its stats reset),
or those older than its retention period (the retention job).

    >>> delete_site_data(42)  # doctest: +SKIP
    {'dropped_events': 12, 'events': 5400, 'visits': 1800}
    >>> delete_older_than(42, dt.datetime(2023, 11, 21, tzinfo=dt.UTC))  # doctest: +SKIP
    {'dropped_events': 3, 'events': 120, 'visits': 40}

The tables are read from ``system.columns`` (every MergeTree-family table with a ``site_id`` column),
so a table added by a later migration is covered without a change here. Their names come
from the engine's own catalogue and are checked and quoted; the site id and cutoff are bound
parameters. A table's age is read from its first column named in ``TIME_COLUMNS`` (a ``Date`` column
compares with the cutoff's day); a site table without one is an error, not silently kept forever.
In a cluster (``analytics.topology``) the rows are counted through the tables reads use and deleted
from the tables that store them, on every node: ``ALTER TABLE events_local ON CLUSTER 'lantern' DELETE``
when sharded (the catalogue lists the ``_local`` tables), ``ALTER TABLE events ON CLUSTER …`` when
replicated. ``ALTER TABLE … DELETE`` rewrites the parts that hold the rows (the data is gone from disk, not
hidden) and ``mutations_sync = 2`` returns only when it is complete. A table with nothing to delete is
left alone (no needless mutation), so running the retention job often costs one count a table.

Events and visits are dated by their visit's start (``visit_start``), so a visit is kept or deleted
whole, its events with it: a visit that began before the cutoff goes entirely, even its events after it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from analytics import client
from analytics.topology import Layout

# The columns that date a row, in order of preference: when its visit began (events, visits: whole
# visits go together), when the event happened, the UTC day the row counts (dropped_events), or the
# local day an imported row counts (imported_*).
TIME_COLUMNS = ("visit_start", "timestamp", "day", "date")
_NAME = re.compile(r"^[A-Za-z0-9_.\-]{1,200}$")
_COLUMNS = """
SELECT c.table, c.name, c.type
FROM system.columns AS c
INNER JOIN system.tables AS t ON t.database = c.database AND t.name = c.table
WHERE c.database = currentDatabase() AND t.engine LIKE '%MergeTree'
  AND c.table IN (SELECT table FROM system.columns WHERE database = currentDatabase() AND name = 'site_id')
ORDER BY c.table, c.position
"""


def site_table_columns(layout: Layout | None = None) -> dict[str, dict[str, str]]:
    """Each table holding sites' rows (by the name reads use) -> its column names -> their types."""
    layout = layout or Layout.from_env()
    tables: dict[str, dict[str, str]] = {}
    for table, column, type_ in client.execute(_COLUMNS, tag="deletion:tables").rows:
        if not _NAME.match(str(table)):
            raise ValueError(f"unexpected table name {table!r}")
        name = layout.logical(str(table)) if layout.clustered else str(table)
        tables.setdefault(name, {})[str(column)] = str(type_)
    return tables


def tables_with_site_data() -> list[str]:
    """The tables a site's rows live in, by name."""
    return sorted(site_table_columns())


def older_than_condition(table: str, columns: dict[str, str]) -> str:
    """The SQL condition that a row of ``table`` is older than ``{cutoff}``."""
    for name in TIME_COLUMNS:
        type_ = columns.get(name)
        if type_ is None:
            continue
        if type_.startswith("DateTime"):
            return f"`{name}` < {{cutoff:DateTime64(3, 'UTC')}}"
        return f"`{name}` < toDate({{cutoff:DateTime64(3, 'UTC')}})"
    raise ValueError(f"table {table!r} holds sites' rows but has none of the columns {TIME_COLUMNS}")


def delete_statement(layout: Layout, table: str, where: str) -> str:
    """The mutation deleting ``table``'s rows matching ``where``, on the tables that store them."""
    return f"ALTER TABLE {layout.write_target(table)} DELETE WHERE {where}"


def _delete(layout: Layout, table: str, where: str, params: dict[str, Any]) -> int:
    counted = f"SELECT count() FROM `{table}` WHERE {where}"  # noqa: S608 - names from the catalogue
    count = int(client.execute(counted, params, tag="deletion:count").rows[0][0])
    if count:
        client.command(delete_statement(layout, table, where), params, settings=layout.mutation_settings())
    return count


def delete_site_data(site_id: int) -> dict[str, int]:
    """Delete every row of ``site_id`` from every table that holds sites' rows; how many each had."""
    layout = Layout.from_env()
    where, params = "site_id = {site:UInt64}", {"site": site_id}
    return {table: _delete(layout, table, where, params) for table in sorted(site_table_columns(layout))}


def delete_older_than(site_id: int, cutoff: dt.datetime) -> dict[str, int]:
    """Delete the site's rows from before ``cutoff`` (aware); how many rows each table had that old."""
    layout = Layout.from_env()
    params = {"site": site_id, "cutoff": cutoff}
    return {
        table: _delete(
            layout, table, f"site_id = {{site:UInt64}} AND {older_than_condition(table, columns)}", params
        )
        for table, columns in sorted(site_table_columns(layout).items())
    }


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

"""Writing and deleting imported rows: a batch in, one import's rows out, what an import holds.

    >>> columns = ("date", "device", "visitors")
    >>> insert(1, 7, "imported_devices", columns, [["2021-03-01", "Mobile", 3]], token="t")  # doctest: +SKIP
    >>> drop(site_id=1, import_ids=[7])  # doctest: +SKIP
    {'imported_devices': 1, ...}

Table names come from ``TABLES`` only; the site, import ids and values are bound or sent as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import orjson

from analytics import client
from analytics.imported.tables import TABLES

__all__ = ["drop", "insert", "span", "table_rows"]

_SYNC = {"mutations_sync": 2}


def insert(
    site_id: int, import_id: int, table: str, columns: Sequence[str], rows: Sequence[list[Any]], *, token: str
) -> None:
    """Insert rows of ``columns`` into ``table`` (one of ``TABLES``) under the site and the import;
    the table's other columns take their defaults (0)."""
    if table not in TABLES:
        raise ValueError(f"not an imported table: {table!r}")
    prefix = [site_id, import_id]
    lines = [orjson.dumps(prefix + row) for row in rows]
    client.insert_rows(table, ("site_id", "import_id", *columns), lines, token=token)


def drop(site_id: int, import_ids: Sequence[int]) -> dict[str, int]:
    """Delete the rows of these imports of the site from every imported table; how many each had."""
    params = {"site": site_id, "ids": list(import_ids)}
    where = "site_id = {site:UInt64} AND import_id IN {ids:Array(UInt64)}"
    counts = {}
    for name in TABLES:
        counted = f"SELECT count() FROM {name} WHERE {where}"  # noqa: S608 - names from TABLES
        count = int(client.execute(counted, params, tag="imported:drop").rows[0][0])
        if count:
            client.command(f"ALTER TABLE {name} DELETE WHERE {where}", params, settings=_SYNC)
        counts[name] = count
    return counts


def table_rows(site_id: int, import_id: int) -> dict[str, int]:
    """How many rows the import holds in each imported table."""
    params = {"site": site_id, "id": import_id}
    return {
        name: int(
            client.execute(
                f"SELECT count() FROM {name} WHERE site_id = {{site:UInt64}} AND import_id = {{id:UInt64}}",  # noqa: S608
                params,
                tag="imported:count",
            ).rows[0][0]
        )
        for name in TABLES
    }


def span(site_id: int, import_id: int) -> tuple[dt.date, dt.date] | None:
    """The first and last day of the import's visitors, or None when it holds none."""
    rows = client.execute(
        "SELECT min(date), max(date), count() FROM imported_visitors"
        " WHERE site_id = {site:UInt64} AND import_id = {id:UInt64}",
        {"site": site_id, "id": import_id},
        tag="imported:span",
    ).rows
    first, last, count = rows[0]
    return (first, last) if count else None

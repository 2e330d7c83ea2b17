"""An import's rows read back out, a month of days at a time, in the columns of Plausible's export
(so the full export's ``imported_*.csv`` files import again, into Lantern or Plausible).

    >>> for rows in batches(1, 7, "imported_pages", first=d1, last=d2):  # doctest: +SKIP
    ...     write(rows)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from analytics import client
from analytics.imported.tables import TABLES

__all__ = ["COLUMNS", "batches"]

COLUMNS: dict[str, tuple[str, ...]] = {
    name: ("date", *(c.name for c in t.columns)) for name, t in TABLES.items()
}
DAYS = 31  # days a read takes: a month of a busy site's pages is a few hundred thousand rows at most


def batches(
    site_id: int, import_id: int, table: str, first: dt.date, last: dt.date, days: int = DAYS
) -> Iterator[list[dict[str, Any]]]:
    """The import's rows of ``table`` (one of ``TABLES``) from ``first`` to ``last``, in day order."""
    columns = ", ".join(COLUMNS[table])  # names from TABLES only
    sql = (
        f"SELECT {columns} FROM {table} WHERE site_id = {{site:UInt64}} AND import_id = {{id:UInt64}}"  # noqa: S608
        f" AND date BETWEEN {{first:Date}} AND {{last:Date}} ORDER BY {columns}"
    )
    start = first
    while start <= last:
        end = min(start + dt.timedelta(days=days - 1), last)
        params = {"site": site_id, "id": import_id, "first": start, "last": end}
        rows = client.execute(sql, params, tag="export:imported", max_rows=0).dicts()
        if rows:
            yield rows
        start = end + dt.timedelta(days=1)

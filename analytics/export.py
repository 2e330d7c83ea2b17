"""Everything stored about one site, read out in batches for the full export (CSV files in a zip).

Each table is read in key order, a batch at a time (keyset pagination), so a site of any size is
exported with bounded memory; every value is a bound parameter.

    >>> totals(site_id=1)  # doctest: +SKIP
    {'events': 5400, 'visits': 1800, 'dropped_events': 12}
    >>> for rows in event_batches(site_id=1):  # doctest: +SKIP
    ...     write(rows)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from analytics import client
from analytics.query import VISIT_AGGREGATES
from analytics.schema import EVENT_COLUMN_NAMES

BATCH = 20_000
EVENT_COLUMNS = tuple(c for c in EVENT_COLUMN_NAMES if c != "site_id")
VISIT_EXPORT_COLUMNS = ("visit_id", "visit_start", *VISIT_AGGREGATES)
DROPPED_COLUMNS = ("day", "reason", "count")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_BEFORE_ALL = _EPOCH - dt.timedelta(days=1)
# One row a visit (the table's rows are partial until merged); engagement alone makes no visit.
_PICKS = ", ".join(f"{sql} AS {name}" for name, sql in VISIT_AGGREGATES.items())
_VISITS = (
    f"SELECT visit_id, visit_start, {_PICKS} FROM visits"  # noqa: S608 - registry names only
    " WHERE site_id = {site:UInt64}"
    " AND (visit_start, visit_id) > ({after:DateTime64(3, 'UTC')}, {after_id:UInt64})"
    " GROUP BY visit_start, visit_id HAVING events > 0"
    " ORDER BY visit_start, visit_id LIMIT {batch:UInt32}"
)


def totals(site_id: int) -> dict[str, int]:
    """Rows each part of the export will hold (for progress)."""
    params = {"site": site_id}
    return {
        "events": _count("SELECT count() FROM events WHERE site_id = {site:UInt64}", params),
        "visits": _count(
            "SELECT count() FROM (SELECT visit_id FROM visits WHERE site_id = {site:UInt64}"
            " GROUP BY visit_id HAVING sum(events) > 0)",
            params,
        ),
        "dropped_events": _count(
            "SELECT count() FROM (SELECT day, reason FROM dropped_events WHERE site_id = {site:UInt64}"
            " GROUP BY day, reason)",
            params,
        ),
    }


def _count(sql: str, params: dict[str, Any]) -> int:
    return int(client.execute(sql, params, tag="export:count").rows[0][0])


def _keyset(
    sql: str,
    params: dict[str, Any],
    after: dict[str, Any],
    key: Callable[[dict[str, Any]], dict[str, Any]],
    batch: int,
) -> Iterator[list[dict[str, Any]]]:
    """Rows of ``sql`` a batch at a time; ``key(last row)`` gives the ``after`` parameters of the next."""
    while True:
        rows = client.execute(
            sql, {**params, **after, "batch": batch}, tag="export", max_rows=batch + 1
        ).dicts()
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = key(rows[-1])


_EVENTS = (
    f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"  # noqa: S608 - constant names
    " WHERE site_id = {site:UInt64}"
    " AND (timestamp, event_id) > ({after:DateTime64(3, 'UTC')}, toUUID({after_id:String}))"
    " ORDER BY timestamp, event_id LIMIT {batch:UInt32}"
)


def event_batches(site_id: int, batch: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """The site's events in time order, ``batch`` rows at a time."""
    first = {"after": _BEFORE_ALL, "after_id": "00000000-0000-0000-0000-000000000000"}
    return _keyset(
        _EVENTS,
        {"site": site_id},
        first,
        lambda row: {"after": row["timestamp"], "after_id": str(row["event_id"])},
        batch,
    )


def visit_batches(site_id: int, batch: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    """The site's visits in start order, ``batch`` rows at a time."""
    return _keyset(
        _VISITS,
        {"site": site_id},
        {"after": _BEFORE_ALL, "after_id": 0},
        lambda row: {"after": row["visit_start"], "after_id": int(row["visit_id"])},
        batch,
    )


def dropped_rows(site_id: int) -> list[dict[str, Any]]:
    """What ingest filtered out for the site, per UTC day and reason (small: days x reasons)."""
    return client.execute(
        "SELECT day, reason, sum(count) AS count FROM dropped_events WHERE site_id = {site:UInt64}"
        " GROUP BY day, reason ORDER BY day, reason",
        {"site": site_id},
        tag="export:dropped",
    ).dicts()

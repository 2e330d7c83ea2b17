"""Visit days: the UTC day of a visit's start, the unit closed days' sums are kept in
(``analytics.closed_days``). ``split`` tells, for a date range, which visit days can be read from their
sums and which must be read from their events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from analytics import client
from analytics.filters import Binder
from analytics.periods import DateRange
from analytics.query import VisitDay

__all__ = ["closed", "split", "sums_rows"]

# Each visit day's events, then its built kinds per stamp: one read, two kinds of rows (``summed`` 0
# and 1). (A JOIN of the two costs several times their reads in the engine.)
_STATUS = """
SELECT 0 AS summed, day, sum(events) AS n, min(first_at) AS first_at, max(last_at) AS last_at,
    toUInt64(0) AS kinds
FROM day_events
WHERE site_id = {site:UInt64} AND day BETWEEN {low:Date} AND {high:Date} GROUP BY day
UNION ALL
SELECT 1, day, stamp, toDateTime64(0, 3, 'UTC'), toDateTime64(0, 3, 'UTC'), uniqExact(dimension, variant)
FROM day_sums
WHERE site_id = {site:UInt64} AND marker = 1 AND day BETWEEN {low:Date} AND {high:Date}
    AND (dimension, variant) IN {needed:Array(Tuple(String, String))}
GROUP BY day, stamp
"""


def split(
    site_id: int, date_range: DateRange, needed: Sequence[tuple[str, str]]
) -> tuple[list[VisitDay], list[VisitDay]]:
    """The visit days holding events in the range: those wholly inside it whose ``needed`` sums are
    built at their current count, and the others (read raw)."""
    start, end = (moment.replace(tzinfo=None) for moment in date_range.bounds_utc())
    params = {"site": site_id, "low": start.date() - dt.timedelta(days=1), "high": end.date()}
    rows = client.execute(_STATUS, {**params, "needed": needed}, tag="closed_days", max_rows=0).rows
    built = {(day, n) for summed, day, n, _, _, kinds in rows if summed and kinds == len(needed)}
    summed: list[VisitDay] = []
    edges: list[VisitDay] = []
    for day, events, first_at, last_at in sorted(row[1:5] for row in rows if not row[0]):
        visit_day = VisitDay(day, int(events), first_at, last_at)
        if last_at < start or first_at >= end:
            continue  # none of its events is in the range
        inside = first_at >= start and last_at < end
        (summed if inside and (day, events) in built else edges).append(visit_day)
    return summed, edges


def closed(site_id: int, last: dt.date) -> list[VisitDay]:
    """The site's visit days up to ``last``, in order."""
    sql = (
        "SELECT day, sum(events), min(first_at), max(last_at) FROM day_events"
        " WHERE site_id = {site:UInt64} AND day <= {last:Date} GROUP BY day ORDER BY day"
    )
    rows = client.execute(sql, {"site": site_id, "last": last}, tag="closed_days", max_rows=0).rows
    return [VisitDay(day, int(events), first_at, last_at) for day, events, first_at, last_at in rows]


def sums_rows(
    bind: Binder, kind: tuple[str, str], days: Sequence[VisitDay], columns: Sequence[str], *extra: str
) -> str:
    """The ``day_sums`` rows of ``kind`` (dimension, variant) for ``days`` at their stamps, meeting the
    conditions ``extra`` (``{site_id}`` is the site), with ``value`` and ``columns``; one of any row
    written twice."""
    dimension, variant = kind
    where = [
        "site_id = {site_id:UInt64}",
        "marker = 0",
        f"dimension = {bind(dimension, 'String')}",
        f"variant = {bind(variant, 'String')}",
        f"day IN {bind(sorted({d.day for d in days}), 'Array(Date)')}",
        f"has({bind([(d.day, d.events) for d in days], 'Array(Tuple(Date, UInt64))')}, (day, stamp))",
        *extra,
    ]
    picked = ", ".join(["day", "stamp", "filter_value", "value", *dict.fromkeys(columns)])
    return (
        f"SELECT {picked} FROM day_sums WHERE {' AND '.join(where)}"  # noqa: S608
        " LIMIT 1 BY day, stamp, filter_value, value"
    )

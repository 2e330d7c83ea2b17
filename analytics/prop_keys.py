"""The custom property keys a site's events carried in a date range, most used first, so the dashboard
can offer a breakdown (``event:props:<key>``) per key.

    >>> top_prop_keys(site_id=1, date_range=DateRange(...))  # doctest: +SKIP
    ['plan', 'author']
"""

from __future__ import annotations

from analytics import client
from analytics.periods import DateRange

MAX_KEYS = 20
# Keys by the number of events carrying them (ties by name); engagement events do not count.
_KEYS = (
    "SELECT key, count() AS uses FROM events ARRAY JOIN prop_keys AS key"
    " WHERE site_id = {site:UInt64} AND timestamp >= {start:DateTime64(3, 'UTC')}"
    " AND timestamp < {end:DateTime64(3, 'UTC')} AND name != 'engagement' AND key != ''"
    " GROUP BY key ORDER BY uses DESC, key LIMIT {limit:UInt32}"
)


def top_prop_keys(site_id: int, date_range: DateRange, limit: int = MAX_KEYS) -> list[str]:
    """The ``limit`` most used keys, read from the events."""
    start, end = date_range.bounds_utc()
    params = {
        "site": site_id,
        "start": start.replace(tzinfo=None),
        "end": end.replace(tzinfo=None),
        "limit": limit,
    }
    result = client.execute(_KEYS, params, tag="dashboard:prop_keys")
    return [str(row[0]) for row in result.rows]

"""The custom property keys a site's events carried in a date range, most used first, so the dashboard
can offer a breakdown (``event:props:<key>``) per key. (``analytics.rolled.top_prop_keys`` answers the
same from rollups where it can.)

    >>> top_prop_keys(site_id=1, date_range=DateRange(...))  # doctest: +SKIP
    ['plan', 'author']
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from analytics import client
from analytics.periods import DateRange

MAX_KEYS = 20
# Keys by the number of events carrying them (ties by name); engagement events do not count.
ORDER = " GROUP BY key ORDER BY uses DESC, key LIMIT {limit:UInt32}"


def key_uses_sql(
    site_id: int, start: dt.datetime, end: dt.datetime, suffix: str = ""
) -> tuple[str, dict[str, Any]]:
    """Rows of (key, uses): each key carried by an event in [start, end), once per such event."""
    sql = (
        "SELECT key, count() AS uses FROM events ARRAY JOIN prop_keys AS key"  # noqa: S608 - constant names
        f" WHERE site_id = {{site{suffix}:UInt64}} AND timestamp >= {{start{suffix}:DateTime64(3, 'UTC')}}"
        f" AND timestamp < {{end{suffix}:DateTime64(3, 'UTC')}} AND name != 'engagement' AND key != ''"
        " GROUP BY key"
    )
    params = {
        f"site{suffix}": site_id,
        f"start{suffix}": start.replace(tzinfo=None),
        f"end{suffix}": end.replace(tzinfo=None),
    }
    return sql, params


def top_prop_keys(site_id: int, date_range: DateRange, limit: int = MAX_KEYS) -> list[str]:
    """The ``limit`` most used keys, read from the events."""
    sql, params = key_uses_sql(site_id, *date_range.bounds_utc())
    result = client.execute(
        f"SELECT key, sum(uses) AS uses FROM ({sql}){ORDER}",  # noqa: S608
        params | {"limit": limit},
        tag="dashboard:prop_keys",
    )
    return [str(row[0]) for row in result.rows]

"""Visitors per hour-long window, for traffic alerts: the last hour against the hours before it.

Windows are counted back from ``now`` (not clock hours): window 0 is the last hour, window 1 the one
before, and so on. Visitors are Plausible's: distinct ids among pageviews and custom events.

    >>> hourly_visitors(site_id=1, now=dt.datetime.now(dt.UTC), hours=169)  # doctest: +SKIP
    [14, 9, 11, ...]
"""

from __future__ import annotations

import datetime as dt

from analytics import client


def hourly_visitors(site_id: int, now: dt.datetime, hours: int) -> list[int]:
    """Visitors in each of the ``hours`` windows before ``now``, most recent first (zeros included)."""
    result = client.execute(
        "SELECT intDiv(dateDiff('millisecond', timestamp, {now:DateTime64(3, 'UTC')}), 3600000) AS w,"
        " uniqExact(visitor_id) FROM events"
        " WHERE site_id = {site:UInt64} AND name != 'engagement'"
        " AND timestamp > {since:DateTime64(3, 'UTC')} AND timestamp <= {now:DateTime64(3, 'UTC')}"
        " GROUP BY w",
        {"site": site_id, "now": now, "since": now - dt.timedelta(hours=hours)},
        tag="alerts",
    )
    counts = [0] * hours
    for window, visitors in result.rows:
        if 0 <= int(window) < hours:
            counts[int(window)] = int(visitors)
    return counts

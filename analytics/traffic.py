"""Visitors per hour-long window: for traffic alerts (the last hour against the hours before it) and
for the sites list (each site's last 24 hours, with its hours for a sparkline).

Windows are counted back from ``now`` (not clock hours): window 0 is the last hour, window 1 the one
before, and so on. Visitors are Plausible's: distinct ids among pageviews and custom events.

    >>> hourly_visitors(site_id=1, now=dt.datetime.now(dt.UTC), hours=169)  # doctest: +SKIP
    [14, 9, 11, ...]
    >>> last_day([1, 2], now=dt.datetime.now(dt.UTC))[1].visitors  # doctest: +SKIP
    212
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from analytics import client

DAY_HOURS = 24


def hourly_visitors(site_id: int, now: dt.datetime, hours: int) -> list[int]:
    """Visitors in each of the ``hours`` windows before ``now``, most recent first (zeros included)."""
    return list(reversed(_windows([site_id], now, hours, tag="alerts")[site_id].hourly))


@dataclasses.dataclass(frozen=True)
class LastDay:
    """A site's last hours: its visitors over them all, and its visitors in each hour, oldest first."""

    visitors: int
    hourly: tuple[int, ...]


def last_day(site_ids: Sequence[int], now: dt.datetime) -> dict[int, LastDay]:
    """Every site's last 24 hours before ``now`` (sites without events too), in one read."""
    return _windows(site_ids, now, DAY_HOURS, tag="sites")


def _windows(site_ids: Sequence[int], now: dt.datetime, hours: int, *, tag: str) -> dict[int, LastDay]:
    """Each site's visitors in each of the ``hours`` windows before ``now``, and over all of them."""
    result = client.execute(
        "SELECT site_id, grouping(w) AS whole, intDiv(dateDiff('millisecond', timestamp,"
        " {now:DateTime64(3, 'UTC')}), 3600000) AS w, uniqExact(visitor_id) FROM events"
        " WHERE site_id IN {sites:Array(UInt64)} AND name != 'engagement'"
        " AND timestamp > {since:DateTime64(3, 'UTC')} AND timestamp <= {now:DateTime64(3, 'UTC')}"
        " GROUP BY GROUPING SETS ((site_id, w), (site_id))",
        {"sites": list(site_ids), "now": now, "since": now - dt.timedelta(hours=hours)},
        tag=tag,
    )
    totals = dict.fromkeys(site_ids, 0)
    counts = {site: [0] * hours for site in site_ids}
    for site, whole, window, visitors in result.rows:
        if whole:
            totals[int(site)] = int(visitors)
        elif 0 <= int(window) < hours:
            counts[int(site)][hours - 1 - int(window)] = int(visitors)
    return {site: LastDay(totals[site], tuple(counts[site])) for site in site_ids}

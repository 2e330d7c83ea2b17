"""What ingest filtered out (bots, spam, shields, ...) per day, from ``dropped_events``, for the dashboard.

Days are UTC days, as ingest counts them.

    >>> import datetime as dt
    >>> per_day([(dt.date(2026, 11, 20), "bot", 3), (dt.date(2026, 11, 20), "spam", 1)])
    [DroppedDay(date='2026-11-20', total=4, reasons={'bot': 3, 'spam': 1})]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable

from analytics import client


@dataclasses.dataclass(frozen=True)
class DroppedDay:
    date: str
    total: int
    reasons: dict[str, int]


def per_day(rows: Iterable[tuple[dt.date, str, int]]) -> list[DroppedDay]:
    """Group ``(day, reason, count)`` rows into one entry per day, oldest first, reasons by name."""
    days: dict[dt.date, dict[str, int]] = {}
    for day, reason, count in rows:
        reasons = days.setdefault(day, {})
        reasons[reason] = reasons.get(reason, 0) + int(count)
    return [
        DroppedDay(day.isoformat(), sum(reasons.values()), dict(sorted(reasons.items())))
        for day, reasons in sorted(days.items())
    ]


def dropped_events(site_id: int, first: dt.date, last: dt.date) -> list[DroppedDay]:
    """The site's dropped events between the UTC days ``first`` and ``last`` (inclusive), per day."""
    result = client.execute(
        "SELECT day, reason, sum(count) FROM dropped_events"
        " WHERE site_id = {site:UInt64} AND day >= {first:Date} AND day <= {last:Date}"
        " GROUP BY day, reason",
        {"site": site_id, "first": first, "last": last},
        tag="dashboard:dropped",
    )
    return per_day((row[0], row[1], row[2]) for row in result.rows)

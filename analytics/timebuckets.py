"""Every time bucket of a date range, so charts show empty hours and days as zero.

>>> import datetime as dt
import zoneinfo
>>> from analytics.periods import DateRange
>>> buckets("time:day", DateRange(dt.date(2026, 1, 30), dt.date(2026, 2, 1), "UTC"))
['2026-01-30', '2026-01-31', '2026-02-01']
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from analytics.periods import DateRange


def buckets(dimension: str, date_range: DateRange) -> list[str]:
    if date_range.moments is not None and dimension in {"time:minute", "time:hour"}:
        return _moment_buckets(dimension, date_range)
    days = [date_range.first + dt.timedelta(days=n) for n in range(date_range.days)]
    if dimension == "time:day":
        return [day.isoformat() for day in days]
    if dimension == "time:hour":
        return [f"{day.isoformat()} {hour:02d}:00:00" for day in days for hour in range(24)]
    if dimension == "time:minute":
        return [f"{day.isoformat()} {m // 60:02d}:{m % 60:02d}:00" for day in days for m in range(24 * 60)]
    if dimension == "time:week":
        mondays = {day - dt.timedelta(days=day.weekday()) for day in days}
        return [monday.isoformat() for monday in sorted(mondays)]
    if dimension == "time:month":
        return sorted({day.replace(day=1).isoformat() for day in days})
    raise ValueError(f"not a time dimension: {dimension}")


def _moment_buckets(dimension: str, date_range: DateRange) -> list[str]:
    """The minutes (or hours) that an exact interval touches, in local time."""
    assert date_range.moments is not None
    start, end = date_range.moments
    step = dt.timedelta(minutes=1)  # hours too, so zones offset by half an hour stay right
    shape = "%Y-%m-%d %H:%M:00" if dimension == "time:minute" else "%Y-%m-%d %H:00:00"
    zone = zoneinfo.ZoneInfo(date_range.tz)
    found: dict[str, None] = {}
    moment = start.replace(second=0, microsecond=0)
    while moment < end:
        found[moment.astimezone(zone).strftime(shape)] = None
        moment += step
    return list(found)

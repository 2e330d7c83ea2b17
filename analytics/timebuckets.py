"""Every time bucket of a date range, so charts show empty hours and days as zero.

>>> import datetime as dt
>>> from analytics.periods import DateRange
>>> buckets("time:day", DateRange(dt.date(2026, 1, 30), dt.date(2026, 2, 1), "UTC"))
['2026-01-30', '2026-01-31', '2026-02-01']
"""

from __future__ import annotations

import datetime as dt

from analytics.periods import DateRange


def buckets(dimension: str, date_range: DateRange) -> list[str]:
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

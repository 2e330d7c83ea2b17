"""Date ranges: periods such as ``7d`` or ``month`` resolved to local dates in a site's timezone.

>>> import datetime as dt
>>> resolve_period("7d", "UTC", today=dt.date(2026, 11, 21))
DateRange(first=datetime.date(2026, 11, 15), last=datetime.date(2026, 11, 21), tz='UTC')
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from analytics.errors import QueryError

PERIODS = ("day", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year", "all", "custom")
_DAYS = {"7d": 7, "28d": 28, "30d": 30, "91d": 91}
_MONTHS = {"month": 1, "6mo": 6, "12mo": 12}
MAX_DAYS = 366 * 10


@dataclasses.dataclass(frozen=True)
class DateRange:
    """Inclusive local dates ``first``..``last`` in timezone ``tz``."""

    first: dt.date
    last: dt.date
    tz: str

    def bounds_utc(self) -> tuple[dt.datetime, dt.datetime]:
        """The half-open UTC interval [start, end) covering the local dates."""
        zone = zoneinfo.ZoneInfo(self.tz)
        start = dt.datetime.combine(self.first, dt.time(), zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> DateRange:
        """The period of the same length just before this one (comparison)."""
        length = dt.timedelta(days=self.days)
        return DateRange(self.first - length, self.last - length, self.tz)


def valid_timezone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def today_in(tz: str, now: dt.datetime | None = None) -> dt.date:
    return (now or dt.datetime.now(dt.UTC)).astimezone(zoneinfo.ZoneInfo(tz)).date()


def _shift_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_date(raw: str, field: str = "date") -> dt.date:
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise QueryError(field, f"{raw!r} is not a date (YYYY-MM-DD)") from None


def resolve_period(
    period: str,
    tz: str,
    *,
    today: dt.date,
    date: dt.date | None = None,
    custom: str | None = None,
    earliest: dt.date | None = None,
) -> DateRange:
    """Turn ``period`` (one of PERIODS) into a DateRange; ``date`` moves "today" for day/Nd/month/year."""
    anchor = date or today
    if period == "day":
        return DateRange(anchor, anchor, tz)
    if period in _DAYS:
        return DateRange(anchor - dt.timedelta(days=_DAYS[period] - 1), anchor, tz)
    if period in _MONTHS:
        first = _shift_months(anchor, -(_MONTHS[period] - 1))
        last = _shift_months(anchor, 1) - dt.timedelta(days=1)
        return DateRange(first, last, tz)
    if period == "year":
        return DateRange(dt.date(anchor.year, 1, 1), dt.date(anchor.year, 12, 31), tz)
    if period == "all":
        return DateRange(earliest or today, today, tz)
    if period == "custom":
        return _custom_range(custom, tz)
    raise QueryError("period", f"{period!r} is not one of {', '.join(PERIODS)}")


def _custom_range(custom: str | None, tz: str) -> DateRange:
    if not custom:
        raise QueryError("date", "period=custom needs date=YYYY-MM-DD,YYYY-MM-DD")
    parts = custom.split(",")
    if len(parts) != 2:
        raise QueryError("date", "period=custom needs date=YYYY-MM-DD,YYYY-MM-DD")
    first, last = parse_date(parts[0]), parse_date(parts[1])
    if last < first:
        raise QueryError("date", "the custom range ends before it starts")
    if (last - first).days > MAX_DAYS:
        raise QueryError("date", "the custom range is longer than ten years")
    return DateRange(first, last, tz)

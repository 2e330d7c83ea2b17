"""Date ranges: periods such as ``7d`` or ``month`` resolved to local dates in a site's timezone.

>>> import datetime as dt
>>> resolve_period("7d", "UTC", today=dt.date(2026, 11, 21))
DateRange(first=datetime.date(2026, 11, 15), last=datetime.date(2026, 11, 21), tz='UTC', moments=None)
>>> DateRange(dt.date(2024, 2, 29), dt.date(2024, 3, 6), "UTC").year_before().first
datetime.date(2023, 2, 28)

``realtime`` is the current minute and the 29 before it: exact UTC bounds (``moments``), bucketed by
minute; its local dates are the days those minutes fall on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import TypeVar

from analytics.errors import QueryError

_Day = TypeVar("_Day", dt.date, dt.datetime)

PERIODS = ("realtime", "day", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year", "all", "custom")
_DAYS = {"7d": 7, "28d": 28, "30d": 30, "91d": 91}
_MONTHS = {"month": 1, "6mo": 6, "12mo": 12}
MAX_DAYS = 366 * 10
REALTIME_MINUTES = 30


@dataclasses.dataclass(frozen=True)
class DateRange:
    """Inclusive local dates ``first``..``last`` in timezone ``tz``; ``moments``, when set, are exact
    UTC bounds [start, end) within those dates (the realtime period)."""

    first: dt.date
    last: dt.date
    tz: str
    moments: tuple[dt.datetime, dt.datetime] | None = None

    @classmethod
    def between(cls, start: dt.datetime, end: dt.datetime, tz: str) -> DateRange:
        """The exact interval [start, end) (aware datetimes), its dates taken in ``tz``."""
        zone = zoneinfo.ZoneInfo(tz)
        last = (end - dt.timedelta(milliseconds=1)).astimezone(zone).date()
        return cls(
            start.astimezone(zone).date(), last, tz, (start.astimezone(dt.UTC), end.astimezone(dt.UTC))
        )

    def bounds_utc(self) -> tuple[dt.datetime, dt.datetime]:
        """The half-open UTC interval [start, end) covering the local dates (or the exact moments)."""
        if self.moments is not None:
            return self.moments
        zone = zoneinfo.ZoneInfo(self.tz)
        start = dt.datetime.combine(self.first, dt.time(), zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> DateRange:
        """The period of the same length just before this one (comparison)."""
        if self.moments is not None:
            start, end = self.moments
            return DateRange.between(start - (end - start), start, self.tz)
        length = dt.timedelta(days=self.days)
        return DateRange(self.first - length, self.last - length, self.tz)

    def year_before(self) -> DateRange:
        """The same dates a year earlier (29 February becomes the 28th): year-over-year comparison."""
        if self.moments is not None:
            start, end = self.moments
            return DateRange.between(_year_before(start), _year_before(end), self.tz)
        return DateRange(_year_before(self.first), _year_before(self.last), self.tz)


def _year_before(day: _Day) -> _Day:
    if day.month == 2 and day.day == 29:
        return day.replace(year=day.year - 1, day=28)
    return day.replace(year=day.year - 1)


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
    earliest: Callable[[], dt.date] | None = None,
    now: dt.datetime | None = None,
) -> DateRange:
    """Turn ``period`` (one of PERIODS) into a DateRange; ``date`` moves "today" for day/Nd/month/year.

    ``earliest`` gives the first day of "all" (the site's first event); it is called for "all" only."""
    if period == "realtime":
        return realtime(tz, now or dt.datetime.now(dt.UTC))
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
        return DateRange(min(earliest(), today) if earliest else today, today, tz)
    if period == "custom":
        return custom_range(custom, tz)
    raise QueryError("period", f"{period!r} is not one of {', '.join(PERIODS)}")


def realtime(tz: str, now: dt.datetime) -> DateRange:
    """The current minute (of ``now``, aware) and the ``REALTIME_MINUTES - 1`` before it."""
    minute = now.astimezone(dt.UTC).replace(second=0, microsecond=0)
    return DateRange.between(
        minute - dt.timedelta(minutes=REALTIME_MINUTES - 1), minute + dt.timedelta(minutes=1), tz
    )


def custom_range(text: str | None, tz: str, field: str = "date") -> DateRange:
    """Two dates ``first,last`` (inclusive, at most ten years): a custom period, or (``field``
    ``compare_date``) the custom range a period is compared with."""
    usage = f"{'period' if field == 'date' else 'compare'}=custom needs {field}=YYYY-MM-DD,YYYY-MM-DD"
    if not text:
        raise QueryError(field, usage)
    parts = text.split(",")
    if len(parts) != 2:
        raise QueryError(field, usage)
    first, last = parse_date(parts[0], field), parse_date(parts[1], field)
    if last < first:
        raise QueryError(field, "the custom range ends before it starts")
    if (last - first).days > MAX_DAYS:
        raise QueryError(field, "the custom range is longer than ten years")
    return DateRange(first, last, tz)

"""The date range a period is compared with: Plausible's comparison modes, one rule for the Stats API
v1 and v2 and the dashboard (which reads the range back from the API rather than computing it).

>>> import datetime as dt
>>> march = DateRange(dt.date(2023, 3, 1), dt.date(2023, 3, 31), "UTC")
>>> comparison_range(march, "previous_period", today=dt.date(2023, 3, 2))
DateRange(first=datetime.date(2023, 2, 27), last=datetime.date(2023, 2, 28), tz='UTC', moments=None)
>>> comparison_range(march, "previous_period", today=dt.date(2023, 3, 2), match_day_of_week=True).first
datetime.date(2023, 2, 22)

* A range running past today (month or year to date) is compared as far as today: two days of March
  against two days, not against 31.
* ``previous_period``: as many days just before.
* ``year_over_year``: the same dates a year before (29 February becomes the 28th); whole calendar
  months become the same whole months (February 2025 against 1-29 February 2024).
* ``custom``: the range given, as it is (``match_day_of_week`` does not move it, as in Plausible).
* ``match_day_of_week``: the comparison moves forward to the next day with the weekday the period
  starts on (Sunday 1 January 2023 against Sunday 2 January 2022), or back to the one before when
  moving forward would reach into the period itself.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt

from analytics.periods import DateRange

MODES = ("previous_period", "year_over_year", "custom")


def comparison_range(
    date_range: DateRange,
    mode: str,
    *,
    today: dt.date,
    custom: DateRange | None = None,
    match_day_of_week: bool = False,
) -> DateRange:
    """The range ``date_range`` is compared with under ``mode`` (one of MODES; ``custom`` needs
    ``custom``). ``today`` is the site's local date: nothing after it is compared."""
    if mode == "custom":
        if custom is None:
            raise ValueError("mode custom needs a custom range")
        return custom
    source = _up_to(date_range, today)
    if mode == "previous_period":
        other = source.previous()
    elif mode == "year_over_year":
        other = _year_before(source)
    else:
        raise ValueError(f"unknown comparison mode {mode!r}")
    return _same_weekday(other, source) if match_day_of_week else other


def _up_to(date_range: DateRange, today: dt.date) -> DateRange:
    """The range cut at ``today`` when it runs past it (and began by then)."""
    if date_range.moments is not None or not date_range.first <= today < date_range.last:
        return date_range
    return dataclasses.replace(date_range, last=today)


def _year_before(source: DateRange) -> DateRange:
    if source.moments is None and source.first.day == 1 and _month_end(source.last) == source.last:
        first = source.first.replace(year=source.first.year - 1)
        return DateRange(first, _month_end(source.last.replace(day=1, year=source.last.year - 1)), source.tz)
    return source.year_before()


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _same_weekday(other: DateRange, source: DateRange) -> DateRange:
    ahead = (source.first.weekday() - other.first.weekday()) % 7
    if ahead == 0:
        return other
    forward = _shift(other, ahead)
    if forward.first <= source.last and forward.last >= source.first:  # it would overlap the period
        return _shift(other, ahead - 7)
    return forward


def _shift(date_range: DateRange, days: int) -> DateRange:
    step = dt.timedelta(days=days)
    if date_range.moments is not None:
        start, end = date_range.moments
        return DateRange.between(start + step, end + step, date_range.tz)
    return DateRange(date_range.first + step, date_range.last + step, date_range.tz)

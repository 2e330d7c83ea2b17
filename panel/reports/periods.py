"""Which report period is due for a site at a moment (pure functions).

A weekly report goes out on Monday at 09:00 in the site's timezone and covers the Monday to Sunday
before; a monthly one on the 1st at 09:00 and covers the month before. A report is due from its send
time for one day (a job that was down longer does not send stale reports, and a member who subscribes
mid-week waits for the next one).

    >>> import datetime as dt
    >>> monday_10am = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)  # 10:00 in Berlin
    >>> due("weekly", "Europe/Berlin", monday_10am).range
    DateRange(first=datetime.date(2026, 11, 16), last=datetime.date(2026, 11, 22), tz='Europe/Berlin')
    >>> due("weekly", "Europe/Berlin", monday_10am - dt.timedelta(hours=2)) is None  # 08:00 there
    True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from analytics import DateRange

SEND_AT = dt.time(9, 0)
GRACE = dt.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class ReportPeriod:
    kind: str
    range: DateRange
    compare: DateRange  # the period before, of the same kind

    @property
    def label(self) -> str:
        if self.kind == "monthly":
            return self.range.first.strftime("%B %Y")
        first, last = self.range.first, self.range.last
        return f"{first:%-d %b} to {last:%-d %b %Y}"


def _month_before(first_of_month: dt.date) -> tuple[dt.date, dt.date]:
    last = first_of_month - dt.timedelta(days=1)
    return last.replace(day=1), last


def period_starting(kind: str, send_day: dt.date, tz: str) -> ReportPeriod:
    """The period reported on ``send_day`` (a Monday for weekly reports, a 1st for monthly ones)."""
    if kind == "monthly":
        first, last = _month_before(send_day)
        before_first, before_last = _month_before(first)
        return ReportPeriod(kind, DateRange(first, last, tz), DateRange(before_first, before_last, tz))
    week = DateRange(send_day - dt.timedelta(days=7), send_day - dt.timedelta(days=1), tz)
    return ReportPeriod(kind, week, week.previous())


def latest_send_day(kind: str, today: dt.date) -> dt.date:
    if kind == "monthly":
        return today.replace(day=1)
    return today - dt.timedelta(days=today.weekday())


def due(kind: str, tz: str, now: dt.datetime) -> ReportPeriod | None:
    """The period whose report is due at ``now`` (aware), or None between send windows."""
    zone = zoneinfo.ZoneInfo(tz)
    local = now.astimezone(zone)
    send_day = latest_send_day(kind, local.date())
    send_time = dt.datetime.combine(send_day, SEND_AT, zone)
    if not send_time <= local < send_time + GRACE:
        return None
    return period_starting(kind, send_day, tz)

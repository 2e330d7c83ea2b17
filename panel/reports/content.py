"""What a report says: the numbers of one site and period, read through ``analytics.run_query``
(the same definitions as the dashboard and the Stats API), with each top stat's change.

    >>> data = gather(site_id, period)  # doctest: +SKIP
    >>> data.stats[0].name, data.stats[0].value, data.stats[0].change  # doctest: +SKIP
    ('visitors', 120, 25)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from analytics import DateRange, Query, change, country_name, run_query, tone
from panel.reports.periods import ReportPeriod

TOP_STATS = (
    ("visitors", "Unique visitors"),
    ("visits", "Total visits"),
    ("pageviews", "Total pageviews"),
    ("bounce_rate", "Bounce rate"),
    ("visit_duration", "Visit duration"),
)
# (title, dimension, column heading)
TOP_LISTS = (
    ("Top pages", "event:page", "Page"),
    ("Top sources", "visit:source", "Source"),
    ("Top countries", "visit:country", "Country"),
)
LIST_LENGTH = 5


@dataclasses.dataclass(frozen=True)
class Stat:
    name: str
    label: str
    value: int | float
    change: int | float

    @property
    def shown(self) -> str:
        if self.name == "bounce_rate":
            return f"{self.value}%"
        if self.name == "visit_duration":
            minutes, seconds = divmod(int(self.value), 60)
            return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"
        return f"{self.value:,}"

    @property
    def tone(self) -> str:
        """``'good'``, ``'bad'`` or ``'flat'``, by the dashboard's rule (a fall of bounce rate is good)."""
        return tone(self.name, self.change)

    @property
    def shown_change(self) -> str:
        unit = " pts" if self.name == "bounce_rate" else "%"
        sign = "+" if self.change > 0 else ""
        return f"{sign}{self.change}{unit}"


@dataclasses.dataclass(frozen=True)
class TopList:
    title: str
    heading: str
    rows: tuple[tuple[str, int], ...]  # (value, visitors), most visitors first


@dataclasses.dataclass(frozen=True)
class ReportData:
    period: ReportPeriod
    stats: tuple[Stat, ...]
    lists: tuple[TopList, ...]
    series: tuple[tuple[str, int], ...]  # (local date, visitors) for every day of the period


def _totals(site_id: int, date_range: DateRange) -> dict[str, Any]:
    query = Query(site_id=site_id, date_range=date_range, metrics=tuple(name for name, _ in TOP_STATS))
    rows = run_query(query, tag="report:totals")
    return rows[0] if rows else dict.fromkeys(query.metrics, 0)


def _top(site_id: int, date_range: DateRange, dimension: str) -> tuple[tuple[str, int], ...]:
    query = Query(
        site_id=site_id,
        date_range=date_range,
        metrics=("visitors",),
        dimensions=(dimension,),
        order_by=(("visitors", "desc"), (dimension, "asc")),
        limit=LIST_LENGTH,
    )
    rows = run_query(query, tag="report:top")
    if dimension == "visit:country":
        return tuple((country_name(str(row[dimension])), int(row["visitors"])) for row in rows)
    return tuple((str(row[dimension]), int(row["visitors"])) for row in rows)


def gather(site_id: int, period: ReportPeriod) -> ReportData:
    now, before = _totals(site_id, period.range), _totals(site_id, period.compare)
    stats = tuple(
        Stat(name, label, now[name], change(name, now[name], before[name])) for name, label in TOP_STATS
    )
    lists = tuple(
        TopList(title, heading, _top(site_id, period.range, dimension))
        for title, dimension, heading in TOP_LISTS
    )
    daily = Query(site_id=site_id, date_range=period.range, metrics=("visitors",), dimensions=("time:day",))
    series = tuple(
        (str(row["time:day"]), int(row["visitors"])) for row in run_query(daily, tag="report:chart")
    )
    return ReportData(period, stats, lists, series)

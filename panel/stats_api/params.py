"""Query-string parameters of the v1 Stats API, parsed into an ``analytics.Query`` (pure functions).

>>> import datetime as dt
>>> q = parse_common({"period": "7d", "metrics": "visitors,pageviews"}, site_id=1, tz="UTC",
...                  today=dt.date(2026, 11, 21))
>>> q.metrics, q.date_range.first
(('visitors', 'pageviews'), datetime.date(2026, 11, 15))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from analytics.errors import QueryError
from analytics.periods import parse_date, resolve_period
from analytics.query import DIMENSIONS, METRICS, Filter, Query

INTERVALS = {
    "minute": "time:minute",
    "hour": "time:hour",
    "date": "time:day",
    "day": "time:day",
    "week": "time:week",
    "month": "time:month",
}
MAX_BREAKDOWN_LIMIT = 1000


def _metrics(raw: str | None) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(m.strip() for m in (raw or "visitors").split(",") if m.strip()))
    for name in names:
        if name not in METRICS:
            raise QueryError("metrics", f"unknown metric {name!r}; known: {', '.join(METRICS)}")
    if not names:
        raise QueryError("metrics", "at least one metric is required")
    return names


def parse_filters(raw: str | None) -> tuple[Filter, ...]:
    """v1 filter syntax: ``event:page==/blog;visit:country==US|DE``, ``!=`` for negation."""
    if not raw:
        return ()
    filters = []
    for clause in raw.split(";"):
        clause = clause.strip()
        if not clause:
            continue
        negated = "!=" in clause
        dimension, sep, values = clause.partition("!=" if negated else "==")
        dimension = dimension.strip()
        if not sep:
            raise QueryError("filters", f"{clause!r} must look like dimension==value or dimension!=value")
        if dimension not in DIMENSIONS:
            raise QueryError("filters", f"cannot filter by {dimension!r}")
        items = tuple(v.strip() for v in values.split("|") if v.strip())
        if not items:
            raise QueryError("filters", f"{dimension} needs a value")
        filters.append(Filter("is_not" if negated else "is", dimension, items))
    return tuple(filters)


def parse_common(
    params: Mapping[str, str], *, site_id: int, tz: str, today: dt.date, earliest: dt.date | None = None
) -> Query:
    period = params.get("period") or "30d"
    date = params.get("date")
    date_range = resolve_period(
        period,
        tz,
        today=today,
        date=parse_date(date) if date and period != "custom" else None,
        custom=date if period == "custom" else None,
        earliest=earliest,
    )
    return Query(
        site_id=site_id,
        date_range=date_range,
        metrics=_metrics(params.get("metrics")),
        filters=parse_filters(params.get("filters")),
    )


def parse_compare(raw: str | None) -> bool:
    """``compare=previous_period`` asks for each metric's change; nothing else is a comparison here."""
    if raw is None or raw == "":
        return False
    if raw != "previous_period":
        raise QueryError("compare", f"{raw!r} is not supported; use previous_period")
    return True


def _positive_int(params: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryError(name, f"{raw!r} is not a whole number") from None
    if not 1 <= value <= maximum:
        raise QueryError(name, f"must be between 1 and {maximum}")
    return value


def for_timeseries(query: Query, params: Mapping[str, str]) -> Query:
    default = "hour" if query.date_range.days == 1 else "date"
    interval = params.get("interval") or default
    if interval not in INTERVALS:
        raise QueryError("interval", f"{interval!r} is not one of {', '.join(INTERVALS)}")
    return dataclasses.replace(query, dimensions=(INTERVALS[interval],))


def for_breakdown(query: Query, params: Mapping[str, str]) -> Query:
    prop = params.get("property")
    if not prop:
        raise QueryError("property", "is required, e.g. property=event:page")
    if prop not in DIMENSIONS:
        raise QueryError("property", f"cannot break down by {prop!r}")
    limit = _positive_int(params, "limit", 100, MAX_BREAKDOWN_LIMIT)
    page = _positive_int(params, "page", 1, 1_000_000)
    return dataclasses.replace(query, dimensions=(prop,), limit=limit, offset=(page - 1) * limit)


def result_key(dimension: str) -> str:
    """Plausible names a breakdown's column by the property's last part: ``visit:source`` -> ``source``."""
    return dimension.split(":")[-1]

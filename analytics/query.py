"""The typed Query and the pure function that turns it into SQL text plus bound parameters.

Names (metrics, dimensions, operators) come only from the registries below; values only ever become
``{pN:Type}`` parameters. Filters are data, as in ``["is", "event:page", ["/blog"]]``.

    >>> import datetime as dt
    >>> q = Query(site_id=1, date_range=DateRange(dt.date(2026, 1, 1), dt.date(2026, 1, 7), "UTC"),
    ...           metrics=("visitors",), dimensions=("event:page",))
    >>> sql, params = build_sql(q)
    >>> "{site_id:UInt64}" in sql and params["site_id"] == 1
    True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from analytics.errors import QueryError
from analytics.periods import DateRange

__all__ = ["DIMENSIONS", "METRICS", "OPERATORS", "DateRange", "Filter", "Query", "QueryError", "build_sql"]

METRICS: dict[str, str] = {
    "visitors": "uniq(visitor_id)",
    "pageviews": "countIf(name = 'pageview')",
    "events": "countIf(name != 'engagement')",
}

DIRECT = "Direct / None"

DIMENSIONS: dict[str, str] = {
    "event:page": "pathname",
    "event:hostname": "hostname",
    "event:name": "name",
    "visit:source": f"if(referrer_source = '', '{DIRECT}', referrer_source)",
    "visit:referrer": f"if(referrer = '', '{DIRECT}', referrer)",
    "visit:channel": "channel",
    "visit:utm_medium": "utm_medium",
    "visit:utm_source": "utm_source",
    "visit:utm_campaign": "utm_campaign",
    "visit:utm_content": "utm_content",
    "visit:utm_term": "utm_term",
    "visit:country": "country_code",
    "visit:region": "region",
    "visit:city": "city",
    "visit:browser": "browser",
    "visit:browser_version": "browser_version",
    "visit:os": "os",
    "visit:os_version": "os_version",
    "visit:device": "device",
    "visit:screen": "screen_size",
}

# Time buckets come back as local-time text ("2026-11-21", "2026-11-21 13:00:00"), never as datetimes
# whose zone a driver could reinterpret.
TIME_DIMENSIONS: dict[str, str] = {
    "time:minute": "formatDateTime(timestamp, '%Y-%m-%d %H:%i:00', {tz:String})",
    "time:hour": "formatDateTime(timestamp, '%Y-%m-%d %H:00:00', {tz:String})",
    "time:day": "toString(toDate(timestamp, {tz:String}))",
    "time:week": "toString(toMonday(timestamp, {tz:String}))",
    "time:month": "toString(toStartOfMonth(timestamp, {tz:String}))",
}

# Dimensions whose empty value means "not known" and is left out of breakdowns.
_SKIP_EMPTY = {name for name in DIMENSIONS if name not in {"visit:source", "visit:referrer", "visit:channel"}}

# operator -> SQL template over {col} and the bound parameter {param}; values arrive as Array(String).
OPERATORS: dict[str, str] = {
    "is": "{col} IN {param}",
    "is_not": "{col} NOT IN {param}",
    "contains": "multiSearchAnyCaseInsensitiveUTF8({col}, {param})",
    "contains_not": "NOT multiSearchAnyCaseInsensitiveUTF8({col}, {param})",
}

MAX_LIMIT = 10_000


@dataclasses.dataclass(frozen=True)
class Filter:
    operator: str
    dimension: str
    values: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Query:
    site_id: int
    date_range: DateRange
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    order_by: tuple[tuple[str, str], ...] = ()
    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if not self.metrics:
            raise QueryError("metrics", "at least one metric is required")
        for metric in self.metrics:
            if metric not in METRICS:
                raise QueryError("metrics", f"unknown metric {metric!r}")
        for dimension in self.dimensions:
            if dimension not in DIMENSIONS and dimension not in TIME_DIMENSIONS:
                raise QueryError("dimensions", f"unknown dimension {dimension!r}")
        for flt in self.filters:
            if flt.operator not in OPERATORS:
                raise QueryError("filters", f"unknown operator {flt.operator!r}")
            if flt.dimension not in DIMENSIONS:
                raise QueryError("filters", f"cannot filter by {flt.dimension!r}")
        for name, direction in self.order_by:
            if name not in self.metrics and name not in self.dimensions:
                raise QueryError("order_by", f"{name!r} is neither a requested metric nor a dimension")
            if direction not in {"asc", "desc"}:
                raise QueryError("order_by", f"direction must be asc or desc, got {direction!r}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}")
        if self.offset < 0:
            raise QueryError("page", "must be 1 or more")

    @property
    def time_dimension(self) -> str | None:
        return next((d for d in self.dimensions if d in TIME_DIMENSIONS), None)


def _dimension_sql(name: str) -> str:
    return TIME_DIMENSIONS.get(name) or DIMENSIONS[name]


def build_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """SQL text (names from the registries only) and its bound parameters (every outside value)."""
    start, end = query.date_range.bounds_utc()
    params: dict[str, Any] = {
        "site_id": query.site_id,
        "start": start.replace(tzinfo=None),
        "end": end.replace(tzinfo=None),
        "tz": query.date_range.tz,
    }
    where = [
        "site_id = {site_id:UInt64}",
        "timestamp >= {start:DateTime64(3, 'UTC')}",
        "timestamp < {end:DateTime64(3, 'UTC')}",
    ]
    for index, flt in enumerate(query.filters):
        key = f"f{index}"
        params[key] = list(flt.values)
        where.append(
            "("
            + OPERATORS[flt.operator].format(col=DIMENSIONS[flt.dimension], param=f"{{{key}:Array(String)}}")
            + ")"
        )
    aliases = [f"d{index}" for index in range(len(query.dimensions))]
    for name in query.dimensions:
        if name in _SKIP_EMPTY:
            where.append(f"{DIMENSIONS[name]} != ''")
    if "event:page" in query.dimensions and not any(f.dimension == "event:name" for f in query.filters):
        where.append("name = 'pageview'")  # top pages are pages viewed, not custom events fired there
    select = [
        f"{_dimension_sql(name)} AS {alias}" for name, alias in zip(query.dimensions, aliases, strict=True)
    ]
    select += [f"{METRICS[name]} AS `{name}`" for name in query.metrics]
    # Every name above comes from a registry; every outside value is a {param:Type} placeholder.
    sql = f"SELECT {', '.join(select)} FROM events WHERE {' AND '.join(where)}"  # noqa: S608
    if aliases:
        sql += f" GROUP BY {', '.join(aliases)}"
        sql += f" ORDER BY {_order_sql(query, aliases)}"
        params["limit"] = query.limit
        params["offset"] = query.offset
        sql += " LIMIT {limit:UInt32} OFFSET {offset:UInt32}"
    return sql, params


def _order_sql(query: Query, aliases: Sequence[str]) -> str:
    by_name = dict(zip(query.dimensions, aliases, strict=True))
    order = list(query.order_by)
    if not order:
        time_dim = query.time_dimension
        order = [(time_dim, "asc")] if time_dim else [(query.metrics[0], "desc")]
    terms = [f"{by_name.get(name, f'`{name}`')} {direction.upper()}" for name, direction in order]
    terms += [f"{alias} ASC" for alias in aliases]  # a stable order for ties
    return ", ".join(terms)

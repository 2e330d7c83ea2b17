r"""Query-string parameters of the v1 Stats API, parsed into an ``analytics.Query`` (pure functions).

Filters: ``;`` joins clauses (and), ``|`` separates one clause's values (or; ``\|`` is a literal
pipe), ``==`` is, ``!=`` is not, ``~`` contains, ``!~`` does not contain; ``*``/``**`` wildcards.

>>> import datetime as dt
>>> q = parse_common({"period": "7d", "metrics": "visitors,pageviews"}, site_id=1, tz="UTC",
...                  today=dt.date(2026, 11, 21))
>>> q.metrics, q.date_range.first
(('visitors', 'pageviews'), datetime.date(2026, 11, 15))
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from analytics import (
    COMPARISON_MODES,
    GOAL,
    METRICS,
    PROPS_PREFIX,
    DateRange,
    Filter,
    Goal,
    Query,
    QueryError,
    comparison_range,
    custom_range,
    find_dimension,
    parse_date,
    resolve_period,
)

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


# The dimension is every character before the first operator character, taken greedily: no spaces
# to give back, so a clause is split in linear time (a lazy dimension then \s* was quadratic).
_CLAUSE = re.compile(r"^(?P<dimension>[^=!~]*)(?P<op>==|!=|!~|~)(?P<values>.*)$", re.DOTALL)
_V1_OPERATORS = {"==": "is", "!=": "is_not", "~": "contains", "!~": "contains_not"}
_PIPE = re.compile(r"(?<!\\)\|")


def parse_filters(raw: str | None) -> tuple[Filter, ...]:
    """v1 filter syntax: ``event:page==/blog/**;visit:country==US|DE;event:props:plan!~free``."""
    if not raw:
        return ()
    filters = []
    for clause in raw.split(";"):
        clause = clause.strip()
        if not clause:
            continue
        match = _CLAUSE.match(clause)
        if match is None:
            raise QueryError("filters", f"{clause!r} must look like dimension==value (or !=, ~, !~)")
        dimension = match["dimension"].strip()
        if find_dimension(dimension) is None:
            raise QueryError("filters", f"cannot filter by {dimension!r}")
        values = (v.replace("\\|", "|").strip() for v in _PIPE.split(match["values"]))
        items = tuple(v for v in values if v)
        if not items:
            raise QueryError("filters", f"{dimension} needs a value")
        filters.append(Filter(_V1_OPERATORS[match["op"]], dimension, items))
    return tuple(filters)


def parse_common(
    params: Mapping[str, str],
    *,
    site_id: int,
    tz: str,
    today: dt.date,
    earliest: Callable[[], dt.date] | None = None,
    goals: tuple[Goal, ...] = (),
    now: dt.datetime | None = None,
    kind: str = "aggregate",
) -> Query:
    """The Query of an aggregate, a timeseries (one time dimension) or a breakdown (``property``)."""
    period = params.get("period") or "30d"
    date = params.get("date")
    date_range = resolve_period(
        period,
        tz,
        today=today,
        date=parse_date(date) if date and period != "custom" else None,
        custom=date if period == "custom" else None,
        earliest=earliest,
        now=now,
    )
    metrics = _metrics(params.get("metrics"))
    shape: dict[str, Any] = {}
    if kind == "timeseries":
        shape = {"dimensions": (_interval(date_range, params),)}
    elif kind == "breakdown":
        shape = _breakdown(params)
        shape["order_by"] = parse_order_by(params.get("order_by"), metrics, shape["dimensions"][0])
    query = Query(
        site_id=site_id,
        date_range=date_range,
        metrics=metrics,
        filters=parse_filters(params.get("filters")),
        goals=goals,
        **shape,
    )
    return _group_rates(query)


COMPARISONS = COMPARISON_MODES
FLAGS = {"true": True, "false": False}


def parse_compare(params: Mapping[str, str], date_range: DateRange, *, today: dt.date) -> DateRange | None:
    """The range to compare with (``analytics.comparison_range``), or None when nothing is compared:
    ``compare=previous_period|year_over_year|custom`` (Lantern extensions but the first),
    ``compare_date=YYYY-MM-DD,YYYY-MM-DD`` with ``custom`` only, ``match_day_of_week=true|false``."""
    mode = params.get("compare") or ""
    raw_range = params.get("compare_date") or ""
    match_day = _flag(params, "match_day_of_week")
    if not mode:
        if raw_range:
            raise QueryError("compare_date", "is only for compare=custom")
        return None
    if mode not in COMPARISONS:
        raise QueryError("compare", f"{mode[:60]!r} is not supported; use {', '.join(COMPARISONS)}")
    if mode != "custom" and raw_range:
        raise QueryError("compare_date", "is only for compare=custom")
    custom = custom_range(raw_range, date_range.tz, "compare_date") if mode == "custom" else None
    return comparison_range(date_range, mode, today=today, custom=custom, match_day_of_week=match_day)


def _flag(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name) or "false"
    if raw not in FLAGS:
        raise QueryError(name, f"{raw[:60]!r} is not true or false")
    return FLAGS[raw]


def comparison_meta(other: DateRange) -> dict[str, Any]:
    """What an answer says of the range it compared with: ``{"date_range": [first, last]}``."""
    return {"date_range": [other.first.isoformat(), other.last.isoformat()]}


def _group_rates(query: Query) -> Query:
    """v1 reports a breakdown's (or a timeseries bucket's) conversion rate within its group."""
    if "conversion_rate" not in query.metrics or not query.dimensions or GOAL in query.dimensions:
        return query

    def rename(name: str) -> str:
        return "group_conversion_rate" if name == "conversion_rate" else name

    metrics = tuple(rename(m) for m in query.metrics)
    order_by = tuple((rename(name), direction) for name, direction in query.order_by)
    return dataclasses.replace(query, metrics=metrics, order_by=order_by)


ORDER_DIRECTIONS = ("asc", "desc")


def parse_order_by(raw: str | None, metrics: tuple[str, ...], prop: str) -> tuple[tuple[str, str], ...]:
    """A breakdown's ``order_by`` (a Lantern extension of v1): ``bounce_rate:asc`` or several terms,
    comma-separated (``visitors:desc,event:page:asc``), each a requested metric or the property itself,
    then ``asc`` or ``desc``. Without it, the first metric descending (then the property, for ties).

    >>> parse_order_by("visit_duration:asc,visit:source:desc", ("visitors", "visit_duration"), "visit:source")
    (('visit_duration', 'asc'), ('visit:source', 'desc'))
    """
    if not raw:
        return ()
    allowed = (*metrics, prop)
    terms: list[tuple[str, str]] = []
    for term in raw.split(","):
        name, _, direction = term.strip().rpartition(":")
        if direction not in ORDER_DIRECTIONS or not name:
            raise QueryError("order_by", f"{term[:60]!r} must be a name, a colon and asc or desc")
        if name not in allowed:
            raise QueryError("order_by", f"{name[:60]!r} is not one of {', '.join(allowed)}")
        if any(name == seen for seen, _ in terms):
            raise QueryError("order_by", f"{name} is named twice")
        terms.append((name, direction))
    return tuple(terms)


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


def _interval(date_range: DateRange, params: Mapping[str, str]) -> str:
    realtime = date_range.moments is not None
    default = "minute" if realtime else "hour" if date_range.days == 1 else "date"
    interval = params.get("interval") or default
    if interval not in INTERVALS:
        raise QueryError("interval", f"{interval!r} is not one of {', '.join(INTERVALS)}")
    if interval == "minute" and not realtime and date_range.days > 1:
        raise QueryError("interval", "minute is for period=day or period=realtime")
    return INTERVALS[interval]


def _breakdown(params: Mapping[str, str]) -> dict[str, Any]:
    prop = params.get("property")
    if not prop:
        raise QueryError("property", "is required, e.g. property=event:page")
    if find_dimension(prop) is None:
        raise QueryError("property", f"cannot break down by {prop!r}")
    limit = _positive_int(params, "limit", 100, MAX_BREAKDOWN_LIMIT)
    page = _positive_int(params, "page", 1, 1_000_000)
    return {"dimensions": (prop,), "limit": limit, "offset": (page - 1) * limit}


def result_key(dimension: str) -> str:
    """Plausible names a breakdown's column by the property's last part: ``visit:source`` -> ``source``,
    ``event:props:plan`` -> ``plan``."""
    return (
        dimension.removeprefix(PROPS_PREFIX)
        if dimension.startswith(PROPS_PREFIX)
        else dimension.split(":")[-1]
    )


def parse_funnel_id(raw: str | None) -> int:
    if not raw:
        raise QueryError("funnel", "is required: the funnel's id")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise QueryError("funnel", f"{raw!r} is not a funnel id")
    return int(raw)

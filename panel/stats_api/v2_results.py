"""Run a parsed v2 query through ``analytics.run_query`` and shape Plausible's v2 answer.

``{"results": [{"metrics": [...], "dimensions": [...]}], "meta": {...}, "query": {...}}``; with
``include.comparisons`` each row also carries ``"comparison": {"dimensions", "metrics", "change"}``.

>>> answer(parsed, domain="example.com")  # doctest: +SKIP
{'results': [{'metrics': [3], 'dimensions': []}], 'meta': {}, 'query': {...}}
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any

from analytics import MAX_LIMIT, REVENUE_METRICS, Query, run_query, time_buckets
from panel.stats_api.v2_params import V2Query
from panel.stats_api.views import _change

Row = dict[str, Any]


def answer(parsed: V2Query, *, domain: str, imports_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The answer to ``parsed``; ``imports_meta`` says whether imported data was included (and why
    not), when the body asked for it (``include.imports``)."""
    query = parsed.query
    rows, total = fetch(query, count=parsed.include.total_rows)
    results: list[dict[str, Any]] = [
        {"metrics": [row[m] for m in query.metrics], "dimensions": [row[d] for d in query.dimensions]}
        for row in rows
    ]
    if parsed.include.comparison is not None:
        before = dataclasses.replace(query, date_range=parsed.include.comparison, limit=MAX_LIMIT, offset=0)
        matched = compare(query, rows, before, fetch(before, count=False)[0])
        for result, (dims, metrics) in zip(results, matched, strict=True):
            result["comparison"] = {
                "dimensions": dims,
                "metrics": metrics,
                "change": [
                    _change(name, now, then)
                    for name, now, then in zip(query.metrics, result["metrics"], metrics, strict=True)
                ],
            }
    return {"results": results, "meta": meta(parsed, total, imports_meta), "query": echo(parsed, domain)}


def fetch(query: Query, *, count: bool) -> tuple[list[Row], int]:
    """This page of rows, and how many there are in all when ``count`` (up to MAX_LIMIT)."""
    if not query.dimensions:
        rows = run_query(query, tag="api:v2")
        return rows or [dict.fromkeys(query.metrics, 0)], 1
    if query.dimensions == (query.time_dimension,):  # a gap-filled time series, every bucket
        every = _ordered(run_query(query, tag="api:v2"), query.order_by)
    elif count:
        every = run_query(dataclasses.replace(query, limit=MAX_LIMIT, offset=0), tag="api:v2")
    else:
        return run_query(query, tag="api:v2"), 0
    return every[query.offset : query.offset + query.limit], len(every)


def _ordered(rows: list[Row], order_by: Sequence[tuple[str, str]]) -> list[Row]:
    """A filled series in the order asked for (it comes in time order, which breaks ties)."""
    for name, direction in reversed(order_by):
        rows = sorted(rows, key=lambda row: row[name], reverse=direction == "desc")
    return rows


def compare(
    query: Query, rows: list[Row], before: Query, earlier: list[Row]
) -> list[tuple[list[Any], list[Any]]]:
    """For each row, the comparison period's row of the same group: the same values, with a time
    bucket standing for the bucket at the same place in the earlier range. Missing groups are zeros
    (no revenue: null)."""
    time_dimension = query.time_dimension
    place: dict[Any, Any] = {}
    if time_dimension:
        now = time_buckets(time_dimension, query.date_range)
        then = time_buckets(time_dimension, before.date_range)
        place = dict(zip(now, then[: len(now)], strict=False))  # a shorter earlier range leaves gaps
    found = {tuple(row[d] for d in query.dimensions): row for row in earlier}
    matched = []
    for row in rows:
        dims = [place.get(row[d]) if d == time_dimension else row[d] for d in query.dimensions]
        other = found.get(tuple(dims), {})
        missing = [None if m in REVENUE_METRICS else 0 for m in query.metrics]  # as a group without data
        matched.append((dims, [other.get(m, zero) for m, zero in zip(query.metrics, missing, strict=True)]))
    return matched


def meta(parsed: V2Query, total: int, imports_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    query, include = parsed.query, parsed.include
    out: dict[str, Any] = dict(imports_meta or {})
    if include.time_labels and query.time_dimension:
        out["time_labels"] = time_buckets(query.time_dimension, query.date_range)
    if include.total_rows:
        out["total_rows"] = total
    return dict(sorted(out.items()))


def echo(parsed: V2Query, domain: str) -> dict[str, Any]:
    """The query as run, in the body's own terms (``time`` resolved, the range as local times)."""
    query = parsed.query
    zone = zoneinfo.ZoneInfo(query.date_range.tz)
    first = dt.datetime.combine(query.date_range.first, dt.time(0, 0, 0), zone)
    last = dt.datetime.combine(query.date_range.last, dt.time(23, 59, 59), zone)
    if query.date_range.moments is not None:  # an exact range: its first and last second
        start, end = query.date_range.moments
        first, last = start.astimezone(zone), (end - dt.timedelta(seconds=1)).astimezone(zone)
    order = query.order_by or (
        ((query.time_dimension, "asc"),) if query.time_dimension else ((query.metrics[0], "desc"),)
    )
    return {
        "site_id": domain,
        "metrics": list(query.metrics),
        "date_range": [first.isoformat(), last.isoformat()],
        "filters": parsed.echo_filters,
        "dimensions": list(query.dimensions),
        "order_by": [list(pair) for pair in order],
        "include": parsed.echo_include,
        "pagination": {"limit": query.limit, "offset": query.offset},
    }

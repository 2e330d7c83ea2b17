"""Run a Query: build its SQL, execute it once through the client, and shape the rows.

>>> rows = run_query(query)  # doctest: +SKIP
>>> rows[0]  # doctest: +SKIP
{'event:page': '/', 'visitors': 3}

Revenue metrics come back as money objects (``analytics.revenue``), or None for a goal without a
currency. A pattern the engine cannot compile (``matches``) is a ``QueryError`` naming filters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from analytics import client
from analytics.closed_days import read_sql
from analytics.dimensions import GOAL
from analytics.errors import QueryError
from analytics.filters import FilterNode, leaves
from analytics.query import MAX_LIMIT, REVENUE_METRICS, Query, build_sql
from analytics.revenue import money
from analytics.timebuckets import buckets

__all__ = ["check_patterns", "execute_checked", "run_query"]


def run_query(query: Query, *, tag: str = "") -> list[dict[str, Any]]:
    """Rows as dicts keyed by dimension and metric names; a lone time dimension is gap-filled."""
    if _is_timeseries(query):
        wanted = len(buckets(query.time_dimension or "", query.date_range))
        query = dataclasses.replace(query, limit=min(max(wanted, 1), MAX_LIMIT), offset=0)
    check_patterns(query.filters)
    if GOAL in query.dimensions and not query.goals:
        return []  # a breakdown by goals of a site without goals has no rows: none are read
    sql, params = read_sql(query) or build_sql(query)
    result = execute_checked(sql, params, tag=tag or f"site:{query.site_id}", max_rows=query.limit + 1)
    names = [*query.dimensions, *query.metrics]
    rows = [dict(zip(names, row, strict=True)) for row in result.rows]
    if _is_timeseries(query):
        rows = _fill(query, rows)
    if REVENUE_METRICS & set(query.metrics):
        _as_money(query, rows)
    return rows


@contextmanager
def _engine_errors() -> Iterator[None]:
    try:
        yield
    except client.ClickHouseError as exc:
        text = str(exc)
        if "Code: 427" in text or "CANNOT_COMPILE_REGEXP" in text or "cannot compile re2" in text:
            detail = text.split("error:", 1)[-1].split(".")[0].strip()
            raise QueryError(
                "filters", f"a matches pattern is not a valid RE2 expression ({detail})"
            ) from None
        raise


def execute_checked(sql: str, params: Mapping[str, Any], *, tag: str, max_rows: int) -> client.Result:
    """``client.execute``, with the engine's refusal of an invalid pattern turned into a QueryError."""
    with _engine_errors():
        return client.execute(sql, params, tag=tag, max_rows=max_rows)


def check_patterns(filters: Sequence[FilterNode]) -> None:
    """Compile every ``matches`` pattern in the engine, on a constant: an invalid one is a QueryError.

    (The query itself may never compile a pattern, e.g. when no row reaches the condition.)
    """
    patterns = sorted(
        {v for node in filters for leaf in leaves(node) if "matches" in leaf.operator for v in leaf.values}
    )
    if patterns:
        params = {f"r{index}": pattern for index, pattern in enumerate(patterns)}
        checks = ", ".join(f"match('', {{r{index}:String}})" for index in range(len(patterns)))
        execute_checked(f"SELECT {checks}", params, tag="patterns", max_rows=1)


def _is_timeseries(query: Query) -> bool:
    return query.time_dimension is not None and query.dimensions == (query.time_dimension,)


def _fill(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dimension = query.time_dimension
    assert dimension is not None
    found = {row[dimension]: row for row in rows}
    zero = dict.fromkeys(query.metrics, 0)
    return [found.get(bucket, {dimension: bucket, **zero}) for bucket in buckets(dimension, query.date_range)]


def _as_money(query: Query, rows: list[dict[str, Any]]) -> None:
    currency = query.revenue_currency()
    for row in rows:
        code = currency.get(row[GOAL], "") if isinstance(currency, dict) else currency
        for metric in REVENUE_METRICS & set(query.metrics):
            row[metric] = money(row[metric], code) if code else None

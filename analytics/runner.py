"""Run a Query: build its SQL, execute it once through the client, and shape the rows.

>>> rows = run_query(query)  # doctest: +SKIP
>>> rows[0]  # doctest: +SKIP
{'event:page': '/', 'visitors': 3}
"""

from __future__ import annotations

import dataclasses
from typing import Any

from analytics import client
from analytics.query import MAX_LIMIT, Query, build_sql
from analytics.timebuckets import buckets


def run_query(query: Query, *, tag: str = "") -> list[dict[str, Any]]:
    """Rows as dicts keyed by dimension and metric names; a lone time dimension is gap-filled."""
    if _is_timeseries(query):
        wanted = len(buckets(query.time_dimension or "", query.date_range))
        query = dataclasses.replace(query, limit=min(max(wanted, 1), MAX_LIMIT), offset=0)
    sql, params = build_sql(query)
    result = client.execute(sql, params, tag=tag or f"site:{query.site_id}", max_rows=query.limit + 1)
    names = [*query.dimensions, *query.metrics]
    rows = [dict(zip(names, row, strict=True)) for row in result.rows]
    return _fill(query, rows) if _is_timeseries(query) else rows


def _is_timeseries(query: Query) -> bool:
    return query.time_dimension is not None and query.dimensions == (query.time_dimension,)


def _fill(query: Query, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    dimension = query.time_dimension
    assert dimension is not None
    found = {row[dimension]: row for row in rows}
    zero = dict.fromkeys(query.metrics, 0)
    return [found.get(bucket, {dimension: bucket, **zero}) for bucket in buckets(dimension, query.date_range)]

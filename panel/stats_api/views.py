"""Stats API v1 endpoints: thin views from query string to ``analytics`` and back to JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse, JsonResponse

from analytics import client, run_query
from analytics.compare import change
from analytics.errors import QueryError
from analytics.periods import today_in
from analytics.query import Query
from analytics.realtime import current_visitors
from panel.stats_api import params
from panel.stats_api.auth import ApiRequest, error, stats_api


def _query(request: ApiRequest) -> Query:
    site = request.site
    return params.parse_common(
        request.GET.dict(),
        site_id=site.id,
        tz=site.timezone,
        today=today_in(site.timezone),
        earliest=site.created_at.date(),
    )


def _answer(build: Callable[[], Any]) -> HttpResponse:
    try:
        return JsonResponse(build(), safe=False)  # realtime answers a bare number
    except QueryError as exc:
        return error(400, f"{exc.field}: {exc.message}")
    except client.ClickHouseError as exc:
        if "TIMEOUT" in str(exc).upper():
            return error(503, "the query took too long; try a shorter period")
        raise


@stats_api("stats:read")
def realtime_visitors(request: ApiRequest) -> HttpResponse:
    """Plausible's ``/realtime/visitors``: a bare number, the visitors of the last five minutes."""
    return _answer(lambda: current_visitors(request.site.id, dt.datetime.now(dt.UTC)))


@stats_api("stats:read")
def aggregate(request: ApiRequest) -> HttpResponse:
    def build() -> dict[str, Any]:
        query = _query(request)
        compare = params.parse_compare(request.GET.get("compare"))
        totals = _totals(query, tag="api:aggregate")
        results: dict[str, dict[str, Any]] = {m: {"value": totals[m]} for m in query.metrics}
        if compare:
            before = _totals(
                dataclasses.replace(query, date_range=query.date_range.previous()),
                tag="api:aggregate:compare",
            )
            for metric in query.metrics:
                results[metric]["change"] = change(metric, totals[metric], before[metric])
        return {"results": results}

    return _answer(build)


def _totals(query: Query, *, tag: str) -> dict[str, Any]:
    rows = run_query(query, tag=tag)
    return rows[0] if rows else dict.fromkeys(query.metrics, 0)


def _rows(query: Query, *, key: str, tag: str) -> dict[str, Any]:
    """One result row per value of the query's single dimension, named ``key`` in the answer."""
    dimension = query.dimensions[0]
    rows = run_query(query, tag=tag)
    return {"results": [{key: row[dimension], **{m: row[m] for m in query.metrics}} for row in rows]}


@stats_api("stats:read")
def timeseries(request: ApiRequest) -> HttpResponse:
    def build() -> dict[str, Any]:
        query = params.for_timeseries(_query(request), request.GET.dict())
        return _rows(query, key="date", tag="api:timeseries")

    return _answer(build)


@stats_api("stats:read")
def breakdown(request: ApiRequest) -> HttpResponse:
    def build() -> dict[str, Any]:
        query = params.for_breakdown(_query(request), request.GET.dict())
        return _rows(query, key=params.result_key(query.dimensions[0]), tag="api:breakdown")

    return _answer(build)

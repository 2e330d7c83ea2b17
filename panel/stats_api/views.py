"""Stats API v1 endpoints: thin views from query string to ``analytics`` and back to JSON.

Every Query carries the site's goals. ``/funnel`` is a Lantern extension (Plausible has no v1 funnel
endpoint): ``GET /api/v1/stats/funnel?site_id=..&funnel=<id>&period=..&filters=..``. The aggregate
and the timeseries take ``compare`` (``params.parse_compare``) and then say which range they compared
with: ``"comparison": {"date_range": [first, last]}`` (the timeseries adds that range's ``results``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpResponse, JsonResponse

from analytics import (
    IMPORT_SKIP_WARNINGS,
    ClickHouseError,
    DateRange,
    Query,
    QueryError,
    change,
    current_visitors,
    run_funnel,
    run_query,
    today_in,
)
from panel.goals.models import Funnel, Goal
from panel.imports.queries import parse_with_imported, with_imports
from panel.sites.models import Site
from panel.stats_api import params
from panel.stats_api.auth import ApiRequest, error, stats_api


def query_for(site: Site, values: Mapping[str, str], kind: str = "aggregate") -> Query:
    """The Query that the Stats API parameters ``values`` ask of ``site`` (its timezone and goals).

    CSV exports (``panel.exports``) build their queries with it too. ``with_imported=true`` adds the
    site's imported history where the query can take it (``panel.imports.queries``).
    """
    query = params.parse_common(
        values,
        site_id=site.id,
        tz=site.timezone,
        today=today_in(site.timezone),
        earliest=site.stats_start,
        goals=Goal.objects.analytics_goals(site),
        kind=kind,
    )
    return with_imports(site, query).query if parse_with_imported(values.get("with_imported")) else query


def imports_warning(site: Site, values: Mapping[str, str], query: Query) -> dict[str, str]:
    """Plausible's v1 ``warning`` when imported data was asked for and the query left it out."""
    if not parse_with_imported(values.get("with_imported")):
        return {}
    reason = with_imports(site, query).reason
    return {"warning": IMPORT_SKIP_WARNINGS[reason]} if reason in IMPORT_SKIP_WARNINGS else {}


def _query(request: ApiRequest, kind: str = "aggregate") -> Query:
    return query_for(request.site, request.GET.dict(), kind)


def _answer(build: Callable[[], Any]) -> HttpResponse:
    try:
        return JsonResponse(build(), safe=False)  # realtime answers a bare number
    except QueryError as exc:
        return error(400, f"{exc.field}: {exc.message}")
    except ClickHouseError as exc:
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
        compare = _compare(request, query)
        totals = _totals(query, tag="api:aggregate")
        results: dict[str, dict[str, Any]] = {m: {"value": totals[m]} for m in query.metrics}
        warning = imports_warning(request.site, request.GET.dict(), query)
        if compare is None:
            return {"results": results, **warning}
        before = _totals(dataclasses.replace(query, date_range=compare), tag="api:aggregate:compare")
        for metric in query.metrics:
            results[metric]["comparison_value"] = before[metric]
            results[metric]["change"] = _change(metric, totals[metric], before[metric])
        return {"results": results, "comparison": params.comparison_meta(compare), **warning}

    return _answer(build)


def _compare(request: ApiRequest, query: Query) -> DateRange | None:
    """The range the request asks to compare with (``params.parse_compare``), or None."""
    today = today_in(request.site.timezone)
    return params.parse_compare(request.GET.dict(), query.date_range, today=today)


def _change(metric: str, now: Any, before: Any) -> int | float | None:
    """A revenue metric is a money object (or None): its change is over the values."""
    if isinstance(now, dict) or isinstance(before, dict):
        return change(metric, (now or {}).get("value", 0), (before or {}).get("value", 0))
    return None if now is None or before is None else change(metric, now, before)


def _totals(query: Query, *, tag: str) -> dict[str, Any]:
    rows = run_query(query, tag=tag)
    return rows[0] if rows else dict.fromkeys(query.metrics, 0)


def _rows(query: Query, *, key: str, tag: str) -> dict[str, Any]:
    """One result row per value of the query's single dimension, named ``key`` in the answer.

    A group conversion rate (see ``params._group_rates``) is answered under v1's name, conversion_rate.
    """
    dimension = query.dimensions[0]
    rows = run_query(query, tag=tag)
    names = {m: "conversion_rate" if m == "group_conversion_rate" else m for m in query.metrics}
    return {"results": [{key: row[dimension], **{names[m]: row[m] for m in query.metrics}} for row in rows]}


@stats_api("stats:read")
def timeseries(request: ApiRequest) -> HttpResponse:
    def build() -> dict[str, Any]:
        query = _query(request, "timeseries")
        compare = _compare(request, query)
        answer = _rows(query, key="date", tag="api:timeseries")
        if compare is not None:
            before = dataclasses.replace(query, date_range=compare)
            rows = _rows(before, key="date", tag="api:timeseries:compare")
            answer["comparison"] = {**params.comparison_meta(compare), **rows}
        return answer | imports_warning(request.site, request.GET.dict(), query)

    return _answer(build)


@stats_api("stats:read")
def breakdown(request: ApiRequest) -> HttpResponse:
    def build() -> dict[str, Any]:
        query = _query(request, "breakdown")
        rows = _rows(query, key=params.result_key(query.dimensions[0]), tag="api:breakdown")
        return rows | imports_warning(request.site, request.GET.dict(), query)

    return _answer(build)


@stats_api("stats:read")
def funnel(request: ApiRequest) -> HttpResponse:
    """A Lantern extension: one of the site's funnels, step by step (``analytics.run_funnel``)."""

    def build() -> dict[str, Any]:
        funnel_id = params.parse_funnel_id(request.GET.get("funnel"))
        stored = Funnel.objects.for_site(request.site).filter(pk=funnel_id).first()
        if stored is None:
            raise QueryError("funnel", f"no funnel {funnel_id} on this site")
        query = _query(request)
        result = run_funnel(
            request.site.id,
            query.date_range,
            stored.to_analytics(),
            query.filters,
            goals=query.goals,
            tag="api:funnel",
        )
        return {"results": result.as_dict()}

    return _answer(build)

"""The dashboard page shell (the data is fetched by the bundled ``lantern/dist/dashboard.js`` from the
Stats API) and the small JSON endpoints only the dashboard needs, for the site in ``site_id`` and the
Stats API's ``period``/``date``: what ingest filtered out per day, the custom property keys in use and
the site's funnels.
Their access is the Stats API's (the session, or a shared link's ``auth``), never an API key."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from analytics import (
    LOWER_IS_BETTER,
    PROPS_PREFIX,
    DateRange,
    Query,
    QueryError,
    dropped_events,
    first_event_day,
    run_query,
    today_in,
    top_prop_keys,
)
from panel.accounts.models import User
from panel.dashboard.nav import site_nav
from panel.goals.models import Funnel, Goal
from panel.sites.models import Site
from panel.sites.snippet import SnippetOptions, build
from panel.stats_api import params
from panel.stats_api import views as stats_views
from panel.stats_api.auth import ApiRequest, error, stats_api


def home(request: HttpRequest) -> HttpResponse:
    return redirect("sites" if request.user.is_authenticated else "login")


@login_required
def dashboard(request: HttpRequest, domain: str) -> HttpResponse:
    assert isinstance(request.user, User)
    site = get_object_or_404(
        Site.objects.for_user(request.user).select_related("organisation"), domain=domain
    )
    # No event yet: the page leads with the snippet and waits for the first pageview (onboarding).
    waiting = first_event_day(site.id, site.timezone) is None
    snippet = build(site.domain, settings.BASE_URL, SnippetOptions()).main if waiting else ""
    context = dashboard_context(site, nav=site_nav(site, request.user), waiting=waiting, snippet=snippet)
    return render(request, "dashboard/dashboard.html", context)


def dashboard_context(site: Site, **extra: Any) -> dict[str, Any]:
    """What ``dashboard/dashboard.html`` needs, for a member (``nav``: the site switcher and links) or a
    shared link (``shared_link``, ``share_auth``, ``embed``)."""
    from panel.imports.models import SiteImport

    goals = Goal.objects.for_site(site)
    revenue_goals = {goal.display_name: goal.currency for goal in goals if goal.currency}
    return {
        "site": site,
        "lower_is_better": " ".join(sorted(LOWER_IS_BETTER)),
        "revenue_goals": revenue_goals,  # the top stats show revenue under a filter on these goals
        "goal_names": [goal.display_name for goal in goals],  # the filter editor's goals
        "imported": SiteImport.objects.active_for(site),  # the toggle and note show only with one
        **extra,
    }


def _for_dashboard(
    answer: Callable[[Site, DateRange], Any],
) -> Callable[[HttpRequest], HttpResponse]:
    """A GET endpoint answering ``{"results": answer(site, date range)}``; 4xx naming the parameter."""

    @stats_api("stats:read")
    @functools.wraps(answer)
    def view(request: ApiRequest) -> HttpResponse:
        if request.api_key is not None:
            return error(403, "this endpoint serves the dashboard, not API keys")
        site = request.site
        try:
            query = params.parse_common(
                request.GET.dict(),
                site_id=site.id,
                tz=site.timezone,
                today=today_in(site.timezone),
                earliest=site.stats_start,
            )
        except QueryError as exc:
            return error(400, f"{exc.field}: {exc.message}")
        return JsonResponse({"results": answer(site, query.date_range)})

    return view


@_for_dashboard
def dropped(site: Site, date_range: DateRange) -> list[dict[str, Any]]:
    """``GET /dashboard-data/dropped``: events ingest filtered out, per UTC day and reason."""
    days = dropped_events(site.id, date_range.first, date_range.last)
    return [dataclasses.asdict(day) for day in days]


@_for_dashboard
def prop_keys(site: Site, date_range: DateRange) -> list[str]:
    """``GET /dashboard-data/prop-keys``: the custom property keys used in the period, most used first."""
    return top_prop_keys(site.id, date_range)


PROPS_METRICS = "visitors,events"  # the custom properties card's columns


@stats_api("stats:read")
def props(request: ApiRequest) -> HttpResponse:
    """``GET /dashboard-data/props``: the custom properties card in one request (no wait for the keys
    before the rows): the keys used in the period, most used first (``keys``), the one shown (``key``:
    the ``key`` asked for when it is among them, else the first) and its breakdown as the Stats API's
    ``/breakdown?property=event:props:<key>&metrics=visitors,events`` answers it (``results``), under the
    Stats API's period, filters and ``limit``."""
    if request.api_key is not None:
        return error(403, "this endpoint serves the dashboard, not API keys")
    site, values = request.site, request.GET.dict()

    def breakdown(key: str) -> Query:
        asked = {**values, "property": PROPS_PREFIX + key, "metrics": PROPS_METRICS}
        return stats_views.query_for(site, asked, "breakdown")

    try:
        date_range = breakdown("key").date_range  # every parameter checked, whatever keys there are
        keys = top_prop_keys(site.id, date_range)
        key = values.get("key", "") if values.get("key", "") in keys else (keys[0] if keys else "")
        results: list[dict[str, Any]] = []
        if key:
            query = breakdown(key)
            rows = run_query(query, tag="dashboard:props")
            results = [{key: row[query.dimensions[0]], **{m: row[m] for m in query.metrics}} for row in rows]
    except QueryError as exc:
        return error(400, f"{exc.field}: {exc.message}")
    return JsonResponse({"keys": keys, "key": key, "results": results})


@_for_dashboard
def funnels(site: Site, date_range: DateRange) -> list[dict[str, Any]]:
    """``GET /dashboard-data/funnels``: the site's funnels by name, each with the id the Stats API's
    ``/funnel`` takes (the period is not needed: a funnel is defined for every period)."""
    return [{"id": funnel.pk, "name": funnel.name} for funnel in Funnel.objects.for_site(site)]

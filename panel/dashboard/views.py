"""The dashboard page shell (the data is fetched by the bundled ``lantern/dist/dashboard.js`` from the
Stats API) and the one JSON endpoint only the dashboard needs: what ingest filtered out, per day."""

from __future__ import annotations

import dataclasses

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from analytics.dropped import dropped_events
from analytics.errors import QueryError
from analytics.periods import today_in
from panel.accounts.models import User
from panel.sites.models import Site
from panel.stats_api import params
from panel.stats_api.auth import ApiRequest, error, stats_api

# The list cards, in page order (their tabs are drawn by the script).
LISTS = (("sources", "Sources"), ("pages", "Pages"), ("locations", "Locations"), ("devices", "Devices"))


def home(request: HttpRequest) -> HttpResponse:
    return redirect("sites" if request.user.is_authenticated else "login")


@login_required
def dashboard(request: HttpRequest, domain: str) -> HttpResponse:
    assert isinstance(request.user, User)
    site = get_object_or_404(Site.objects.for_user(request.user), domain=domain)
    return render(request, "dashboard/dashboard.html", {"site": site, "lists": LISTS})


@stats_api("stats:read")
def dropped(request: ApiRequest) -> HttpResponse:
    """``GET /api/dashboard/dropped?site_id=&period=`` (the Stats API's period and date): events ingest
    filtered out in the period, per UTC day and reason. For the logged-in dashboard, not API keys."""
    if request.api_key is not None:
        return error(403, "this endpoint serves the dashboard's session, not API keys")
    site = request.site
    try:
        query = params.parse_common(
            request.GET.dict(),
            site_id=site.id,
            tz=site.timezone,
            today=today_in(site.timezone),
            earliest=site.created_at.date(),
        )
    except QueryError as exc:
        return error(400, f"{exc.field}: {exc.message}")
    days = dropped_events(site.id, query.date_range.first, query.date_range.last)
    return JsonResponse({"results": [dataclasses.asdict(day) for day in days]})

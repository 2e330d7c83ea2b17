"""Sites API goals, in Plausible's shapes: list, find-or-create (PUT) and delete a site's goals.

GET    /api/v1/sites/goals?site_id=example.com        {"goals": [...], "meta": {...}}
PUT    /api/v1/sites/goals   site_id, goal_type=event|page, event_name | page_path  -> the goal
DELETE /api/v1/sites/goals/<id>   site_id  -> {"deleted": true}
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import ProtectedError
from django.http import HttpRequest, HttpResponse, JsonResponse

from panel.apikeys.models import ApiKey
from panel.goals.models import Goal
from panel.sites.models import Site
from panel.sites_api.body import request_body
from panel.sites_api.views import managed_site, site_to_delete_from, with_key
from panel.stats_api.auth import error


def goal_json(goal: Goal) -> dict[str, Any]:
    return {
        "id": goal.pk,
        "display_name": goal.display_name,
        "goal_type": "event" if goal.event_name else "page",
        "event_name": goal.event_name or None,
        "page_path": goal.page_path or None,
    }


@with_key
def goals(request: HttpRequest, key: ApiKey) -> HttpResponse:
    if request.method == "GET":
        site = managed_site(key, request.GET.get("site_id"), write=False)
        if isinstance(site, HttpResponse):
            return site
        listed = [goal_json(goal) for goal in Goal.objects.for_site(site)]
        return JsonResponse({"goals": listed, "meta": {"after": None, "before": None, "limit": len(listed)}})
    if request.method != "PUT":
        return error(405, "use GET or PUT")
    data = request_body(request)
    site = managed_site(key, data.get("site_id"), write=True)
    if isinstance(site, HttpResponse):
        return site
    return _find_or_create(site, data)


def _find_or_create(site: Site, data: dict[str, str]) -> HttpResponse:
    kind = data.get("goal_type", "")
    if kind not in ("event", "page"):
        return error(400, "goal_type: must be event or page")
    field = "event_name" if kind == "event" else "page_path"
    value = data.get(field, "").strip()
    if not value:
        return error(400, f"{field}: is required for a goal_type={kind} goal")
    found = Goal.objects.filter(site=site, **{field: value}).first()
    if found is not None:
        return JsonResponse(goal_json(found))
    goal = Goal(site=site, **{field: value}, display_name=data.get("display_name", "").strip())
    try:
        goal.full_clean()
    except ValidationError as exc:
        field_name, messages = next(iter(exc.message_dict.items()))
        name = field if field_name in ("__all__", "goal") else field_name
        return error(400, f"{name}: {messages[0]}")
    goal.save()
    return JsonResponse(goal_json(goal))


@with_key
def goal(request: HttpRequest, key: ApiKey, goal_id: int) -> HttpResponse:
    site = site_to_delete_from(request, key)
    if isinstance(site, HttpResponse):
        return site
    found = Goal.objects.filter(site=site, pk=goal_id).first()
    if found is None:
        return error(404, f"goal_id: no goal {goal_id} on {site.domain}")
    try:
        found.delete()
    except ProtectedError:
        return error(400, "goal_id: a funnel uses this goal; delete the funnel first")
    return JsonResponse({"deleted": True})

"""Sites API v1, in Plausible's shapes: thin views over the site model and ``analytics`` deletion.

    GET    /api/v1/sites                  {"sites": [{"domain", "timezone"}], "meta": {...}}
    POST   /api/v1/sites                  domain, timezone -> the site
    GET    /api/v1/sites/<domain>         the site
    PUT    /api/v1/sites/<domain>         domain, timezone, retention_days -> the site
    DELETE /api/v1/sites/<domain>         {"deleted": true}; its events and visits go too

Only an API key with the sites:write scope, of a member who is an owner or admin of the site's
organisation, may call them; a site of another organisation answers 404, as one that does not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from panel.accounts.models import Membership, Role
from panel.apikeys.models import ApiKey
from panel.sites.models import Site
from panel.sites.removal import delete_site_and_data
from panel.sites_api.body import BodyError, request_body
from panel.sites_api.forms import CreateSiteForm, UpdateSiteForm, first_error
from panel.stats_api.auth import error, principal

MANAGERS = (Membership.Role.OWNER, Membership.Role.ADMIN)
MAX_LIMIT = 100


def _site_json(site: Site) -> dict[str, Any]:
    return {"domain": site.domain, "timezone": site.timezone, "retention_days": site.retention_days}


def with_key(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only an API key (never a browser session) with sites:write; the view gets the key, which reaches
    its own organisation's sites only (``ApiKey.sites``)."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not request.headers.get("Authorization"):
            return error(401, "Missing API key: send 'Authorization: Bearer <API key>'")
        user, key, failure = principal(request, "sites:write")
        if failure is not None or user is None or key is None:
            return failure or error(401, "not authenticated")
        try:
            return view(request, key, **kwargs)
        except BodyError as exc:
            return error(400, f"body: {exc}")

    return csrf_exempt(wrapper)


def managed_site(key: ApiKey, domain: str | None, *, write: bool) -> Site | HttpResponse:
    """The site ``domain`` as the key's user may see it (``write``: change it), or the error to answer."""
    domain = (domain or "").strip().lower()
    if not domain:
        return error(400, "site_id: is required (the site's domain)")
    site = key.sites().filter(domain=domain).first()
    if site is None:
        return error(404, f"site_id: no site {domain!r} that this key can manage")
    if write and not Membership.objects.has_role(key.user, site.organisation_id, Role.ADMIN):
        return error(403, "only an owner or admin of the site's organisation may change it")
    return site


def site_to_delete_from(request: HttpRequest, key: ApiKey) -> Site | HttpResponse:
    """A DELETE's site (``site_id`` in its body or query string), which the key must be able to change."""
    if request.method != "DELETE":
        return error(405, "use DELETE")
    data = request_body(request)
    return managed_site(key, data.get("site_id") or request.GET.get("site_id"), write=True)


@with_key
def sites(request: HttpRequest, key: ApiKey) -> HttpResponse:
    if request.method == "GET":
        return _list(request, key)
    if request.method == "POST":
        return _create(request, key)
    return error(405, "use GET or POST")


def _list(request: HttpRequest, key: ApiKey) -> HttpResponse:
    raw_limit = request.GET.get("limit") or str(MAX_LIMIT)
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        return error(400, f"limit: must be a whole number from 1 to {MAX_LIMIT}")
    limit = int(raw_limit)
    after = (request.GET.get("after") or "").strip().lower()
    visible = key.sites().distinct().order_by("domain")
    page = list((visible.filter(domain__gt=after) if after else visible)[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    meta = {"after": page[-1].domain if more else None, "before": after or None, "limit": limit}
    return JsonResponse({"sites": [_site_json(site) for site in page], "meta": meta})


def _create(request: HttpRequest, key: ApiKey) -> HttpResponse:
    organisation = key.organisation
    if not Membership.objects.has_role(key.user, organisation, Role.ADMIN):
        return error(403, "only an owner or admin of the organisation may add sites")
    data = request_body(request)
    data.setdefault("timezone", "UTC")
    form = CreateSiteForm(data, user=key.user)
    if not form.is_valid():
        return error(400, first_error(form))
    site = Site.objects.create(
        organisation=organisation, domain=form.cleaned_data["domain"], timezone=form.cleaned_data["timezone"]
    )
    return JsonResponse(_site_json(site))


@with_key
def site(request: HttpRequest, key: ApiKey, domain: str) -> HttpResponse:
    if request.method not in ("GET", "PUT", "DELETE"):
        return error(405, "use GET, PUT or DELETE")
    found = managed_site(key, domain, write=request.method != "GET")
    if isinstance(found, HttpResponse):
        return found
    if request.method == "GET":
        return JsonResponse(_site_json(found))
    if request.method == "DELETE":
        return _delete(found)
    form = UpdateSiteForm(request_body(request), found, key.user)
    if not form.is_valid():
        return error(400, first_error(form))
    changes = form.changes()
    if not changes:
        return error(400, "body: name at least one of domain, timezone, retention_days")
    Site.objects.filter(pk=found.pk).update(**changes)
    found.refresh_from_db()
    return JsonResponse(_site_json(found))


def _delete(found: Site) -> HttpResponse:
    delete_site_and_data(found)
    return JsonResponse({"deleted": True})

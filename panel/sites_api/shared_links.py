"""Sites API shared links, in Plausible's shape (``PUT`` finds or creates by name), plus list and delete.

GET    /api/v1/sites/shared-links?site_id=example.com   {"shared_links": [{id, name, url, ...}]}
PUT    /api/v1/sites/shared-links   site_id, name [, password]   -> {"id", "name", "url", ...}
DELETE /api/v1/sites/shared-links/<id>   site_id   -> {"deleted": true}  (the link answers 404 at once)
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from panel.apikeys.models import ApiKey
from panel.sharing.models import SharedLink
from panel.sites_api.body import request_body
from panel.sites_api.views import managed_site, site_to_delete_from, with_key
from panel.stats_api.auth import error

NAME_MAX = SharedLink._meta.get_field("name").max_length or 100
PASSWORD_MAX = 1024


def link_json(link: SharedLink) -> dict[str, Any]:
    return {
        "id": link.pk,
        "name": link.name,
        "url": settings.BASE_URL + link.path(),
        "password_protected": bool(link.password_hash),
    }


@with_key
def shared_links(request: HttpRequest, key: ApiKey) -> HttpResponse:
    if request.method == "GET":
        site = managed_site(key, request.GET.get("site_id"), write=False)
        if isinstance(site, HttpResponse):
            return site
        return JsonResponse({"shared_links": [link_json(link) for link in site.shared_links.all()]})
    if request.method != "PUT":
        return error(405, "use GET or PUT")
    data = request_body(request)
    site = managed_site(key, data.get("site_id"), write=True)
    if isinstance(site, HttpResponse):
        return site
    name = str(data.get("name", "")).strip()
    if not name:
        return error(400, "name: is required")
    if len(name) > NAME_MAX:
        return error(400, f"name: at most {NAME_MAX} characters")
    password = str(data.get("password", ""))
    if len(password) > PASSWORD_MAX:
        return error(400, f"password: at most {PASSWORD_MAX} characters")
    found = site.shared_links.filter(name=name).first()
    if found is not None:
        return JsonResponse(link_json(found))
    return JsonResponse(link_json(SharedLink.objects.create_for(site, name=name, password=password)))


@with_key
def shared_link(request: HttpRequest, key: ApiKey, link_id: int) -> HttpResponse:
    site = site_to_delete_from(request, key)
    if isinstance(site, HttpResponse):
        return site
    deleted, _ = site.shared_links.filter(pk=link_id).delete()
    if not deleted:
        return error(404, f"link_id: no shared link {link_id} on {site.domain}")
    return JsonResponse({"deleted": True})

"""Who is asking, and for which site: an API key in ``Authorization: Bearer`` or a logged-in session.

The decorator attaches ``request.site`` (and ``request.api_key`` when a key was used), so views never
parse keys. A site the caller cannot see answers 404, the same as one that does not exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django_ratelimit.core import is_ratelimited

from ingest.keys import bearer
from panel.accounts.models import User
from panel.apikeys.models import ApiKey
from panel.sites.models import Site


class ApiRequest(HttpRequest):
    site: Site  # type: ignore[assignment]  # ours, not django.contrib.sites'
    api_key: ApiKey | None


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _over_limit(request: HttpRequest, key: ApiKey) -> bool:
    """Count this request against the key's allowance (``STATS_API_RATE``, a fixed window)."""
    return bool(
        is_ratelimited(
            request,
            group="stats-api",
            key=lambda _group, _request: f"key:{key.pk}",
            rate=settings.STATS_API_RATE,
            increment=True,
        )
    )


def _principal(request: HttpRequest, scope: str) -> tuple[User | None, ApiKey | None, JsonResponse | None]:
    header = request.headers.get("Authorization", "")
    if header:
        raw = bearer(header)
        if not raw:
            return None, None, error(401, "Authorization must be 'Bearer <API key>'")
        key = ApiKey.objects.for_raw_key(raw)
        if key is None:
            return None, None, error(401, "Invalid API key")
        if not key.has_scope(scope):
            return None, None, error(403, f"this API key lacks the {scope} scope")
        if _over_limit(request, key):
            rate = settings.STATS_API_RATE
            return None, None, error(429, f"Too many requests: an API key may make {rate}; wait and retry")
        key.touch()
        return key.user, key, None
    if isinstance(request.user, User) and request.user.is_authenticated:
        return request.user, None, None
    return None, None, error(401, "Missing API key: send 'Authorization: Bearer <API key>'")


def stats_api(
    scope: str,
) -> Callable[[Callable[[ApiRequest], HttpResponse]], Callable[[HttpRequest], HttpResponse]]:
    def decorate(view: Callable[[ApiRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            if request.method != "GET":
                return error(405, "use GET")
            user, key, failure = _principal(request, scope)
            if failure is not None or user is None:
                return failure or error(401, "not authenticated")
            site_id = (request.GET.get("site_id") or "").strip().lower()
            if not site_id:
                return error(400, "site_id: is required (the site's domain)")
            sites = key.sites() if key is not None else Site.objects.for_user(user)
            site = sites.filter(domain=site_id).first()
            if site is None:
                return error(404, f"site_id: no site {site_id!r} that this account can read")
            api_request: ApiRequest = request  # type: ignore[assignment]
            api_request.site = site
            api_request.api_key = key
            return view(api_request)

        return wrapper

    return decorate

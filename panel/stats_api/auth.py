"""Who is asking, and for which site: an API key in ``Authorization: Bearer``, a logged-in session, or
(``stats:read`` GETs only) a shared link's ``auth=<slug>`` parameter for that link's site.

Every caller has an allowance, counted before the query runs: an API key ``STATS_API_RATE``, a
logged-in user ``SESSION_STATS_RATE``, a shared link's viewer (client address) ``SHARED_LINK_RATE``;
exports (``export.zip``) have their own, ``EXPORT_RATE``. Beyond it the answer is 429 saying which.

The decorator attaches ``request.site`` (and ``request.api_key`` when a key was used), so views never
parse keys. A site the caller cannot see answers 404, the same as one that does not exist. POST views
(v2) read ``site_id`` from their JSON body, kept on ``request.query_body``; a POST made with the
session must pass Django's CSRF check, one made with an API key is exempt (browsers never add the
header by themselves).

Any call may carry ``snapshot=<token>`` (1 to 40 letters and digits): the calls carrying one token
within a few seconds read the days' event counts once (``analytics.one_page``). The dashboard sends one
per page load, so that events arriving while its cards load do not make each card read the open day
again; a call without it reads them afresh.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import is_ratelimited

from analytics import PAGE_TOKEN, one_page
from ingest.keys import bearer
from panel.accounts import limits
from panel.accounts.models import User
from panel.apikeys.models import ApiKey
from panel.sharing import access as sharing
from panel.sites.models import Site
from panel.stats_api.v2_params import MAX_BODY_BYTES, BodyError, load_body


class ApiRequest(HttpRequest):
    site: Site  # type: ignore[assignment]  # ours, not django.contrib.sites'
    api_key: ApiKey | None
    query_body: dict[str, Any]  # POST views: the JSON body


PAGE = "snapshot"  # the query parameter carrying a page load's token (``analytics.one_page``)


def error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _over_limit(request: HttpRequest, group: str, counted: str, rate: str) -> bool:
    """Count this request against ``counted``'s allowance in ``group`` (a fixed window of ``rate``)."""
    return bool(
        is_ratelimited(request, group=group, key=lambda _group, _request: counted, rate=rate, increment=True)
    )


def over_allowance(request: HttpRequest, site: Site, user: User | None, *, export: bool = False) -> str:
    """Count one call of a logged-in ``user`` (None: a shared link's viewer of ``site``) against its
    allowance: the 429 message when it is used up, else "".

    >>> over_allowance(request, site, None, export=True)  # doctest: +SKIP
    'Too many exports: a shared link's viewer may make 20/h; wait and retry'
    """
    who = f"user:{user.pk}" if user is not None else f"share:{site.pk}:{limits.client_ip(request)}"
    if export:
        group, rate, what = "export", settings.EXPORT_RATE, "exports"
    elif user is not None:
        group, rate, what = "stats-session", settings.SESSION_STATS_RATE, "requests"
    else:
        group, rate, what = "shared-link", settings.SHARED_LINK_RATE, "requests"
    if not _over_limit(request, group, who, rate):
        return ""
    caller = "a logged-in user" if user is not None else "a shared link's viewer"
    return f"Too many {what}: {caller} may make {rate}; wait and retry"


def principal(request: HttpRequest, scope: str) -> tuple[User | None, ApiKey | None, JsonResponse | None]:
    """The user (and key) behind the request, or the error to answer; a key counts against its rate."""
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
        rate = settings.STATS_API_RATE
        if _over_limit(request, "stats-api", f"key:{key.pk}", rate):
            return None, None, error(429, f"Too many requests: an API key may make {rate}; wait and retry")
        key.touch()
        return key.user, key, None
    if isinstance(request.user, User) and request.user.is_authenticated:
        return request.user, None, None
    return None, None, error(401, "Missing API key: send 'Authorization: Bearer <API key>'")


def _csrf_refused(request: HttpRequest) -> bool:
    """Django's own CSRF check, run by hand for session requests to a csrf_exempt (POST) view."""
    return (
        CsrfViewMiddleware(lambda _request: HttpResponse()).process_view(request, _unchecked, (), {})
        is not None
    )


def _unchecked(request: HttpRequest) -> HttpResponse:  # the check's stand-in view: not exempt
    return HttpResponse()


def _body(request: HttpRequest) -> dict[str, Any]:
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyError(413, f"the query is larger than {MAX_BODY_BYTES} bytes")
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BodyError(413, f"the query is larger than {MAX_BODY_BYTES} bytes") from None
    return load_body(raw, request.headers.get("Content-Type", ""))


def _site_id(request: HttpRequest, method: str) -> tuple[str, str, dict[str, Any]]:
    """The site asked for, the name of the field that held it, and (POST) the body."""
    if method == "GET":
        return (request.GET.get("site_id") or "").strip().lower(), "site_id", {}
    body = _body(request)
    value = body.get("site_id")
    return (value.strip().lower() if isinstance(value, str) else ""), "#/site_id", body


def stats_api(
    scope: str, *, method: str = "GET"
) -> Callable[[Callable[[ApiRequest], HttpResponse]], Callable[[HttpRequest], HttpResponse]]:
    def decorate(view: Callable[[ApiRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest) -> HttpResponse:
            token = request.GET.get(PAGE, "")
            if token and not PAGE_TOKEN.fullmatch(token):
                return error(400, f"{PAGE}: 1 to 40 letters and digits, shared by the requests of one page")
            with one_page(token):  # the requests of one dashboard page share the days' counts
                return serve(request)

        def serve(request: HttpRequest) -> HttpResponse:
            if sharing.PARAM in request.GET:
                return _as_shared_link(request, scope, method, view)
            if request.method != method:
                return error(405, f"use {method}")
            user, key, failure = principal(request, scope)
            if failure is not None or user is None:
                return failure or error(401, "not authenticated")
            if method != "GET" and key is None and _csrf_refused(request):
                return error(403, "CSRF check failed: send the csrftoken cookie's value as X-CSRFToken")
            try:
                site_id, field, body = _site_id(request, method)
            except BodyError as exc:
                return error(exc.status, exc.message)
            if not site_id:
                return error(400, f"{field}: is required (the site's domain)")
            sites = key.sites() if key is not None else Site.objects.for_user(user)
            site = sites.filter(domain=site_id).first()
            if site is None:
                return error(404, f"{field}: no site {site_id!r} that this account can read")
            if key is None and (refused := over_allowance(request, site, user)):
                return error(429, refused)
            api_request: ApiRequest = request  # type: ignore[assignment]
            api_request.site = site
            api_request.api_key = key
            api_request.query_body = body
            return view(api_request)

        return wrapper if method == "GET" else csrf_exempt(wrapper)

    return decorate


def _as_shared_link(
    request: HttpRequest, scope: str, method: str, view: Callable[[ApiRequest], HttpResponse]
) -> HttpResponse:
    """A shared link reads the stats of its own site with GET endpoints, and nothing else."""
    if request.method != "GET" or method != "GET" or scope != "stats:read":
        return error(403, "auth: a shared link can only read stats")
    site_id = (request.GET.get("site_id") or "").strip().lower()
    site = sharing.shared_site(request, site_id)
    if site is None:
        return error(404, f"auth: no shared link to {site_id!r} (revoked, or its password not given)")
    # per viewer (client address) of the site's link: a public link cannot keep the engine busy
    if refused := over_allowance(request, site, None):
        return error(429, refused)
    api_request: ApiRequest = request  # type: ignore[assignment]
    api_request.site = site
    api_request.api_key = None
    api_request.query_body = {}
    return view(api_request)

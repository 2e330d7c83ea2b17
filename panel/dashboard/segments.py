"""Saved segments' JSON endpoints, for the dashboard's "Segments" menu (``panel.dashboard.models``):

    GET    /dashboard-data/<domain>/segments       {"results": [{"id", "name", "filters"}], "can_edit"}
    POST   /dashboard-data/<domain>/segments       {"name", "filters"}  -> 201 the segment
    POST   /dashboard-data/<domain>/segments/<id>  {"name"} and/or {"filters"}  -> the segment
    DELETE /dashboard-data/<domain>/segments/<id>  -> {"deleted": true}

Members of the site's organisation and the holders of its shared links (``auth=<slug>``) read; only
its owners and admins write (anyone else 403). A site the caller cannot read, or a segment of another
site, answers 404 as one that does not exist; an API key is no way in (the caller is anonymous). Writes
are the session's and pass Django's CSRF check (``X-CSRFToken``). A name is 1 to 80 characters and
unique in the site; filters are parsed by the URL's own parser, so a bad one answers 400 naming
``filters`` as the dashboard's requests would.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse

from analytics import QueryError
from panel.accounts.models import User
from panel.dashboard.models import MAX_FILTERS, MAX_NAME, MAX_PER_SITE, Segment
from panel.sharing import access as sharing
from panel.sites.models import Site
from panel.stats_api.params import parse_filters

MAX_BODY = 64 * 1024


class FieldError(Exception):
    """A bad part of a request: answered ``status`` with ``"<field>: <message>"``."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.status = status


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _site(request: HttpRequest, domain: str) -> tuple[Site | None, User | None]:
    """The site the caller may read, and the user when they may also change its segments."""
    if sharing.PARAM in request.GET:  # a shared link's holder reads, whoever is logged in
        return sharing.shared_site(request, domain), None
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        return None, None
    site = Site.objects.for_user(user).filter(domain=domain).first()
    if site is None:
        return None, None
    return site, user if Site.objects.managed_by(user).filter(pk=site.pk).exists() else None


def _body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY:
        raise FieldError("body", f"is larger than {MAX_BODY} bytes", 413)
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise FieldError("body", "is not JSON") from None
    if not isinstance(body, dict):
        raise FieldError("body", 'must be a JSON object: {"name": "…", "filters": "…"}')
    return body


def clean_name(raw: object) -> str:
    """A segment's name: 1 to 80 characters once trimmed, none of them a control character."""
    if not isinstance(raw, str) or not raw.strip():
        raise FieldError("name", f"is required: 1 to {MAX_NAME} characters")
    name = raw.strip()
    if len(name) > MAX_NAME:
        raise FieldError("name", f"is at most {MAX_NAME} characters")
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise FieldError("name", "cannot hold control characters")
    return name


def clean_filters(raw: object) -> str:
    """Filters as the dashboard's URL holds them, checked by the same parser; at least one."""
    if not isinstance(raw, str):
        raise FieldError("filters", "is required, as in the URL: visit:source==Google|Bing;event:page~blog")
    text = raw.strip()
    if len(text) > MAX_FILTERS:
        raise FieldError("filters", f"is longer than {MAX_FILTERS} characters")
    try:
        parsed = parse_filters(text)
    except QueryError as exc:
        raise FieldError("filters", exc.message) from None
    if not parsed:
        raise FieldError("filters", "a segment needs at least one filter")
    return text


def _unique(site: Site, name: str, segment: Segment | None = None) -> None:
    taken = Segment.objects.filter(site=site, name=name)
    if segment is not None:
        taken = taken.exclude(pk=segment.pk)
    if taken.exists():
        raise FieldError("name", f"this site already has a segment called {name!r}")


def _save(segment: Segment) -> None:
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:  # the same name saved by someone else at the same moment
        raise FieldError("name", f"this site already has a segment called {segment.name!r}") from None


def _answers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The site (or 404), then the view; a ``FieldError`` becomes its JSON answer."""

    def wrapper(request: HttpRequest, domain: str, **kwargs: Any) -> HttpResponse:
        site, editor = _site(request, domain.strip().lower())
        if site is None:
            return _error(404, f"no site {domain!r} that this account can read")
        try:
            return view(request, site, editor, **kwargs)
        except FieldError as exc:
            return _error(exc.status, str(exc))

    wrapper.__name__ = wrapper.__qualname__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _refused(editor: User | None) -> JsonResponse | None:
    if editor is None:
        return _error(403, "only the site's owners and admins may change its segments")
    return None


@_answers
def segments(request: HttpRequest, site: Site, editor: User | None) -> HttpResponse:
    """The site's segments (GET), or a new one (POST)."""
    if request.method == "GET":
        found = [segment.as_json() for segment in Segment.objects.for_site(site)]
        return JsonResponse({"results": found, "can_edit": editor is not None})
    if request.method != "POST":
        return _error(405, "use GET to list the segments or POST to save one")
    if refused := _refused(editor):
        return refused
    body = _body(request)
    segment = Segment(site=site, name=clean_name(body.get("name")), created_by=editor)
    segment.filters = clean_filters(body.get("filters"))
    if Segment.objects.filter(site=site).count() >= MAX_PER_SITE:
        raise FieldError("name", f"a site has at most {MAX_PER_SITE} segments: delete one first")
    _unique(site, segment.name)
    _save(segment)
    return JsonResponse(segment.as_json(), status=201)


@_answers
def segment(request: HttpRequest, site: Site, editor: User | None, segment_id: int) -> HttpResponse:
    """Rename a segment or change its filters (POST), or delete it (DELETE)."""
    found = Segment.objects.filter(site=site, pk=segment_id).first()
    if found is None:
        return _error(404, f"no segment {segment_id} in {site.domain}")
    if request.method not in ("POST", "DELETE"):
        return _error(405, "use POST to rename a segment or DELETE to delete it")
    if refused := _refused(editor):
        return refused
    if request.method == "DELETE":
        found.delete()
        return JsonResponse({"deleted": True})
    body = _body(request)
    if "name" not in body and "filters" not in body:
        raise FieldError("name", "send a new name, new filters, or both")
    if "name" in body:
        found.name = clean_name(body["name"])
        _unique(site, found.name, found)
    if "filters" in body:
        found.filters = clean_filters(body["filters"])
    _save(found)
    return JsonResponse(found.as_json())

"""Export URLs: ``/<domain>/export.zip`` (every widget) and ``/<domain>/export/<widget>.csv``.

Both take the dashboard's Stats API parameters (``period``, ``date``, ``filters``, ``interval``).
A logged-in member of the site's organisation may export; so may a shared link of that site
(``auth=<slug>``, unlocked as for its page). Anyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from analytics import client
from analytics.errors import QueryError
from panel.accounts.models import User
from panel.exports.build import file_name, view_query, view_zip, widget_csv
from panel.exports.widgets import WIDGETS
from panel.sharing import access as sharing
from panel.sites.models import Site


def _site(request: HttpRequest, domain: str) -> Site | None:
    """The site to export, or None when the caller must log in first; 404 when it is not theirs."""
    if sharing.PARAM in request.GET:
        site = sharing.shared_site(request, domain)
    elif isinstance(request.user, User) and request.user.is_authenticated:
        site = Site.objects.for_user(request.user).filter(domain=domain).first()
    else:
        return None
    if site is None:
        raise Http404("no such site")
    return site


def _export(
    request: HttpRequest, domain: str, build: Callable[[Site], tuple[bytes, str, str]]
) -> HttpResponse:
    site = _site(request, domain)
    if site is None:
        return redirect_to_login(request.get_full_path())
    try:
        body, content_type, name = build(site)
    except QueryError as exc:
        return HttpResponse(
            f"{exc.field}: {exc.message}", status=400, content_type="text/plain; charset=utf-8"
        )
    except client.ClickHouseError as exc:
        if "TIMEOUT" in str(exc).upper():
            return HttpResponse("the export took too long; try a shorter period", status=503)
        raise
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_zip(request: HttpRequest, domain: str) -> HttpResponse:
    def build(site: Site) -> tuple[bytes, str, str]:
        query = view_query(site, request.GET.dict())
        return view_zip(query, request.GET.dict()), "application/zip", file_name(site, query, ".zip")

    return _export(request, domain, build)


@require_GET
def export_widget(request: HttpRequest, domain: str, widget: str) -> HttpResponse:
    if widget not in WIDGETS:
        raise Http404(f"no widget {widget!r}; known: {', '.join(WIDGETS)}")

    def build(site: Site) -> tuple[bytes, str, str]:
        query = view_query(site, request.GET.dict())
        body = widget_csv(query, request.GET.dict(), WIDGETS[widget])
        return body, "text/csv; charset=utf-8", file_name(site, query, ".csv", widget)

    return _export(request, domain, build)

"""Export URLs: ``/<domain>/export.zip`` (every widget) and ``/<domain>/export/<widget>.csv``.

Both take the dashboard's Stats API parameters (``period``, ``date``, ``filters``, ``interval``);
``props.csv`` also takes ``property=event:props:<key>``; ``details.csv`` (the dashboard's Details view
of one card, ``panel.exports.details``) takes the breakdown's ``property``, ``metrics`` and
``order_by``. A logged-in member of the site's organisation may export; so may a shared link of that
site (``auth=<slug>``, unlocked as for its page). Anyone else gets 404. A zip counts against
``EXPORT_RATE`` (it runs about 26 queries), a widget CSV as one stats call against the caller's stats
allowance; beyond either the answer is 429.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from analytics import PROPS_PREFIX, ClickHouseError, QueryError, find_dimension, top_prop_keys
from panel.accounts.models import User
from panel.exports.build import View, file_name, parse_view, props_rows, view_zip, widget_rows
from panel.exports.csv import write_csv
from panel.exports.details import DETAILS, details_rows
from panel.exports.widgets import PROPS, WIDGETS
from panel.sharing import access as sharing
from panel.sites.models import Site
from panel.stats_api.auth import over_allowance

Built = tuple[bytes, str, str]  # body, content type, file name


def _site(request: HttpRequest, domain: str) -> tuple[Site, User | None] | None:
    """The site to export and the logged-in user (None: a shared link's viewer), or None when the
    caller must log in first; 404 when it is not theirs."""
    user = request.user if isinstance(request.user, User) and request.user.is_authenticated else None
    if sharing.PARAM in request.GET:
        site, user = sharing.shared_site(request, domain), None
    elif user is not None:
        site = Site.objects.for_user(user).filter(domain=domain).first()
    else:
        return None
    if site is None:
        raise Http404("no such site")
    return site, user


def _export(
    request: HttpRequest, domain: str, build: Callable[[View], Built], *, whole: bool = False
) -> HttpResponse:
    found = _site(request, domain)
    if found is None:
        return redirect_to_login(request.get_full_path())
    site, user = found
    if refused := over_allowance(request, site, user, export=whole):
        return HttpResponse(refused, status=429, content_type="text/plain; charset=utf-8")
    try:
        body, content_type, name = build(parse_view(site, request.GET.dict()))
    except QueryError as exc:
        return HttpResponse(
            f"{exc.field}: {exc.message}", status=400, content_type="text/plain; charset=utf-8"
        )
    except ClickHouseError as exc:
        if "TIMEOUT" in str(exc).upper():
            return HttpResponse("the export took too long; try a shorter period", status=503)
        raise
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, name) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response


def _prop_key(request: HttpRequest) -> str:
    """The custom property ``props.csv`` lists: ``property=event:props:<key>``."""
    prop = request.GET.get("property") or ""
    if not prop.startswith(PROPS_PREFIX) or find_dimension(prop) is None:
        raise QueryError("property", "name the custom property, e.g. property=event:props:plan")
    return prop.removeprefix(PROPS_PREFIX)


@require_GET
def export_zip(request: HttpRequest, domain: str) -> HttpResponse:
    def build(view: View) -> Built:
        keys = top_prop_keys(view.site.id, view.totals.date_range)
        return view_zip(view, prop_keys=keys), "application/zip", file_name(view, ".zip")

    return _export(request, domain, build, whole=True)


@require_GET
def export_widget(request: HttpRequest, domain: str, widget: str) -> HttpResponse:
    if widget not in WIDGETS and widget not in (PROPS, DETAILS):
        raise Http404(f"no widget {widget!r}; known: {', '.join([*WIDGETS, PROPS, DETAILS])}")

    def build(view: View) -> Built:
        if widget == DETAILS:
            columns, rows = details_rows(view.site, request.GET.dict())
        elif widget == PROPS:
            columns, rows = props_rows(view, [_prop_key(request)])
        else:
            columns, rows = widget_rows(view, WIDGETS[widget])
        return write_csv(rows, columns), "text/csv; charset=utf-8", file_name(view, ".csv", widget)

    return _export(request, domain, build)

"""The full export's pages, a tab of the site's settings: ask for one, watch its progress (HTML, or JSON
for scripts), download it (from the page once it is done, or the emailed link).

Only owners and admins of the site's organisation may ask or watch (``site_admin``); the download needs
both the emailed signed link (which expires) and a logged-in owner or admin of the site's organisation.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from panel.accounts.models import User
from panel.reports.full_export import download_token, export_dir, read_download_token, start_export
from panel.reports.models import SiteExport
from panel.sites.access import site_admin
from panel.sites.models import Site
from panel.sites.pages import settings_page

TAB = "export"


@require_http_methods(["GET", "POST"])
@site_admin
def export_page(request: HttpRequest, site: Site) -> HttpResponse:
    if request.method == "POST":
        assert isinstance(request.user, User)
        export = start_export(site, request.user)
        return redirect("site-export-status", domain=site.domain, export_id=export.pk)
    recent = [(e, _download(e)) for e in SiteExport.objects.filter(site=site).order_by("-created_at")[:5]]
    return settings_page(request, site, "sites/settings/export.html", TAB, recent=recent)


@require_GET
@site_admin
def export_status(request: HttpRequest, site: Site, export_id: int) -> HttpResponse:
    export = get_object_or_404(SiteExport, pk=export_id, site=site)
    download = _download(export)
    return settings_page(
        request, site, "sites/settings/export_status.html", TAB, export=export, download=download
    )


def _download(export: SiteExport) -> str:
    """The download link of a finished export whose file is still kept (what the mail links to), or ""."""
    if export.status != SiteExport.Status.DONE or not export.file_name:
        return ""
    if not (export_dir() / export.file_name).is_file():
        return ""
    return reverse("site-export-download", args=[download_token(export.pk)])


@require_GET
@site_admin
def export_status_json(request: HttpRequest, site: Site, export_id: int) -> HttpResponse:
    export = get_object_or_404(SiteExport, pk=export_id, site=site)
    return JsonResponse({"id": export.pk, "status": export.status, "percent": export.percent})


@require_GET
@login_required
def export_download(request: HttpRequest, token: str) -> HttpResponseBase:
    assert isinstance(request.user, User)
    export_id = read_download_token(token)
    if export_id is None:
        raise Http404("this download link is not valid or has expired")
    export = get_object_or_404(SiteExport.objects.downloadable_by(request.user), pk=export_id)
    path = export_dir() / export.file_name
    if not export.file_name or not path.is_file():
        raise Http404("this export's file is gone; ask for a new one")
    response = FileResponse(path.open("rb"), as_attachment=True, filename=export.file_name)
    response["Cache-Control"] = "private, no-store"
    return response

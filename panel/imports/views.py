"""The imports tab of a site's settings (owners and admins): upload an export, watch its progress
(HTML, or JSON for scripts), remove the imported data.

The upload is streamed to a temporary file on disk (``TemporaryFileUploadHandler``), never held in
memory; the WSGI layer lets this one request's body through unbuffered (``panel.uploads``).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from panel.accounts.models import User
from panel.imports.forms import UploadForm
from panel.imports.jobs import remove_imports, start_import
from panel.imports.models import SiteImport
from panel.sites.access import site_admin
from panel.sites.models import Site
from panel.sites.pages import settings_page

TAB = "imports"


@csrf_exempt  # checked below, once the upload handlers are set (Django reads the body for the token)
@require_http_methods(["GET", "POST"])
@site_admin
def imports_page(request: HttpRequest, site: Site) -> HttpResponse:
    request.upload_handlers = [TemporaryFileUploadHandler(request)]
    return _imports_page(request, site)


@csrf_protect
def _imports_page(request: HttpRequest, site: Site) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["export"]
        assert isinstance(upload, TemporaryUploadedFile) and isinstance(request.user, User)
        record = start_import(
            site, request.user, Path(upload.temporary_file_path()), str(upload.name), form.wanted()
        )
        return redirect("site-import-status", domain=site.domain, import_id=record.pk)
    recent = SiteImport.objects.filter(site=site).order_by("-created_at")[:5]
    active = SiteImport.objects.active_for(site)
    return settings_page(
        request, site, "sites/settings/imports.html", TAB, form=form, recent=recent, active=active
    )


@require_GET
@site_admin
def import_status(request: HttpRequest, site: Site, import_id: int) -> HttpResponse:
    record = get_object_or_404(SiteImport, pk=import_id, site=site)
    return settings_page(request, site, "sites/settings/import_status.html", TAB, record=record)


@require_GET
@site_admin
def import_status_json(request: HttpRequest, site: Site, import_id: int) -> HttpResponse:
    record = get_object_or_404(SiteImport, pk=import_id, site=site)
    return JsonResponse(
        {"id": record.pk, "status": record.status, "percent": record.percent, "error": record.error or None}
    )


@require_POST
@site_admin
def remove(request: HttpRequest, site: Site) -> HttpResponse:
    count = remove_imports(site)
    messages.success(request, "The imported data is removed." if count else "There was no imported data.")
    return redirect("site-imports", domain=site.domain)

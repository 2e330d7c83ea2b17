"""Rendering a site's settings page: the site and its tab in the context, and 400 when a form that was
sent has errors (so tests and clients see the rejection in the status, not only in the page)."""

from __future__ import annotations

from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from panel.sites.models import Site


def settings_page(
    request: HttpRequest, site: Site, template: str, tab: str, **context: object
) -> HttpResponse:
    forms = [value for value in context.values() if isinstance(value, BaseForm)]
    status = 400 if any(form.is_bound and form.errors for form in forms) else 200
    return render(request, template, {"site": site, "tab": tab, **context}, status=status)

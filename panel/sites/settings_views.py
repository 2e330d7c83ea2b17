"""A site's settings pages, for its owners and admins: general, shields, the tracker snippet, and the
danger zone (reset its stats, delete it). Shared links are managed in ``panel.sharing``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from analytics import delete_site_data
from panel.sites.access import site_admin
from panel.sites.forms import ConfirmDomainForm, GeneralForm, ShieldsForm, SnippetForm
from panel.sites.models import Site
from panel.sites.pages import settings_page
from panel.sites.removal import delete_site_and_data
from panel.sites.snippet import SnippetOptions, build


def _settings_form(
    request: HttpRequest, site: Site, form_class: type[GeneralForm | ShieldsForm], tab: str, saved: str
) -> HttpResponse:
    """A form over the site's own fields: saved and back to the page, or shown with its errors."""
    form = form_class(request.POST or None, instance=site)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, saved)
        return redirect(request.path)
    return settings_page(request, site, f"sites/settings/{tab}.html", tab, form=form)


@require_http_methods(["GET", "POST"])
@site_admin
def general(request: HttpRequest, site: Site) -> HttpResponse:
    return _settings_form(request, site, GeneralForm, "general", "Saved.")


@require_http_methods(["GET", "POST"])
@site_admin
def shields(request: HttpRequest, site: Site) -> HttpResponse:
    return _settings_form(
        request, site, ShieldsForm, "shields", "Saved. Ingest applies the shields within a few seconds."
    )


@require_http_methods(["GET"])
@site_admin
def snippet(request: HttpRequest, site: Site) -> HttpResponse:
    form = SnippetForm(request.GET or None)
    options = form.options() if form.is_bound and form.is_valid() else SnippetOptions()
    built = build(site.domain, settings.BASE_URL, options)
    return settings_page(request, site, "sites/settings/snippet.html", "snippet", form=form, snippet=built)


def _danger_page(
    request: HttpRequest,
    site: Site,
    *,
    reset_form: ConfirmDomainForm | None = None,
    delete_form: ConfirmDomainForm | None = None,
) -> HttpResponse:
    return settings_page(
        request,
        site,
        "sites/settings/danger.html",
        "danger",
        reset_form=reset_form or ConfirmDomainForm(domain=site.domain, prefix="reset"),
        delete_form=delete_form or ConfirmDomainForm(domain=site.domain, prefix="delete"),
    )


@require_http_methods(["GET"])
@site_admin
def danger(request: HttpRequest, site: Site) -> HttpResponse:
    return _danger_page(request, site)


@require_POST
@site_admin
def reset_stats(request: HttpRequest, site: Site) -> HttpResponse:
    """Delete every event, visit and drop count of the site; the site and its settings stay."""
    form = ConfirmDomainForm(request.POST, domain=site.domain, prefix="reset")
    if not form.is_valid():
        return _danger_page(request, site, reset_form=form)
    delete_site_data(site.id)
    messages.success(request, f"Every recorded event of {site.domain} is deleted.")
    return redirect("site-settings-danger", domain=site.domain)


@require_POST
@site_admin
def delete_site(request: HttpRequest, site: Site) -> HttpResponse:
    """Delete the site with its settings, goals, funnels, links and its data in ClickHouse."""
    form = ConfirmDomainForm(request.POST, domain=site.domain, prefix="delete")
    if not form.is_valid():
        return _danger_page(request, site, delete_form=form)
    domain = site.domain
    delete_site_and_data(site)
    messages.success(request, f"{domain} and all its data are deleted.")
    return redirect("sites")

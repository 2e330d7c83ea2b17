"""Managing a site's shared links (its owners and admins): list, create, revoke (asked first)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from panel.accounts.models import User
from panel.confirm import confirm_page
from panel.sharing.forms import SharedLinkForm
from panel.sharing.models import SharedLink
from panel.sites.access import site_admin
from panel.sites.models import Site
from panel.sites.pages import settings_page


@require_http_methods(["GET", "POST"])
@site_admin
def links(request: HttpRequest, site: Site) -> HttpResponse:
    form = SharedLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        by = request.user if isinstance(request.user, User) else None
        link = SharedLink.objects.create_for(
            site, name=form.cleaned_data["name"], password=form.cleaned_data["password"], by=by
        )
        messages.success(request, f"Shared link “{link.name}” created.")
        return redirect("site-settings-links", domain=site.domain)
    return settings_page(
        request,
        site,
        "sharing/links.html",
        "links",
        form=form,
        links=site.shared_links.all(),
        base_url=settings.BASE_URL,
    )


@require_http_methods(["GET", "POST"])
@site_admin
def revoke(request: HttpRequest, site: Site, link_id: int) -> HttpResponse:
    """GET asks; POST deletes the link: from now on its URL answers 404."""
    link = get_object_or_404(site.shared_links, pk=link_id)
    if request.method != "POST":
        return confirm_page(
            request,
            question=f"Revoke the shared link “{link.name}”?",
            consequence="Its URL and every page that embeds it show nothing from now on. "
            "This cannot be undone: a new link gets a new URL.",
            action="Revoke link",
            cancel_url=reverse("site-settings-links", args=[site.domain]),
            site=site,
            tab="links",
        )
    link.delete()
    messages.success(request, f"Shared link “{link.name}” revoked.")
    return redirect("site-settings-links", domain=site.domain)

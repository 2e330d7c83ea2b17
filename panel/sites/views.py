"""The site list (each site's visitors in the last 24 hours, with a sparkline), adding a site, and the
page with its tracking snippet."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from analytics import first_event_day, last_day
from panel.accounts.models import Membership, Role, User
from panel.accounts.roles import current_organisation
from panel.sites import sparkline
from panel.sites.forms import SiteForm
from panel.sites.landing import may_add_sites
from panel.sites.models import Site
from panel.sites.snippet import SnippetOptions, build


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


@login_required
def site_list(request: HttpRequest) -> HttpResponse:
    """Every site the user reaches; "add a site" and a site's settings only where their role allows."""
    user = _user(request)
    sites = list(Site.objects.for_user(user))
    traffic = last_day([site.pk for site in sites], timezone.now())
    context = {
        "sites": [(site, traffic[site.pk], sparkline.points(traffic[site.pk].hourly)) for site in sites],
        "sparkline": {"width": sparkline.WIDTH, "height": sparkline.HEIGHT},
        "managed": set(Site.objects.managed_by(user).values_list("pk", flat=True)),
        "may_add": may_add_sites(request, user),
        "current": current_organisation(request, user),
    }
    return render(request, "sites/list.html", context)


@login_required
def site_new(request: HttpRequest) -> HttpResponse:
    organisation = current_organisation(request, _user(request))  # the one switched to, else the first
    if not Membership.objects.has_role(_user(request), organisation, Role.ADMIN):
        raise PermissionDenied(f"viewers cannot add sites to {organisation.name}")
    form = SiteForm(request.POST or None, user=_user(request))
    if request.method == "POST" and form.is_valid():
        site = Site.objects.create(
            organisation=organisation,
            domain=form.cleaned_data["domain"],
            timezone=form.cleaned_data["timezone"],
        )
        return redirect("site-snippet", domain=site.domain)
    return render(request, "sites/new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def site_snippet(request: HttpRequest, domain: str) -> HttpResponse:
    site = get_object_or_404(Site.objects.for_user(_user(request)), domain=domain)
    snippet = build(site.domain, settings.BASE_URL, SnippetOptions()).main
    manages = Site.objects.managed_by(_user(request)).filter(pk=site.pk).exists()
    received = first_event_day(site.id, site.timezone) is not None
    context = {"site": site, "snippet": snippet, "manages": manages, "received": received}
    return render(request, "sites/snippet.html", context)


@login_required
def site_first_event(request: HttpRequest, domain: str) -> JsonResponse:
    """``{"received": true}`` once the site's first event is stored (the onboarding page asks)."""
    site = get_object_or_404(Site.objects.for_user(_user(request)), domain=domain)
    return JsonResponse({"received": first_event_day(site.id, site.timezone) is not None})

"""The dashboard page shell: the data is fetched by ``static/lantern/dashboard.js`` from the Stats API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from panel.accounts.models import User
from panel.sites.models import Site


def home(request: HttpRequest) -> HttpResponse:
    return redirect("sites" if request.user.is_authenticated else "login")


@login_required
def dashboard(request: HttpRequest, domain: str) -> HttpResponse:
    assert isinstance(request.user, User)
    site = get_object_or_404(Site.objects.for_user(request.user), domain=domain)
    return render(request, "dashboard/dashboard.html", {"site": site})

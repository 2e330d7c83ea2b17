"""Unsubscribing from a report through its signed link.

GET shows what the link turns off and a button; POST turns it off. The POST needs no session or CSRF
token: mail clients send it by themselves (RFC 8058 one-click, body ``List-Unsubscribe=One-Click``),
and the signed token is what authorises it, for that one member, site and kind of report only.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from panel.accounts.models import User
from panel.reports.recipients import set_subscription
from panel.reports.unsubscribe import read_token
from panel.sites.models import Site


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    target = read_token(token)
    site = Site.objects.filter(pk=target.site_id).first() if target else None
    user = User.objects.filter(pk=target.user_id).first() if target else None
    if target is None or site is None or user is None:
        return render(request, "reports/unsubscribe_invalid.html", status=404)
    context = {"site": site, "kind": target.kind, "email": user.email, "done": False}
    if request.method == "POST":
        set_subscription(site, user, target.kind, on=False)
        context["done"] = True
    return render(request, "reports/unsubscribe.html", context)

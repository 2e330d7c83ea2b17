"""The notifications page (report subscriptions, traffic alerts) and unsubscribing by signed link.

GET shows what the link turns off and a button; POST turns it off. The POST needs no session or CSRF
token: mail clients send it by themselves (RFC 8058 one-click, body ``List-Unsubscribe=One-Click``),
and the signed token is what authorises it, for that one member, site and kind of report only.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from panel.accounts.models import Membership, User
from panel.reports.forms import AlertForm, SubscriptionForm, describe_alerts
from panel.reports.models import AlertSettings, Kind
from panel.reports.recipients import recipients, set_subscription
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


def _role(site: Site, user: User) -> str | None:
    membership = Membership.objects.filter(organisation_id=site.organisation_id, user=user).first()
    return membership.role if membership else None


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest, domain: str) -> HttpResponse:
    """A member's own report subscriptions; for owners and admins also the traffic alerts (and the page
    is a tab of the site's settings). Saving says what is now on."""
    assert isinstance(request.user, User)
    user = request.user
    site = get_object_or_404(Site.objects.for_user(user), domain=domain)
    manages = _role(site, user) in (Membership.Role.OWNER, Membership.Role.ADMIN)
    alert_settings = AlertSettings.objects.filter(site=site).first() or AlertSettings(site=site)
    wanted = {kind: user in recipients(site, kind) for kind in Kind.values}
    subscription_form = SubscriptionForm(initial=wanted)
    alert_form = AlertForm(instance=alert_settings) if manages else None
    status = 200
    if request.method == "POST" and request.POST.get("form") == "subscription":
        subscription_form = SubscriptionForm(request.POST)
        if subscription_form.is_valid():
            for kind in Kind.values:
                set_subscription(site, user, kind, on=subscription_form.cleaned_data[kind])
            messages.success(request, subscription_form.describe(site.domain, user.email))
            return redirect("site-notifications", domain=site.domain)
        status = 400
    elif request.method == "POST" and request.POST.get("form") == "alerts" and manages:
        alert_form = AlertForm(request.POST, instance=alert_settings)
        if alert_form.is_valid():
            messages.success(request, describe_alerts(alert_form.save()))
            return redirect("site-notifications", domain=site.domain)
        status = 400
    elif request.method == "POST":
        status = 400
    context = {
        "site": site,
        "tab": "notifications",
        "manages": manages,
        "subscription_form": subscription_form,
        "alert_form": alert_form,
        "webhook_secret": alert_settings.webhook_secret if alert_settings.pk else "",
        "report_kinds": Kind.values,
    }
    return render(request, "reports/notifications.html", context, status=status)

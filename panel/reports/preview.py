"""Seeing a report before it comes: the latest complete period's report as a page (the email's own
HTML), and a test send of it to the member asking, now.

The preview is the email's HTML, which styles itself inline as mail clients need: its page gets a
policy allowing inline styles and nothing else (no script, no request anywhere). Test sends are
counted per member (``TEST_RATE``), as every mail a click sends is.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from analytics import today_in
from panel.accounts import limits
from panel.accounts.models import User
from panel.reports.content import gather
from panel.reports.mail import report_message
from panel.reports.models import Kind
from panel.reports.periods import ReportPeriod, latest_send_day, period_starting
from panel.sites.models import Site

TEST_RATE = "5/1h"
PREVIEW_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'self'"


def latest_period(site: Site, kind: str) -> ReportPeriod:
    """The period the last report of ``kind`` covered (or would have): the latest complete one."""
    today = today_in(site.timezone, timezone.now())
    return period_starting(kind, latest_send_day(kind, today), site.timezone)


def _site_and_kind(request: HttpRequest, domain: str, kind: str) -> tuple[Site, User]:
    if kind not in Kind.values:
        raise Http404("no such report: weekly or monthly")
    assert isinstance(request.user, User)
    return get_object_or_404(Site.objects.for_user(request.user), domain=domain), request.user


@login_required
@require_GET
def preview(request: HttpRequest, domain: str, kind: str) -> HttpResponse:
    """``GET /<domain>/notifications/preview/<kind>/``: the report as it would be mailed to you."""
    site, user = _site_and_kind(request, domain, kind)
    message = report_message(site, user, gather(site.id, latest_period(site, kind)))
    html = next(str(body) for body, mime in message.alternatives if mime == "text/html")
    response = HttpResponse(html)
    response.headers["Content-Security-Policy"] = PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@login_required
@require_POST
def send_test(request: HttpRequest, domain: str, kind: str) -> HttpResponse:
    """``POST /<domain>/notifications/test/<kind>/``: mail the latest report to you, now."""
    site, user = _site_and_kind(request, domain, kind)
    counter = ("report-test", f"user:{user.pk}", TEST_RATE)
    if wait := limits.over_limit(request, [counter]):
        return limits.too_many(request, "test reports", wait)
    limits.count(request, [counter])
    message = report_message(site, user, gather(site.id, latest_period(site, kind)))
    message.subject = f"[Test] {message.subject}"
    try:
        message.send()
    except OSError:
        messages.error(request, "We could not send the test report just now; try again in a few minutes.")
    else:
        messages.success(request, f"A test {kind} report of {site.domain} was sent to {user.email}.")
    return redirect("site-notifications", domain=site.domain)

"""A report as an email: HTML and plain text from templates (tracked values escaped by Django's
autoescaping), with RFC 8058 one-click unsubscribe headers.

    >>> message = report_message(site, user, data)  # doctest: +SKIP
    >>> message.extra_headers["List-Unsubscribe-Post"]  # doctest: +SKIP
    'List-Unsubscribe=One-Click'
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from panel.accounts.models import User
from panel.reports.chart import bars
from panel.reports.content import ReportData
from panel.reports.unsubscribe import unsubscribe_url
from panel.sites.models import Site


def report_message(site: Site, user: User, data: ReportData) -> EmailMultiAlternatives:
    kind = data.period.kind
    unsubscribe = unsubscribe_url(site_id=site.id, user_id=user.id, kind=kind)
    context = {
        "site": site,
        "data": data,
        "kind": kind,
        "bars": bars(data.series),
        "dashboard_url": f"{settings.BASE_URL}/{site.domain}/",
        "unsubscribe_url": unsubscribe,
    }
    subject = f"{kind.capitalize()} report for {site.domain}: {data.period.label}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("reports/report.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("reports/report.html", context), "text/html")
    return message

"""The report job: for every site, send each due report to each recipient exactly once.

A recipient's report is claimed first by inserting its ``Delivery`` row (unique per site, recipient,
kind and period); the job that inserted it sends, any other job running at the same time skips it.
A send that fails gives its claim back, so the next run tries again.

    >>> send_due_reports()  # doctest: +SKIP
    3
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from panel.accounts.models import User
from panel.reports.content import ReportData, gather
from panel.reports.mail import report_message
from panel.reports.models import Delivery, Kind
from panel.reports.periods import ReportPeriod, due
from panel.reports.recipients import recipients
from panel.sites.models import Site

log = logging.getLogger(__name__)


def claim(site: Site, user: User, period: ReportPeriod) -> Delivery | None:
    """Insert the delivery row; None when another job (or an earlier run) already has it."""
    try:
        with transaction.atomic():
            return Delivery.objects.create(
                site=site, user=user, kind=period.kind, period_start=period.range.first
            )
    except IntegrityError:
        return None


def send_one(site: Site, user: User, data: ReportData, delivery: Delivery) -> bool:
    try:
        report_message(site, user, data).send()
    except Exception:
        log.exception("the %s report of %s to user %s was not sent", data.period.kind, site, user.pk)
        delivery.delete()  # unclaimed: the next run tries again
        return False
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now())
    return True


def send_site_reports(site: Site, period: ReportPeriod) -> int:
    """Send one period's report of one site to everyone who wants it and has not had it; how many."""
    data: ReportData | None = None
    sent = 0
    for user in recipients(site, period.kind):
        delivery = claim(site, user, period)
        if delivery is None:
            continue
        data = data or gather(site.id, period)
        sent += send_one(site, user, data, delivery)
    return sent


def send_due_reports(now: dt.datetime | None = None) -> int:
    """Every site's due reports (the scheduled job); the number of emails sent."""
    now = now or timezone.now()
    sent = 0
    for site in Site.objects.order_by("id"):
        for kind in Kind.values:
            period = due(kind, site.timezone, now)
            if period is None or site.created_at >= period.range.bounds_utc()[1]:
                continue  # not due, or the site did not exist yet in that period
            sent += send_site_reports(site, period)
    return sent

"""Traffic spike and drop alerts (the scheduled job), by email and optionally a signed webhook.

Each site with ``AlertSettings`` is checked against its thresholds: a spike when the last hour had
more than ``spike_visitors`` visitors, a drop when it had fewer than ``drop_percent`` percent of the
usual hour (the mean of the 168 hours before). Each kind goes out at most once per 12 hours per site:
the job that moves ``last_spike_at``/``last_drop_at`` forward in one conditional UPDATE sends it. A
site whose check fails (its webhook, its data) is logged and the job goes on to the next.

    >>> decide(Thresholds(spike_visitors=100, drop_percent=None), [150, 20, 30])
    [Alert(kind='spike', visitors=150, usual=25.0)]
    >>> decide(Thresholds(spike_visitors=None, drop_percent=50), [10, 40, 40])
    [Alert(kind='drop', visitors=10, usual=40.0)]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Sequence

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from analytics import hourly_visitors
from panel.accounts.models import Membership
from panel.reports import webhooks
from panel.reports.models import AlertSettings

log = logging.getLogger(__name__)

USUAL_HOURS = 168
COOL_DOWN = dt.timedelta(hours=12)
_LAST_SENT = {"spike": "last_spike_at", "drop": "last_drop_at"}


@dataclasses.dataclass(frozen=True)
class Thresholds:
    spike_visitors: int | None
    drop_percent: int | None


@dataclasses.dataclass(frozen=True)
class Alert:
    kind: str  # "spike" or "drop"
    visitors: int  # in the last hour
    usual: float  # mean visitors of an hour in the week before


def decide(thresholds: Thresholds, counts: Sequence[int]) -> list[Alert]:
    """Which alerts the hourly counts (last hour first, then the hours before) call for."""
    if not counts:
        return []
    last, history = counts[0], counts[1:]
    usual = sum(history) / len(history) if history else 0.0
    alerts = []
    if thresholds.spike_visitors is not None and last > thresholds.spike_visitors:
        alerts.append(Alert("spike", last, usual))
    if thresholds.drop_percent is not None and usual > 0 and last * 100 < usual * thresholds.drop_percent:
        alerts.append(Alert("drop", last, usual))
    return alerts


def claim(alert_settings: AlertSettings, kind: str, now: dt.datetime) -> bool:
    """Take this kind's 12-hour slot; False when one went out within 12 hours (or another job won)."""
    field = _LAST_SENT[kind]
    free = Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lte": now - COOL_DOWN})
    return AlertSettings.objects.filter(free, pk=alert_settings.pk).update(**{field: now}) == 1


def describe(domain: str, alert: Alert) -> tuple[str, str]:
    usual = f"{alert.usual:.1f}"
    if alert.kind == "spike":
        subject = f"Traffic spike on {domain}: {alert.visitors} visitors in the last hour"
    else:
        subject = f"Traffic drop on {domain}: {alert.visitors} visitors in the last hour"
    base = django_settings.BASE_URL
    body = (
        f"{domain} had {alert.visitors} visitors in the last hour; an hour in the week before had "
        f"{usual} on average.\n\nThe dashboard: {base}{reverse('dashboard', args=[domain])}\n\n"
        "You get this because you manage this site on Lantern. Change or turn off its alerts on its "
        f"Notifications page, a tab of its settings:\n{base}{reverse('site-notifications', args=[domain])}\n"
    )
    return subject, body


def notify(alert_settings: AlertSettings, alert: Alert, now: dt.datetime) -> None:
    site = alert_settings.site
    subject, body = describe(site.domain, alert)
    managers = Membership.objects.filter(
        organisation_id=site.organisation_id,
        role__in=[Membership.Role.OWNER, Membership.Role.ADMIN],
        user__is_active=True,
    ).values_list("user__email", flat=True)
    for address in sorted(managers):
        try:
            send_mail(subject, body, None, [address])
        except Exception:
            log.exception("the %s alert of %s was not mailed", alert.kind, site.domain)
    if alert_settings.webhook_url:
        payload = {
            "event": f"traffic.{alert.kind}",
            "site": site.domain,
            "visitors_last_hour": alert.visitors,
            "usual_hourly_visitors": round(alert.usual, 1),
            "at": now.isoformat(),
        }
        webhooks.post(alert_settings.webhook_url, alert_settings.webhook_secret, payload)


def check_traffic(now: dt.datetime | None = None) -> int:
    """Check every site with thresholds (the scheduled job); the number of alerts sent."""
    now = now or timezone.now()
    sent = 0
    configured = AlertSettings.objects.select_related("site").filter(
        Q(spike_visitors__isnull=False) | Q(drop_percent__isnull=False)
    )
    for alert_settings in configured.order_by("pk"):
        try:
            sent += _check_site(alert_settings, now)
        except Exception:  # one site's failure (its webhook, its data) must not stop the others
            log.exception("the traffic alerts of %s failed", alert_settings.site.domain)
    return sent


def _check_site(alert_settings: AlertSettings, now: dt.datetime) -> int:
    sent = 0
    thresholds = Thresholds(alert_settings.spike_visitors, alert_settings.drop_percent)
    counts = hourly_visitors(alert_settings.site_id, now, USUAL_HOURS + 1)
    for alert in decide(thresholds, counts):
        if claim(alert_settings, alert.kind, now):
            notify(alert_settings, alert, now)
            sent += 1
    return sent

"""Who gets which report, which reports went out, and each site's traffic alert settings.

A member without a ``Subscription`` row gets the reports their role gives by default (owners: both
weekly and monthly; others: none). ``Delivery`` is the claim that makes a report go exactly once:
its unique constraint lets one job, of any number running at once, insert the row for a
(site, recipient, kind, period); only that job sends.
"""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.db import models

from panel.accounts.models import Membership, User
from panel.sites.models import Site


class Kind(models.TextChoices):
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Subscription(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="report_subscriptions")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="report_subscriptions")
    weekly = models.BooleanField(default=True)
    monthly = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [models.UniqueConstraint(fields=["site", "user"], name="one_subscription")]

    def __str__(self) -> str:
        return f"{self.user} reports for {self.site}"

    def wants(self, kind: str) -> bool:
        return bool(self.weekly if kind == Kind.WEEKLY else self.monthly)


def subscribed_by_default(role: str) -> bool:
    return role == Membership.Role.OWNER


class Delivery(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="report_deliveries")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="report_deliveries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period_start = models.DateField()
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["site", "user", "kind", "period_start"], name="one_delivery")
        ]

    def __str__(self) -> str:
        return f"{self.kind} report of {self.site} from {self.period_start} to {self.user}"


def new_webhook_secret() -> str:
    return secrets.token_hex(32)


MAX_SPIKE_VISITORS = 10_000_000


class AlertSettings(models.Model):
    """Notify when the last hour's visitors exceed ``spike_visitors``, or fall below ``drop_percent``
    of the usual hour (the mean over the week before); at most one of each kind per 12 hours."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="alert_settings")
    spike_visitors = models.PositiveIntegerField(null=True, blank=True)
    drop_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    webhook_url = models.URLField(max_length=500, blank=True, default="")
    webhook_secret = models.CharField(max_length=64, default=new_webhook_secret)
    last_spike_at = models.DateTimeField(null=True, blank=True)
    last_drop_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"alerts for {self.site}"


class SiteExportQuerySet(models.QuerySet["SiteExport"]):
    def downloadable_by(self, user: User) -> SiteExportQuerySet:
        """Finished exports the user may download: as for asking for one, an owner or admin of the
        site's organisation (a viewer may not take every raw event of a site)."""
        return self.filter(status=SiteExport.Status.DONE, site__in=Site.objects.managed_by(user))


class SiteExport(models.Model):
    """A full export of one site (CSV files in a zip), made in the background; ``percent`` is progress."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(User, on_delete=models.CASCADE, related_name="site_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True, default="")
    size_bytes = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SiteExportQuerySet.as_manager()

    def __str__(self) -> str:
        return f"export {self.pk} of {self.site} ({self.status}, {self.percent}%)"

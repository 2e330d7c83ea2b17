"""A site is one tracked domain owned by an organisation. Ingest reads ``lantern_site`` and
``lantern_salt`` with plain SQL (``ingest/accounts.py``), so their table names are fixed here."""

from __future__ import annotations

import re
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models

from panel.accounts.models import Organisation, User

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$|^localhost$")


def normalize_domain(raw: str) -> str:
    """``https://www.Example.com/path`` -> ``example.com``; raises ValidationError when not a domain."""
    domain = raw.strip().lower()
    domain = re.sub(r"^[a-z]+://", "", domain).split("/")[0].split(":")[0].rstrip(".").removeprefix("www.")
    if not _DOMAIN.match(domain):
        raise ValidationError("enter a domain such as example.com", code="domain")
    return domain


def validate_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(f"{name!r} is not a known timezone", code="timezone") from None


class SiteQuerySet(models.QuerySet["Site"]):
    def for_user(self, user: User) -> SiteQuerySet:
        """The sites of every organisation the user is a member of."""
        return self.filter(organisation__memberships__user=user)


class Site(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    domain = models.CharField(max_length=253, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SiteQuerySet.as_manager()

    class Meta:
        db_table = "lantern_site"
        ordering = ("domain",)

    def __str__(self) -> str:
        return self.domain


class Salt(models.Model):
    """One random secret per UTC day, for visitor ids; deleted after two days."""

    day = models.DateField(primary_key=True)
    secret = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "lantern_salt"

    def __str__(self) -> str:
        return f"salt for {self.day}"

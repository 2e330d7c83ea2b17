"""A site is one tracked domain owned by an organisation. Ingest reads ``lantern_site`` and
``lantern_salt`` with plain SQL (``ingest/accounts.py``), so their table names are fixed here."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from analytics import first_event_day
from ingest.shields import ShieldError, parse_countries, parse_hostnames, parse_networks, parse_pages
from panel.accounts.models import Membership, Organisation, User

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


def _validate_lines(parse: Callable[[str], object], text: str) -> None:
    try:
        parse(text)
    except ShieldError as exc:
        raise ValidationError(str(exc), code="shield") from None


def validate_ip_lines(text: str) -> None:
    _validate_lines(parse_networks, text)


def validate_page_lines(text: str) -> None:
    _validate_lines(parse_pages, text)


def validate_country_lines(text: str) -> None:
    _validate_lines(parse_countries, text)


def validate_hostname_lines(text: str) -> None:
    _validate_lines(parse_hostnames, text)


class SiteQuerySet(models.QuerySet["Site"]):
    def for_user(self, user: User) -> SiteQuerySet:
        """The sites of every organisation the user is a member of."""
        return self.filter(organisation__memberships__user=user)

    def managed_by(self, user: User) -> SiteQuerySet:
        """The sites whose settings the user may change: owner or admin of the site's organisation."""
        return self.filter(
            organisation__memberships__user=user,
            organisation__memberships__role__in=(Membership.Role.OWNER, Membership.Role.ADMIN),
        )

    def why_not_addable(self, domain: str, user: User | None, *, renaming: Site | None = None) -> str:
        """Why ``user`` cannot add (or rename ``renaming`` to) ``domain``, or "" when they can. A site of
        an organisation the user is in is named as theirs; one elsewhere is never confirmed to exist.

        >>> Site.objects.why_not_addable("example.com", stranger)  # doctest: +SKIP
        'This domain cannot be added. If you own it, ask its current owner to transfer it or contact support.'
        """
        taken = self.filter(domain=domain)
        if renaming is not None:
            taken = taken.exclude(pk=renaming.pk)
        if not taken.exists():
            return ""
        if user is not None and taken.filter(organisation__memberships__user=user).exists():
            return "this domain is already registered"
        return CANNOT_ADD


DEFAULT_RETENTION_DAYS = 3 * 365
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 30, 10 * 365
CANNOT_ADD = (
    "This domain cannot be added. If you own it, ask its current owner to transfer it or contact support."
)


class Site(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="sites")
    domain = models.CharField(max_length=253, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    created_at = models.DateTimeField(auto_now_add=True)
    retention_days = models.PositiveIntegerField(
        default=DEFAULT_RETENTION_DAYS,
        validators=[MinValueValidator(MIN_RETENTION_DAYS), MaxValueValidator(MAX_RETENTION_DAYS)],
    )
    # Shields, one entry a line (ingest/shields.py reads them): events matching are dropped and counted.
    excluded_ips = models.TextField(blank=True, default="", validators=[validate_ip_lines])
    excluded_pages = models.TextField(blank=True, default="", validators=[validate_page_lines])
    excluded_countries = models.TextField(blank=True, default="", validators=[validate_country_lines])
    allowed_hostnames = models.TextField(blank=True, default="", validators=[validate_hostname_lines])

    objects = SiteQuerySet.as_manager()

    class Meta:
        db_table = "lantern_site"
        ordering = ("domain",)

    def __str__(self) -> str:
        return self.domain

    def stats_start(self) -> dt.date:
        """The first day of "all time": the local day of its first event (backfilled history
        included) or of its active import, or the day it was created while it has neither."""
        from panel.imports.models import SiteImport

        created = self.created_at.astimezone(zoneinfo.ZoneInfo(self.timezone)).date()
        imported = SiteImport.objects.active_for(self)
        firsts = [first_event_day(self.id, self.timezone), imported.first_day if imported else None]
        known = [day for day in firsts if day is not None]
        return min(known) if known else created


class Salt(models.Model):
    """One random secret per UTC day, for visitor ids; deleted after two days."""

    day = models.DateField(primary_key=True)
    secret = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "lantern_salt"

    def __str__(self) -> str:
        return f"salt for {self.day}"

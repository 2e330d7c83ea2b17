"""One import of a site's history: its file, the days asked for, its status and progress, and once
loaded the days it holds. Its id is the ``import_id`` of its rows in the imported tables.

A site's active import is its newest ``done`` one holding imported days (``first_day``): queries add
only its rows. Loading a new one leaves the active one in place until the new one has loaded whole;
then the older ones are ``replaced`` and their rows deleted. "Remove imported data" marks them
``removed``. An import of Lantern's full export (``source`` lantern) adds raw events to the site's own
(``events_added``; those it already held are ``events_present``) and drop counts; it holds imported
days only when the export carried the source's own imported history.
"""

from __future__ import annotations

from django.db import models

from panel.accounts.models import User
from panel.sites.models import Site


class SiteImportQuerySet(models.QuerySet["SiteImport"]):
    def holding_days(self, site: Site) -> SiteImportQuerySet:
        """The site's loaded imports that hold imported days (their rows are in the imported tables)."""
        return self.filter(site=site, status=SiteImport.Status.DONE, first_day__isnull=False)

    def active_for(self, site: Site) -> SiteImport | None:
        """The site's active import (its newest loaded one), or None."""
        return self.holding_days(site).order_by("-finished_at", "-pk").first()


class SiteImport(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        REPLACED = "replaced"
        REMOVED = "removed"

    class Source(models.TextChoices):
        PLAUSIBLE = "plausible"
        LANTERN = "lantern"

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="imports")
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="site_imports"
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PLAUSIBLE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    file_name = models.CharField(max_length=255)  # as uploaded, for people
    stored_as = models.CharField(max_length=255, blank=True, default="")  # under $DATA_DIR/imports
    size_bytes = models.PositiveBigIntegerField(default=0)
    # The days the owner asked for (both empty: every day before the site's first native event).
    wanted_from = models.DateField(null=True, blank=True)
    wanted_to = models.DateField(null=True, blank=True)
    # The days loaded (the imported_visitors rows'), once done.
    first_day = models.DateField(null=True, blank=True)
    last_day = models.DateField(null=True, blank=True)
    rows = models.PositiveBigIntegerField(default=0)
    # A Lantern export's raw events added, those the site already held, and drop counts added.
    events_added = models.PositiveBigIntegerField(default=0)
    events_present = models.PositiveBigIntegerField(default=0)
    dropped_added = models.PositiveBigIntegerField(default=0)
    note = models.TextField(blank=True, default="")  # what the owner should know (settings not applied)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = SiteImportQuerySet.as_manager()

    def __str__(self) -> str:
        return f"import {self.pk} of {self.site} ({self.status}, {self.percent}%)"

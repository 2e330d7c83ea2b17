"""Saved segments: a named set of filters of one site, kept in the dashboard URL's own filter syntax
(``visit:source==Google|Bing;event:page~blog``, parsed by ``panel.stats_api.params.parse_filters``),
so applying one sets the URL's ``filters`` to it.

    >>> Segment.objects.for_site(site).values_list("name", "filters")  # doctest: +SKIP
    <SegmentQuerySet [('Campaign visitors', 'visit:utm_campaign==launch')]>

A site's segments are read by every member of its organisation and by its shared links, and written by
its owners and admins (``panel.dashboard.segments``). Names are unique within a site.
"""

from __future__ import annotations

from django.db import models

from panel.accounts.models import User
from panel.sites.models import Site

MAX_NAME = 80
MAX_FILTERS = 20_000  # characters of filter text: far more than the dashboard's URL ever holds
MAX_PER_SITE = 200


class SegmentQuerySet(models.QuerySet["Segment"]):
    def for_site(self, site: Site) -> SegmentQuerySet:
        return self.filter(site=site).order_by("name", "pk")


class Segment(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(max_length=MAX_NAME)
    filters = models.TextField(help_text="the dashboard URL's filters, e.g. visit:source==Google|Bing")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ("name", "pk")
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="segment_name_unique_per_site"),
        ]

    def __str__(self) -> str:
        return self.name

    def as_json(self) -> dict[str, object]:
        return {"id": self.pk, "name": self.name, "filters": self.filters}

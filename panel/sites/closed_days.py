"""The ``closed_days`` job: write every site's closed days' sums (``analytics.closed_days``), in the
site's timezone, for its goals and funnels, so its dashboard over many days reads them instead of every event.

>>> build_closed()  # doctest: +SKIP
{'example.com': 30}
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from analytics import build_closed_days, build_funnels
from panel.goals.models import Funnel, Goal
from panel.sites.models import Site


def build_closed(now: dt.datetime | None = None) -> dict[str, int]:
    """Each site's domain -> how many (kind, day) sums were written for it (its funnels' too)."""
    now = now or timezone.now()
    return {site.domain: _build_site(site, now) for site in Site.objects.order_by("id")}


def _build_site(site: Site, now: dt.datetime) -> int:
    funnels = [funnel.to_analytics() for funnel in Funnel.objects.filter(site=site)]
    written = build_closed_days(site.id, site.timezone, Goal.objects.analytics_goals(site), now)
    return written + build_funnels(site.id, funnels, now)

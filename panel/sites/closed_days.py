"""The ``closed_days`` job: write every site's closed days' sums (``analytics.closed_days``), in the
site's timezone and for its goals, so its dashboard over many days reads them instead of every event.

>>> build_closed()  # doctest: +SKIP
{'example.com': 30}
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from analytics import build_closed_days
from panel.goals.models import Goal
from panel.sites.models import Site


def build_closed(now: dt.datetime | None = None) -> dict[str, int]:
    """Each site's domain -> how many (dimension, day) sums were written for it."""
    now = now or timezone.now()
    return {
        site.domain: build_closed_days(site.id, site.timezone, Goal.objects.analytics_goals(site), now)
        for site in Site.objects.order_by("id")
    }

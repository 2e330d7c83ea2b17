"""Where a site's statistics begin: the local day of its first stored event.

"All time" (``period=all``) runs from there to today, so a site with backfilled history (events sent
with an older ``timestamp``) shows all of it, whenever the site was created.

    >>> first_event_day(site_id=1, tz="Europe/Berlin")  # doctest: +SKIP
    datetime.date(2025, 3, 14)
"""

from __future__ import annotations

import datetime as dt
import logging

from analytics import client
from analytics.memo import remembered, scope

log = logging.getLogger(__name__)

# Every stored event is counted in ``day_events`` (its visit day's first event time), which is kept
# with the events: written with them, deleted with them (whole visit days), re-counted by a repair.
_FIRST = "SELECT toDate(min(first_at), {tz:String}) FROM day_events WHERE site_id = {site:UInt64}"
TTL = 2.0  # seconds a process keeps the answer (every request of a page asks; ``analytics.memo``)


def first_event_day(site_id: int, tz: str) -> dt.date | None:
    """The day, in ``tz``, of the site's first event; None while it has none, or while the event
    store cannot answer (a page showing the dashboard still renders; its widgets say what failed)."""

    def read() -> dt.date | None:
        rows = client.execute(_FIRST, {"site": site_id, "tz": tz}, tag="stats_start", max_rows=1).rows
        day = rows[0][0] if rows else None
        return day if isinstance(day, dt.date) and day > dt.date(1970, 1, 1) else None

    try:
        return remembered(("first_event_day", *scope(), site_id, tz), read, ttl=TTL)
    except client.ClickHouseError as exc:
        log.warning("the first event of site %s is unknown: %s", site_id, exc)
        return None

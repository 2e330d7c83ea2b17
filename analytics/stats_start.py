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

log = logging.getLogger(__name__)

# The first UTC day comes from the sort key (site_id, toDate(timestamp), ...): one granule is read.
_FIRST = (
    "SELECT toDate(min(timestamp), {tz:String}) FROM events WHERE site_id = {site:UInt64}"
    " AND toDate(timestamp) = (SELECT toDate(timestamp) AS day FROM events"
    " WHERE site_id = {site:UInt64} ORDER BY day LIMIT 1)"
)


def first_event_day(site_id: int, tz: str) -> dt.date | None:
    """The day, in ``tz``, of the site's first event; None while it has none, or while the event
    store cannot answer (a page showing the dashboard still renders; its widgets say what failed)."""
    try:
        rows = client.execute(_FIRST, {"site": site_id, "tz": tz}, tag="stats_start", max_rows=1).rows
    except client.ClickHouseError as exc:
        log.warning("the first event of site %s is unknown: %s", site_id, exc)
        return None
    day = rows[0][0] if rows else None
    return day if isinstance(day, dt.date) and day > dt.date(1970, 1, 1) else None

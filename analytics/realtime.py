"""Current visitors: unique visitors with any event in the last five minutes, for one site.

>>> current_visitors(site_id=1, now=dt.datetime.now(dt.UTC))  # doctest: +SKIP
12
"""

from __future__ import annotations

import datetime as dt

from analytics import client

WINDOW = dt.timedelta(minutes=5)


def current_visitors(site_id: int, now: dt.datetime) -> int:
    result = client.execute(
        "SELECT uniqExact(visitor_id) FROM events"
        " WHERE site_id = {site:UInt64} AND timestamp > {since:DateTime64(3, 'UTC')}"
        " AND timestamp <= {now:DateTime64(3, 'UTC')}",
        {"site": site_id, "since": now - WINDOW, "now": now},
        tag="realtime",
    )
    return int(result.rows[0][0])

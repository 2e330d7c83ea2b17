"""The custom property keys a site's events carried in a date range, most used first, so the dashboard
can offer a breakdown (``event:props:<key>``) per key. Closed days' key counts are kept with their sums
(``analytics.closed_days``, kind ``PROP_KEYS``); the other days are read from their events.

    >>> top_prop_keys(site_id=1, date_range=DateRange(...))  # doctest: +SKIP
    ['plan', 'author']
"""

from __future__ import annotations

from analytics import client
from analytics.periods import DateRange
from analytics.query import Plan, Query
from analytics.visit_days import split, sums_rows

__all__ = ["MAX_KEYS", "PROP_KEYS", "top_prop_keys", "uses_sql"]

MAX_KEYS = 20
PROP_KEYS = "event:props"  # the sums' kind holding a day's keys (value) and their uses (p_events)


def uses_sql(plan: Plan, *, by_day: bool = False) -> str:
    """Each key among the plan's events and the events carrying it (``value``, ``p_events``; and the
    visit day, ``day``, when ``by_day``). Engagement events do not count."""
    where = [*plan.events_in_range(engagement=False, grouped=False), "key != ''"]
    day = "toDate(e.visit_start) AS day, " if by_day else ""
    return (
        f"SELECT {day}key AS value, count() AS p_events FROM events AS e ARRAY JOIN e.prop_keys AS key"  # noqa: S608
        f" WHERE {' AND '.join(where)} GROUP BY {'day, ' if by_day else ''}value"
    )


def top_prop_keys(site_id: int, date_range: DateRange, limit: int = MAX_KEYS) -> list[str]:
    """The ``limit`` keys carried by the most events (ties by name)."""
    plan = Plan(Query(site_id, date_range, ("events",)))
    summed, edges = split(site_id, date_range, [(PROP_KEYS, "")])
    parts = [uses_sql(plan)]
    if summed:
        plan.restrict_to(edges)
        rows = sums_rows(plan.bind, (PROP_KEYS, ""), summed, ["p_events"])
        parts = [uses_sql(plan), f"SELECT value, p_events FROM ({rows})"]  # noqa: S608
    union = " UNION ALL ".join(f"({part})" for part in parts)
    sql = f"SELECT value, sum(p_events) AS uses FROM ({union}) GROUP BY value ORDER BY uses DESC, value"  # noqa: S608
    result = client.execute(
        f"{sql} LIMIT {plan.bind(limit, 'UInt32')}", plan.params, tag="dashboard:prop_keys"
    )
    return [str(row[0]) for row in result.rows]

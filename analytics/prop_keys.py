"""The custom property keys a site's events carried in a date range, most used first, so the dashboard
can offer a breakdown (``event:props:<key>``) per key. Closed days' key counts are kept with their sums
(``analytics.closed_days``, kind ``PROP_KEYS``), taken with the other cards' sums of a page
(``analytics.page_sums``); the other days are read from their events.

    >>> top_prop_keys(site_id=1, date_range=DateRange(...))  # doctest: +SKIP
    ['plan', 'author']
"""

from __future__ import annotations

from collections.abc import Sequence

from analytics import client, page_sums
from analytics.page_sums import PROP_KEYS, Sums
from analytics.periods import DateRange
from analytics.query import Plan, Query, VisitDay
from analytics.visit_days import split

__all__ = ["MAX_KEYS", "PROP_KEYS", "top_prop_keys", "uses_sql"]

MAX_KEYS = 20


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
        uses = [(row[0], row[page_sums.position("p_events")]) for row in _summed(site_id, summed)]
        rows = plan.bind(uses, "Array(Tuple(String, UInt64))")
        summed_sql = f"SELECT r.1 AS value, r.2 AS p_events FROM (SELECT arrayJoin({rows}) AS r)"  # noqa: S608
        parts = [uses_sql(plan), summed_sql] if edges else [summed_sql]
    union = " UNION ALL ".join(f"({part})" for part in parts)
    sql = f"SELECT value, sum(p_events) AS uses FROM ({union}) GROUP BY value ORDER BY uses DESC, value"  # noqa: S608
    result = client.execute(
        f"{sql} LIMIT {plan.bind(limit, 'UInt32')}", plan.params, tag="dashboard:prop_keys"
    )
    return [str(row[0]) for row in result.rows]


def _summed(site_id: int, days: Sequence[VisitDay]) -> list[page_sums.Row]:
    """The keys' rows of closed ``days``, as a page's cards read them (``analytics.page_sums``)."""
    shared = page_sums.rows(site_id, Sums((PROP_KEYS, "")), days)
    assert shared is not None
    return shared

"""Visit days: the UTC day of a visit's start, the unit closed days' sums are kept in
(``analytics.closed_days``). ``split`` tells, for a date range, which visit days can be read from their
sums and which must be read from their events: each visit day's count (``day_events``; in embedded
mode, where every write is this process's, shared by the requests of one page for at most
``COUNTS_TTL`` and read again after any write; with a server, where the flusher is another process,
read afresh by every query, so its events are never counted older than its visits are read), and
which sums are written from a list a process keeps for a few seconds (``BUILT_TTL``). A day counting
more events than its sums were stamped with is read raw either way; sums written meanwhile by another
process are taken once the list is read again; sums dropped by another process while keeping the day's
count (``analytics.rederive``) stop being asked for within those seconds.

The requests of one page load may carry one token (``one_page``): those read the days' counts once for
``PAGE_TTL`` seconds, whatever events are inserted meanwhile, so that events flushed between two of its
cards do not give the later cards other keys, and so other reads of the raw days
(``analytics.open_days``). A read without a token is as above: the API's and the tests' reads after a
flush see it.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import Any

from analytics import client
from analytics.config import is_embedded_clickhouse
from analytics.filters import Binder
from analytics.memo import remembered, scope
from analytics.periods import DateRange
from analytics.query import VisitDay, part_before

__all__ = ["PAGE_TOKEN", "closed", "one_page", "split", "sums_rows"]

# A day's rows as written (parts not merged yet hold several): ``_days`` adds them up, which costs the
# engine less than a GROUP BY on a table this small.
_EVENTS = """
SELECT day, events, first_at, last_at FROM day_events
WHERE site_id = {site:UInt64} AND day BETWEEN {low:Date} AND {high:Date}
"""
# Every kind of sums written for the days: one read serves every card of a page.
_BUILT = """
SELECT DISTINCT day, stamp, dimension, variant FROM day_sums
WHERE site_id = {site:UInt64} AND marker = 1 AND day BETWEEN {low:Date} AND {high:Date}
"""
BUILT_TTL = 5.0  # seconds a process takes the written sums' list from memory (``analytics.memo``)
# Seconds the days' counts are shared in embedded mode: a page's requests arrive together, and any
# write of this process (the only writer there) is a new read (``scope``).
COUNTS_TTL = 1.0
PAGE_TTL = 5.0  # seconds the requests of one page load (``one_page``) share the days' counts
PAGE_TOKEN = re.compile(r"[A-Za-z0-9]{1,40}")  # what a page load's token may be
_page: contextvars.ContextVar[str] = contextvars.ContextVar("lantern_page", default="")


@contextlib.contextmanager
def one_page(token: str) -> Iterator[None]:
    """Within the block (this thread or task only), the days' counts are those the first read under
    ``token`` took, for ``PAGE_TTL`` seconds: the requests of one page load share them. An empty token
    changes nothing; any other must match ``PAGE_TOKEN`` (ValueError)."""
    if token and not PAGE_TOKEN.fullmatch(token):
        raise ValueError(f"a page token is 1 to 40 letters and digits, not {token[:60]!r}")
    mark = _page.set(token)
    try:
        yield
    finally:
        _page.reset(mark)


def split(
    site_id: int, date_range: DateRange, needed: Sequence[tuple[str, str]]
) -> tuple[list[VisitDay], list[VisitDay]]:
    """The visit days holding events in the range that its ``needed`` sums answer at the day's current
    count: those wholly inside it, and one the range ends in when its sums up to that end are written
    (its ``part``); and the others (read raw)."""
    start, end = (moment.replace(tzinfo=None) for moment in date_range.bounds_utc())
    params = {"site": site_id, "low": start.date() - dt.timedelta(days=1), "high": end.date()}
    written = _written(params)
    summed: list[VisitDay] = []
    edges: list[VisitDay] = []
    for visit_day in _counts(params):
        kinds = written.get((visit_day.day, visit_day.events), set())
        if visit_day.last_at < start or visit_day.first_at >= end:
            continue  # none of its events is in the range
        if visit_day.first_at < start:
            edges.append(visit_day)
        elif visit_day.last_at < end and kinds.issuperset(needed):
            summed.append(visit_day)
        elif (
            visit_day.last_at >= end
            and (part := part_before(visit_day.day, end))
            and kinds.issuperset((dimension, variant + part) for dimension, variant in needed)
        ):
            summed.append(dataclasses.replace(visit_day, part=part))
        else:
            edges.append(visit_day)
    return summed, edges


def _written(params: dict[str, Any]) -> dict[tuple[dt.date, int], set[tuple[str, str]]]:
    """The kinds of sums written for each (day, stamp), as read at most ``BUILT_TTL`` seconds ago: a day
    whose count moved on since is read raw, as one whose sums were never written."""
    key = ("built", *scope(events=False), params["site"], params["low"], params["high"])  # sums, not events

    def read() -> dict[tuple[dt.date, int], set[tuple[str, str]]]:
        written: dict[tuple[dt.date, int], set[tuple[str, str]]] = {}
        rows = client.execute(_BUILT, params, tag="closed_days", max_rows=0).rows
        for day, stamp, dimension, variant in rows:
            written.setdefault((day, int(stamp)), set()).add((dimension, variant))
        return written

    return remembered(key, read, ttl=BUILT_TTL)


def _counts(params: dict[str, Any]) -> list[VisitDay]:
    """The visit days of ``params``' range with their counts: as the page load's first request read
    them (``one_page``); else as read at most ``COUNTS_TTL`` ago and since this process's last write in
    embedded mode, afresh with a server."""

    def read() -> list[VisitDay]:
        return _days(client.execute(_EVENTS, params, tag="closed_days", max_rows=0).rows)

    days = (params["site"], params["low"], params["high"])
    if token := _page.get():  # inserts of events meanwhile are not a new read; other writes are
        return remembered(("page counts", token, *scope(events=False), *days), read, ttl=PAGE_TTL)
    if not is_embedded_clickhouse():  # another process writes: a count kept would lag its visits
        return read()
    return remembered(("counts", *scope(), *days), read, ttl=COUNTS_TTL)


def _days(rows: Sequence[Sequence[Any]]) -> list[VisitDay]:
    """``day_events`` rows added up per day, in order."""
    days: dict[dt.date, VisitDay] = {}
    for day, events, first_at, last_at in rows:
        if (seen := days.get(day)) is not None:
            events += seen.events
            first_at, last_at = min(seen.first_at, first_at), max(seen.last_at, last_at)
        days[day] = VisitDay(day, int(events), first_at, last_at)
    return [days[day] for day in sorted(days)]


def closed(site_id: int, last: dt.date) -> list[VisitDay]:
    """The site's visit days up to ``last``, in order."""
    sql = (
        "SELECT day, events, first_at, last_at FROM day_events"
        " WHERE site_id = {site:UInt64} AND day <= {last:Date}"
    )
    return _days(client.execute(sql, {"site": site_id, "last": last}, tag="closed_days", max_rows=0).rows)


def sums_rows(
    bind: Binder, kind: tuple[str, str], days: Sequence[VisitDay], columns: Sequence[str], *extra: str
) -> str:
    """The ``day_sums`` rows of ``kind`` (dimension, variant) for ``days`` at their stamps, meeting the
    conditions ``extra`` (``{site_id}`` is the site), with ``value`` and ``columns``; one of any row
    written twice."""
    dimension, variant = kind
    where = ["site_id = {site_id:UInt64}", "marker = 0", f"dimension = {bind(dimension, 'String')}"]
    if any(d.part for d in days):  # each day's own part: a day's whole sums and its parts are all stored
        variants = bind(sorted({variant + d.part for d in days}), "Array(String)")
        chosen = bind(
            [(variant + d.part, d.day, d.events) for d in days], "Array(Tuple(String, Date, UInt64))"
        )
        where += [f"variant IN {variants}", f"(variant, day, stamp) IN {chosen}"]
    else:
        where += [
            f"variant = {bind(variant, 'String')}",
            f"(day, stamp) IN {bind([(d.day, d.events) for d in days], 'Array(Tuple(Date, UInt64))')}",
        ]
    where += extra
    picked = ", ".join(["day", "stamp", "filter_value", "value", *dict.fromkeys(columns)])
    return (
        f"SELECT {picked} FROM day_sums WHERE {' AND '.join(where)}"  # noqa: S608
        " LIMIT 1 BY day, stamp, filter_value, value"
    )

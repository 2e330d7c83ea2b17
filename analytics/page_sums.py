"""The closed visit days' sums of a page, read once: what the cards of the dashboard's first view take
from ``day_sums`` (``analytics.closed_days``) for the visit days lying in their range.

A page's cards over one range take the sums of the same visit days, each card its own kind: none (the
top stats), the chart's days, channels, countries, browsers (``analytics.open_days.SETS``, what
``open_days`` reads of the raw days), goals and the custom property keys (``PROP_KEYS``). Each read of
``day_sums`` costs the engine about as much as the next, whatever its size: most of a page of closed
days. Here the first card's query reads every one of those kinds at once (each variant: a time bucket's
timezone, the goals), each added up over the days, and every card binds its kind's rows into its own
query, which then reads no table for its closed days.

Under a filter each card reads its own kind: the kinds kept under a filter are large (a page's
countries, by page), and the table's key finds one card's rows for the filter's value but not those of
every kind at once (measured on 10M events: the page after a click on a page took 310 ms at one read,
235 ms at one read per card).

Rows are kept under everything they depend on: the store and the writes other than inserts of events
this process made to it, the site, and each day with the stamp and part it is read at (``VisitDay``,
as ``visit_days.split`` gave them for the query; a query whose split gave other days reads its own).
A kind whose sums a day lacks is never taken from an entry holding that day: a query needing it splits
that day off, and so has another key. An entry serves for a few seconds (``TTL``), as ``open_days``'s.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from analytics import client
from analytics.dimensions import GOAL
from analytics.filters import Binder
from analytics.memo import remembered, scope
from analytics.open_days import SETS
from analytics.query import BEFORE, ENGAGEMENT, EVENTS, PARTIALS, VISITS, VisitDay

__all__ = ["COLUMNS", "PROP_KEYS", "ROWS", "SHARED", "TTL", "Sums", "position", "rows"]

PROP_KEYS = "event:props"  # the sums' kind holding a day's keys (value) and their uses (p_events)
SHARED: tuple[str, ...] = (*SETS, GOAL, PROP_KEYS)  # the kinds read at once, without a filter

# The partial sums a row carries after its value (revenue aside: its cards read as before).
COLUMNS: tuple[str, ...] = tuple(
    name for source in (EVENTS, ENGAGEMENT, VISITS) for name in PARTIALS[source] if "revenue" not in name
)
ROWS = f"Array(Tuple(String, {', '.join(['UInt64'] * len(COLUMNS))}))"
TTL = 5.0  # seconds an entry serves

Row = tuple[Any, ...]


@dataclasses.dataclass(frozen=True)
class Sums:
    """Which built sums answer a part of a query: a kind (its dimensions' name and variant), and the
    one value its filter asks for, held in ``column`` ("value" or "filter_value"), if any, compared
    ignoring case when its dimension folds it (``fold``)."""

    kind: tuple[str, str]
    column: str = ""
    value: str = ""
    fold: bool = False

    def conditions(self, bind: Binder) -> list[str]:
        """The condition on the one value a filter asks for, if any."""
        if not self.column:
            return []
        value = bind(self.value, "String")
        if self.fold and self.column == "filter_value":  # a filter's value is kept as its key: the
            return [f"filter_value = lowerUTF8({value})"]  # table's own order finds its rows
        if self.fold:  # a value is kept in its first spelling
            return [f"lowerUTF8(value) = lowerUTF8({value})"]
        return [f"{self.column} = {value}"]


def position(name: str) -> int:
    """Where a row holds the column ``name`` of ``COLUMNS`` (its value first)."""
    return COLUMNS.index(name) + 1


def rows(site_id: int, sums: Sums, days: Sequence[VisitDay]) -> list[Row] | None:
    """``sums``' rows over ``days``: each value, then ``COLUMNS`` added up over the days; read once with
    the other kinds of a page's cards (``SHARED``). None when ``sums`` is not among them, or is
    filtered."""
    if sums.kind[0] not in SHARED or sums.column:
        return None
    if not days:
        return []
    key = ("page_sums", *scope(events=False), site_id, tuple(days))
    return remembered(key, lambda: _read(site_id, days), ttl=TTL).get(sums.kind, [])


def _read(site_id: int, days: Sequence[VisitDay]) -> dict[tuple[str, str], list[Row]]:
    """The rows of every kind of ``SHARED`` (any variant) over ``days``, by kind (a row written twice
    taken once)."""
    params: dict[str, Any] = {"site_id": site_id}
    bind = Binder(params)
    part = bind(f"{re.escape(BEFORE)}[0-9]+$", "String")  # a part's variant ends so (``part_before``)
    chosen = bind([(day.day, day.events, day.part) for day in days], "Array(Tuple(Date, UInt64, String))")
    where = [
        "site_id = {site_id:UInt64}",
        "marker = 0",
        f"dimension IN {bind(list(SHARED), 'Array(String)')}",
        f"(day, stamp, extract(variant, {part})) IN {chosen}",
    ]
    sql = (
        f"SELECT dimension, replaceRegexpOne(variant, {part}, '') AS kind, value,"  # noqa: S608
        f" {', '.join(f'sum({name})' for name in COLUMNS)}"
        f" FROM (SELECT dimension, variant, value, {', '.join(COLUMNS)} FROM day_sums"
        f" WHERE {' AND '.join(where)}"
        " LIMIT 1 BY dimension, variant, day, stamp, filter_value, value)"
        " GROUP BY dimension, kind, value"
    )
    out: dict[tuple[str, str], list[Row]] = {}
    for dimension, variant, value, *sums in client.execute(
        sql, params, tag=f"site:{site_id}:page_sums", max_rows=0
    ).rows:
        out.setdefault((str(dimension), str(variant)), []).append((str(value), *(int(n) for n in sums)))
    return out

"""The closed visit days' sums of a page, read once: what the cards of the dashboard's first view take
from ``day_sums`` (``analytics.closed_days``) for the visit days lying in their range.

A page's cards over one range take the sums of the same visit days, each card its own kind: none (the
top stats), the chart's days, channels, countries, browsers, goals (``analytics.open_days.SETS`` and
the goals: what ``open_days`` reads of the raw days). Each of those reads costs the engine about as
much as the next, whatever its size: most of a page of closed days. Here the first card's query reads
every one of those kinds at once, each added up over the days, and every card binds its kind's rows
into its own query, which then reads no table for its closed days.

Rows are kept under everything they depend on: the store and the writes other than inserts of events
this process made to it, the site, the kinds (with the one value a filter picks) and each day with the
stamp and part it is read at (``VisitDay``, as ``visit_days.split`` gave them for the query; a query
whose split gave other days reads its own). A kind whose sums a day lacks is never taken from an entry
holding that day: a query needing it splits that day off, and so has another key. An entry serves for
a few seconds (``TTL``), as ``open_days``'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from analytics import client
from analytics.filters import Binder
from analytics.memo import remembered, scope
from analytics.query import ENGAGEMENT, EVENTS, PARTIALS, VISITS, VisitDay

__all__ = ["COLUMNS", "ROWS", "TTL", "Sums", "rows"]

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
        if self.fold:
            return [f"lowerUTF8({self.column}) = lowerUTF8({bind(self.value, 'String')})"]
        return [f"{self.column} = {bind(self.value, 'String')}"]


def rows(site_id: int, sums: Sums, page: Sequence[Sums], days: Sequence[VisitDay]) -> list[Row] | None:
    """``sums``' rows over ``days``: each value, then ``COLUMNS`` added up over the days; read once with
    the rest of ``page`` (the sums of a page's cards). None when ``sums`` is not among them."""
    kinds = _one_per_dimension(page)
    if sums not in kinds:
        return None
    if not days:
        return []
    key = ("page_sums", *scope(events=False), site_id, tuple(kinds), tuple(days))
    return remembered(key, lambda: _read(site_id, kinds, days), ttl=TTL)[kinds.index(sums)]


def _one_per_dimension(page: Sequence[Sums]) -> list[Sums]:
    """``page`` without repeats, and the first of any two with one dimension (a row's dimension says
    which it is)."""
    kept: dict[str, Sums] = {}
    for sums in page:
        kept.setdefault(sums.kind[0], sums)
    return list(kept.values())


def _read(site_id: int, kinds: Sequence[Sums], days: Sequence[VisitDay]) -> list[list[Row]]:
    """Every kind's rows over ``days``, in one read (a row written twice taken once)."""
    params: dict[str, Any] = {"site_id": site_id}
    bind = Binder(params)
    dimensions = bind([sums.kind[0] for sums in kinds], "Array(String)")
    chosen = bind(
        [(sums.kind[0], sums.kind[1] + day.part, day.day, day.events) for sums in kinds for day in days],
        "Array(Tuple(String, String, Date, UInt64))",
    )
    picked = " OR ".join(
        "(" + " AND ".join([f"dimension = {bind(sums.kind[0], 'String')}", *sums.conditions(bind)]) + ")"
        for sums in kinds
    )
    columns = ", ".join(COLUMNS)
    sql = (
        f"SELECT indexOf({dimensions}, dimension) AS which, value,"  # noqa: S608
        f" {', '.join(f'sum({name})' for name in COLUMNS)}"
        f" FROM (SELECT dimension, value, {columns} FROM day_sums"
        " WHERE site_id = {site_id:UInt64} AND marker = 0"
        f" AND dimension IN {dimensions}"
        f" AND (dimension, variant, day, stamp) IN {chosen}"
        f" AND ({picked})"
        " LIMIT 1 BY dimension, variant, day, stamp, filter_value, value)"
        " GROUP BY which, value"
    )
    out: list[list[Row]] = [[] for _ in kinds]
    for which, value, *sums in client.execute(sql, params, tag=f"site:{site_id}:page_sums", max_rows=0).rows:
        out[int(which) - 1].append((str(value), *(int(n) for n in sums)))
    return out

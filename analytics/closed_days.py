"""Closed visit days' sums: the fast path of a query over many days (``day_sums``, migration 0031).

A visitor id lives one day (the daily salt) and a visit keeps the id of the day it began, so the
events of one *visit day* (the UTC day of their visit's start) hold visitors no other visit day holds.
Every partial sum of a query (``analytics.query.PARTIALS``: distinct visitors, pageviews, visits,
bounces, engaged time...) therefore adds up across visit days, exactly.

- **Building** (``build``, run by the ``closed_days`` job): once a visit day is closed (its visits end
  before 03:00 UTC the day after; ``CLOSED_AFTER`` adds a margin), its partial sums per value of each
  dimension in ``ROLLED`` are read from its events by the ordinary query machinery and written to
  ``day_sums`` with a marker row, stamped with the day's event count. The write's token names
  (site, dimension, variant, day, stamp), so builders racing each other write it once. For each local
  midnight (in the site's timezone) among a closed day's events, the sums of its events before it are
  written too (a *part*, ``_build_parts``): a range of whole local days ends at one.
- **Reading** (``read_sql``): a query without filters, grouped by at most one dimension of ``ROLLED``,
  takes the sums of the visit days lying wholly inside its range, and the part of the day it ends in
  (``visit_days.split``), whose stamp is still the day's event count (late events or a repair make it
  differ: that day is read raw until rebuilt). The other visit days it touches (the range's start,
  today, any day not built) are read raw, restricted to those visit days; the outer query adds both.
  The cards of a page's first view take their sums from one read (``analytics.page_sums``) and their
  raw days' rows from one scan (``analytics.open_days``). Any other query reads raw (``build_sql``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from analytics import client, open_days, page_sums
from analytics.dimensions import GOAL, PROPS_PREFIX, TIME_DIMENSIONS
from analytics.filters import Filter
from analytics.goals import Goal
from analytics.page_sums import Sums
from analytics.periods import DateRange
from analytics.prop_keys import MAX_KEYS, PROP_KEYS, uses_sql
from analytics.query import (
    _CAST,
    BEFORE,
    BY_DAY,
    ENGAGEMENT,
    EVENTS,
    MAX_LIMIT,
    METRICS,
    PARTIALS,
    REACHING,
    VISITS,
    Plan,
    Query,
    VisitDay,
    folded,
    outer_sql,
    part_before,
    query_sources,
)
from analytics.visit_days import closed, split, sums_rows

__all__ = [
    "CLOSED_AFTER",
    "ROLLED",
    "around",
    "build",
    "built_sums",
    "closed_days",
    "lacking",
    "read_sql",
    "write",
]

NONE = ""  # the "dimension" of sums without one
ROLLED: tuple[str, ...] = (
    NONE,
    "time:day",
    "time:week",
    "time:month",
    "event:page",
    "visit:entry_page",
    "visit:exit_page",
    "visit:channel",
    "visit:source",
    "visit:referrer",
    "visit:utm_medium",
    "visit:utm_source",
    "visit:utm_campaign",
    "visit:utm_content",
    "visit:utm_term",
    "visit:country",
    "visit:region",
    "visit:city",
    "visit:browser",
    "visit:browser_version",
    "visit:os",
    "visit:os_version",
    "visit:device",
    "visit:screen",
    GOAL,
)
# Filters whose one value is read from sums (after a click on a source or a page), and the dimensions
# kept under them: the dashboard's first cards.
FILTERS = ("visit:source", "event:page")
PAIRED = (
    NONE,
    "time:day",
    "time:week",
    "time:month",
    "visit:channel",
    "visit:source",
    "event:page",
    "visit:country",
    "visit:browser",
    GOAL,
)
FOLDED = "folded"  # in a variant: values of a dimension that folds case, by key (``variant``)
CLOSED_AFTER = dt.timedelta(days=1, hours=3, minutes=30)  # from the start of a visit day to its close
DAYS_PER_READ = 7  # visit days a build reads at once (its memory grows with them)
# A group is reached by the kinds of data a query reads (``analytics.query``): these partials say so.
_REACHED = {EVENTS: "p_events", ENGAGEMENT: "p_engaged", VISITS: "p_visits"}
_BUILT_METRICS = (
    "visitors",
    "pageviews",
    "events",
    "time_on_page",
    "scroll_depth",
    "visits",
    "views_per_visit",
    "bounce_rate",
    "visit_duration",
)
_REVENUE = ("total_revenue", "average_revenue")
_SUMS = tuple(name for source in REACHING for name in PARTIALS[source])


def variant(dimension: str, tz: str, goals: Sequence[Goal], filtered: str = NONE) -> str:
    """What a dimension's sums (under a filter on ``filtered``) depend on besides the events: a time
    bucket's timezone, the goals; and whether a dimension folding case is grouped or filtered by its
    key (``FOLDED``: the sums written before it was folded are not these)."""
    base = ""
    if dimension in TIME_DIMENSIONS:
        base = tz
    elif dimension == GOAL:
        base = hashlib.sha256(repr(sorted(goals, key=repr)).encode()).hexdigest()[:16]  # in any order
    if folded([d for d in (dimension, filtered) if d != NONE]):
        return f"{base}|{FOLDED}" if base else FOLDED
    return base


# -- reading ------------------------------------------------------------------------------------------


def needs(query: Query) -> list[Sums] | None:
    """The sums ``query`` can be answered from (its groups first, then the whole its shares are of),
    or None when it reads raw."""
    if query.date_range.moments is not None or len(query.dimensions) > 1:
        return None
    if any(not set(METRICS[m].sources) <= set(REACHING) for m in query.metrics):
        return None
    dimension = query.dimensions[0] if query.dimensions else NONE
    tz, goals = query.date_range.tz, query.goals
    whole = {"percentage", "conversion_rate"} & set(query.metrics)
    if not query.filters:
        if not rolled(dimension) or (dimension == GOAL and not goals):
            return None
        groups = Sums((dimension, variant(dimension, tz, goals)))
        return [groups, Sums((NONE, ""))] if whole and dimension != NONE else [groups]
    flt = query.filters[0]
    if (
        len(query.filters) > 1
        or not isinstance(flt, Filter)
        or (flt.operator, flt.dimension) not in {("is", f) for f in FILTERS}
        or len(flt.values) != 1
        or not flt.values[0]
        or "*" in flt.values[0]  # a wildcard matches many values: their visitors do not add up
    ):
        return None
    value = flt.values[0]
    fold = bool(folded([flt.dimension]))
    if dimension == flt.dimension:  # one group, the filter's: the dimension's own sums
        own = Sums((dimension, variant(dimension, tz, goals)), "value", value, fold)
        return [own] + ([_filtered(flt.dimension, value, tz, goals)] if whole else [])
    if not (dimension in PAIRED or dimension.startswith(PROPS_PREFIX)) or (dimension == GOAL and not goals):
        return None
    kind = (paired(flt.dimension, dimension), variant(dimension, tz, goals, flt.dimension))
    groups = Sums(kind, "filter_value", value, fold)
    return [groups, _filtered(flt.dimension, value, tz, goals)] if whole and dimension != NONE else [groups]


def _filtered(dimension: str, value: str, tz: str, goals: Sequence[Goal]) -> Sums:
    kind = (paired(dimension, NONE), variant(NONE, tz, goals, dimension))
    return Sums(kind, "filter_value", value, bool(folded([dimension])))


def paired(filtered: str, dimension: str) -> str:
    """The kind of sums grouped by ``dimension`` under a filter on ``filtered`` (its value kept apart)."""
    return f"{filtered}|{dimension}"


def rolled(dimension: str) -> bool:
    return dimension in ROLLED or dimension.startswith(PROPS_PREFIX)


def read_sql(query: Query) -> tuple[str, dict[str, Any]] | None:
    """``build_sql``'s answer, taking closed days' sums where they are built; None when none can be."""
    needed = needs(query)
    if needed is None:
        return None
    summed, edges = split(query.site_id, query.date_range, [sums.kind for sums in needed])
    if edges and not summed:
        return None  # (a range without events reads the sums of no day: nothing, at once)
    plan = Plan(query)
    plan.restrict_to(edges)
    sources = query_sources(query)
    parts = [f"({_raw_branch(plan, edges, source, sources)})" for source in sources] if edges else []
    parts.append(f"({_sums_sql(plan, needed[0], summed, sources)})")
    totals = {"total_visitors": "", "total_base_visitors": ""}
    if {"percentage", "conversion_rate"} & set(query.metrics):  # no filter here is a goal's: one whole
        shared = open_days.total_visitors(plan, edges) if edges else None
        raw = shared or (plan.total_visitors(plan.event_nodes) if edges else "0")  # no raw day: none
        whole = f"({_total_sql(plan, needed[-1], summed)}) + {raw}"
        totals = {
            "total_visitors": whole if "percentage" in query.metrics else "",
            "total_base_visitors": whole if "conversion_rate" in query.metrics else "",
        }
    return outer_sql(query, " UNION ALL ".join(parts), totals, "", plan.params), plan.params


def _raw_branch(plan: Plan, edges: Sequence[VisitDay], source: str, sources: Sequence[str]) -> str:
    """A branch over the raw visit days ``edges``: the events one from the page's open days read once
    (``analytics.open_days``) when it can be."""
    shared = open_days.events_branch(plan, edges, sources) if source == EVENTS else None
    return shared or plan.branch(source, sources)


def _page_rows(plan: Plan, sums: Sums, days: Sequence[VisitDay]) -> list[page_sums.Row] | None:
    """``sums``' rows over ``days`` as the page's cards read them at once (``analytics.page_sums``), or
    None when they are not among those cards' sums, or the query wants what the rows do not carry."""
    if plan.folded or plan.wanted & {"p_revenue", "p_revenue_events"}:
        return None
    return page_sums.rows(plan.query.site_id, sums, days)


def _total_sql(plan: Plan, sums: Sums, days: Sequence[VisitDay]) -> str:
    """The visitors of ``days`` in ``sums``, as one scalar."""
    shared = _page_rows(plan, sums, days)
    if shared is not None:
        return f"SELECT {plan.bind(sum(row[1] for row in shared), 'UInt64')}"
    rows = sums_rows(plan.bind, sums.kind, days, ["p_visitors"], *sums.conditions(plan.bind))
    return f"SELECT toUInt64(sum(p_visitors)) FROM ({rows})"  # noqa: S608


def _sums_sql(plan: Plan, sums: Sums, days: Sequence[VisitDay], sources: Sequence[str]) -> str:
    """The built sums of ``days`` as rows of the query's partial columns (``sources``): bound from the
    page's read (``_page_rows``) when it holds them, else read."""
    reached = [_REACHED[source] for source in sources]
    shared = _page_rows(plan, sums, days)
    if shared is not None:  # a row's value, then page_sums.COLUMNS
        at = {name: f"r.{index + 2}" for index, name in enumerate(page_sums.COLUMNS)}
        kept = [row for row in shared if any(row[page_sums.position(name)] for name in reached)]
        source, value = f"(SELECT arrayJoin({plan.bind(kept, page_sums.ROWS)}) AS r)", "r.1"
    else:
        at = {name: name for source in sources for name in PARTIALS[source]}
        extra = [*sums.conditions(plan.bind), "(" + " OR ".join(f"{name} > 0" for name in reached) + ")"]
        columns = [name for source in sources for name in PARTIALS[source] if name in plan.wanted]
        # The rows are chosen in a subquery, whose WHERE sees the table's columns, not the aliases below.
        source, value = f"({sums_rows(plan.bind, sums.kind, days, columns, *extra)})", "value"
    select = [f"{value} AS d0"] if plan.query.dimensions else []
    if plan.folded:  # the sums hold a spelling of each key: grouped by the key, the spelling carried
        select = [f"lowerUTF8({value}) AS d0", f"{value} AS sp0"]
    for source_name in sources:
        for name in PARTIALS[source_name]:
            expr = at[name] if name in plan.wanted else "0"
            select.append(f"{_CAST.get(name, 'toUInt64({})').format(expr)} AS {name}")
    return f"SELECT {', '.join(select)} FROM {source}"  # noqa: S608


# -- building -----------------------------------------------------------------------------------------


def build(
    site_id: int,
    tz: str,
    goals: Sequence[Goal],
    now: dt.datetime,
    dimensions: Sequence[str] = ROLLED,
) -> int:
    """Write the sums of ``site_id``'s closed visit days that lack them at the day's current event count
    (in ``tz``, for ``goals``), and their custom property keys with a breakdown by each of the most used;
    how many (kind, day) sums were written. Safe to run at any time, by any number of processes."""
    days = closed_days(site_id, now)
    built = built_sums(site_id)

    def pending(kind: tuple[str, str], among: Sequence[VisitDay] = days) -> Iterator[list[VisitDay]]:
        return lacking(among, built, kind)

    groupings = [*((d,) for d in dimensions), *((f, d) for f in FILTERS for d in PAIRED if d != f)]
    written = 0
    for dims in groupings:
        if GOAL in dims and not goals:
            continue
        for chunk in pending(_kind(dims, tz, goals)):
            written += _build_days(site_id, tz, goals, dims, chunk, now)
    for chunk in pending((PROP_KEYS, "")):  # the keys last: a day with its keys has their breakdowns
        for key in _most_used(site_id, chunk):
            for dims in _by_key(key):
                for part in pending(_kind(dims, tz, goals), chunk):
                    written += _build_days(site_id, tz, goals, dims, part, now)
        written += _write_keys(site_id, chunk, now)
    # A day keyed before a kind of its keys' breakdowns changed (the source's case folding) gets that kind
    # for each key it has a breakdown by.
    for by_key in sorted({dimension for dimension, *_ in built if dimension.startswith(PROPS_PREFIX)}):
        key = by_key.removeprefix(PROPS_PREFIX)
        own = _kind((by_key,), tz, goals)
        keyed = [day for day in days if (*own, day.day, day.events) in built]
        for dims in _by_key(key)[1:]:
            for part in pending(_kind(dims, tz, goals), keyed):
                written += _build_days(site_id, tz, goals, dims, part, now)
    return written + _build_parts(site_id, tz, goals, groupings, days, now)


def _build_parts(
    site_id: int,
    tz: str,
    goals: Sequence[Goal],
    groupings: Sequence[tuple[str, ...]],
    days: Sequence[VisitDay],
    now: dt.datetime,
) -> int:
    """For each closed day and each local midnight among its events (``cuts``), the sums of its events
    before that midnight, of every kind its whole sums are written in: a range ending there (every
    range of whole local days, in ``tz``) reads its last day from them."""
    built = built_sums(site_id)
    whole: dict[tuple[dt.date, int], set[tuple[str, str]]] = {}
    for dimension, variant_, date, stamp in built:
        if BEFORE not in variant_:
            whole.setdefault((date, stamp), set()).add((dimension, variant_))
    keys = {
        d.removeprefix(PROPS_PREFIX)
        for kinds in whole.values()
        for d, _ in kinds
        if d.startswith(PROPS_PREFIX)
    }
    known = {
        _kind(dims, tz, goals): dims for dims in [*groupings, *(g for key in keys for g in _by_key(key))]
    }
    todo: dict[tuple[str, str, str], list[VisitDay]] = {}  # (dimension, variant, part): its days
    for day in days:
        for part in filter(None, (part_before(day.day, cut) for cut in cuts(day, tz))):
            for dimension, variant_ in whole.get((day.day, day.events), set()):
                if (dimension, variant_ + part, day.day, day.events) not in built:
                    todo.setdefault((dimension, variant_, part), []).append(
                        dataclasses.replace(day, part=part)
                    )
    written = 0
    for (dimension, variant_, _), parts in sorted(todo.items()):
        for at in range(0, len(parts), DAYS_PER_READ):
            chunk = parts[at : at + DAYS_PER_READ]
            if (dimension, variant_) == (PROP_KEYS, ""):
                written += _write_keys(site_id, chunk, now)
            elif (dims := known.get((dimension, variant_))) is not None:
                written += _build_days(site_id, tz, goals, dims, chunk, now)
    return written


def cuts(day: VisitDay, tz: str) -> list[dt.datetime]:
    """The local midnights in ``tz`` (naive UTC) after visit day ``day``'s first event and at or before
    its last: where a range of whole local days can end inside the day."""
    zone = zoneinfo.ZoneInfo(tz)
    local = day.first_at.replace(tzinfo=dt.UTC).astimezone(zone).date()
    found = []
    for ahead in range(1, 4):
        midnight = dt.datetime.combine(local + dt.timedelta(days=ahead), dt.time(), zone)
        moment = midnight.astimezone(dt.UTC).replace(tzinfo=None)
        if moment > day.last_at:
            break
        found.append(moment)
    return found


def _by_key(key: str) -> list[tuple[str, ...]]:
    """The groupings a custom property key's sums are kept in: by its values, and under each filter."""
    return [(PROPS_PREFIX + key,), *((f, PROPS_PREFIX + key) for f in FILTERS)]


def closed_days(site_id: int, now: dt.datetime) -> list[VisitDay]:
    """The site's visit days that are over at ``now``."""
    return closed(site_id, (now.astimezone(dt.UTC) - CLOSED_AFTER).date())


def built_sums(site_id: int) -> set[tuple[str, str, dt.date, int]]:
    """(dimension, variant, day, stamp) of every sums written for the site."""
    sql = (
        "SELECT DISTINCT toString(dimension), variant, day, stamp FROM day_sums"
        " WHERE site_id = {site:UInt64} AND marker = 1"
    )
    return set(client.execute(sql, {"site": site_id}, tag="closed_days", max_rows=0).rows)


def lacking(
    days: Sequence[VisitDay], built: set[tuple[str, str, dt.date, int]], kind: tuple[str, str]
) -> Iterator[list[VisitDay]]:
    """The days lacking ``kind``'s sums at their stamp, a few at a time (one read each)."""
    missing = [day for day in days if (*kind, day.day, day.events) not in built]
    for at in range(0, len(missing), DAYS_PER_READ):
        yield missing[at : at + DAYS_PER_READ]


def around(days: Sequence[VisitDay], tz: str) -> DateRange:
    """Local dates wide enough for every event of the visit days ``days``, whatever the timezone."""
    return DateRange(days[0].day - dt.timedelta(days=2), days[-1].day + dt.timedelta(days=2), tz)


def _kind(dims: tuple[str, ...], tz: str, goals: Sequence[Goal], part: str = "") -> tuple[str, str]:
    """The kind of the sums grouped by ``dims``: one dimension, or a filter's and one under it."""
    if len(dims) == 1:
        return dims[0], variant(dims[0], tz, goals) + part
    return paired(dims[0], dims[1]), variant(dims[1], tz, goals, dims[0]) + part


def _build_days(
    site_id: int,
    tz: str,
    goals: Sequence[Goal],
    dims: tuple[str, ...],
    days: Sequence[VisitDay],
    now: dt.datetime,
) -> int:
    """One read of ``days``' events (of their ``part``, one for all) grouped by visit day and ``dims`` (a
    dimension, or a filtered one and one under it); one write per day."""
    metrics = _BUILT_METRICS + (_REVENUE if GOAL in dims else ())
    wide = around(days, tz)
    grouped = tuple(d for d in dims if d != NONE)
    query = Query(site_id, wide, metrics, grouped, goals=tuple(goals), limit=MAX_LIMIT)
    plan = Plan(query)
    plan.restrict_to(days, by_day=True)
    # (column, its expression, what it is grouped by): a value as it groups (a dimension folding case
    # by its key), written as shown (its first spelling); a filter's value as it compares (its key)
    columns = [("value", _shown(plan, 0), _group(plan, 0, "value")) if grouped else ("value", "''", "value")]
    if len(dims) == 2:  # under a filter: its value apart, and the events counted as the filter counts
        plan.pageviews_only = plan.pageviews_only and dims[1] == "event:page"
        value = ("value", _shown(plan, 1), _group(plan, 1, "value")) if dims[1] else ("value", "''", "value")
        columns = [("filter_value", "toString(d0)", "filter_value"), value]
    sources = query_sources(query)
    inner = " UNION ALL ".join(f"({plan.branch(source, sources)})" for source in sources)
    sums = ", ".join(f"sum({name}) AS {name}" for name in _SUMS)
    values = ", ".join(f"{expr} AS {name}" for name, expr, _ in columns)
    keys = ", ".join(["day", *(key for _, _, key in columns)])
    sql = f"SELECT {BY_DAY} AS day, {values}, {sums} FROM ({inner}) GROUP BY {keys}"  # noqa: S608
    names = [name for name, _, _ in columns]
    return write(
        site_id, _kind(dims, tz, goals, days[0].part), days, sql, plan.params, [*names, *_SUMS], now=now
    )


def _shown(plan: Plan, index: int) -> str:
    """Dimension ``index``'s value as a build writes it: a dimension folding case by its first spelling."""
    return f"toString(min(sp{index}))" if index in plan.folded else f"toString(d{index})"


def _group(plan: Plan, index: int, name: str) -> str:
    return f"d{index}" if index in plan.folded else name


def _prop_keys(site_id: int, days: Sequence[VisitDay]) -> tuple[Plan, str]:
    """A plan over ``days`` and its SELECT of their custom property keys (``value``) with the events
    carrying each (``p_events``), per visit ``day``."""
    plan = Plan(Query(site_id, around(days, "UTC"), ("events",)))
    plan.restrict_to(days)
    return plan, uses_sql(plan, by_day=True)


def _most_used(site_id: int, days: Sequence[VisitDay]) -> list[str]:
    plan, sql = _prop_keys(site_id, days)
    outer = f"SELECT value, sum(p_events) AS uses FROM ({sql}) GROUP BY value ORDER BY uses DESC, value"  # noqa: S608
    rows = client.execute(f"{outer} LIMIT {MAX_KEYS}", plan.params, tag="closed_days:build").rows
    return [str(key) for key, _ in rows]


def _write_keys(site_id: int, days: Sequence[VisitDay], now: dt.datetime) -> int:
    plan, sql = _prop_keys(site_id, days)
    return write(site_id, (PROP_KEYS, days[0].part), days, sql, plan.params, ["value", "p_events"], now=now)


def write(
    site_id: int,
    kind: tuple[str, str],
    days: Sequence[VisitDay],
    select: str,
    params: dict[str, Any],
    columns: Sequence[str],
    *,
    now: dt.datetime,
) -> int:
    """Write ``select``'s rows (``day`` and ``columns``) as ``kind``'s sums of ``days`` at their stamps,
    then each day's marker; how many days. The writes carry tokens naming them and the minute of the
    job's ``now``, and a reader takes one row of any written twice (``visit_days.sums_rows``): builders
    racing each other write once and count nothing twice, and sums dropped (``analytics.rederive``) are
    written again by a later run, whose token the engine has not seen."""
    dimension, variant_ = kind
    stamps = {"site": site_id, "dimension": dimension, "variant": variant_}
    stamps |= {"days": [d.day for d in days], "stamps": [d.events for d in days]}
    token = f"day_sums:{site_id}:{dimension}:{variant_}:{now.astimezone(dt.UTC):%Y%m%d%H%M}:"
    token += ",".join(f"{d.day}={d.events}" for d in days)
    names = ", ".join(columns)
    client.command(
        f"INSERT INTO day_sums (site_id, dimension, variant, day, stamp, marker, {names})"  # noqa: S608
        " SELECT {site:UInt64}, {dimension:String}, {variant:String}, day,"
        " transform(day, {days:Array(Date)}, {stamps:Array(UInt64)}, toUInt64(0)), 0,"
        f" {names} FROM ({select})",
        {**params, **stamps},
        settings={"insert_deduplication_token": token},
    )
    base: dict[str, Any] = {"site_id": site_id, "dimension": dimension, "variant": variant_, "marker": 1}
    lines = [orjson.dumps({**base, "day": d.day, "stamp": d.events}) for d in days]
    client.insert_json_lines("day_sums", lines, token=f"{token}:markers")
    return len(days)

"""The typed Query and the pure function that turns it into SQL text plus bound parameters.

Names (metrics, dimensions, operators) come only from the registries; values only ever become
``{name:Type}`` parameters. Filters are data, as in ``["is", "event:page", ["/blog"]]``
(``analytics.filters``), goals travel with the query (``analytics.goals``).

    >>> import datetime as dt
    >>> q = Query(site_id=1, date_range=DateRange(dt.date(2026, 1, 1), dt.date(2026, 1, 7), "UTC"),
    ...           metrics=("visitors", "bounce_rate"), dimensions=("event:page",))
    >>> sql, params = build_sql(q)
    >>> "{site_id:UInt64}" in sql and params["site_id"] == 1
    True

The definitions are Plausible's, made exact (``tests/reference.py`` restates them in plain Python and
property-based tests compare every metric):

- **visitors**: distinct visitor ids among the pageviews and custom events in the range (engagement
  events excluded) that pass the filters. Exact (``uniqExact``), not an estimate.
- **pageviews**, **events**: pageviews; pageviews plus custom events (engagement excluded).
- **visits**: visits (decided at ingest, ``ingest/visits.py``) that overlap the range, i.e. start before
  its end and end after its start. **views_per_visit** is their pageviews (all of each visit's, as Plausible)
  per visit, to 2 decimals; **bounce_rate** the percentage of them that are bounces (one pageview, no
  interactive custom event); **visit_duration** their mean length in seconds, bounces counting 0.
  Rounding is half up.
- **time_on_page**, **scroll_depth**: from engagement events in the range. Over each (visitor, page)
  pair with engagement: total engaged time, and the deepest scroll; reported as the mean over those
  pairs (whole seconds, whole percent).
- ``visit:*`` dimensions and filters are the visit's (first touch: the source, UTM, geo and device
  of its first event; its entry and exit page); an event takes its visit's. ``event:*`` ones are the
  event's. Visit metrics with an ``event:*`` filter or dimension count the visits holding a matching
  event in the range. As in Plausible, the bounce rate of a page (an ``event:page`` dimension or a
  top-level ``event:page`` filter) is that of the visits that entered on it.
- **percentage**: a group's visitors as a share of the query's visitors without its dimensions, to
  1 decimal.
- **conversion_rate**: a group's visitors (who completed the goals of the ``event:goal`` filter or
  dimension) as a share of all the visitors: the query's without its dimensions and without its goal
  filters (the top-level filters made only of ``event:goal``), percent to 2 decimals.
  **group_conversion_rate**: the same over the visitors of the same group (not with an ``event:goal``
  dimension). Both need an ``event:goal`` filter or dimension.
- **exit_rate** (only with a ``visit:exit_page`` dimension): the visits that left on the page (that
  ended on it) per pageview of that page in the range, percent to 1 decimal.
- **total_revenue**, **average_revenue**: over the events that completed a revenue goal and carry an
  amount in that goal's currency: their sum, and their mean (2 decimals, half up). They need an
  ``event:goal`` dimension (each goal its own currency) or a goal filter naming goals of a single
  currency; amounts in other currencies are never converted nor added. ``run_query`` answers them as
  Plausible's ``{"value", "currency", "short", "long"}`` (None for a goal without a currency).
- Time buckets: an event's by its time; a visit's by its last event, clamped into the range.
- A breakdown lists the groups reached by the kind of data its metrics are made of (events,
  engagement or visits); the denominators of group_conversion_rate and exit_rate add no group.

Where Plausible picks a table per query, Lantern keeps one definition per metric: visitors, pageviews
and events always count the events in the range (Plausible counts whole visits' when it reads its
sessions table), so a visit filter never changes what a pageview is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from analytics.dimensions import (
    DIMENSIONS,
    DIRECT,
    GOAL,
    TIME_DIMENSIONS,
    Dimension,
    find,
)
from analytics.errors import QueryError
from analytics.filters import OPERATORS, Binder, Filter, FilterNode, Logic, leaf_sql, leaves
from analytics.goals import Goal, any_goal_sql, select_goals
from analytics.periods import DateRange
from analytics.schema import EVENT_COLUMN_NAMES, FIRST_TOUCH

__all__ = [
    "DIMENSIONS",
    "DIRECT",
    "METRICS",
    "OPERATORS",
    "TIME_DIMENSIONS",
    "VISIT_AGGREGATES",
    "DateRange",
    "Dimension",
    "Filter",
    "FilterNode",
    "Goal",
    "Logic",
    "Query",
    "QueryError",
    "VisitDay",
    "build_sql",
    "folded",
    "outer_sql",
    "part_before",
    "query_sources",
    "visits_sql",
]

EVENTS, ENGAGEMENT, VISITS, BASE, PAGES = "events", "engagement", "visits", "base", "pages"
REACHING = (EVENTS, ENGAGEMENT, VISITS)  # the sources whose groups a breakdown lists

# The partial sums each branch of a query contributes; a metric is an expression over them.
PARTIALS: dict[str, tuple[str, ...]] = {
    EVENTS: ("p_visitors", "p_pageviews", "p_events", "p_revenue", "p_revenue_events"),
    ENGAGEMENT: ("p_engaged", "p_engaged_ms", "p_scroll"),
    VISITS: ("p_visits", "p_visit_pageviews", "p_bounces", "p_bounce_visits", "p_duration_ms"),
    BASE: ("p_group_visitors",),  # visitors of the group, goal filters aside
    PAGES: ("p_page_pageviews",),  # pageviews of the exit page's path
}
_CAST = {"p_revenue": "toDecimal128({}, 6)"}


def _half_up(numerator: str, denominator: str) -> str:
    """round(numerator / denominator), halves up, in integers (0 when there is nothing to divide by)."""
    den = f"greatest({denominator}, 1)"  # never a division by zero, even when folded as a constant
    return f"if({denominator} = 0, 0, intDiv(2 * ({numerator}) + {den}, 2 * {den}))"


@dataclasses.dataclass(frozen=True)
class Metric:
    sql: str  # over the partials, in the outer query
    partials: tuple[str, ...]  # the ones ``sql`` reads
    sources: tuple[str, ...]  # the branches computing them


def _metric(sql: str) -> Metric:
    found = [(s, p) for s, names in PARTIALS.items() for p in names if f"sum({p})" in sql]
    return Metric(sql, tuple(p for _, p in found), tuple(dict.fromkeys(s for s, _ in found)))


METRICS: dict[str, Metric] = {
    "visitors": _metric("sum(p_visitors)"),
    "visits": _metric("sum(p_visits)"),
    "pageviews": _metric("sum(p_pageviews)"),
    "views_per_visit": _metric(_half_up("sum(p_visit_pageviews) * 100", "sum(p_visits)") + " / 100"),
    "bounce_rate": _metric(_half_up("sum(p_bounces) * 100", "sum(p_bounce_visits)")),
    "visit_duration": _metric(_half_up("sum(p_duration_ms)", "sum(p_visits) * 1000")),
    "events": _metric("sum(p_events)"),
    "time_on_page": _metric(_half_up("sum(p_engaged_ms)", "sum(p_engaged) * 1000")),
    "scroll_depth": _metric(_half_up("sum(p_scroll)", "sum(p_engaged)")),
    "percentage": _metric(_half_up("sum(p_visitors) * 1000", "{total_visitors}") + " / 10"),
    "conversion_rate": _metric(_half_up("sum(p_visitors) * 10000", "{total_base_visitors}") + " / 100"),
    "group_conversion_rate": _metric(_half_up("sum(p_visitors) * 10000", "sum(p_group_visitors)") + " / 100"),
    "exit_rate": _metric(_half_up("sum(p_visits) * 1000", "sum(p_page_pageviews)") + " / 10"),
    "total_revenue": _metric("sum(p_revenue)"),
    "average_revenue": _metric(
        "if(sum(p_revenue_events) = 0, toDecimal128(0, 6), sum(p_revenue) / sum(p_revenue_events))"
    ),
}
GOAL_METRICS = frozenset({"conversion_rate", "group_conversion_rate", "total_revenue", "average_revenue"})
REVENUE_METRICS = frozenset({"total_revenue", "average_revenue"})

MAX_LIMIT = 10_000

_TIME = "DateTime64(3, 'UTC')"
BY_DAY = "vday"  # the visit day's column, in a plan grouped by it (``Plan.restrict_to``)
_MILLISECOND = dt.timedelta(milliseconds=1)
_START, _END, _LAST = f"{{start:{_TIME}}}", f"{{end:{_TIME}}}", f"{{last:{_TIME}}}"


def node_scope(node: FilterNode) -> str:
    """ "event" or "visit": a Logic node mixing both is refused (its meaning would not be exact)."""
    scopes = set()
    for leaf in leaves(node):
        dimension = find(leaf.dimension)
        if dimension is None:
            raise QueryError("filters", f"cannot filter by {leaf.dimension!r}")
        scopes.add(dimension.scope)
    if len(scopes) > 1:
        raise QueryError("filters", "one and/or/not group cannot mix visit: and event: dimensions")
    return scopes.pop()


def is_goal_node(node: FilterNode) -> bool:
    return all(leaf.dimension == GOAL for leaf in leaves(node))


@dataclasses.dataclass(frozen=True)
class Query:
    site_id: int
    date_range: DateRange
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...] = ()
    filters: tuple[FilterNode, ...] = ()
    order_by: tuple[tuple[str, str], ...] = ()
    limit: int = 100
    offset: int = 0
    goals: tuple[Goal, ...] = ()
    imports: tuple[int, ...] = ()  # imported history to add in (``analytics.imported.read.decide``)

    def __post_init__(self) -> None:
        if not self.metrics:
            raise QueryError("metrics", "at least one metric is required")
        for metric in self.metrics:
            if metric not in METRICS:
                raise QueryError("metrics", f"unknown metric {metric!r}")
        for dimension in self.dimensions:
            if find(dimension) is None and dimension not in TIME_DIMENSIONS:
                raise QueryError("dimensions", f"unknown dimension {dimension!r}")
        if len(set(self.dimensions)) != len(self.dimensions):
            raise QueryError("dimensions", "a dimension is named twice")
        if len({g.display_name for g in self.goals}) != len(self.goals):
            raise QueryError("goals", "two goals share a display name")
        for node in self.filters:
            if not isinstance(node, Filter | Logic):
                raise QueryError("filters", "a filter is [operator, dimension, values] or and/or/not")
            node_scope(node)
            for leaf in leaves(node):
                if leaf.dimension == GOAL:
                    select_goals(self.goals, leaf)
        self._check_metric_needs()
        for name, direction in self.order_by:
            if name not in self.metrics and name not in self.dimensions:
                raise QueryError("order_by", f"{name!r} is neither a requested metric nor a dimension")
            if direction not in {"asc", "desc"}:
                raise QueryError("order_by", f"direction must be asc or desc, got {direction!r}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}")
        if self.offset < 0:
            raise QueryError("page", "must be 1 or more")

    def _check_metric_needs(self) -> None:
        asked = set(self.metrics)
        if asked & GOAL_METRICS and GOAL not in self.dimensions and not self.goal_filters:
            names = ", ".join(sorted(asked & GOAL_METRICS))
            raise QueryError("metrics", f"{names} needs an event:goal filter or dimension")
        if "group_conversion_rate" in asked and GOAL in self.dimensions:
            raise QueryError("metrics", "group_conversion_rate is not for an event:goal breakdown")
        if "exit_rate" in asked and "visit:exit_page" not in self.dimensions:
            raise QueryError("metrics", "exit_rate needs the visit:exit_page dimension")
        if asked & REVENUE_METRICS:
            self.revenue_currency()

    @property
    def time_dimension(self) -> str | None:
        return next((d for d in self.dimensions if d in TIME_DIMENSIONS), None)

    @property
    def goal_filters(self) -> tuple[FilterNode, ...]:
        return tuple(n for n in self.filters if is_goal_node(n))

    def revenue_currency(self) -> str | dict[str, str]:
        """The currency of the revenue metrics: one for the whole query, or one per goal (breakdowns)."""
        if GOAL in self.dimensions:
            return {g.display_name: g.currency for g in self.goals}
        chosen = set(self.goals)
        for node in self.goal_filters:
            if not isinstance(node, Filter) or node.operator not in {"is", "contains"}:
                raise QueryError("metrics", "revenue needs an event:goal filter naming goals (is, contains)")
            chosen &= set(select_goals(self.goals, node))
        currencies = sorted({g.currency for g in chosen if g.currency})
        if len(currencies) > 1:
            raise QueryError(
                "metrics",
                f"revenue of goals in different currencies ({', '.join(currencies)}) is not added up;"
                " break down by event:goal",
            )
        return currencies[0] if currencies else ""


def query_sources(query: Query) -> list[str]:
    """The branches (kinds of data) the query's metrics are made of, in ``PARTIALS`` order."""
    return [s for s in PARTIALS if any(s in METRICS[m].sources for m in query.metrics)]


def build_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """SQL text (names from the registries only) and its bound parameters (every outside value).

    One statement: a branch per kind of data the metrics need (events, engagement, visits, and the
    denominators of group_conversion_rate and exit_rate), each grouped by the dimensions, glued by
    ``UNION ALL`` and summed per group in the outer query.
    """
    plan = Plan(query)
    sources = query_sources(query)
    inner = " UNION ALL ".join(f"({plan.branch(source, sources)})" for source in sources)
    totals = {
        "total_visitors": plan.total_visitors(plan.event_nodes) if "percentage" in query.metrics else "",
        "total_base_visitors": plan.total_visitors(plan.base_nodes)
        if "conversion_rate" in query.metrics
        else "",
    }
    having = "sum(p_reach) > 0" if plan.auxiliary else ""
    return outer_sql(query, inner, totals, having, plan.params), plan.params


# Rows from beyond the event tables that a query's union may take (``analytics.imported.read``
# registers its own): given the query, its union, its wholes and its parameters, all three extended.
Extension = Callable[[Query, str, dict[str, str], dict[str, Any]], tuple[str, dict[str, str]]]
EXTENSIONS: list[Extension] = []


def outer_sql(query: Query, inner: str, totals: dict[str, str], having: str, params: dict[str, Any]) -> str:
    """The metrics over ``inner``'s partial columns, per group: ordered, paged (into ``params``).

    ``totals`` are the scalar expressions a share's or a conversion's whole is read from, each named
    once in a ``WITH`` (a metric divides by its whole in three places). Each of ``EXTENSIONS`` may
    add rows to ``inner`` and to the wholes first (imported history).
    """
    for extend in EXTENSIONS:
        inner, totals = extend(query, inner, totals, params)
    aliases = [f"d{index}" for index in range(len(query.dimensions))]
    spelled = folded(query.dimensions)
    wanted = "".join(METRICS[name].sql for name in query.metrics)
    named = [f"{sql} AS {name}" for name, sql in totals.items() if sql and "{" + name + "}" in wanted]
    shown = [f"min(sp{index}) AS shown{index}" if index in spelled else d for index, d in enumerate(aliases)]
    select = [
        *shown,
        *(f"{METRICS[name].sql.format(**{t: t for t in totals})} AS `{name}`" for name in query.metrics),
    ]
    # Every name above comes from a registry; every outside value is a {param:Type} placeholder.
    sql = f"WITH {', '.join(named)} " if named else ""
    sql += f"SELECT {', '.join(select)} FROM ({inner})"  # noqa: S608
    if aliases:
        sql += f" GROUP BY {', '.join(aliases)}"
        if having:
            sql += f" HAVING {having}"
        sql += f" ORDER BY {_order_sql(query, aliases)}"
        params["limit"] = query.limit
        params["offset"] = query.offset
        sql += " LIMIT {limit:UInt32} OFFSET {offset:UInt32}"
    return sql


# A visit's columns as read from the ``visits`` table, whose rows are partial (one per inserted block
# until merged): each is aggregated per visit. The first touch is equal on every row of a visit.
VISIT_AGGREGATES: dict[str, str] = {
    "visitor_id": "any(visitor_id)",
    "session_start": "min(first_at)",
    "session_end": "max(last_at)",
    "hits": "sum(hits)",
    "pageviews": "sum(pageviews)",
    "events": "sum(events)",
    "interactive_events": "sum(interactive_events)",
    "vstart": "any(visit_start)",  # equal on every row of a visit (``visit_start`` names the column)
    "is_bounce": "toUInt8(pageviews = 1 AND interactive_events = 0)",
    "duration_ms": "if(is_bounce, 0, dateDiff('millisecond', session_start, session_end))",
    "entry_page": "if(pageviews = 0, '', argMinMerge(entry))",  # pageviews rank first: none, no page
    "exit_page": "if(pageviews = 0, '', argMaxMerge(exit))",
    **{column: f"any({column})" for column in FIRST_TOUCH},
}
_ALWAYS = ("visitor_id", "session_start", "session_end", "pageviews", "events", "interactive_events")
_COUNTED = ("is_bounce", "duration_ms")
# The visit dimensions whose column the events do not carry (a visit's entry and exit pages).
VISIT_ONLY = frozenset(
    name for name, d in DIMENSIONS.items() if d.scope == "visit" and d.column not in EVENT_COLUMN_NAMES
)


def folded(dimensions: Sequence[str]) -> list[int]:
    """The positions of the dimensions that fold case (``Dimension.fold_case``). A branch groups such a
    dimension by its key (``d<i>``, its lower case) and carries its first spelling in sort order
    (``sp<i>``, after the grouping columns) up to the outer query, which shows that spelling."""
    return [i for i, name in enumerate(dimensions) if (d := find(name)) is not None and d.fold_case]


def visits_sql(
    columns: Sequence[str] = (),
    having: Sequence[str] = (),
    days: str = "",
    until: str = "",
    where: Sequence[str] = (),
) -> str:
    """A subquery: each visit of ``{site_id}`` overlapping ``[{start}, {end})``, one row a visit, with
    ``visit_id``, the counts, ``is_bounce``, ``duration_ms`` and ``columns`` (``VISIT_AGGREGATES``), kept
    when ``having`` (conditions over those columns) holds. A visit made only of engagement events is none.
    ``days``, when given, is a further condition on ``visit_start`` (``Plan``'s visit days); ``until``,
    the end of the range per visit (``Plan.until_ms``), in place of ``{end}``; ``where``, conditions on
    the table's rows (``visits.<column>``), for first-touch columns, equal on every row of a visit.

    A visit ends before 03:00 UTC of the day after its start and its first event is at most 30 minutes
    before ``visit_start`` (``ingest/visits.py``), so the scan is bounded by the day of ``visit_start``.
    """
    columns = [*columns, "vstart"] if until else columns
    names = [*_ALWAYS, *_COUNTED, *(c for c in dict.fromkeys(columns) if c not in _ALWAYS + _COUNTED)]
    picks = ", ".join(f"{VISIT_AGGREGATES[name]} AS {name}" for name in names)
    ends = f"toUnixTimestamp64Milli(session_start) < {until}" if until else f"session_start < {_END}"
    kept = ["events > 0", f"session_end >= {_START}", ends, *having]
    return (
        f"SELECT visit_id, {picks} FROM visits"  # noqa: S608 - registry names only
        " WHERE site_id = {site_id:UInt64}"
        f" AND toDate(visit_start) BETWEEN toDate({_START}) - 1 AND toDate({_END} + INTERVAL 30 MINUTE)"
        f"{''.join(f' AND {condition}' for condition in (days, *where) if condition)}"
        f" GROUP BY visit_id HAVING {' AND '.join(kept)}"
    )


BEFORE = "|before:"  # a part of a visit day: its events before a moment, in minutes from the day's start


@dataclasses.dataclass(frozen=True)
class VisitDay:
    """The events of one visit day (the UTC day of their visit's start): how many, and when the first
    and the last happened (``day_events``); ``part``, when read from sums, which of its events they hold:
    all (``""``), or those before a moment (``part_before``)."""

    day: dt.date
    events: int
    first_at: dt.datetime
    last_at: dt.datetime
    part: str = ""

    @property
    def until(self) -> dt.datetime | None:
        """The moment (naive UTC) the events of its part are before; None for all of its events."""
        if not self.part:
            return None
        minutes = int(self.part.removeprefix(BEFORE))
        return dt.datetime.combine(self.day, dt.time()) + dt.timedelta(minutes=minutes)


def part_before(day: dt.date, moment: dt.datetime) -> str:
    """The part of visit day ``day``'s events before ``moment`` (naive UTC, a whole minute), as the
    variant of its sums ends (``VisitDay.until`` reads it back): ``|before:`` and the minutes from the
    day's start; "" for another moment."""
    since = moment - dt.datetime.combine(day, dt.time())
    if since <= dt.timedelta(0) or since % dt.timedelta(minutes=1):
        return ""
    return f"{BEFORE}{since // dt.timedelta(minutes=1)}"


class Plan:
    """The pieces of SQL a query's branches share: dimension and filter expressions per table.

    Events are ``e``; visits (``visits_sql``) are ``s``. An event carries its visit's first touch, so a
    visit dimension or filter on events is a condition on ``e``'s own column, except for the entry and
    exit pages (``VISIT_ONLY``), read from the event's visit. ``analytics.funnels`` reads events through
    it too, so both apply filters the same way.
    """

    def __init__(self, query: Query) -> None:
        start, end = query.date_range.bounds_utc()
        self.params: dict[str, Any] = {
            "site_id": query.site_id,
            "start": start.replace(tzinfo=None),
            "end": end.replace(tzinfo=None),
            "last": (end - dt.timedelta(milliseconds=1)).replace(tzinfo=None),
            "tz": query.date_range.tz,
        }
        self.bind = Binder(self.params)
        self.query = query
        self.days_sql = self.visits_days = ""  # every visit day, unless ``restrict_to``
        self.ends: tuple[str, str] = (
            "",
            "",
        )  # the parts' visit days and ends (``restrict_to``, ``until_ms``)
        self.by_day = False
        self.aliases = [f"d{index}" for index in range(len(query.dimensions))]
        self.folded = folded(query.dimensions)
        self.event_nodes = [n for n in query.filters if node_scope(n) == "event"]
        self.visit_nodes = [n for n in query.filters if node_scope(n) == "visit"]
        self.base_nodes = [n for n in self.event_nodes if not is_goal_node(n)]
        self.event_dims = [d for d in query.dimensions if _scope(d) == "event"]
        named = {leaf.dimension for node in query.filters for leaf in leaves(node)}
        # Top pages are pages viewed, not custom events fired there (unless a name or goal is asked for).
        self.pageviews_only = "event:page" in query.dimensions and not named & {"event:name", GOAL}
        wanted = {s for m in query.metrics for s in METRICS[m].sources}
        self.auxiliary = bool(wanted - set(REACHING))
        self.wanted = {p for name in query.metrics for p in METRICS[name].partials}

    # -- shared pieces ---------------------------------------------------------------------------

    def restrict_to(self, days: Sequence[VisitDay], *, by_day: bool = False) -> None:
        """Read only the events and visits of these visit days (``analytics.closed_days``): the day of
        their ``visit_start``; the times of each day's first and last event bound the events' scan.
        ``by_day``: every branch also groups by the visit day (a ``BY_DAY`` column)."""
        if by_day:
            self.by_day = True
            self.aliases.append(BY_DAY)
        # The UTC dates of each day's events too: the events' sorting key narrows a scan by them (not by
        # their times alone), so a costly condition (a join, a set) is tested on those dates' rows only.
        # A day's part (``VisitDay.until``): its events before a moment, and its visits begun before it,
        # as a range ending there reads them.
        spans = []
        for day in days:
            last = day.last_at if day.until is None else min(day.last_at, day.until - _MILLISECOND)
            spans.append(
                f"(toDate(e.visit_start) = {self.bind(day.day, 'Date')}"
                f" AND toDate(e.timestamp) BETWEEN {self.bind(day.first_at.date(), 'Date')}"
                f" AND {self.bind(last.date(), 'Date')}"
                f" AND e.timestamp BETWEEN {self.bind(day.first_at, _TIME)} AND {self.bind(last, _TIME)})"
            )
        self.days_sql = "(" + " OR ".join(spans) + ")" if spans else "0"
        listed = self.bind(sorted({day.day for day in days}), "Array(Date)")
        self.visits_days = f"toDate(visit_start) IN {listed}"
        parts = [day for day in days if day.until is not None]
        if parts:
            ms = [int(day.until.replace(tzinfo=dt.UTC).timestamp() * 1000) for day in parts if day.until]
            self.ends = (self.bind([day.day for day in parts], "Array(Date)"), self.bind(ms, "Array(Int64)"))

    def until_ms(self, table: str = "") -> str:
        """Where the range ends for a visit (of ``table``, with its ``vstart``), in milliseconds: at its
        day's part's end (``restrict_to``), else at ``{end}``; "" when no day is a part."""
        days, ms = self.ends
        if not days:
            return ""
        return f"transform(toDate({table}vstart), {days}, {ms}, toUnixTimestamp64Milli({_END}))"

    def column_sql(self, name: str, table: str) -> str:
        """The value of dimension ``name`` for a row of ``table`` (``e`` events, ``s``/'' visits)."""
        dimension = find(name)
        assert dimension is not None
        if name == GOAL:
            names = [
                f"if({any_goal_sql((g,), self.bind, table)}, {self.bind(g.display_name, 'String')}, '')"
                for g in self.query.goals
            ]
            return f"arrayJoin(arrayFilter(x -> x != '', CAST([{', '.join(names)}], 'Array(String)')))"
        if dimension.prop:
            key, t = self.bind(dimension.prop, "String"), f"{table}."
            value = f"{t}prop_values[indexOf({t}prop_keys, {key})]"
            return f"if(has({t}prop_keys, {key}), {value}, '{dimension.empty_label}')"
        return dimension.sql(table)

    def dimension_sql(self, name: str, *, time: str, visits: bool = False) -> str:
        """Dimension ``name`` of an event ``e`` (joined to its visit ``s`` where needed), or of a visit
        ``s`` when ``visits``."""
        if name in TIME_DIMENSIONS:
            return TIME_DIMENSIONS[name].format(ts=time)
        on_visit = _scope(name) == "visit" and (visits or name in VISIT_ONLY)
        return self.column_sql(name, "s" if on_visit else "e")

    def select_dimensions(
        self,
        *,
        time: str,
        visits: bool = False,
        override: dict[str, str] | None = None,
        grouped: bool = True,
    ) -> list[str]:
        """The dimensions' columns (``d<i>``, the visit day), then the spellings of those that fold
        case (``sp<i>``: the first of the group when ``grouped``, else the row's own)."""
        values = [
            (override or {}).get(name) or self.dimension_sql(name, time=time, visits=visits)
            for name in self.query.dimensions
        ]
        columns = []
        for index, (name, value) in enumerate(zip(self.query.dimensions, values, strict=True)):
            dimension = find(name)
            key = dimension.key_sql(value) if dimension is not None and index in self.folded else value
            columns.append(f"{key} AS d{index}")
        if self.by_day:  # the visit day, grouped by as one more dimension (``restrict_to``)
            columns.append(f"toDate({'s.vstart' if visits else 'e.visit_start'}) AS {BY_DAY}")
        columns += [f"{'min(' + values[i] + ')' if grouped else values[i]} AS sp{i}" for i in self.folded]
        return columns

    def regrouped(self) -> list[str]:
        """The spellings of the dimensions that fold case, over rows that carry them (``sp<i>``)."""
        return [f"min(sp{index}) AS sp{index}" for index in self.folded]

    def node_sql(self, node: FilterNode, table: str) -> str:
        if isinstance(node, Logic):
            parts = [self.node_sql(child, table) for child in node.children]
            if node.op == "not":
                return f"(NOT {parts[0]})"
            return "(" + f" {node.op.upper()} ".join(parts) + ")"
        if node.dimension == GOAL:
            condition = any_goal_sql(select_goals(self.query.goals, node), self.bind, table)
            return f"(NOT {condition})" if node.operator.endswith("_not") else condition
        return leaf_sql(node, self.column_sql(node.dimension, table), self.bind)

    def skip_empty(self, names: Sequence[str], *, visits: bool = False) -> list[str]:
        return [
            f"{self.dimension_sql(name, time='', visits=visits)} != ''"
            for name in names
            if (dimension := find(name)) is not None and dimension.skips_empty
        ]

    def visit_columns(self, names: Sequence[str]) -> list[str]:
        """The visit columns of the dimensions ``names`` and of the visit filters."""
        named = [*names, *(leaf.dimension for node in self.visit_nodes for leaf in leaves(node))]
        columns = [DIMENSIONS[name].column for name in named if _scope(name) == "visit"]
        return [*columns, "vstart"] if self.by_day else columns

    def visit_conditions(self, *, joined: bool) -> list[str]:
        """The visit filters on events: on the event's own first-touch columns, and the entry and exit
        pages on the event's visit (``s`` when ``joined``, else the visits that pass them)."""
        own = [n for n in self.visit_nodes if not _visit_only(n)]
        other = [n for n in self.visit_nodes if _visit_only(n)]
        where = [self.node_sql(node, "e") for node in own]
        if joined:
            return where + [self.node_sql(node, "s") for node in other]
        if other:
            having = [self.node_sql(node, "") for node in other]
            columns = [DIMENSIONS[leaf.dimension].column for node in other for leaf in leaves(node)]
            passing = visits_sql(columns, having, self.visits_days, self.until_ms(), self.own_visits())
            where.append(f"e.visit_id IN (SELECT visit_id FROM ({passing}))")  # noqa: S608
        return where

    def events_in_range(
        self,
        *,
        engagement: bool,
        joined: bool = False,
        grouped: bool = True,
        nodes: Sequence[FilterNode] | None = None,
    ) -> list[str]:
        """The events a branch reads (joined to their visits ``s`` when ``joined``); ``grouped=False``
        for a total, which ignores the dimensions."""
        where = [
            "e.site_id = {site_id:UInt64}",
            f"e.timestamp >= {_START}",
            f"e.timestamp < {_END}",
            "e.name = 'engagement'" if engagement else "e.name != 'engagement'",
        ]
        if self.days_sql:
            where.append(self.days_sql)
        where += [self.node_sql(n, "e") for n in (self.event_nodes if nodes is None else nodes)]
        where += self.visit_conditions(joined=joined)
        if not grouped:
            return where
        where += self.skip_empty(self.query.dimensions)
        if GOAL in self.query.dimensions:  # an event completing no goal is in no goal's row
            where.append(any_goal_sql(self.query.goals, self.bind, "e"))
        if self.pageviews_only and not engagement:
            where.append("e.name = 'pageview'")
        return where

    def events_from(self, *, joined: bool, columns: Sequence[str] = ()) -> str:
        """``events AS e``, joined when asked to its visit ``s`` with ``columns`` and the entry and exit
        pages the dimensions and filters name."""
        if not joined:
            return "events AS e"
        carried = set(EVENT_COLUMN_NAMES)
        needed = [*columns, *(c for c in self.visit_columns(self.query.dimensions) if c not in carried)]
        visits = visits_sql(needed, days=self.visits_days, until=self.until_ms(), where=self.own_visits())
        return f"events AS e INNER JOIN ({visits}) AS s ON e.visit_id = s.visit_id"

    def own_visits(self) -> list[str]:
        """The visit filters on first-touch columns, on the rows of ``visits``: every row of a visit has
        them, so only the visits passing them are grouped (the events they join to pass them too)."""
        return [self.node_sql(node, "visits") for node in self.visit_nodes if not _visit_only(node)]

    def joins(self, names: Sequence[str]) -> bool:
        """Whether events grouped by the dimensions ``names`` need their visits (entry or exit page)."""
        return any(name in VISIT_ONLY for name in names)

    def total_visitors(self, nodes: Sequence[FilterNode]) -> str:
        """A scalar subquery: the visitors of the whole query, dimensions aside, under ``nodes``."""
        where = self.events_in_range(engagement=False, grouped=False, nodes=nodes)
        return "ifNull((" + _select(["uniqExact(e.visitor_id)"], "events AS e", where) + "), 0)"

    def group_by(self, *extra: str) -> str:
        keys = [*self.aliases, *extra]
        return f" GROUP BY {', '.join(keys)}" if keys else ""

    def partials(self, source: str, values: Sequence[str], sources: Sequence[str]) -> list[str]:
        """This branch's partial columns, and zeros for the other branches' and for those no metric
        asked (so every branch of the UNION ALL has the same columns)."""
        out = []
        for other in sources:
            names = PARTIALS[other]
            exprs = values if other == source else ["0"] * len(names)
            out += [
                _CAST.get(name, "toUInt64({})").format(expr if name in self.wanted else 0) + f" AS {name}"
                for expr, name in zip(exprs, names, strict=True)
            ]
        if self.auxiliary:
            out.append(f"toUInt8({int(source in REACHING)}) AS p_reach")
        return out

    # -- branches --------------------------------------------------------------------------------

    def branch(self, source: str, sources: Sequence[str]) -> str:
        if source == EVENTS:
            return self.events_branch(sources)
        if source == ENGAGEMENT:
            return self.engagement_branch(sources)
        if source == VISITS:
            return self.visits_branch(sources)
        if source == BASE:
            return self.base_branch(sources)
        return self.pages_branch(sources)

    def revenue_values(self) -> list[str]:
        if not self.wanted & {"p_revenue", "p_revenue_events"}:
            return ["0", "0"]
        currency = self.query.revenue_currency()
        if isinstance(currency, dict):
            goal_alias = self.aliases[self.query.dimensions.index(GOAL)]
            names = self.bind(list(currency), "Array(String)")
            codes = self.bind(list(currency.values()), "Array(String)")
            wanted = f"transform({goal_alias}, {names}, {codes}, '')"
        else:
            wanted = self.bind(currency, "String")
        paid = f"e.revenue_amount IS NOT NULL AND e.revenue_currency != '' AND e.revenue_currency = {wanted}"
        return [f"sumIf(ifNull(e.revenue_amount, 0), {paid})", f"countIf({paid})"]

    def events_branch(self, sources: Sequence[str]) -> str:
        joined = self.joins(self.query.dimensions)
        select = self.select_dimensions(time="e.timestamp")
        counts = ["uniqExact(e.visitor_id)", "countIf(e.name = 'pageview')", "count()"]
        select += self.partials(EVENTS, [*counts, *self.revenue_values()], sources)
        where = self.events_in_range(engagement=False, joined=joined)
        return _select(select, self.events_from(joined=joined), where, self.group_by())

    def base_branch(self, sources: Sequence[str]) -> str:
        """The group's visitors without the goal filters (group_conversion_rate's denominator)."""
        joined = self.joins(self.query.dimensions)
        select = self.select_dimensions(time="e.timestamp")
        select += self.partials(BASE, ["uniqExact(e.visitor_id)"], sources)
        where = self.events_in_range(engagement=False, joined=joined, nodes=self.base_nodes)
        return _select(select, self.events_from(joined=joined), where, self.group_by())

    def pages_branch(self, sources: Sequence[str]) -> str:
        """Pageviews of each exit page's path in the range (exit_rate's denominator)."""
        others = [d for d in self.query.dimensions if d != "visit:exit_page"]
        joined = self.joins(others)
        select = self.select_dimensions(time="e.timestamp", override={"visit:exit_page": "e.pathname"})
        select += self.partials(PAGES, ["count()"], sources)
        where = self.events_in_range(engagement=False, joined=joined, grouped=False)
        where += [*self.skip_empty(others), "e.name = 'pageview'"]
        return _select(select, self.events_from(joined=joined), where, self.group_by())

    def engagement_branch(self, sources: Sequence[str]) -> str:
        # Engagement alone makes no visit: under visit dimensions or filters, only that of real visits.
        visit_named = any(_scope(name) == "visit" for name in self.query.dimensions)
        joined = visit_named or bool(self.visit_nodes)
        inner_select = [
            *self.select_dimensions(time="e.timestamp"),
            "e.visitor_id AS visitor",
            "e.pathname AS page",
            "sum(e.engagement_time) AS engaged_ms",
            "max(e.scroll_depth) AS depth",
        ]
        where = self.events_in_range(engagement=True, joined=joined)
        inner = _select(
            inner_select, self.events_from(joined=joined), where, self.group_by("visitor", "page")
        )
        select = [
            *self.aliases,
            *self.regrouped(),
            *self.partials(ENGAGEMENT, ["count()", "sum(engaged_ms)", "sum(depth)"], sources),
        ]
        return _select(select, f"({inner})", tail=self.group_by())

    def bounce_scope(self) -> str:
        """Which visits a bounce rate is over: for a page, those that entered on it (Plausible)."""
        if "event:page" in self.query.dimensions:
            return "s.entry_page = e.pathname"
        pages = [
            leaf_sql(node, "s.entry_page", self.bind)
            for node in self.event_nodes
            if isinstance(node, Filter) and node.dimension == "event:page"
        ]
        return " AND ".join(pages) if pages else "1"

    def visits_branch(self, sources: Sequence[str]) -> str:
        clamped = f"least(s.session_end, {_LAST})"  # a visit is charted by its last event, in the range
        if until := self.until_ms("s."):
            clamped = f"least(s.session_end, fromUnixTimestamp64Milli({until} - 1, 'UTC'))"
        if not (self.event_dims or self.event_nodes):  # the visits themselves, under the visit filters
            select = self.select_dimensions(time=clamped, visits=True)
            values = ["count()", "sum(s.pageviews)", "sum(s.is_bounce)", "count()", "sum(s.duration_ms)"]
            select += self.partials(VISITS, values, sources)
            # First-touch filters keep the visits' rows (``own_visits``); entry and exit pages, visits.
            having = [self.node_sql(node, "") for node in self.visit_nodes if _visit_only(node)]
            columns = self.visit_columns(self.query.dimensions)
            visits = visits_sql(columns, having, self.visits_days, self.until_ms(), self.own_visits())
            source = f"({visits}) AS s"
            where = self.skip_empty(self.query.dimensions, visits=True)
            return _select(select, source, where, self.group_by())
        # The visits holding a matching event in the range, once per value of the dimensions.
        scope = self.bounce_scope() if "p_bounces" in self.wanted else "1"
        inner_select = [
            "DISTINCT e.visit_id AS visit",
            *self.select_dimensions(time=clamped, grouped=False),
            f"{scope} AS bounce_scope",
            "s.pageviews AS pageviews",
            "s.is_bounce AS is_bounce",
            "s.duration_ms AS duration_ms",
        ]
        where = self.events_in_range(engagement=False, joined=True)
        columns = ["entry_page"] if "entry_page" in scope else []
        inner = _select(inner_select, self.events_from(joined=True, columns=columns), where)
        values = [
            "count()",
            "sum(pageviews)",
            "sumIf(is_bounce, bounce_scope)",
            "countIf(bounce_scope)",
            "sum(duration_ms)",
        ]
        select = [*self.aliases, *self.regrouped(), *self.partials(VISITS, values, sources)]
        return _select(select, f"({inner})", tail=self.group_by())


def _visit_only(node: FilterNode) -> bool:
    """Whether a visit filter names the entry or exit page (not carried by events)."""
    return any(leaf.dimension in VISIT_ONLY for leaf in leaves(node))


def _select(columns: Sequence[str], source: str, where: Sequence[str] = (), tail: str = "") -> str:
    """``SELECT … FROM … WHERE …``: every piece is built from registry names and placeholders."""
    sql = f"SELECT {', '.join(columns)} FROM {source}"  # noqa: S608 - no outside value reaches here
    if where:
        sql += f" WHERE {' AND '.join(where)}"
    return sql + tail


def _scope(name: str) -> str:
    dimension = find(name)
    return dimension.scope if dimension is not None else "time"


def _order_sql(query: Query, aliases: Sequence[str]) -> str:
    by_name = dict(zip(query.dimensions, aliases, strict=True))
    order = list(query.order_by)
    if not order:
        time_dim = query.time_dimension
        order = [(time_dim, "asc")] if time_dim else [(query.metrics[0], "desc")]
    terms = [f"{by_name.get(name, f'`{name}`')} {direction.upper()}" for name, direction in order]
    terms += [f"{alias} ASC" for alias in aliases]  # a stable order for ties
    return ", ".join(terms)

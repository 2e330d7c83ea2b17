"""The typed Query and the pure function that turns it into SQL text plus bound parameters.

Names (metrics, dimensions, operators) come only from the registries below; values only ever become
``{name:Type}`` parameters. Filters are data, as in ``["is", "event:page", ["/blog"]]``.

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
- **visits**: sessions (``analytics.sessions``) that overlap the range, i.e. start before its end and
  end after its start. **views_per_visit** is their pageviews (all of each session's, as Plausible)
  per visit, to 2 decimals; **bounce_rate** the percentage of them that are bounces (one pageview, no
  interactive custom event); **visit_duration** their mean length in seconds, bounces counting 0.
  Rounding is half up.
- **time_on_page**, **scroll_depth**: from engagement events in the range. Over each (visitor, page)
  pair with engagement: total engaged time, and the deepest scroll; reported as the mean over those
  pairs (whole seconds, whole percent).
- ``visit:*`` dimensions and filters are the session's (first touch: the source, UTM, geo and device
  of its first event; its entry and exit page); an event takes its session's. ``event:*`` ones are the
  event's. Visit metrics with an ``event:*`` filter or dimension count the sessions holding a matching
  event in the range. As in Plausible, the bounce rate of a page (an ``event:page`` dimension or
  filter) is that of the visits that entered on it.
- **percentage**: a group's visitors as a share of the query's visitors without its dimensions, to
  1 decimal.
- Time buckets: an event's by its time; a visit's by its last event, clamped into the range.
- A breakdown lists the groups reached by the kind of data its metrics are made of (events,
  engagement or visits).

Where Plausible picks a table per query, Lantern keeps one definition per metric: visitors, pageviews
and events always count the events in the range (Plausible counts whole sessions' when it reads its
sessions table), so a visit filter never changes what a pageview is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from analytics.errors import QueryError
from analytics.periods import DateRange
from analytics.sessions import live_sql

__all__ = ["DIMENSIONS", "METRICS", "OPERATORS", "DateRange", "Filter", "Query", "QueryError", "build_sql"]

EVENTS, ENGAGEMENT, VISITS = "events", "engagement", "visits"

# The partial sums each branch of a query contributes; a metric is an expression over them.
PARTIALS: dict[str, tuple[str, ...]] = {
    EVENTS: ("p_visitors", "p_pageviews", "p_events"),
    ENGAGEMENT: ("p_engaged", "p_engaged_ms", "p_scroll"),
    VISITS: ("p_visits", "p_visit_pageviews", "p_bounces", "p_bounce_visits", "p_duration_ms"),
}


def _half_up(numerator: str, denominator: str) -> str:
    """round(numerator / denominator), halves up, in integers (0 when there is nothing to divide by)."""
    den = f"greatest({denominator}, 1)"  # never a division by zero, even when folded as a constant
    return f"if({denominator} = 0, 0, intDiv(2 * ({numerator}) + {den}, 2 * {den}))"


@dataclasses.dataclass(frozen=True)
class Metric:
    source: str  # which branch computes its partials: EVENTS, ENGAGEMENT or VISITS
    sql: str  # over the partials, in the outer query
    partials: tuple[str, ...]  # the ones ``sql`` reads


def _metric(source: str, sql: str) -> Metric:
    return Metric(source, sql, tuple(p for p in PARTIALS[source] if f"sum({p})" in sql))


METRICS: dict[str, Metric] = {
    "visitors": _metric(EVENTS, "sum(p_visitors)"),
    "visits": _metric(VISITS, "sum(p_visits)"),
    "pageviews": _metric(EVENTS, "sum(p_pageviews)"),
    "views_per_visit": _metric(VISITS, _half_up("sum(p_visit_pageviews) * 100", "sum(p_visits)") + " / 100"),
    "bounce_rate": _metric(VISITS, _half_up("sum(p_bounces) * 100", "sum(p_bounce_visits)")),
    "visit_duration": _metric(VISITS, _half_up("sum(p_duration_ms)", "sum(p_visits) * 1000")),
    "events": _metric(EVENTS, "sum(p_events)"),
    "time_on_page": _metric(ENGAGEMENT, _half_up("sum(p_engaged_ms)", "sum(p_engaged) * 1000")),
    "scroll_depth": _metric(ENGAGEMENT, _half_up("sum(p_scroll)", "sum(p_engaged)")),
    "percentage": _metric(EVENTS, _half_up("sum(p_visitors) * 1000", "{total_visitors}") + " / 10"),
}

DIRECT = "Direct / None"


@dataclasses.dataclass(frozen=True)
class Dimension:
    """A column of ``events`` (scope "event") or of a session (scope "visit")."""

    scope: str
    column: str
    empty_label: str = ""  # what an empty value is called; without one, empty values leave breakdowns
    keep_empty: bool = False

    def sql(self, table: str = "") -> str:
        col = f"{table}.{self.column}" if table else self.column
        return f"if({col} = '', '{self.empty_label}', {col})" if self.empty_label else col

    @property
    def skips_empty(self) -> bool:
        return not (self.empty_label or self.keep_empty)


DIMENSIONS: dict[str, Dimension] = {
    "event:page": Dimension("event", "pathname"),
    "event:hostname": Dimension("event", "hostname"),
    "event:name": Dimension("event", "name"),
    "visit:source": Dimension("visit", "referrer_source", DIRECT),
    "visit:referrer": Dimension("visit", "referrer", DIRECT),
    "visit:channel": Dimension("visit", "channel", keep_empty=True),
    "visit:utm_medium": Dimension("visit", "utm_medium"),
    "visit:utm_source": Dimension("visit", "utm_source"),
    "visit:utm_campaign": Dimension("visit", "utm_campaign"),
    "visit:utm_content": Dimension("visit", "utm_content"),
    "visit:utm_term": Dimension("visit", "utm_term"),
    "visit:entry_page": Dimension("visit", "entry_page"),
    "visit:exit_page": Dimension("visit", "exit_page"),
    "visit:country": Dimension("visit", "country_code"),
    "visit:region": Dimension("visit", "region"),
    "visit:city": Dimension("visit", "city"),
    "visit:browser": Dimension("visit", "browser"),
    "visit:browser_version": Dimension("visit", "browser_version"),
    "visit:os": Dimension("visit", "os"),
    "visit:os_version": Dimension("visit", "os_version"),
    "visit:device": Dimension("visit", "device"),
    "visit:screen": Dimension("visit", "screen_size"),
}

# Time buckets come back as local-time text ("2026-11-21", "2026-11-21 13:00:00"), never as datetimes
# whose zone a driver could reinterpret. {ts} is the time being bucketed.
TIME_DIMENSIONS: dict[str, str] = {
    "time:minute": "formatDateTime({ts}, '%Y-%m-%d %H:%i:00', {{tz:String}})",
    "time:hour": "formatDateTime({ts}, '%Y-%m-%d %H:00:00', {{tz:String}})",
    "time:day": "toString(toDate({ts}, {{tz:String}}))",
    "time:week": "toString(toMonday({ts}, {{tz:String}}))",
    "time:month": "toString(toStartOfMonth({ts}, {{tz:String}}))",
}

# operator -> SQL template over {col} and the bound parameter {param}; values arrive as Array(String).
OPERATORS: dict[str, str] = {
    "is": "{col} IN {param}",
    "is_not": "{col} NOT IN {param}",
    "contains": "multiSearchAnyCaseInsensitiveUTF8({col}, {param})",
    "contains_not": "NOT multiSearchAnyCaseInsensitiveUTF8({col}, {param})",
}

MAX_LIMIT = 10_000

_TIME = "DateTime64(3, 'UTC')"
_START, _END, _LAST = f"{{start:{_TIME}}}", f"{{end:{_TIME}}}", f"{{last:{_TIME}}}"


@dataclasses.dataclass(frozen=True)
class Filter:
    operator: str
    dimension: str
    values: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Query:
    site_id: int
    date_range: DateRange
    metrics: tuple[str, ...]
    dimensions: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    order_by: tuple[tuple[str, str], ...] = ()
    limit: int = 100
    offset: int = 0

    def __post_init__(self) -> None:
        if not self.metrics:
            raise QueryError("metrics", "at least one metric is required")
        for metric in self.metrics:
            if metric not in METRICS:
                raise QueryError("metrics", f"unknown metric {metric!r}")
        for dimension in self.dimensions:
            if dimension not in DIMENSIONS and dimension not in TIME_DIMENSIONS:
                raise QueryError("dimensions", f"unknown dimension {dimension!r}")
        if len(set(self.dimensions)) != len(self.dimensions):
            raise QueryError("dimensions", "a dimension is named twice")
        for flt in self.filters:
            if flt.operator not in OPERATORS:
                raise QueryError("filters", f"unknown operator {flt.operator!r}")
            if flt.dimension not in DIMENSIONS:
                raise QueryError("filters", f"cannot filter by {flt.dimension!r}")
        for name, direction in self.order_by:
            if name not in self.metrics and name not in self.dimensions:
                raise QueryError("order_by", f"{name!r} is neither a requested metric nor a dimension")
            if direction not in {"asc", "desc"}:
                raise QueryError("order_by", f"direction must be asc or desc, got {direction!r}")
        if not 1 <= self.limit <= MAX_LIMIT:
            raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}")
        if self.offset < 0:
            raise QueryError("page", "must be 1 or more")

    @property
    def time_dimension(self) -> str | None:
        return next((d for d in self.dimensions if d in TIME_DIMENSIONS), None)


def build_sql(query: Query) -> tuple[str, dict[str, Any]]:
    """SQL text (names from the registries only) and its bound parameters (every outside value).

    One statement: a branch per kind of metric asked for (events, engagement, visits), each grouped
    by the dimensions, glued by ``UNION ALL`` and summed per group in the outer query.
    """
    start, end = query.date_range.bounds_utc()
    params: dict[str, Any] = {
        "site_id": query.site_id,
        "start": start.replace(tzinfo=None),
        "end": end.replace(tzinfo=None),
        "last": (end - dt.timedelta(milliseconds=1)).replace(tzinfo=None),
        "tz": query.date_range.tz,
    }
    for index, flt in enumerate(query.filters):
        params[f"f{index}"] = list(flt.values)
    plan = _Plan(query)
    sources = [s for s in (EVENTS, ENGAGEMENT, VISITS) if any(METRICS[m].source == s for m in query.metrics)]
    branches = [plan.branch(source, sources) for source in sources]
    aliases = plan.aliases
    totals = {"total_visitors": plan.total_visitors() if "percentage" in query.metrics else ""}
    select = [*aliases, *(f"{METRICS[name].sql.format(**totals)} AS `{name}`" for name in query.metrics)]
    inner = " UNION ALL ".join(f"({branch})" for branch in branches)
    # Every name above comes from a registry; every outside value is a {param:Type} placeholder.
    sql = f"SELECT {', '.join(select)} FROM ({inner})"  # noqa: S608
    if aliases:
        sql += f" GROUP BY {', '.join(aliases)}"
        sql += f" ORDER BY {_order_sql(query, aliases)}"
        params["limit"] = query.limit
        params["offset"] = query.offset
        sql += " LIMIT {limit:UInt32} OFFSET {offset:UInt32}"
    return sql, params


class _Plan:
    """The pieces of SQL a query's branches share: dimension and filter expressions per table."""

    def __init__(self, query: Query) -> None:
        self.query = query
        self.aliases = [f"d{index}" for index in range(len(query.dimensions))]
        self.event_filters = [(i, f) for i, f in enumerate(query.filters) if _scope(f.dimension) == "event"]
        self.visit_filters = [(i, f) for i, f in enumerate(query.filters) if _scope(f.dimension) == "visit"]
        self.visit_dims = [d for d in query.dimensions if _scope(d) == "visit"]
        self.event_dims = [d for d in query.dimensions if _scope(d) == "event"]
        # Top pages are pages viewed, not custom events fired there (unless a name is asked for).
        self.pageviews_only = "event:page" in query.dimensions and not any(
            f.dimension == "event:name" for f in query.filters
        )

    # -- shared pieces ---------------------------------------------------------------------------

    def dimension_sql(self, name: str, *, time: str) -> str:
        if name in TIME_DIMENSIONS:
            return TIME_DIMENSIONS[name].format(ts=time)
        dimension = DIMENSIONS[name]
        return dimension.sql("e" if dimension.scope == "event" else "s")

    def select_dimensions(self, *, time: str) -> list[str]:
        return [
            f"{self.dimension_sql(name, time=time)} AS {alias}"
            for name, alias in zip(self.query.dimensions, self.aliases, strict=True)
        ]

    def filter_sql(self, index: int, flt: Filter, column: str | None = None) -> str:
        dimension = DIMENSIONS[flt.dimension]
        col = column or dimension.sql("e" if dimension.scope == "event" else "")
        return "(" + OPERATORS[flt.operator].format(col=col, param=f"{{f{index}:Array(String)}}") + ")"

    def skip_empty(self, names: Sequence[str]) -> list[str]:
        return [
            f"{self.dimension_sql(name, time='')} != ''"
            for name in names
            if name in DIMENSIONS and DIMENSIONS[name].skips_empty
        ]

    def session_columns(self, *extra: str) -> list[str]:
        names = [*self.visit_dims, *(f.dimension for _, f in self.visit_filters)]
        return [*extra, *(DIMENSIONS[name].column for name in names)]

    def live(self, *extra: str, span: str = "overlapping") -> str:
        """The live sessions with the columns needed, narrowed by the visit filters (and ``span``)."""
        having = [self.filter_sql(i, f) for i, f in self.visit_filters]
        return live_sql(self.session_columns(*extra), having, span=span)

    def events_in_range(self, *, joined: bool, engagement: bool, grouped: bool = True) -> list[str]:
        """The events a branch reads; ``grouped=False`` for a total, which ignores the dimensions."""
        where = [
            "e.site_id = {site_id:UInt64}",
            f"e.timestamp >= {_START}",
            f"e.timestamp < {_END}",
            "e.name = 'engagement'" if engagement else "e.name != 'engagement'",
        ]
        if joined:  # the event's own session (a visitor's sessions never overlap)
            where += ["e.timestamp >= s.session_start", "e.timestamp <= s.session_end"]
        where += [self.filter_sql(i, f) for i, f in self.event_filters]
        if not grouped:
            return where
        where += self.skip_empty(self.query.dimensions)
        if self.pageviews_only and not engagement:
            where.append("e.name = 'pageview'")
        return where

    def total_visitors(self) -> str:
        """A scalar subquery: the visitors of the whole query, dimensions aside (for percentage)."""
        joined = bool(self.visit_filters)
        where = self.events_in_range(joined=joined, engagement=False, grouped=False)
        return (
            "ifNull(("
            + _select(["uniqExact(e.visitor_id)"], self.events_from(joined=joined), where)
            + "), 0)"
        )

    def events_from(self, *, joined: bool, extra: Sequence[str] = (), span: str = "overlapping") -> str:
        """``events AS e``, joined when asked to its session ``s`` (events outside one drop out)."""
        if not joined:
            return "events AS e"
        return (
            f"events AS e INNER JOIN ({self.live(*extra, span=span)}) AS s"
            " ON e.site_id = s.site_id AND e.visitor_id = s.visitor_id"
        )

    def group_by(self, *extra: str) -> str:
        keys = [*self.aliases, *extra]
        return f" GROUP BY {', '.join(keys)}" if keys else ""

    def partials(self, source: str, values: Sequence[str], sources: Sequence[str]) -> list[str]:
        """This branch's partial columns, and zeros for the other branches' and for those no metric
        asked (so every branch of the UNION ALL has the same columns)."""
        wanted = {p for name in self.query.metrics for p in METRICS[name].partials}
        out = []
        for other in sources:
            names = PARTIALS[other]
            exprs = values if other == source else ["0"] * len(names)
            out += [
                f"toUInt64({expr if name in wanted else 0}) AS {name}"
                for expr, name in zip(exprs, names, strict=True)
            ]
        return out

    # -- branches --------------------------------------------------------------------------------

    def branch(self, source: str, sources: Sequence[str]) -> str:
        if source == EVENTS:
            return self.events_branch(sources)
        if source == ENGAGEMENT:
            return self.engagement_branch(sources)
        return self.visits_branch(sources)

    def events_branch(self, sources: Sequence[str]) -> str:
        joined = bool(self.visit_dims or self.visit_filters)
        if joined and not (self.event_dims or self.event_filters or self.query.time_dimension):
            return self.events_by_session(sources)
        return self.events_joined(sources, joined=joined)

    def events_joined(self, sources: Sequence[str], *, joined: bool = True) -> str:
        """The events branch read event by event, each joined to its session when ``joined``."""
        select = self.select_dimensions(time="e.timestamp")
        select += self.partials(
            EVENTS, ["uniqExact(e.visitor_id)", "countIf(e.name = 'pageview')", "count()"], sources
        )
        where = self.events_in_range(joined=joined, engagement=False)
        source = self.events_from(joined=joined)
        return _select(select, source, where, self.group_by())

    def events_by_session(self, sources: Sequence[str]) -> str:
        """The events branch when only visit dimensions and filters apply, without joining every event
        to its session: a session wholly inside the range holds its events' counts (all of its events
        lie in the range, and it has at least one that is not engagement); only the sessions crossing
        an edge of the range are joined to their events, which lie within a day of that edge."""
        dims = self.select_dimensions(time="")
        skip = self.skip_empty(self.query.dimensions)
        counted = ["toUInt64(s.pageviews) AS pv", "toUInt64(s.events) AS ev"]
        inside = _select(
            [*dims, "s.visitor_id AS visitor", *counted],
            f"({self.live('pageviews', 'events', span='inside')}) AS s",
            skip,
        )
        near_edges = f"(e.timestamp < {_START} + INTERVAL 1 DAY OR e.timestamp >= {_END} - INTERVAL 1 DAY)"
        edges = _select(
            [*dims, "e.visitor_id AS visitor", "toUInt64(e.name = 'pageview') AS pv", "toUInt64(1) AS ev"],
            self.events_from(joined=True, span="edges"),
            [*self.events_in_range(joined=True, engagement=False), near_edges],
        )
        values = ["uniqExact(visitor)", "sum(pv)", "sum(ev)"]
        select = [*self.aliases, *self.partials(EVENTS, values, sources)]
        return _select(select, f"({inside} UNION ALL {edges})", tail=self.group_by())

    def engagement_branch(self, sources: Sequence[str]) -> str:
        joined = bool(self.visit_dims or self.visit_filters)
        inner_select = [
            *self.select_dimensions(time="e.timestamp"),
            "e.visitor_id AS visitor",
            "e.pathname AS page",
            "sum(e.engagement_time) AS engaged_ms",
            "max(e.scroll_depth) AS depth",
        ]
        where = self.events_in_range(joined=joined, engagement=True)
        source = self.events_from(joined=joined)
        inner = _select(inner_select, source, where, self.group_by("visitor", "page"))
        select = [
            *self.aliases,
            *self.partials(ENGAGEMENT, ["count()", "sum(engaged_ms)", "sum(depth)"], sources),
        ]
        return _select(select, f"({inner})", tail=self.group_by())

    def bounce_scope(self) -> str:
        """Which visits a bounce rate is over: for a page, those that entered on it (Plausible)."""
        if "event:page" in self.query.dimensions:
            return "s.entry_page = e.pathname"
        pages = [
            self.filter_sql(i, f, "s.entry_page")
            for i, f in self.event_filters
            if f.dimension == "event:page"
        ]
        return " AND ".join(pages) if pages else "1"

    def visits_branch(self, sources: Sequence[str]) -> str:
        clamped = f"least(s.session_end, {_LAST})"  # a visit is charted by its last event, in the range
        wanted = {p for name in self.query.metrics for p in METRICS[name].partials}
        counts = [c for c, p in _SESSION_COUNTS if p in wanted]
        if not (self.event_dims or self.event_filters):
            select = self.select_dimensions(time=clamped)
            select += self.partials(
                VISITS,
                ["count()", "sum(s.pageviews)", "sum(s.is_bounce)", "count()", "sum(s.duration_ms)"],
                sources,
            )
            where = self.skip_empty(self.query.dimensions)
            return _select(select, f"({self.live(*counts)}) AS s", where, self.group_by())
        # The sessions holding a matching event in the range, once per value of the dimensions.
        scope = self.bounce_scope() if "p_bounces" in wanted else "1"
        inner_select = [
            "DISTINCT s.visitor_id AS visitor",
            "s.session_start AS started",
            *self.select_dimensions(time=clamped),
            *(f"s.{c} AS {c}" if c in counts else f"0 AS {c}" for c, _ in _SESSION_COUNTS),
            f"{scope} AS bounce_scope",
        ]
        where = self.events_in_range(joined=True, engagement=False)
        extra = [*counts, "entry_page"] if "entry_page" in scope else counts
        inner = _select(inner_select, self.events_from(joined=True, extra=extra), where)
        values = [
            "count()",
            "sum(pageviews)",
            "sumIf(is_bounce, bounce_scope)",
            "countIf(bounce_scope)",
            "sum(duration_ms)",
        ]
        select = [*self.aliases, *self.partials(VISITS, values, sources)]
        return _select(select, f"({inner})", tail=self.group_by())


# A session's stored counts, and the partial each feeds.
_SESSION_COUNTS = (
    ("pageviews", "p_visit_pageviews"),
    ("is_bounce", "p_bounces"),
    ("duration_ms", "p_duration_ms"),
)


def _select(columns: Sequence[str], source: str, where: Sequence[str] = (), tail: str = "") -> str:
    """``SELECT … FROM … WHERE …``: every piece is built from registry names and placeholders."""
    sql = f"SELECT {', '.join(columns)} FROM {source}"  # noqa: S608 - no outside value reaches here
    if where:
        sql += f" WHERE {' AND '.join(where)}"
    return sql + tail


def _scope(name: str) -> str:
    return DIMENSIONS[name].scope if name in DIMENSIONS else "time"


def _order_sql(query: Query, aliases: Sequence[str]) -> str:
    by_name = dict(zip(query.dimensions, aliases, strict=True))
    order = list(query.order_by)
    if not order:
        time_dim = query.time_dimension
        order = [(time_dim, "asc")] if time_dim else [(query.metrics[0], "desc")]
    terms = [f"{by_name.get(name, f'`{name}`')} {direction.upper()}" for name, direction in order]
    terms += [f"{alias} ASC" for alias in aliases]  # a stable order for ties
    return ", ".join(terms)

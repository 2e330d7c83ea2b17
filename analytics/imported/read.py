"""Imported rows in a query: which imported table can answer it, and its rows as the query's partials.

    >>> active = ActiveImport(7, dt.date(2021, 1, 1), dt.date(2023, 12, 31))
    >>> decision = decide(query, active)  # doctest: +SKIP
    >>> decision.reason, decision.query.imports  # doctest: +SKIP
    (None, (7,))

Plausible's rules, as its Stats API documents them: imported data is daily aggregates in tables of
one family each (sources, pages, entry pages, exit pages, custom events, locations, devices, browsers,
operating systems, and the visitors table for no dimension at all). A query takes imported rows only
when every dimension and filter it names belongs to one family (time by day, week or month aside)
and every metric it asks for is one the aggregates hold; otherwise they are left out, and the answer
says why (``imports_skip_reason``): ``no_imported_data``, ``out_of_range`` (no imported day in the
range), ``unsupported_interval`` (hours, minutes, an exact interval) or ``unsupported_query``.

Once a query carries import ids (``Query.imports``), ``merge`` adds one more branch to its union:
the family table's rows in the range, grouped by the query's dimensions, as the same partial sums
the event branches give (``analytics.query.PARTIALS``), so the outer query adds native and imported
numbers per group before ordering and paging. Unique visitors are summed over days, as Plausible
does. Values are bound parameters; column names come from the tables below.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from analytics.dimensions import DIRECT, GOAL, TIME_DIMENSIONS, find
from analytics.filters import Binder, Filter, FilterNode, Logic, leaf_sql, leaves, wildcard_regex
from analytics.goals import Goal, select_goals
from analytics.query import EXTENSIONS, PARTIALS, REACHING, Query, folded, query_sources
from analytics.query import METRICS as QUERY_METRICS

__all__ = ["SKIP_WARNINGS", "ActiveImport", "Decision", "decide", "family", "merge"]

VISITORS, SOURCES, PAGES, ENTRY, EXIT = (
    "imported_visitors",
    "imported_sources",
    "imported_pages",
    "imported_entry_pages",
    "imported_exit_pages",
)
EVENTS, LOCATIONS, DEVICES, BROWSERS, SYSTEMS = (
    "imported_custom_events",
    "imported_locations",
    "imported_devices",
    "imported_browsers",
    "imported_operating_systems",
)
# Each dimension's family table and its value there (an expression over the table's row ``i``).
COLUMNS: dict[str, tuple[str, str]] = {
    "visit:source": (SOURCES, f"if(i.source = '', '{DIRECT}', i.source)"),
    "visit:referrer": (SOURCES, f"if(i.referrer = '', '{DIRECT}', i.referrer)"),
    "visit:channel": (SOURCES, "i.channel"),
    **{
        f"visit:utm_{tag}": (SOURCES, f"i.utm_{tag}")
        for tag in ("medium", "source", "campaign", "content", "term")
    },
    "visit:entry_page": (ENTRY, "i.entry_page"),
    "visit:exit_page": (EXIT, "i.exit_page"),
    "visit:country": (LOCATIONS, "i.country"),
    # names, as native visits carry them (set when loading: analytics/imported/places.py)
    "visit:region": (LOCATIONS, "i.region_name"),
    "visit:region_name": (LOCATIONS, "i.region_name"),
    "visit:city": (LOCATIONS, "i.city_name"),
    "visit:city_name": (LOCATIONS, "i.city_name"),
    "visit:device": (DEVICES, "i.device"),
    "visit:screen": (DEVICES, "i.device"),
    "visit:browser": (BROWSERS, "i.browser"),
    "visit:browser_version": (BROWSERS, "i.browser_version"),
    "visit:os": (SYSTEMS, "i.operating_system"),
    "visit:os_version": (SYSTEMS, "i.operating_system_version"),
    "event:page": (PAGES, "i.page"),
    "event:hostname": (PAGES, "i.hostname"),
    "event:name": (EVENTS, "i.name"),
}
FILTER_ONLY = frozenset({"event:hostname"})
TIME_COLUMNS = {
    "time:day": "toString(i.date)",
    "time:week": "toString(toMonday(i.date))",
    "time:month": "toString(toStartOfMonth(i.date))",
}
METRICS = frozenset(
    {
        "visitors",
        "visits",
        "pageviews",
        "views_per_visit",
        "bounce_rate",
        "visit_duration",
        "events",
        "percentage",
        "conversion_rate",
    }
)
_SESSION = {
    "p_visitors": "sum(i.visitors)",
    "p_pageviews": "sum(i.pageviews)",
    "p_events": "sum(i.pageviews)",
    "p_visits": "sum(i.visits)",
    "p_visit_pageviews": "sum(i.pageviews)",
    "p_bounces": "sum(i.bounces)",
    "p_bounce_visits": "sum(i.visits)",
    "p_duration_ms": "sum(i.visit_duration) * 1000",
}
# Each table's partial sums (the others are 0): what its rows can say of a group.
PARTIAL_SQL: dict[str, dict[str, str]] = {
    VISITORS: _SESSION,
    SOURCES: _SESSION,
    LOCATIONS: _SESSION,
    DEVICES: _SESSION,
    BROWSERS: _SESSION,
    SYSTEMS: _SESSION,
    ENTRY: {**_SESSION, "p_visits": "sum(i.entrances)", "p_bounce_visits": "sum(i.entrances)"},
    EXIT: {**_SESSION, "p_visits": "sum(i.exits)", "p_bounce_visits": "sum(i.exits)"},
    PAGES: {
        "p_visitors": "sum(i.visitors)",
        "p_pageviews": "sum(i.pageviews)",
        "p_events": "sum(i.pageviews)",
        "p_visits": "sum(i.visits)",
        "p_visit_pageviews": "sum(i.pageviews)",
    },
    EVENTS: {"p_visitors": "sum(i.visitors)", "p_events": "sum(i.events)"},
}
SKIP_WARNINGS = {
    "unsupported_query": "Imported stats are not included in the results because query parameters are"
    " not supported.",
    "unsupported_interval": "Imported stats are not included because the time dimension (i.e. the interval)"
    " is too short.",
}


@dataclasses.dataclass(frozen=True)
class ActiveImport:
    """A site's active import: its id and the first and last day it holds."""

    import_id: int
    first: dt.date
    last: dt.date


@dataclasses.dataclass(frozen=True)
class Decision:
    """The query to run (with the import's id when it takes imported rows) and, when it does not,
    why (one of Plausible's ``imports_skip_reason`` values)."""

    query: Query
    reason: str | None

    @property
    def included(self) -> bool:
        return self.reason is None


def decide(query: Query, active: ActiveImport | None) -> Decision:
    """Whether ``query`` takes the rows of the ``active`` import (None: the site has none)."""
    plain = dataclasses.replace(query, imports=())
    if active is None:
        return Decision(plain, "no_imported_data")
    if query.date_range.moments is not None or query.time_dimension in {"time:hour", "time:minute"}:
        return Decision(plain, "unsupported_interval")
    if query.date_range.last < active.first or query.date_range.first > active.last:
        return Decision(plain, "out_of_range")
    if family(query) is None:
        return Decision(plain, "unsupported_query")
    return Decision(dataclasses.replace(query, imports=(active.import_id,)), None)


def _named(query: Query) -> list[str]:
    """The non-time dimensions a query groups or filters by."""
    filtered = [leaf.dimension for node in query.filters for leaf in leaves(node)]
    return [d for d in [*query.dimensions, *filtered] if d not in TIME_DIMENSIONS]


def _goal_tables(goals: Sequence[Goal]) -> set[str]:
    return {EVENTS if goal.event_name else PAGES for goal in goals}


def family(query: Query) -> str | None:
    """The imported table that answers ``query``, or None when none can (or ``GOAL`` for a breakdown
    by goals, answered by the custom events and the pages tables together)."""
    if not set(query.metrics) <= METRICS:
        return None
    if "conversion_rate" in query.metrics and query.dimensions not in {(), (GOAL,)}:
        return None
    if "percentage" in query.metrics and GOAL in query.dimensions:
        return None
    if any(d in FILTER_ONLY for d in query.dimensions):
        return None
    tables: set[str] = set()
    for name in _named(query):
        if name == GOAL:
            continue
        if name not in COLUMNS:
            return None
        tables.add(COLUMNS[name][0])
    goal_filters = [leaf for node in query.filters for leaf in leaves(node) if leaf.dimension == GOAL]
    for leaf in goal_filters:
        tables |= _goal_tables(select_goals(query.goals, leaf))
    if GOAL in query.dimensions:
        return GOAL if not tables and not goal_filters else None
    if len(tables) > 1:
        return None
    return tables.pop() if tables else VISITORS


class _Binder(Binder):
    """Placeholders of their own (``{iN:Type}``), beside those the query's plan handed out."""

    def __call__(self, value: Any, type_: str) -> str:
        key = (repr(value), type_)
        if key not in self._seen:
            name = f"imp{len(self._seen)}"
            self.params[name] = value
            self._seen[key] = f"{{{name}:{type_}}}"
        return self._seen[key]


def _goal_sql(goal: Goal, table: str, bind: Binder) -> str:
    """When a row of ``table`` counts for ``goal`` ('0' when it never does)."""
    if goal.event_name and table == EVENTS:
        return f"i.name = {bind(goal.event_name, 'String')}"
    if goal.page_path and table == PAGES:
        return f"match(i.page, {bind(wildcard_regex([goal.page_path]), 'String')})"
    return "0"


def _node_sql(node: FilterNode, table: str, query: Query, bind: Binder) -> str:
    if isinstance(node, Logic):
        parts = [_node_sql(child, table, query, bind) for child in node.children]
        if node.op == "not":
            return f"(NOT {parts[0]})"
        return "(" + f" {node.op.upper()} ".join(parts) + ")"
    assert isinstance(node, Filter)
    if node.dimension == GOAL:
        goals = select_goals(query.goals, node)
        condition = "(" + " OR ".join(_goal_sql(g, table, bind) for g in goals) + ")" if goals else "0"
        return f"(NOT {condition})" if node.operator.endswith("_not") else condition
    return leaf_sql(node, COLUMNS[node.dimension][1], bind)


def _where(
    query: Query, table: str, bind: Binder, *, grouped: bool, nodes: Sequence[FilterNode] | None = None
) -> list[str]:
    """The rows of ``table`` the query reads: the site's, its imports', the range's, under ``nodes``
    (the query's filters by default); ``grouped``: leaving out those whose dimensions are empty."""
    where = [
        "i.site_id = {site_id:UInt64}",
        f"i.import_id IN {bind(list(query.imports), 'Array(UInt64)')}",
        f"i.date BETWEEN {bind(query.date_range.first, 'Date')} AND {bind(query.date_range.last, 'Date')}",
        *(_node_sql(node, table, query, bind) for node in (query.filters if nodes is None else nodes)),
    ]
    if grouped:
        for name in query.dimensions:
            dimension = find(name)
            if name in COLUMNS and dimension is not None and dimension.skips_empty:
                where.append(f"{COLUMNS[name][1]} != ''")
    return where


def _partials(query: Query, table: str) -> list[str]:
    """The union's partial columns, in order: this table's sums where a metric asked for them."""
    sources = query_sources(query)
    wanted = {p for name in query.metrics for p in QUERY_METRICS[name].partials}
    columns = []
    for source in sources:
        for name in PARTIALS[source]:
            expr = PARTIAL_SQL[table].get(name, "0") if name in wanted else "0"
            cast = "toDecimal128({}, 6)" if name == "p_revenue" else "toUInt64({})"
            columns.append(f"{cast.format(expr)} AS {name}")
    if any(source not in REACHING for source in sources):
        columns.append("toUInt8(1) AS p_reach")
    return columns


def _branch(query: Query, table: str, bind: Binder, dimension_sql: dict[str, str]) -> str:
    spelled = folded(query.dimensions)
    aliases = [
        f"{_key(name, dimension_sql[name]) if index in spelled else dimension_sql[name]} AS d{index}"
        for index, name in enumerate(query.dimensions)
    ]
    spellings = [f"min({dimension_sql[query.dimensions[index]]}) AS sp{index}" for index in spelled]
    select = [*aliases, *spellings, *_partials(query, table)]
    where = _where(query, table, bind, grouped=True)
    group = f" GROUP BY {', '.join(f'd{n}' for n in range(len(aliases)))}" if aliases else ""
    return f"SELECT {', '.join(select)} FROM {table} AS i WHERE {' AND '.join(where)}{group}"  # noqa: S608


def _key(name: str, value: str) -> str:
    """What a dimension that folds case groups by (``analytics.query.folded``)."""
    dimension = find(name)
    assert dimension is not None
    return dimension.key_sql(value)


def _dimension_sql(query: Query, table: str, bind: Binder) -> dict[str, str]:
    out = {}
    for name in query.dimensions:
        if name in TIME_COLUMNS:
            out[name] = TIME_COLUMNS[name]
        elif name == GOAL:
            names = [
                f"if({_goal_sql(g, table, bind)}, {bind(g.display_name, 'String')}, '')" for g in query.goals
            ]
            out[name] = f"arrayJoin(arrayFilter(x -> x != '', CAST([{', '.join(names)}], 'Array(String)')))"
        else:
            out[name] = COLUMNS[name][1]
    return out


def branches(query: Query, bind: Binder) -> list[str]:
    """The SELECTs of imported rows the query's union takes (none without import ids)."""
    table = family(query) if query.imports else None
    if table is None:
        return []
    tables = sorted(_goal_tables(query.goals)) if table == GOAL else [table]
    return [_branch(query, t, bind, _dimension_sql(query, t, bind)) for t in tables]


def _total(query: Query, table: str, bind: Binder, nodes: Sequence[FilterNode]) -> str:
    where = _where(query, table, bind, grouped=False, nodes=nodes)
    return f"(SELECT toUInt64(sum(i.visitors)) FROM {table} AS i WHERE {' AND '.join(where)})"  # noqa: S608


def merge(
    query: Query, inner: str, totals: dict[str, str], params: dict[str, Any]
) -> tuple[str, dict[str, str]]:
    """``inner`` (the query's union) with the imported branches added, and the wholes its shares and
    conversion rates divide by with the imported visitors added (``analytics.query.outer_sql``)."""
    bind = _Binder(params)
    extra = branches(query, bind)
    if not extra:
        return inner, totals
    table = family(query)
    assert table is not None
    out = dict(totals)
    if totals.get("total_visitors") and table != GOAL:
        out["total_visitors"] = f"{totals['total_visitors']} + {_total(query, table, bind, query.filters)}"
    if totals.get("total_base_visitors"):
        others = [n for n in query.filters if not all(leaf.dimension == GOAL for leaf in leaves(n))]
        base = _total(query, VISITORS if not others else table, bind, others)
        out["total_base_visitors"] = f"{totals['total_base_visitors']} + {base}"
    return " UNION ALL ".join([inner, *(f"({sql})" for sql in extra)]), out


EXTENSIONS.append(merge)

"""The open visit days of a page, read once: the events a query reads raw (``analytics.closed_days``:
today, the range's edges), grouped by each dimension of the dashboard's first view in one scan.

A page opens with a card per dimension (the top stats, the chart, sources, locations, devices) and
each card's query reads the same raw events again: most of a page's cost. Here the first of them reads
those events once, ``GROUP BY GROUPING SETS`` over ``SETS`` (with each of the query's goals' counts
in the whole's row), and the others take their group's rows: the goals card too.

The rows are kept under everything they depend on: the store and how many writes other than inserts of
events this process made to it, the site, the range, its filters and goals, and each raw visit day with
its event count and first and last event (``VisitDay``, as ``visit_days.split`` read them for the
query). A new event changes its day's count and so the key: a query never takes rows older than the
events it counted. An
entry serves for a few seconds (``TTL``): long enough for one page's requests, which arrive together,
and short enough that a rewrite keeping a day's counts (re-deriving its visits, ``analytics.rederive``,
in another process) shows within seconds. A query the sets do not serve (another dimension, revenue,
the entry or exit page, pages) reads its events as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from analytics import client
from analytics.dimensions import GOAL, TIME_DIMENSIONS, find
from analytics.goals import goal_sql
from analytics.memo import remembered, scope
from analytics.query import EVENTS, Plan, VisitDay, _select

__all__ = ["SETS", "TTL", "events_branch", "total_visitors"]

# The groupings read at once: none (the top stats, a share's whole), the chart's days, and the first
# tab of the list cards whose dimension is the visit's.
SETS: tuple[str, ...] = ("", "time:day", "visit:channel", "visit:country", "visit:browser")
TTL = 5.0  # seconds an entry serves
_ROWS = "Array(Tuple(String, UInt64, UInt64, UInt64))"  # a value, its visitors, pageviews and events

Rows = dict[str, list[tuple[str, int, int, int]]]


def served(plan: Plan) -> bool:
    """Whether the sets hold ``plan``'s events branch: one dimension of ``SETS`` or none, or the goals
    (goals with distinct names), and no revenue."""
    dims = plan.query.dimensions
    goals = [goal.display_name for goal in plan.query.goals]
    named = dims == (GOAL,) and bool(goals) and len(set(goals)) == len(goals)
    if len(dims) > 1 or (dims and dims[0] not in SETS and not named) or plan.by_day:
        return False
    return not plan.wanted & {"p_revenue", "p_revenue_events"}


def events_branch(plan: Plan, edges: Sequence[VisitDay], sources: Sequence[str]) -> str | None:
    """``plan.branch(EVENTS, sources)`` over ``edges`` (as ``plan.restrict_to`` set them), from the sets'
    rows; None when they do not serve it."""
    if not served(plan):
        return None
    dimension = plan.query.dimensions[0] if plan.query.dimensions else ""
    rows = plan.bind(_grouped(plan, edges)[dimension], _ROWS)
    select = [f"r.1 AS {plan.aliases[0]}"] if dimension else []
    select += plan.partials(EVENTS, ["r.2", "r.3", "r.4", "0", "0"], sources)
    return _select(select, f"(SELECT arrayJoin({rows}) AS r)")


def total_visitors(plan: Plan, edges: Sequence[VisitDay]) -> str | None:
    """``plan.total_visitors(plan.event_nodes)`` over ``edges``, from the sets' rows (a bound number);
    None for a plan grouped by visit day."""
    if plan.by_day:
        return None
    rows = _grouped(plan, edges)[""]
    return plan.bind(rows[0][1] if rows else 0, "UInt64")


def _grouped(plan: Plan, edges: Sequence[VisitDay]) -> Rows:
    """The sets' rows for the events ``plan`` reads (its filters, over ``edges``), read once."""
    query = plan.query
    key = (
        *("open_days", *scope(events=False)),
        *(query.site_id, query.date_range, query.filters, query.goals, tuple(edges)),
    )
    return remembered(key, lambda: _read(plan), ttl=TTL)


def _read(plan: Plan) -> Rows:
    """One scan of the events ``plan`` reads (no dimension's condition), grouped by each of ``SETS``."""
    names = [name for name in SETS if name]
    keys = [f"k{index}" for index in range(len(names))]
    select = [f"{_value(plan, name)} AS {key}" for name, key in zip(names, keys, strict=True)]
    select.append(f"grouping({', '.join(keys)}) AS absent")  # a bit per key, the first's highest
    select += ["uniqExact(e.visitor_id)", "countIf(e.name = 'pageview')", "count()"]
    goals = plan.query.goals  # each goal's own counts (read from the whole's row)
    for goal in goals:
        done = goal_sql(goal, plan.bind, "e")
        select += [f"uniqExactIf(e.visitor_id, {done})", f"countIf(e.name = 'pageview' AND {done})"]
        select.append(f"countIf({done})")
    where = plan.events_in_range(engagement=False, grouped=False)
    sets = ", ".join(["()", *(f"({key})" for key in keys)])
    sql = _select(select, "events AS e", where, f" GROUP BY GROUPING SETS ({sets})")
    rows = client.execute(sql, plan.params, tag=f"site:{plan.query.site_id}:open_days", max_rows=0).rows
    out: Rows = {name: [] for name in (*SETS, GOAL)}
    width = len(names)
    for row in rows:
        absent = int(row[width])
        grouped = [at for at in range(width) if not absent >> (width - 1 - at) & 1]
        name, value = (names[grouped[0]], str(row[grouped[0]])) if grouped else ("", "")
        dimension = find(name)
        if dimension is not None and dimension.skips_empty and value == "":
            continue  # as a breakdown by it leaves empty values out
        visitors, pageviews, events = (int(n) for n in row[width + 1 : width + 4])
        out[name].append((value, visitors, pageviews, events))
        if not grouped:
            counts = [int(n) for n in row[width + 4 :]]
            for index, goal in enumerate(goals):
                visitors, pageviews, events = counts[3 * index : 3 * index + 3]
                if events:  # a goal no event completed has no row, as in a breakdown by goal
                    out[GOAL].append((goal.display_name, visitors, pageviews, events))
    return out


def _value(plan: Plan, name: str) -> str:
    if name in TIME_DIMENSIONS:
        return TIME_DIMENSIONS[name].format(ts="e.timestamp")
    return f"toString({plan.column_sql(name, 'e')})"

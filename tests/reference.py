"""Lantern's numbers restated in plain Python, slowly and obviously, to check the engine against.

Given the stored events, ``Reference(events).run(query)`` answers a ``Query`` as ``run_query`` does,
from the definitions (``analytics/query.py`` and ``ingest/visits.py`` state them):

- A session is a visitor's run of events (event time, then event id) with gaps of at most 30 minutes,
  across 00:00 UTC too, ending before 03:00 UTC of the day after it began (an event from then on opens
  another); a run of engagement events alone is no session. Its first event gives the first
  touch; its first and last pageviews the entry and exit pages. A bounce has one pageview and no
  interactive custom event; its duration counts 0.
- Event metrics count pageviews and custom events in the range; visit metrics count the sessions
  overlapping it; time on page and scroll depth come from engagement events, per (visitor, page).
- Divisions round half up.
- Filters: ``is`` with ``*``/``**`` wildcards, ``contains`` ignoring case, ``matches`` as a regex
  search (Python's ``re``: the tests use patterns on which it agrees with RE2), and/or/not trees.
- Goals: a custom event of the goal's name, or a pageview whose path matches its wildcard path.

Nothing here reads SQL or the engine; only ``Query``, its registries of names (and which kind of data
each metric is made of: a breakdown lists the groups that kind of data reaches) and the list of time
buckets are shared.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import itertools
import re
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from analytics.dimensions import find
from analytics.filters import Filter, FilterNode, leaves
from analytics.goals import Goal
from analytics.query import METRICS, REACHING, TIME_DIMENSIONS, Query
from analytics.revenue import money
from analytics.schema import Event
from analytics.timebuckets import buckets

GAP_MS = 30 * 60 * 1000
DIRECT = "Direct / None"


def ms(moment: dt.datetime) -> int:
    """Milliseconds since the epoch, truncated as a DateTime64(3) column stores them."""
    delta = moment.astimezone(dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000


def order(event: Event) -> tuple[int, str]:
    return ms(event.timestamp), str(event.event_id)


@dataclasses.dataclass
class Session:
    events: list[Event]  # in order

    @property
    def first(self) -> Event:
        return self.events[0]

    @property
    def start(self) -> int:
        return ms(self.events[0].timestamp)

    @property
    def end(self) -> int:
        return ms(self.events[-1].timestamp)

    @property
    def pageviews(self) -> int:
        return sum(e.name == "pageview" for e in self.events)

    @property
    def counted(self) -> int:
        return sum(e.name != "engagement" for e in self.events)

    @property
    def interactive(self) -> int:
        return sum(e.name not in ("pageview", "engagement") and e.interactive for e in self.events)

    @property
    def is_bounce(self) -> bool:
        return self.pageviews == 1 and self.interactive == 0

    @property
    def duration_ms(self) -> int:
        return 0 if self.is_bounce else self.end - self.start

    @property
    def entry_page(self) -> str:
        return next((e.pathname for e in self.events if e.name == "pageview"), "")

    @property
    def exit_page(self) -> str:
        return next((e.pathname for e in reversed(self.events) if e.name == "pageview"), "")

    def attribute(self, column: str) -> str:
        if column == "entry_page":
            return self.entry_page
        if column == "exit_page":
            return self.exit_page
        return str(getattr(self.first, column))


def sessionize(events: Iterable[Event]) -> tuple[list[Session], dict[Any, Session]]:
    """The sessions, and each event's session (by event id) when it has one."""
    runs: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for event in events:
        runs[(event.site_id, event.visitor_id)].append(event)
    sessions: list[Session] = []
    of_event: dict[Any, Session] = {}
    for run in runs.values():
        run.sort(key=order)
        chains: list[list[Event]] = []
        for event in run:
            at = ms(event.timestamp)
            if chains and at - ms(chains[-1][-1].timestamp) <= GAP_MS and at < ends_by(chains[-1][0]):
                chains[-1].append(event)
            else:
                chains.append([event])
        for chain in chains:
            session = Session(chain)
            if session.counted == 0:
                continue  # engagement alone is not a visit
            sessions.append(session)
            for event in chain:
                of_event[event.event_id] = session
    return sessions, of_event


def ends_by(first: Event) -> int:
    """When a session begun by ``first`` ends at the latest: 03:00 UTC the day after."""
    day = first.timestamp.astimezone(dt.UTC).date()
    return ms(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(3), dt.UTC))


def half_up(numerator: int, denominator: int) -> int:
    return 0 if denominator == 0 else (2 * numerator + denominator) // (2 * denominator)


def bucket(name: str, moment_ms: int, tz: str) -> str:
    local = dt.datetime.fromtimestamp(moment_ms / 1000, dt.UTC).astimezone(zoneinfo.ZoneInfo(tz))
    if name == "time:minute":
        return local.strftime("%Y-%m-%d %H:%M:00")
    if name == "time:hour":
        return local.strftime("%Y-%m-%d %H:00:00")
    if name == "time:day":
        return local.date().isoformat()
    if name == "time:week":
        return (local.date() - dt.timedelta(days=local.weekday())).isoformat()
    if name == "time:month":
        return local.date().replace(day=1).isoformat()
    raise ValueError(name)


NONE = "(none)"


def label(dimension: str, raw: str) -> str:
    found = find(dimension)
    return DIRECT if raw == "" and found is not None and found.empty_label == DIRECT else raw


def wildcard(pattern: str) -> str:
    out, at = "", 0
    while at < len(pattern):
        if pattern.startswith("**", at):
            out, at = out + ".*", at + 2
        elif pattern[at] == "*":
            out, at = out + "[^/]*", at + 1
        else:
            out, at = out + re.escape(pattern[at]), at + 1
    return out


def equals(pattern: str, value: str) -> bool:
    return (
        re.fullmatch(wildcard(pattern), value, re.DOTALL) is not None if "*" in pattern else pattern == value
    )


def matches(flt: Filter, value: str) -> bool:
    operator = flt.operator.removesuffix("_not")
    if operator == "is":
        found = any(equals(v, value) for v in flt.values)
    elif operator == "contains":
        found = any(v.casefold() in value.casefold() for v in flt.values)
    else:
        found = any(re.search(v, value) for v in flt.values)
    return not found if flt.operator.endswith("_not") else found


def completes(goal: Goal, event: Event) -> bool:
    if goal.event_name:
        return event.name == goal.event_name
    return event.name == "pageview" and equals(goal.page_path, event.pathname)


def named_goals(goals: Sequence[Goal], flt: Filter) -> list[Goal]:
    if flt.operator.startswith("is"):
        return [g for g in goals if g.display_name in flt.values]
    return [g for g in goals if any(v.casefold() in g.display_name.casefold() for v in flt.values)]


def scope(node: FilterNode) -> str:
    return next(find(leaf.dimension).scope for leaf in leaves(node))  # type: ignore[union-attr]


def holds(node: FilterNode, leaf_ok: Callable[[Filter], bool]) -> bool:
    if isinstance(node, Filter):
        return leaf_ok(node)
    results = [holds(child, leaf_ok) for child in node.children]
    return {"and": all(results), "or": any(results), "not": not results[0]}[node.op]


def prop(event: Event, key: str) -> str:
    return dict(zip(event.prop_keys, event.prop_values, strict=True)).get(key, NONE)


@dataclasses.dataclass
class Totals:
    visitors: set[int] = dataclasses.field(default_factory=set)
    pageviews: int = 0
    events: int = 0
    pairs: dict[tuple[int, str], list[int]] = dataclasses.field(default_factory=dict)  # [ms, depth]
    visits: set[int] = dataclasses.field(default_factory=set)  # id() of sessions
    visit_pageviews: int = 0
    duration_ms: int = 0
    bounce_visits: set[int] = dataclasses.field(default_factory=set)
    bounces: int = 0
    base_visitors: set[int] = dataclasses.field(default_factory=set)
    page_pageviews: int = 0
    revenue: decimal.Decimal = decimal.Decimal(0)
    revenue_events: int = 0
    sources: set[str] = dataclasses.field(default_factory=set)  # which kinds of data reached the group

    def metric(self, name: str, total_visitors: int = 0, total_base: int = 0, currency: str = "") -> Any:
        visits = len(self.visits)
        average = self.revenue / self.revenue_events if self.revenue_events else decimal.Decimal(0)
        values: dict[str, Callable[[], Any]] = {
            "visitors": lambda: len(self.visitors),
            "pageviews": lambda: self.pageviews,
            "events": lambda: self.events,
            "visits": lambda: visits,
            "views_per_visit": lambda: half_up(self.visit_pageviews * 100, visits) / 100,
            "bounce_rate": lambda: half_up(self.bounces * 100, len(self.bounce_visits)),
            "visit_duration": lambda: half_up(self.duration_ms, visits * 1000),
            "time_on_page": lambda: half_up(sum(p[0] for p in self.pairs.values()), len(self.pairs) * 1000),
            "scroll_depth": lambda: half_up(sum(p[1] for p in self.pairs.values()), len(self.pairs)),
            "percentage": lambda: half_up(len(self.visitors) * 1000, total_visitors) / 10,
            "conversion_rate": lambda: half_up(len(self.visitors) * 10000, total_base) / 100,
            "group_conversion_rate": lambda: (
                half_up(len(self.visitors) * 10000, len(self.base_visitors)) / 100
            ),
            "exit_rate": lambda: half_up(visits * 1000, self.page_pageviews) / 10,
            "total_revenue": lambda: money(self.revenue, currency) if currency else None,
            "average_revenue": lambda: money(average, currency) if currency else None,
        }
        return values[name]()


class Reference:
    def __init__(self, events: Sequence[Event]) -> None:
        self.events = list(events)
        self.sessions, self.session_of = sessionize(self.events)

    def run(self, query: Query) -> list[dict[str, Any]]:
        """Every group's row (unordered, no limit), or the gap-filled series for a lone time dimension."""
        start, end = (ms(moment) for moment in query.date_range.bounds_utc())
        tz = query.date_range.tz
        groups: dict[tuple[str, ...], Totals] = defaultdict(Totals)
        event_nodes = [n for n in query.filters if scope(n) == "event"]
        visit_nodes = [n for n in query.filters if scope(n) == "visit"]
        goal_nodes = [n for n in event_nodes if all(leaf.dimension == "event:goal" for leaf in leaves(n))]
        base_nodes = [n for n in event_nodes if n not in goal_nodes]
        named = {leaf.dimension for node in query.filters for leaf in leaves(node)}
        pageviews_only = "event:page" in query.dimensions and not named & {"event:name", "event:goal"}
        visit_dims = [d for d in query.dimensions if d not in TIME_DIMENSIONS and find(d).scope == "visit"]  # type: ignore[union-attr]
        joined = bool(visit_dims or visit_nodes)

        def visit_value(session: Session, dimension: str) -> str:
            return label(dimension, session.attribute(find(dimension).column))  # type: ignore[union-attr]

        def event_value(event: Event, dimension: str) -> str:
            found = find(dimension)
            assert found is not None
            return (
                prop(event, found.prop) if found.prop else label(dimension, str(getattr(event, found.column)))
            )

        def visit_ok(session: Session) -> bool:
            return all(holds(n, lambda f: matches(f, visit_value(session, f.dimension))) for n in visit_nodes)

        def event_leaf_ok(event: Event, flt: Filter) -> bool:
            if flt.dimension == "event:goal":
                found = any(completes(g, event) for g in named_goals(query.goals, flt))
                return not found if flt.operator.endswith("_not") else found
            return matches(flt, event_value(event, flt.dimension))

        def keys(
            event: Event | None, session: Session | None, moment: int, page_as_exit: bool = False
        ) -> list[tuple[str, ...]]:
            options: list[list[str]] = []
            for name in query.dimensions:
                if name in TIME_DIMENSIONS:
                    options.append([bucket(name, moment, tz)])
                    continue
                dimension = find(name)
                assert dimension is not None
                if name == "event:goal":
                    assert event is not None
                    options.append([g.display_name for g in query.goals if completes(g, event)])
                    continue
                if page_as_exit and name == "visit:exit_page":
                    assert event is not None
                    value = event.pathname
                elif dimension.scope == "event":
                    assert event is not None
                    value = event_value(event, name)
                else:
                    assert session is not None
                    value = visit_value(session, name)
                if value == "" and dimension.skips_empty:
                    return []
                options.append([value])
            return list(itertools.product(*options))

        def event_ok(event: Event, nodes: Sequence[FilterNode] = event_nodes) -> bool:
            """In the site, the range, the event filters and (when they matter) the visit filters."""
            if event.site_id != query.site_id or not start <= ms(event.timestamp) < end:
                return False
            if not all(holds(n, lambda f: event_leaf_ok(event, f)) for n in nodes):
                return False
            session = self.session_of.get(event.event_id)
            return not joined or (session is not None and visit_ok(session))

        def visitors_under(nodes: Sequence[FilterNode]) -> int:
            return len({e.visitor_id for e in self.events if e.name != "engagement" and event_ok(e, nodes)})

        total_visitors = visitors_under(event_nodes)  # for percentage: the dimensions aside
        total_base = visitors_under(base_nodes)  # for conversion_rate: the goal filters aside too
        currency = (
            query.revenue_currency() if {"total_revenue", "average_revenue"} & set(query.metrics) else ""
        )

        def currency_of(group: tuple[str, ...]) -> str:
            if isinstance(currency, dict):
                return currency.get(group[query.dimensions.index("event:goal")], "") if group else ""
            return currency

        def paid(event: Event, group: tuple[str, ...]) -> bool:
            wanted = currency_of(group)
            return (
                event.revenue_amount is not None
                and event.revenue_currency != ""
                and event.revenue_currency == wanted
            )

        for event in self.events:
            if event.site_id != query.site_id or event.name == "engagement":
                continue
            session = self.session_of.get(event.event_id)
            moment = ms(event.timestamp)
            if pageviews_only and event.name != "pageview":
                pass
            elif event_ok(event, base_nodes):
                for group in keys(event, session, moment):
                    groups[group].sources.add("base")
                    groups[group].base_visitors.add(event.visitor_id)
            if event.name == "pageview" and "visit:exit_page" in query.dimensions and event_ok(event):
                for group in keys(event, session, moment, page_as_exit=True):
                    groups[group].sources.add("pages")
                    groups[group].page_pageviews += 1

        for event in self.events:
            if not event_ok(event):
                continue
            session = self.session_of.get(event.event_id)
            moment = ms(event.timestamp)
            if event.name == "engagement":
                for group in keys(event, session, moment):
                    groups[group].sources.add("engagement")
                    pair = groups[group].pairs.setdefault((event.visitor_id, event.pathname), [0, 0])
                    pair[0] += event.engagement_time
                    pair[1] = max(pair[1], event.scroll_depth)
                continue
            if pageviews_only and event.name != "pageview":
                continue
            for group in keys(event, session, moment):
                totals = groups[group]
                totals.sources.add("events")
                totals.visitors.add(event.visitor_id)
                totals.pageviews += event.name == "pageview"
                totals.events += 1
                if paid(event, group):
                    totals.revenue += decimal.Decimal(str(event.revenue_amount))
                    totals.revenue_events += 1

        by_event = bool(event_nodes) or any(
            d not in TIME_DIMENSIONS and find(d).scope == "event"  # type: ignore[union-attr]
            for d in query.dimensions
        )
        page_filters = [f for f in event_nodes if isinstance(f, Filter) and f.dimension == "event:page"]
        counted: set[tuple[int, tuple[str, ...]]] = set()

        def count_visit(session: Session, group: tuple[str, ...], bounce_scope: bool) -> None:
            if (id(session), group) in counted:
                return
            counted.add((id(session), group))
            totals = groups[group]
            totals.sources.add("visits")
            totals.visits.add(id(session))
            totals.visit_pageviews += session.pageviews
            totals.duration_ms += session.duration_ms
            if bounce_scope:
                totals.bounce_visits.add(id(session))
                totals.bounces += session.is_bounce

        for session in self.sessions:
            if session.first.site_id != query.site_id or not (session.start < end and session.end >= start):
                continue
            if not visit_ok(session):
                continue
            charted = min(session.end, end - 1)
            if not by_event:
                for group in keys(None, session, charted):
                    count_visit(session, group, True)
                continue
            for event in session.events:  # the sessions holding a matching event in the range
                if event.name == "engagement" or not event_ok(event):
                    continue
                if pageviews_only and event.name != "pageview":
                    continue
                if "event:page" in query.dimensions:
                    scope_ok = session.entry_page == event.pathname
                else:
                    scope_ok = all(matches(f, session.entry_page) for f in page_filters)
                for group in keys(event, session, charted):
                    count_visit(session, group, scope_ok)

        def row(group: tuple[str, ...], t: Totals) -> dict[str, Any]:
            values = {m: t.metric(m, total_visitors, total_base, currency_of(group)) for m in query.metrics}
            return {**dict(zip(query.dimensions, group, strict=True)), **values}

        # A group is listed when the kind of data one of the metrics asked for reaches it.
        wanted = {s for m in query.metrics for s in METRICS[m].sources if s in REACHING}
        rows = [row(group, t) for group, t in groups.items() if t.sources & wanted]
        zero = {m: Totals().metric(m, total_visitors, total_base, currency_of(())) for m in query.metrics}
        if not query.dimensions:
            return [rows[0] if rows else zero]
        if query.time_dimension is not None and query.dimensions == (query.time_dimension,):
            name = query.time_dimension
            by_bucket = {row[name]: row for row in rows}
            return [by_bucket.get(b, {name: b, **zero}) for b in buckets(name, query.date_range)]
        return rows


def funnel_levels(reference: Reference, query: Query, steps: Sequence[Goal]) -> dict[int, int]:
    """Visitors by the furthest funnel step reached in one of their visits (0: in range, not entered).

    Within a visit, steps are completed in order by events strictly later than the step before.
    """
    start, end = (ms(moment) for moment in query.date_range.bounds_utc())

    def leaf_ok(event: Event, session: Session, flt: Filter) -> bool:
        dimension = find(flt.dimension)
        assert dimension is not None
        if flt.dimension == "event:goal":
            found = any(completes(g, event) for g in named_goals(query.goals, flt))
            return not found if flt.operator.endswith("_not") else found
        if dimension.scope == "visit":
            return matches(flt, label(flt.dimension, session.attribute(dimension.column)))
        if dimension.prop:
            return matches(flt, prop(event, dimension.prop))
        return matches(flt, label(flt.dimension, str(getattr(event, dimension.column))))

    def keeps(event: Event, session: Session, nodes: Sequence[FilterNode]) -> bool:
        return all(holds(n, lambda f: leaf_ok(event, session, f)) for n in nodes)

    # A goal filter keeps the visits with an event passing every filter, and walks their other events.
    goal_nodes = [n for n in query.filters if all(leaf.dimension == "event:goal" for leaf in leaves(n))]
    others = [n for n in query.filters if n not in goal_nodes]
    best: dict[int, int] = {}
    for session in reference.sessions:
        level, last = 0, -1
        in_range = [
            e
            for e in session.events
            if e.site_id == query.site_id and e.name != "engagement" and start <= ms(e.timestamp) < end
        ]
        if goal_nodes and not any(keeps(e, session, query.filters) for e in in_range):
            continue
        passing = [e for e in in_range if keeps(e, session, others)]
        if not passing:
            continue
        for event in sorted(passing, key=lambda e: ms(e.timestamp)):
            if level < len(steps) and completes(steps[level], event) and ms(event.timestamp) > last:
                level, last = level + 1, ms(event.timestamp)
        visitor = session.first.visitor_id
        best[visitor] = max(best.get(visitor, 0), level)
    levels: dict[int, int] = defaultdict(int)
    for level in best.values():
        levels[level] += 1
    return dict(levels)

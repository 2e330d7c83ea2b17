"""Lantern's numbers restated in plain Python, slowly and obviously, to check the engine against.

Given the stored events, ``Reference(events).run(query)`` answers a ``Query`` as ``run_query`` does,
from the definitions (``analytics/query.py`` and ``analytics/sessions.py`` state them):

- A session is a visitor's run of events (event time, then event id) with gaps of at most 30 minutes,
  within one UTC day; a run of engagement events alone is no session. Its first event gives the first
  touch; its first and last pageviews the entry and exit pages. A bounce has one pageview and no
  interactive custom event; its duration counts 0.
- Event metrics count pageviews and custom events in the range; visit metrics count the sessions
  overlapping it; time on page and scroll depth come from engagement events, per (visitor, page).
- Divisions round half up.

Nothing here reads SQL or the engine; only ``Query``, its registries of names (and which kind of data
each metric is made of: a breakdown lists the groups that kind of data reaches) and the list of time
buckets are shared.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from analytics.query import DIMENSIONS, METRICS, TIME_DIMENSIONS, Filter, Query
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
    runs: dict[tuple[int, int, dt.date], list[Event]] = defaultdict(list)
    for event in events:
        day = event.timestamp.astimezone(dt.UTC).date()
        runs[(event.site_id, event.visitor_id, day)].append(event)
    sessions: list[Session] = []
    of_event: dict[Any, Session] = {}
    for run in runs.values():
        run.sort(key=order)
        chains: list[list[Event]] = []
        for event in run:
            if chains and ms(event.timestamp) - ms(chains[-1][-1].timestamp) <= GAP_MS:
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


def label(dimension: str, raw: str) -> str:
    return DIRECT if raw == "" and DIMENSIONS[dimension].empty_label else raw


def matches(flt: Filter, value: str) -> bool:
    if flt.operator == "is":
        return value in flt.values
    if flt.operator == "is_not":
        return value not in flt.values
    found = any(needle.casefold() in value.casefold() for needle in flt.values)
    return found if flt.operator == "contains" else not found


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
    sources: set[str] = dataclasses.field(default_factory=set)  # which kinds of data reached the group

    def metric(self, name: str, total_visitors: int = 0) -> int | float:
        visits = len(self.visits)
        values: dict[str, Callable[[], int | float]] = {
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
        event_filters = [f for f in query.filters if DIMENSIONS[f.dimension].scope == "event"]
        visit_filters = [f for f in query.filters if DIMENSIONS[f.dimension].scope == "visit"]
        pageviews_only = "event:page" in query.dimensions and not any(
            f.dimension == "event:name" for f in query.filters
        )
        joined = any(DIMENSIONS[d].scope == "visit" for d in query.dimensions if d in DIMENSIONS) or bool(
            visit_filters
        )

        def visit_value(session: Session, dimension: str) -> str:
            return label(dimension, session.attribute(DIMENSIONS[dimension].column))

        def visit_ok(session: Session) -> bool:
            return all(matches(f, visit_value(session, f.dimension)) for f in visit_filters)

        def key(event: Event | None, session: Session | None, moment: int) -> tuple[str, ...] | None:
            values = []
            for name in query.dimensions:
                if name in TIME_DIMENSIONS:
                    values.append(bucket(name, moment, tz))
                    continue
                dimension = DIMENSIONS[name]
                if dimension.scope == "event":
                    assert event is not None
                    value = label(name, str(getattr(event, dimension.column)))
                else:
                    assert session is not None
                    value = visit_value(session, name)
                if value == "" and dimension.skips_empty:
                    return None
                values.append(value)
            return tuple(values)

        def event_ok(event: Event) -> bool:
            """In the site, the range, the event filters and (when they matter) the visit filters."""
            if event.site_id != query.site_id or not start <= ms(event.timestamp) < end:
                return False
            for flt in event_filters:
                value = label(flt.dimension, str(getattr(event, DIMENSIONS[flt.dimension].column)))
                if not matches(flt, value):
                    return False
            session = self.session_of.get(event.event_id)
            return not joined or (session is not None and visit_ok(session))

        total_visitors = len(
            {e.visitor_id for e in self.events if e.name != "engagement" and event_ok(e)}
        )  # for percentage: the dimensions aside

        for event in self.events:
            if not event_ok(event):
                continue
            session = self.session_of.get(event.event_id)
            moment = ms(event.timestamp)
            if event.name == "engagement":
                group = key(event, session, moment)
                if group is None:
                    continue
                groups[group].sources.add("engagement")
                pair = groups[group].pairs.setdefault((event.visitor_id, event.pathname), [0, 0])
                pair[0] += event.engagement_time
                pair[1] = max(pair[1], event.scroll_depth)
                continue
            if pageviews_only and event.name != "pageview":
                continue
            group = key(event, session, moment)
            if group is None:
                continue
            totals = groups[group]
            totals.sources.add("events")
            totals.visitors.add(event.visitor_id)
            totals.pageviews += event.name == "pageview"
            totals.events += 1

        by_event = bool(event_filters) or any(
            DIMENSIONS[d].scope == "event" for d in query.dimensions if d in DIMENSIONS
        )
        page_filters = [f for f in event_filters if f.dimension == "event:page"]
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
                group = key(None, session, charted)
                if group is not None:
                    count_visit(session, group, True)
                continue
            for event in session.events:  # the sessions holding a matching event in the range
                if event.name == "engagement" or not event_ok(event):
                    continue
                if pageviews_only and event.name != "pageview":
                    continue
                group = key(event, session, charted)
                if group is None:
                    continue
                if "event:page" in query.dimensions:
                    scope = session.entry_page == event.pathname
                else:
                    scope = all(matches(f, session.entry_page) for f in page_filters)
                count_visit(session, group, scope)

        # A group is listed when the kind of data one of the metrics asked for reaches it.
        wanted = {METRICS[m].source for m in query.metrics}
        rows = [
            {
                **dict(zip(query.dimensions, group, strict=True)),
                **{m: t.metric(m, total_visitors) for m in query.metrics},
            }
            for group, t in groups.items()
            if t.sources & wanted
        ]
        if not query.dimensions:
            return [rows[0] if rows else {m: Totals().metric(m, total_visitors) for m in query.metrics}]
        if query.time_dimension is not None and query.dimensions == (query.time_dimension,):
            name = query.time_dimension
            by_bucket = {row[name]: row for row in rows}
            zero = {m: Totals().metric(m, total_visitors) for m in query.metrics}
            return [by_bucket.get(b, {name: b, **zero}) for b in buckets(name, query.date_range)]
        return rows

"""Every metric, proven against the plain-Python reference (tests/reference.py) on random events.

Random visitors send pageviews, engagement and custom events (interactive or not) with gaps around
30 minutes and across midnight; the events arrive in random batches, out of order, some batches twice
(as after a crash before the ack), through the real flusher. Their visits are decided before they
reach the buffer, as ingest does (``ingest.visits.assign``, in time order), and the ``visits`` table fed
by each insert must give the same visits whatever the delivery. Then aggregates, timeseries and
breakdowns, with filters, in UTC and in other time zones, must equal the reference's
numbers exactly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics import client, run_query
from analytics.errors import QueryError
from analytics.filters import Filter, FilterNode, Logic
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.query import GOAL_METRICS, METRICS, Query
from analytics.schema import EVENT_COLUMNS, FIRST_TOUCH, Event
from ingest.buffer import Batch
from ingest.flusher import Flusher
from ingest.visits import assign
from tests.conftest import clear_events
from tests.reference import Reference

SITE, OTHER_SITE = 7, 8
DAY = dt.date(2026, 11, 20)
MIDNIGHT = dt.datetime.combine(DAY, dt.time(), dt.UTC)
ALL_METRICS = tuple(METRICS)
PLAIN_METRICS = tuple(m for m in METRICS if m not in GOAL_METRICS and m != "exit_rate")  # need nothing
SOME_METRICS = st.lists(st.sampled_from(ALL_METRICS), min_size=1, max_size=3, unique=True).map(tuple)

# Gaps between a visitor's consecutive events: around the 30-minute limit, tiny, and long.
GAPS_MS = st.one_of(
    st.sampled_from([0, 1, 1_799_999, 1_800_000, 1_800_001, 3_600_000]),
    st.integers(min_value=0, max_value=2_400_000),
)


@st.composite
def visits(draw: st.DrawFn, visitor_id: int) -> list[Event]:
    """One visitor's events: a walk through time from a start near one of two midnights."""
    anchor = draw(st.sampled_from([MIDNIGHT - dt.timedelta(hours=2), MIDNIGHT + dt.timedelta(hours=21)]))
    moment = anchor + dt.timedelta(milliseconds=draw(st.integers(0, 4 * 3_600_000)))
    site = draw(st.sampled_from([SITE, SITE, SITE, OTHER_SITE]))
    source = draw(st.sampled_from(["", "Google", "Twitter"]))
    utm_source = draw(st.sampled_from(["", "news"]))
    country = draw(st.sampled_from(["", "DE", "US"]))
    browser = draw(st.sampled_from(["Firefox", "Chrome", ""]))
    events = []
    for _ in range(draw(st.integers(1, 7))):
        moment += dt.timedelta(milliseconds=draw(GAPS_MS))
        name = draw(
            st.sampled_from(
                ["pageview", "pageview", "engagement", "Signup", "Outbound Link: Click", "Purchase"]
            )
        )
        props = draw(st.sampled_from([(), (("plan", "pro"),), (("plan", "free"), ("size", "L"))]))
        paid = name == "Purchase" and draw(st.booleans())
        if draw(st.booleans()):  # sometimes another source mid-visit: only the first counts
            source = draw(st.sampled_from(["", "Google", "Bing"]))
        events.append(
            Event(
                site_id=site,
                timestamp=moment,
                event_id=uuid.UUID(int=0),  # made unique by histories()
                name=name,
                visitor_id=visitor_id,
                hostname=draw(st.sampled_from(["example.com", "www.example.com"])),
                pathname=draw(st.sampled_from(["/", "/a", "/b", "/a/x"])),
                referrer="https://ref.example/" if source else "",
                referrer_source=source,
                utm_source=utm_source,
                country_code=country,
                browser=browser,
                interactive=draw(st.booleans()),
                engagement_time=draw(st.integers(0, 90_000)) if name == "engagement" else 0,
                scroll_depth=draw(st.integers(0, 100)) if name == "engagement" else 0,
                prop_keys=tuple(k for k, _ in props),
                prop_values=tuple(v for _, v in props),
                revenue_amount=draw(st.sampled_from(["10.5", "0.333333", "1234.565"])) if paid else None,
                revenue_currency=draw(st.sampled_from(["EUR", "EUR", "USD"])) if paid else "",
            )
        )
    return events


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    count = draw(st.integers(1, 5))
    events = [e for visitor in range(1, count + 1) for e in draw(visits(visitor))]
    if draw(st.booleans()):  # an exact tie in time between two events of one visitor
        events.append(dataclasses.replace(events[0], name="pageview", pathname="/tie"))
    # Unique event ids in a random order (ties in time are broken by the id).
    high = draw(st.lists(st.integers(0, 2**64 - 1), min_size=len(events), max_size=len(events)))
    return [
        dataclasses.replace(event, event_id=uuid.UUID(int=(h << 64) | i))
        for i, (event, h) in enumerate(zip(events, high, strict=True))
    ]


@st.composite
def deliveries(draw: st.DrawFn, events: list[Event]) -> list[Batch]:
    """The events, their visits decided, in random batches, in random order; some batches delivered
    again later."""
    shuffled = draw(st.permutations(assign(events)))
    cuts = sorted(draw(st.lists(st.integers(0, len(events)), max_size=5)))
    parts = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    batches = [Batch(token=f"test:{uuid.uuid4()}", records=tuple(part)) for part in parts if part]
    order = list(batches)
    for batch in draw(st.lists(st.sampled_from(batches), max_size=2)):
        order.insert(draw(st.integers(order.index(batch) + 1, len(order))), batch)
    return order


class ScriptedBuffer:
    """Hands the flusher a fixed sequence of batches; a batch handed twice is a re-delivery."""

    def __init__(self, batches: list[Batch]) -> None:
        self.batches = list(batches)
        self.acked: list[str] = []

    def push(self, records: object) -> None:
        raise NotImplementedError

    def read(self, max_records: int, wait_s: float, held: Sequence[Batch] = ()) -> Batch | None:
        return self.batches.pop(0) if self.batches else None

    def ack(self, batch: Batch) -> None:
        self.acked.append(batch.token)


def write(batches: list[Batch]) -> None:
    clear_events()
    flusher = Flusher(ScriptedBuffer(batches))
    while flusher.flush_once(wait_s=0):
        pass


GOALS = (
    Goal(event_name="Signup"),
    Goal(page_path="/a*"),
    Goal(page_path="/a/**", display_name="Deep A"),
    Goal(event_name="Purchase", display_name="Buy", currency="EUR"),
    Goal(event_name="Outbound Link: Click", display_name="Out", currency="USD"),
)
LEAVES = st.one_of(
    st.builds(Filter, st.just("is"), st.just("visit:source"), st.just(("Google",))),
    st.builds(Filter, st.just("is_not"), st.just("visit:source"), st.just(("Direct / None",))),
    st.builds(Filter, st.just("matches_not"), st.just("visit:source"), st.just(("o{2}",))),
    st.builds(Filter, st.just("is"), st.just("visit:country"), st.just(("DE", "US"))),
    st.builds(
        Filter, st.just("is"), st.just("event:page"), st.sampled_from([("/a",), ("/", "/b"), ("/a*",)])
    ),
    st.builds(Filter, st.just("is_not"), st.just("event:page"), st.sampled_from([("/a/**",), ("/*",)])),
    st.builds(Filter, st.just("matches"), st.just("event:page"), st.sampled_from([("^/a",), ("x$", "^/$")])),
    st.builds(Filter, st.just("contains"), st.just("visit:entry_page"), st.just(("a",))),
    st.builds(Filter, st.just("contains_not"), st.just("visit:exit_page"), st.just(("B",))),
    st.builds(Filter, st.just("is"), st.just("event:name"), st.just(("Signup",))),
    st.builds(Filter, st.just("is_not"), st.just("event:hostname"), st.just(("www.example.com",))),
    st.builds(Filter, st.just("is"), st.just("event:props:plan"), st.sampled_from([("pro",), ("(none)",)])),
    st.builds(Filter, st.just("contains_not"), st.just("event:props:size"), st.just(("l",))),
)
GOAL_FILTERS = st.one_of(
    st.builds(
        Filter, st.just("is"), st.just("event:goal"), st.sampled_from([("Signup",), ("Visit /a*", "Buy")])
    ),
    st.builds(Filter, st.just("contains"), st.just("event:goal"), st.just(("out", "deep"))),
    st.builds(Filter, st.just("is_not"), st.just("event:goal"), st.just(("Buy",))),
)
LOGIC = st.one_of(
    st.builds(
        Logic,
        st.just("or"),
        st.tuples(
            st.just(Filter("is", "event:page", ("/a",))), st.just(Filter("is", "event:name", ("Purchase",)))
        ),
    ),
    st.builds(Logic, st.just("not"), st.tuples(st.just(Filter("is", "visit:country", ("DE",))))),
    st.builds(
        Logic,
        st.just("and"),
        st.tuples(
            st.just(
                Logic(
                    "or", (Filter("is", "visit:source", ("Google",)), Filter("is", "visit:country", ("US",)))
                )
            ),
            st.just(Logic("not", (Filter("is", "visit:browser", ("Chrome",)),))),
        ),
    ),
    st.builds(Logic, st.just("or"), st.tuples(GOAL_FILTERS, GOAL_FILTERS)),
)
FILTERS: st.SearchStrategy[list[FilterNode]] = st.lists(st.one_of(LEAVES, GOAL_FILTERS, LOGIC), max_size=2)
DIMENSION_SETS = st.sampled_from(
    [
        ("event:page",),
        ("event:name",),
        ("visit:source",),
        ("visit:entry_page",),
        ("visit:exit_page",),
        ("visit:country",),
        ("visit:utm_source",),
        ("visit:browser", "event:hostname"),
        ("time:day", "visit:source"),
        ("time:hour",),
        ("event:goal",),
        ("event:goal", "visit:source"),
        ("event:props:plan",),
        ("time:day", "event:goal"),
    ]
)
RANGES = st.sampled_from(
    [
        DateRange(DAY, DAY, "UTC"),
        DateRange(DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1), "UTC"),
        DateRange(DAY, DAY, "Europe/Berlin"),
        DateRange(DAY - dt.timedelta(days=1), DAY, "America/New_York"),
    ]
)


class Case:
    """What one example writes and asks (a plain class: Hypothesis prints it with this ``__repr__``)."""

    def __init__(self, events: list[Event], batches: list[Batch], queries: list[Query]) -> None:
        self.events, self.batches, self.queries = events, batches, queries

    def __repr__(self) -> str:  # short enough for Hypothesis to print a failing case
        lines = [
            f"{e.timestamp.isoformat()} site={e.site_id} v={e.visitor_id} {e.name} {e.pathname}"
            f" src={e.referrer_source!r} int={e.interactive} {str(e.event_id)[:8]}"
            f" props={list(zip(e.prop_keys, e.prop_values, strict=True))}"
            f" $={e.revenue_amount}{e.revenue_currency}"
            for e in sorted(self.events, key=lambda e: (e.visitor_id, e.timestamp))
        ]
        sizes = [len(b.records) for b in self.batches]
        return f"Case(batches={sizes},\n  " + "\n  ".join(lines) + ")"


@st.composite
def cases(draw: st.DrawFn) -> Case:
    events = draw(histories())
    batches = draw(deliveries(events))

    def query(dimensions: tuple[str, ...] = ()) -> Query:
        metrics = draw(st.one_of(st.just(ALL_METRICS), SOME_METRICS))
        date_range, filters = draw(RANGES), tuple(draw(FILTERS))

        def make(names: tuple[str, ...]) -> Query:
            return Query(SITE, date_range, names, dimensions, filters, limit=1000, goals=GOALS)

        try:
            return make(metrics)
        except QueryError as exc:  # keep the metrics this query can answer (goal metrics need goals)
            assert exc.field == "metrics"
        usable = []
        for metric in metrics:
            try:
                make((metric,))
                usable.append(metric)
            except QueryError:
                pass
        return make(tuple(usable) or ("visitors",))

    queries = [query(), query(("time:day",)), query(draw(DIMENSION_SETS)), query(draw(DIMENSION_SETS))]
    return Case(events, batches, queries)


@pytest.fixture
def store(events_table: None) -> Iterator[None]:
    yield


def keyed(rows: list[dict[str, object]], query: Query) -> dict[tuple[object, ...], dict[str, object]]:
    return {tuple(row[d] for d in query.dimensions): row for row in rows}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_every_metric_matches_the_reference(store: None, case: Case) -> None:
    write(case.batches)
    reference = Reference(case.events)
    for query in case.queries:
        expected, found = reference.run(query), run_query(query)
        if len(query.dimensions) == 1 and query.time_dimension:
            assert found == expected, query  # the whole series, in order, gaps filled
        else:
            assert keyed(found, query) == keyed(expected, query), query


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=histories(), data=st.data())
def test_visits_are_the_same_whatever_the_arrival(
    store: None, events: list[Event], data: st.DataObject
) -> None:
    """Two different deliveries of the same events leave the same visits (their ids aside: each
    delivery decides its own), as many as the reference's."""
    visits = (
        "SELECT site_id, any(visitor_id) AS visitor, min(first_at) AS first, max(last_at) AS last,"
        " sum(hits), sum(pageviews), sum(events) AS counted, sum(interactive_events),"
        " argMinMerge(entry), argMaxMerge(exit), any(referrer_source), any(country_code)"
        " FROM visits GROUP BY site_id, visit_id HAVING counted > 0 ORDER BY site_id, visitor, first"
    )
    write(data.draw(deliveries(events)))
    first = client.execute(visits).rows
    write(data.draw(deliveries(events)))
    assert client.execute(visits).rows == first
    assert len(first) == len(Reference(events).sessions)


def test_the_flushers_insert_makes_its_visits_readable_at_once(store: None) -> None:
    at = MIDNIGHT + dt.timedelta(hours=9)
    events = [
        Event(SITE, at + dt.timedelta(minutes=i), uuid.uuid4(), "pageview", 3, "example.com", "/")
        for i in range(3)
    ]
    buffer = ScriptedBuffer([Batch("t:only", tuple(assign(events)))])
    assert Flusher(buffer).flush_once(wait_s=0) == 3
    assert buffer.acked == ["t:only"]
    visits = Query(SITE, DateRange(DAY, DAY, "UTC"), ("visits", "views_per_visit"))
    assert run_query(visits) == [{"visits": 1, "views_per_visit": 3.0}]


def test_the_visits_table_keeps_every_first_touch_column_of_the_events(store: None) -> None:
    """The visit readers take a visit's first touch from ``visits`` (``any``), the events' type."""
    described = {str(row[0]): str(row[1]) for row in client.execute("DESCRIBE TABLE visits").rows}
    types = dict(EVENT_COLUMNS)
    assert {column: described.get(column) for column in FIRST_TOUCH} == {
        column: f"SimpleAggregateFunction(any, {types[column]})" for column in FIRST_TOUCH
    }

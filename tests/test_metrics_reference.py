"""Every metric, proven against the plain-Python reference (tests/reference.py) on random events.

Random visitors send pageviews, engagement and custom events (interactive or not) with gaps around
30 minutes and across midnight; the events arrive in random batches, out of order, some batches twice
(as after a crash before the ack), through the real flusher, the sessionizer taking each batch's
visitor-days from the queue before the next batch arrives. Then aggregates,
timeseries and breakdowns, with filters, in UTC and in other time zones, must equal the reference's
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

from analytics import client, run_query, sessionizer, sessions
from analytics.errors import QueryError
from analytics.filters import Filter, FilterNode, Logic
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.query import GOAL_METRICS, METRICS, Query
from analytics.schema import Event
from ingest.buffer import Batch
from ingest.flusher import Flusher
from tests.conftest import seed
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
    """The events in random batches, in random order; some batches delivered again later."""
    shuffled = draw(st.permutations(events))
    cuts = sorted(draw(st.lists(st.integers(0, len(events)), max_size=5)))
    parts = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]
    batches = [
        Batch(token=f"test:{uuid.uuid4()}", records=tuple(e.to_json() for e in part))
        for part in parts
        if part
    ]
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
    for table in ("events", "sessions", "sessions_queue", "sessions_progress"):
        client.command(f"TRUNCATE TABLE {table}")
    flusher = Flusher(ScriptedBuffer(batches))
    while flusher.flush_once(wait_s=0):
        sessionizer.catch_up(margin=0)


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
    client.command("TRUNCATE TABLE sessions")
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
def test_sessions_are_the_same_whatever_the_arrival(
    store: None, events: list[Event], data: st.DataObject
) -> None:
    """Two different deliveries of the same events leave the same live sessions."""
    live = (
        "SELECT site_id, visitor_id, session_start, argMax(fingerprint, version), argMax(deleted, version)"
        " FROM sessions GROUP BY site_id, visitor_id, session_start HAVING argMax(deleted, version) = 0"
        " ORDER BY site_id, visitor_id, session_start"
    )
    write(data.draw(deliveries(events)))
    first = client.execute(live).rows
    write(data.draw(deliveries(events)))
    assert client.execute(live).rows == first
    reference = Reference(events)
    assert len(first) == len(reference.sessions)


def test_a_stale_writer_landing_last_changes_nothing(store: None) -> None:
    """Rows from a writer that saw fewer events (a slower flusher) lose to the newer rows."""
    at = MIDNIGHT + dt.timedelta(hours=10)
    first = Event(SITE, at, uuid.uuid4(), "pageview", 1, "example.com", "/")
    later = Event(SITE, at + dt.timedelta(minutes=5), uuid.uuid4(), "pageview", 1, "example.com", "/a")
    earlier = Event(SITE, at - dt.timedelta(minutes=20), uuid.uuid4(), "pageview", 1, "example.com", "/in")
    write([Batch("t:1", (first.to_json(),))])
    stale = client.execute("SELECT * FROM sessions").dicts()  # what a writer that saw one event wrote
    for batch in (Batch("t:2", (later.to_json(),)), Batch("t:3", (earlier.to_json(),))):
        Flusher(ScriptedBuffer([batch])).flush_once(wait_s=0)
        sessionizer.catch_up(margin=0)
    client.insert_json_lines(
        "sessions", [_json_row(row) for row in stale], token=f"stale:{uuid.uuid4()}"
    )  # ... landing after the newer rows
    query = Query(SITE, DateRange(DAY, DAY, "UTC"), PLAIN_METRICS, dimensions=("visit:entry_page",))
    assert run_query(query) == Reference([first, later, earlier]).run(query)
    assert [r["visit:entry_page"] for r in run_query(query)] == ["/in"]


def live_sessions() -> list[tuple[object, ...]]:
    return client.execute(
        "SELECT site_id, visitor_id, session_start, argMax(pageviews, version) FROM sessions"
        " GROUP BY site_id, visitor_id, session_start HAVING argMax(deleted, version) = 0"
        " ORDER BY site_id, visitor_id, session_start"
    ).rows


def test_a_writer_overtaken_by_another_flusher_redoes_its_work(
    store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flusher B reads its view (one event), flusher A inserts an earlier event and writes the merged
    session (not seeing B's, unwritten yet), then B's rows land: B must notice and redo."""
    at = MIDNIGHT + dt.timedelta(hours=10)
    e1 = Event(SITE, at, uuid.uuid4(), "pageview", 1, "example.com", "/")  # flusher A's batch
    e2 = Event(SITE, at + dt.timedelta(minutes=5), uuid.uuid4(), "pageview", 1, "example.com", "/b")  # B's
    client.command("DROP TABLE IF EXISTS sessions_scratch")
    client.command("CREATE TABLE sessions_scratch AS sessions")
    real = client.command
    raced: list[int] = []
    statements: list[str] = []

    def overtaken(sql: str, parameters: dict[str, object] | None = None) -> object:
        statements.append(sql)
        if sql != sessions.RECONCILE or raced:
            return real(sql, parameters)
        real(sql.replace("INSERT INTO sessions ", "INSERT INTO sessions_scratch ", 1), parameters)  # B reads
        monkeypatch.setattr(client, "command", real)
        seed([e1])  # A inserts and writes its sessions meanwhile
        sessions.update([e1.to_json()])
        monkeypatch.setattr(client, "command", overtaken)
        real("INSERT INTO sessions SELECT * FROM sessions_scratch")  # then B's rows land
        raced.append(len(live_sessions()))
        return None

    try:
        seed([e2])
        monkeypatch.setattr(client, "command", overtaken)
        sessions.update([e2.to_json()])  # B's session step
    finally:
        monkeypatch.setattr(client, "command", real)
        client.command("DROP TABLE IF EXISTS sessions_scratch")
    assert raced == [2]  # B's stale session stood beside A's for a moment ...
    assert statements.count(sessions.RECONCILE) == 2  # ... until B, seeing a new event counted, redid it
    assert live_sessions() == [(SITE, 1, at.replace(tzinfo=None), 2)]


def _json_row(row: dict[str, object]) -> bytes:
    import orjson

    return orjson.dumps(
        {k: (v.isoformat() + "Z" if isinstance(v, dt.datetime) else v) for k, v in row.items()}
    )


def test_the_flushers_insert_queues_its_visitor_days_for_the_sessionizer(store: None) -> None:
    at = MIDNIGHT + dt.timedelta(hours=9)
    events = [
        Event(SITE, at + dt.timedelta(minutes=i), uuid.uuid4(), "pageview", 3, "example.com", "/")
        for i in range(3)
    ]
    buffer = ScriptedBuffer([Batch("t:only", tuple(e.to_json() for e in events))])
    assert Flusher(buffer).flush_once(wait_s=0) == 3
    assert buffer.acked == ["t:only"]
    visits = Query(SITE, DateRange(DAY, DAY, "UTC"), ("visits", "views_per_visit"))
    assert run_query(visits) == [{"visits": 0, "views_per_visit": 0.0}]  # events in, visits not yet
    assert client.execute("SELECT site_id, visitor_id, day FROM sessions_queue").rows == [(SITE, 3, DAY)]
    assert sessionizer.catch_up(margin=0) == 1
    assert run_query(visits) == [{"visits": 1, "views_per_visit": 3.0}]


def test_rebuild_recomputes_the_sessions_from_the_events(store: None) -> None:
    at = MIDNIGHT + dt.timedelta(hours=12)
    events = [
        Event(SITE, at + dt.timedelta(minutes=m), uuid.uuid4(), "pageview", v, "example.com", f"/{m}")
        for v, m in [(1, 0), (1, 10), (1, 50), (2, 5)]
    ]
    seed(events)  # events without their session step, as before sessions existed
    assert sessions.main(["rebuild", str(SITE)]) == 0
    query = Query(SITE, DateRange(DAY, DAY, "UTC"), PLAIN_METRICS, dimensions=("visit:entry_page",))
    assert keyed(run_query(query), query) == keyed(Reference(events).run(query), query)
    assert sessions.main(["rebuild", "x"]) == 2


def test_the_write_statement_names_every_column_of_the_sessions_table(store: None) -> None:
    described = [row[0] for row in client.execute("DESCRIBE TABLE sessions").rows]
    assert sorted(described) == sorted(sessions.TABLE_COLUMNS)


def test_touched_reads_visitor_days_and_skips_torn_lines() -> None:
    at = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2)))  # the 21st in UTC
    event = Event(SITE, at, uuid.uuid4(), "pageview", 5, "example.com", "/")
    noon = Event(SITE, at + dt.timedelta(hours=10), uuid.uuid4(), "pageview", 6, "example.com", "/")
    late = Event(SITE, at + dt.timedelta(hours=22), uuid.uuid4(), "pageview", 7, "example.com", "/")
    assert sessions.touched(
        [event.to_json(), noon.to_json(), late.to_json(), b'{"site_id": 7, "visi', b""]
    ) == {
        sessions.VisitorDay(SITE, 5, dt.date(2026, 11, 21)),
        sessions.VisitorDay(SITE, 5, dt.date(2026, 11, 20)),  # 01:30 UTC: the day before's window holds it
        sessions.VisitorDay(SITE, 6, dt.date(2026, 11, 21)),
        sessions.VisitorDay(SITE, 7, dt.date(2026, 11, 21)),  # 23:30 UTC: so does the day after's
        sessions.VisitorDay(SITE, 7, dt.date(2026, 11, 22)),
    }

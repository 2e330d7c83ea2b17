"""The visit rule decided at ingest (``ingest/visits.py``), in this process (``MemoryVisits``): the
30-minute gap, the carry across midnight under yesterday's visitor id until 03:00 UTC, late events, and
``assign`` against the reference's sessions (``tests/reference.py``)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.schema import GAP_MS, Event
from ingest.visits import MemoryVisits, State, assign, continues, ends_by, pending
from tests.conftest import make_event
from tests.reference import sessionize

DAY = dt.datetime(2026, 3, 14, tzinfo=dt.UTC)  # a Saturday, 00:00 UTC


def at(hours: float, ms: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours, milliseconds=ms)


def decide(visits: MemoryVisits, moment: dt.datetime, visitor: int = 1, carried: int | None = None) -> Any:
    """The stored event (as a dict) of a pageview by ``visitor`` at ``moment``."""
    event = make_event(1, timestamp=moment, visitor_id=visitor)
    return orjson.loads(visits.decide(pending(event, carried)))


def test_a_gap_of_exactly_30_minutes_continues_the_visit_and_one_ms_more_begins_another() -> None:
    visits = MemoryVisits()
    first = decide(visits, at(10))
    second = decide(visits, at(10.5))
    assert second["visit_id"] == first["visit_id"] and second["visit_start"] == first["timestamp"]
    later = decide(visits, at(11, 1))  # 30 min + 1 ms after the last event
    assert later["visit_id"] != first["visit_id"] and later["visit_start"] == later["timestamp"]


def test_a_visit_goes_on_after_midnight_under_yesterdays_visitor_id() -> None:
    visits = MemoryVisits()
    evening = decide(visits, at(-0.25), visitor=7)  # 23:45 the day before, under that day's id
    night = decide(visits, at(0.25), visitor=8, carried=7)  # 00:15, today's id is 8
    assert night["visit_id"] == evening["visit_id"] and night["visitor_id"] == 7
    assert decide(visits, at(0.5), visitor=8, carried=7)["visit_id"] == evening["visit_id"]
    assert decide(visits, at(0.25), visitor=9, carried=6)["visit_id"] != evening["visit_id"]  # someone else


def test_no_visit_goes_on_past_0300_utc_of_the_day_after_it_began() -> None:
    start = at(-0.25)
    state = State(int(start.timestamp() * 1000), int(at(2.9).timestamp() * 1000), b'"visit_id":1')
    cap = ends_by(state.start_ms)
    assert cap == int(at(3).timestamp() * 1000)
    assert continues(state, cap - 1) and not continues(state, cap)

    visits = MemoryVisits()  # one visitor id throughout (as ``assign`` decides): events 20 minutes apart
    first = decide(visits, start)
    moments = [at(-0.25 + n / 3) for n in range(1, 10)]  # 00:05 ... 02:45
    assert {decide(visits, moment)["visit_id"] for moment in moments} == {first["visit_id"]}
    assert decide(visits, at(3, -1))["visit_id"] == first["visit_id"]
    assert decide(visits, at(3))["visit_id"] != first["visit_id"]  # 15 minutes after the last: still new


def test_a_visit_carried_under_yesterdays_id_ends_at_0300_and_the_next_begins_under_todays() -> None:
    visits = MemoryVisits()
    evening = decide(visits, at(-0.25), visitor=7)
    moments = [at(n * 0.4) for n in range(8)]  # 00:00 ... 02:48, under 7
    assert {decide(visits, moment, 8, carried=7)["visit_id"] for moment in moments} == {evening["visit_id"]}
    after = decide(visits, at(3), visitor=8, carried=7)  # no longer looked up under 7 (``carries``)
    assert after["visit_id"] != evening["visit_id"] and after["visitor_id"] == 8


def test_a_late_event_inside_a_visit_joins_it_and_leaves_its_last_event_as_it_was() -> None:
    visits = MemoryVisits()
    first = decide(visits, at(10))
    decide(visits, at(10 + 20 / 60))
    assert decide(visits, at(10 + 5 / 60))["visit_id"] == first["visit_id"]  # 10:05, after 10:20
    assert decide(visits, at(9.5))["visit_id"] == first["visit_id"]  # 30 minutes before it began
    assert decide(visits, at(10 + 50 / 60))["visit_id"] == first["visit_id"]  # 30 min after 10:20
    assert decide(visits, at(11 + 21 / 60, 1))["visit_id"] != first["visit_id"]


def test_a_late_event_older_than_the_visit_is_a_visit_of_its_own_and_leaves_the_visit_alone() -> None:
    visits = MemoryVisits()
    current = decide(visits, at(12))
    old = decide(visits, at(11, -1))  # 1 h 0.001 s before: fits no visit
    assert old["visit_id"] != current["visit_id"]
    assert decide(visits, at(11, 30))["visit_id"] != current["visit_id"]  # still older than 11:30
    assert decide(visits, at(12.25))["visit_id"] == current["visit_id"]


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """A few visitors' events, near a midnight, with gaps around 30 minutes and longer ones."""
    gaps = st.one_of(
        st.sampled_from([GAP_MS - 1, GAP_MS, GAP_MS + 1]),
        st.integers(0, 3 * 3_600_000),
        st.integers(0, 120_000),
    )
    events = []
    for visitor in range(1, draw(st.integers(1, 4)) + 1):
        moment = DAY + dt.timedelta(milliseconds=draw(st.integers(-4 * 3_600_000, 4 * 3_600_000)))
        for _ in range(draw(st.integers(1, 10))):
            moment += dt.timedelta(milliseconds=draw(gaps))
            name = draw(st.sampled_from(["pageview", "pageview", "engagement", "Signup"]))
            events.append(
                make_event(1, timestamp=moment, visitor_id=visitor, name=name, event_id=uuid.uuid4())
            )
    return draw(st.permutations(events))


@given(histories())
@settings(max_examples=150, deadline=None)
def test_assign_gives_the_reference_sessions(events: list[Event]) -> None:
    lines = assign(events)
    visit_of = {row["event_id"]: row["visit_id"] for row in map(orjson.loads, lines)}
    sessions, _ = sessionize(events)
    for session in sessions:
        assert len({visit_of[str(event.event_id)] for event in session.events}) == 1
    ids = [visit_of[str(session.first.event_id)] for session in sessions]
    assert len(set(ids)) == len(ids)

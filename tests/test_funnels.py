"""Funnels (analytics.funnels) against the real engine: hand-worked visits, the per-step figures, the
validation of 2..8 steps, and random histories compared with the plain-Python reference."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.errors import QueryError
from analytics.filters import Filter
from analytics.funnels import Funnel, run_funnel, shape
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.query import Query
from analytics.schema import Event
from tests.conftest import make_event, seed
from tests.reference import Reference, funnel_levels
from tests.test_metrics_reference import FILTERS, GOALS, RANGES, SITE, deliveries, histories, write

DAY = dt.date(2026, 11, 20)
RANGE = DateRange(DAY, DAY, "UTC")
HOME, PRICING, SIGNUP = Goal(page_path="/"), Goal(page_path="/pricing*"), Goal(event_name="Signup")
FUNNEL = Funnel("Signup flow", (HOME, PRICING, SIGNUP))


def at(minute: int) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(10), dt.UTC) + dt.timedelta(minutes=minute)


def visit(visitor: int, *steps: tuple[int, str, str], **fields: object) -> list[Event]:
    return [
        make_event(1, timestamp=at(minute), visitor_id=visitor, name=name, pathname=page, **fields)
        for minute, name, page in steps
    ]


@pytest.fixture
def visits(events_table: None) -> None:
    events = [
        *visit(1, (0, "pageview", "/"), (1, "pageview", "/pricing"), (2, "Signup", "/pricing")),  # all three
        *visit(2, (0, "pageview", "/"), (1, "pageview", "/pricing-team")),  # two
        *visit(3, (0, "pageview", "/pricing"), (1, "pageview", "/"), (2, "Signup", "/")),  # out of order: one
        *visit(4, (0, "pageview", "/"), (45, "pageview", "/pricing")),  # two visits: one step
        *visit(5, (0, "pageview", "/about")),  # never enters
        *visit(6, (0, "pageview", "/"), country_code="DE"),
    ]
    seed(events)


def test_steps_count_in_order_within_one_visit(visits: None) -> None:
    result = run_funnel(1, RANGE, FUNNEL)
    assert result.as_dict() == {
        "name": "Signup flow",
        "all_visitors": 6,
        "entering_visitors": 5,
        "never_entering_visitors": 1,
        "steps": [
            {
                "label": "Visit /",
                "visitors": 5,
                "conversion_rate": 100.0,
                "dropoff": 0,
                "dropoff_percentage": 0.0,
            },
            {
                "label": "Visit /pricing*",
                "visitors": 2,
                "conversion_rate": 40.0,
                "dropoff": 3,
                "dropoff_percentage": 60.0,
            },
            {
                "label": "Signup",
                "visitors": 1,
                "conversion_rate": 20.0,
                "dropoff": 1,
                "dropoff_percentage": 50.0,
            },
        ],
    }


def test_filters_narrow_the_funnel(visits: None) -> None:
    germans = run_funnel(1, RANGE, FUNNEL, (Filter("is", "visit:country", ("DE",)),))
    assert [step.visitors for step in germans.steps] == [1, 0, 0]
    assert germans.steps[1].dropoff_percentage == 100.0
    with pytest.raises(QueryError) as caught:
        run_funnel(1, RANGE, FUNNEL, (Filter("matches", "event:page", ("((",)),))
    assert caught.value.field == "filters"


def test_events_of_the_same_millisecond_do_not_chain(events_table: None) -> None:
    same = at(0)
    events = [
        make_event(1, timestamp=same, visitor_id=1, pathname="/"),
        make_event(1, timestamp=same, visitor_id=1, name="Signup"),
    ]
    seed(events)
    assert [s.visitors for s in run_funnel(1, RANGE, Funnel("f", (HOME, SIGNUP))).steps] == [1, 0]


def test_an_event_matching_two_steps_takes_the_next_one(events_table: None) -> None:
    """Any page, then /a: the visit to /a is also "any page", yet it completes the second step."""
    events = [
        make_event(1, timestamp=at(0), visitor_id=1, pathname="/"),
        make_event(1, timestamp=at(1), visitor_id=1, pathname="/a"),
        make_event(1, timestamp=at(0), visitor_id=2, pathname="/a"),  # one event cannot be both steps
    ]
    seed(events)
    funnel = Funnel("f", (Goal(page_path="/**"), Goal(page_path="/a*")))
    assert [s.visitors for s in run_funnel(1, RANGE, funnel).steps] == [2, 1]


@pytest.mark.parametrize("steps", [(HOME,), (HOME,) * 9, (HOME, HOME)])
def test_a_funnel_has_two_to_eight_distinct_steps(steps: tuple[Goal, ...]) -> None:
    with pytest.raises(QueryError) as caught:
        Funnel("f", steps)
    assert caught.value.field == "funnel"


def test_shape_is_pure_and_rounds_half_up() -> None:
    result = shape(Funnel("f", (HOME, SIGNUP)), {0: 4, 1: 2, 2: 1}, 7)
    assert [(s.visitors, s.conversion_rate, s.dropoff, s.dropoff_percentage) for s in result.steps] == [
        (3, 100.0, 0, 0.0),
        (1, 33.33, 2, 66.67),
    ]
    empty = shape(Funnel("f", (HOME, SIGNUP)), {}, 0)
    assert [s.conversion_rate for s in empty.steps] == [0.0, 0.0]


STEP_POOL = [
    Goal(page_path="/"),
    Goal(page_path="/a*"),
    Goal(page_path="/**"),
    Goal(event_name="Signup"),
    Goal(event_name="Purchase"),
    Goal(event_name="Outbound Link: Click"),
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=histories(), data=st.data())
def test_funnels_match_the_reference(events_table: None, events: list[Event], data: st.DataObject) -> None:
    write(data.draw(deliveries(events)))
    steps = tuple(data.draw(st.lists(st.sampled_from(STEP_POOL), min_size=2, max_size=4, unique=True)))
    date_range = data.draw(RANGES)
    filters = tuple(data.draw(FILTERS))
    query = Query(SITE, date_range, ("visitors",), filters=filters, goals=GOALS)
    funnel = Funnel("f", steps)
    levels = funnel_levels(Reference(events), query, steps)
    expected = shape(funnel, levels, sum(levels.values()))
    assert run_funnel(SITE, date_range, funnel, filters, goals=GOALS) == expected


def test_a_goal_filter_keeps_the_converting_visits(visits: None) -> None:
    """Filtered by Signup: the funnel of the visits that signed up, walked over all their events."""
    converted = run_funnel(1, RANGE, FUNNEL, (Filter("is", "event:goal", ("Signup",)),), goals=(SIGNUP,))
    assert converted.all_visitors == 2  # visitors 1 and 3
    assert [step.visitors for step in converted.steps] == [2, 1, 1]  # 3 went / then Signup, not /pricing

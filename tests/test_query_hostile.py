"""Hostile strings through every filter operator, every dimension, custom prop keys and goals: each one
stays a bound value. The answer is either the reference's rows or a QueryError naming the field (an
RE2-invalid pattern, an unknown goal), never an engine error, and the stored data is untouched.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest

from analytics import client, run_query
from analytics.dimensions import DIMENSIONS
from analytics.errors import QueryError
from analytics.filters import OPERATORS, Filter, Logic, leaves
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.query import Query, build_sql
from analytics.schema import Event
from tests.conftest import clear_events, seed
from tests.reference import Reference

DAY = dt.date(2026, 11, 20)
RANGE = DateRange(DAY, DAY, "UTC")
HOSTILE = [
    "' OR 1=1 --",
    "\\'; DROP TABLE events; --",
    "{site_id:UInt64}",
    "`x`",
    "\x00",
    "é' UNION SELECT 1",
    "((",
    "[z-a]",
    "a\\",
    "🦆 ünïcödé \u202e",
    '"); SELECT 1; --',
]
AT = dt.datetime.combine(DAY, dt.time(10), dt.UTC)
EVENTS = [
    Event(1, AT, uuid.UUID(int=1), "pageview", 1, "example.com", "/", referrer_source="Google"),
    Event(1, AT + dt.timedelta(minutes=1), uuid.UUID(int=2), "Signup", 1, "example.com", "/' OR 1=1 --"),
    Event(
        1,
        AT + dt.timedelta(minutes=2),
        uuid.UUID(int=3),
        "pageview",
        2,
        "example.com",
        "/{site_id:UInt64}",
        prop_keys=("' OR 1=1 --", "plan"),
        prop_values=("\x00", "é' UNION SELECT 1"),
    ),
]
INVALID_RE2 = ("((", "[z-a]", "a\\")
GOALS = (
    Goal(event_name="Signup", display_name="' OR 1=1 --"),
    Goal(page_path="/{site_id:UInt64}", display_name="{site_id:UInt64}"),
    Goal(page_path="/\\'; DROP TABLE events; --*"),
)
DIMENSION_NAMES = [*DIMENSIONS, "event:goal", "event:props:plan", *(f"event:props:{h}" for h in HOSTILE[:3])]


@pytest.fixture(scope="module")
def stored(clickhouse: None) -> Reference:
    clear_events()
    seed(EVENTS)
    return Reference(EVENTS)


def python_compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def answer(query: Query, reference: Reference) -> None:
    """The engine's rows are the reference's, or both refuse the pattern; nothing stored changes."""
    rows_before = client.execute("SELECT count() FROM events").rows
    patterns = [
        v
        for node in query.filters
        for leaf in leaves(node)
        if "matches" in leaf.operator
        for v in leaf.values
    ]
    try:
        found = run_query(query)
    except QueryError as exc:
        assert exc.field == "filters", exc
        assert patterns and not all(python_compiles(p) for p in patterns), exc
        return
    if all(python_compiles(p) for p in patterns):  # (RE2 takes a few patterns Python's re refuses)
        expected = reference.run(query)
        key = lambda row: tuple(str(row[d]) for d in query.dimensions)  # noqa: E731
        assert sorted(found, key=key) == sorted(expected, key=key), query
    assert client.execute("SELECT count() FROM events").rows == rows_before


@pytest.mark.parametrize("operator", OPERATORS)
@pytest.mark.parametrize("dimension", [d for d in DIMENSION_NAMES if d != "event:goal"])
def test_hostile_values_in_every_filter(stored: Reference, operator: str, dimension: str) -> None:
    values = [v for v in HOSTILE if "matches" not in operator or v not in INVALID_RE2]
    query = Query(
        1, RANGE, ("visitors", "pageviews"), ("event:page",), (Filter(operator, dimension, tuple(values)),)
    )
    answer(query, stored)


@pytest.mark.parametrize("operator", ["matches", "matches_not"])
@pytest.mark.parametrize("dimension", ["event:page", "visit:city", "event:props:plan"])
def test_an_invalid_pattern_is_a_query_error(stored: Reference, operator: str, dimension: str) -> None:
    for pattern in INVALID_RE2:
        with pytest.raises(QueryError) as caught:
            run_query(Query(1, RANGE, ("visitors",), filters=(Filter(operator, dimension, ("ok", pattern)),)))
        assert caught.value.field == "filters"
        assert "RE2" in caught.value.message


@pytest.mark.parametrize("dimension", DIMENSION_NAMES)
def test_hostile_data_in_every_breakdown(stored: Reference, dimension: str) -> None:
    query = Query(1, RANGE, ("visitors", "visits", "events"), (dimension,), goals=GOALS, limit=1000)
    answer(query, stored)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_inside_and_or_not(stored: Reference, value: str) -> None:
    tree = Logic(
        "or",
        (
            Filter("is", "event:page", (value, f"{value}*")),
            Logic("not", (Filter("contains", "event:name", (value,)),)),
            Filter("is", "event:props:plan", (value,)),
        ),
    )
    answer(Query(1, RANGE, ("visitors", "events"), ("event:page",), (tree,), goals=GOALS), stored)


def test_hostile_goal_names_and_paths(stored: Reference) -> None:
    for goal in GOALS:
        query = Query(
            1,
            RANGE,
            ("visitors", "events", "conversion_rate"),
            filters=(Filter("is", "event:goal", (goal.display_name,)),),
            goals=GOALS,
        )
        answer(query, stored)
    rows = run_query(Query(1, RANGE, ("visitors", "conversion_rate"), ("event:goal",), goals=GOALS))
    assert {r["event:goal"]: r["visitors"] for r in rows} == {"' OR 1=1 --": 1, "{site_id:UInt64}": 1}
    with pytest.raises(QueryError) as caught:
        Query(1, RANGE, ("visitors",), filters=(Filter("is", "event:goal", ("' OR '1",)),), goals=GOALS)
    assert caught.value.field == "filters"


@pytest.mark.parametrize("value", [h for h in HOSTILE if "*" not in h])
def test_sql_text_never_holds_a_value(value: str) -> None:
    def sql(text: str) -> tuple[str, dict[str, object]]:
        filters = (Filter("is", "event:page", (text,)), Filter("matches", f"event:props:{text}", (text,)))
        return build_sql(Query(1, RANGE, ("visitors",), ("visit:source",), filters))

    hostile, params = sql(value)
    assert hostile == sql("benign")[0]
    assert value in [v for p in params.values() for v in (p if isinstance(p, list) else [p])]

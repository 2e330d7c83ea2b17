"""A built day's visits are read from its build (``sessions_done``) while the build is current: raw
queries and funnels answer exactly what reading every session's latest version answers, across
timezones, filters and a day changed after its build (read live until it is built again)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from typing import Any

import pytest

from analytics import client, rollups, sessions
from analytics.filters import Filter, FilterNode, Logic
from analytics.funnels import Funnel, funnel_sql
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.query import Query, build_sql
from analytics.rolled import done_sessions
from tests.conftest import make_event, seed
from tests.test_rollups import DAYS, FIRST, SITE, _history, _queries

FILTERS: list[tuple[FilterNode, ...]] = [
    (),
    (Filter("is", "visit:source", ("Google",)),),
    (Filter("is_not", "visit:country", ("DE",)),),
    (Filter("is", "event:page", ("/a",)),),
    (Filter("contains", "visit:entry_page", ("a",)), Filter("is", "visit:browser", ("Firefox",))),
    (Logic("or", (Filter("is", "visit:city", ("Berlin",)), Filter("is", "visit:country", ("US",)))),),
]
FUNNEL = Funnel("f", (Goal(page_path="/"), Goal(page_path="/a*"), Goal(event_name="Signup")))


def _run(sql_params: tuple[str, dict[str, Any]]) -> list[tuple[Any, ...]]:
    return client.execute(*sql_params, max_rows=0).rows


def _agree(queries: list[Query]) -> int:
    """Each query (and a funnel over its range) answers the same from the builds as live; how many
    of them had built days to read."""
    served = 0
    for query in queries:
        frozen = done_sessions(SITE, query.date_range)
        served += frozen is not None
        assert _run(build_sql(query, frozen=frozen)) == _run(build_sql(query)), query
        funnel = (SITE, query.date_range, FUNNEL, query.filters)
        assert _run(funnel_sql(*funnel, frozen=frozen)) == _run(funnel_sql(*funnel)), query
    return served


@pytest.mark.parametrize(("tz", "seed_value"), [("Europe/Berlin", 5), ("America/New_York", 6), ("UTC", 7)])
def test_built_days_visits_read_from_their_builds_answer_as_live_ones(
    events_table: None, tz: str, seed_value: int
) -> None:
    rng = random.Random(seed_value)
    seed(_history(rng))
    sessions.rebuild(SITE)
    rollups.rebuild(SITE, tz)
    queries = [dataclasses.replace(q, filters=rng.choice(FILTERS)) for q in _queries(rng, tz)]
    assert _agree(queries) >= len(queries) // 2

    # A late event changes a built day (a new visit, and one more event in a visit going on): that day
    # is read live, with the day before it (its visits may begin there), until it is built again.
    changed = FIRST + dt.timedelta(days=2)
    late = dt.datetime.combine(changed, dt.time(23, 50), dt.UTC)
    seed([make_event(SITE, timestamp=late, visitor_id=10_000, event_id=uuid.uuid4())])
    sessions.rebuild(SITE)
    whole = DateRange(FIRST, FIRST + dt.timedelta(days=DAYS - 1), "UTC")
    frozen = done_sessions(SITE, whole)
    assert frozen is not None
    assert changed not in frozen["frozen_days"] and changed - dt.timedelta(days=1) in frozen["thawed_starts"]
    assert FIRST in frozen["frozen_days"]
    _agree(queries)
    rollups.rebuild(SITE, tz, days=[changed, changed + dt.timedelta(days=1)])
    assert changed in (done_sessions(SITE, whole) or {}).get("frozen_days", [])
    _agree(queries)


def test_a_days_visits_are_kept_for_its_build_and_the_one_it_replaced(events_table: None) -> None:
    rng = random.Random(8)
    seed(_history(rng))
    sessions.rebuild(SITE)
    for _ in range(3):
        rollups.rebuild(SITE, "UTC")
    builds = client.execute(
        "SELECT day, uniqExact(build) FROM sessions_done WHERE site_id = {s:UInt64} GROUP BY day",
        {"s": SITE},
    ).rows
    assert builds and {int(n) for _, n in builds} == {2}
    stored = "SELECT count() FROM ({}) WHERE session_end < {{end:DateTime64(3, 'UTC')}}"
    start = dt.datetime.combine(FIRST, dt.time())
    end = start + dt.timedelta(days=DAYS)
    live = stored.format(sessions.live_sql(("session_end",)))
    counted = client.execute(live, {"site_id": SITE, "start": start, "end": end}).rows[0][0]
    latest = client.execute(
        "SELECT count() FROM sessions_done WHERE site_id = {s:UInt64}"
        " AND (day, build) IN (SELECT day, argMax(build, built_at) FROM rollup_builds GROUP BY day)",
        {"s": SITE},
    ).rows[0][0]
    assert counted == latest > 0

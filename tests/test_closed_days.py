"""Closed days' sums: every query they answer gives what reading every event gives, in any timezone and
over any range; a day that changed after its sums were written is read raw until they are rewritten;
writing them twice, or from two processes at once, writes them once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from analytics import client, run_query
from analytics.closed_days import FILTERS, PAIRED, ROLLED, build, closed_days, cuts, read_sql, variant
from analytics.dimensions import GOAL
from analytics.filters import Filter
from analytics.funnels import Funnel, build_funnels, funnel_sql, run_funnel
from analytics.goals import Goal
from analytics.periods import DateRange
from analytics.prop_keys import top_prop_keys
from analytics.query import Query, part_before
from analytics.schema import Event
from analytics.visit_days import split
from tests.conftest import clear_events, make_event, seed
from tests.test_query import VISIT_METRICS

SITE = 77
LAST = dt.date(2026, 11, 20)
NOW = dt.datetime.combine(LAST, dt.time(12), dt.UTC)  # the last day (and its visits) still open
GOALS = (Goal(event_name="Signup"), Goal(page_path="/pricing"), Goal(event_name="Purchase", currency="EUR"))
METRICS = (*VISIT_METRICS, "time_on_page", "scroll_depth")
# Each closed day: every dimension, the filtered ones' pairs, the property keys and their one key's
# breakdown, also under each filter
KINDS = len(ROLLED) + sum(1 for f in FILTERS for d in PAIRED if d != f) + 2 + len(FILTERS)
CLICKED = {"visit:source": "Google", "event:page": "/pricing"}  # a row clicked in each filtered card
# A negative offset, and a positive one off the hour (the parts' test adds UTC and Berlin's).
TIMEZONES = ("America/New_York", "Asia/Kolkata")


def visit_events(rnd: random.Random, visitor: int, start: dt.datetime) -> list[Event]:
    """One visit: pageviews less than 30 minutes apart, with custom and engagement events."""
    first = {
        "referrer_source": rnd.choice(["Google", "Bing", "", "Hacker News"]),
        "channel": rnd.choice(["Organic Search", "Direct", "Social"]),
        "utm_source": rnd.choice(["", "", "newsletter"]),
        "country_code": rnd.choice(["DE", "US", "IN", ""]),
        "city": rnd.choice(["Berlin", "Austin", ""]),
        "browser": rnd.choice(["Firefox", "Chrome", "Safari"]),
        "device": rnd.choice(["Desktop", "Mobile"]),
        "screen_size": rnd.choice(["Desktop", "Mobile"]),
    }
    events, moment = [], start
    for _ in range(rnd.choice([1, 1, 2, 3, 5])):
        page = rnd.choice(["/", "/pricing", "/blog/a", "/blog/b", "/docs"])
        events.append(make_event(SITE, timestamp=moment, visitor_id=visitor, pathname=page, **first))
        roll = rnd.random()
        if roll < 0.2:
            events.append(
                make_event(
                    SITE,
                    timestamp=moment + dt.timedelta(seconds=20),
                    visitor_id=visitor,
                    name="engagement",
                    pathname=page,
                    engagement_time=rnd.randint(1000, 90_000),
                    scroll_depth=rnd.randint(0, 100),
                    **first,
                )
            )
        elif roll < 0.3:
            name = rnd.choice(["Signup", "Purchase"])
            paid = {"revenue_amount": "12.50", "revenue_currency": "EUR"} if name == "Purchase" else {}
            events.append(
                make_event(
                    SITE,
                    timestamp=moment + dt.timedelta(seconds=30),
                    visitor_id=visitor,
                    name=name,
                    pathname=page,
                    prop_keys=("plan",),
                    prop_values=(rnd.choice(["free", "pro"]),),
                    **paid,
                    **first,
                )
            )
        moment += dt.timedelta(minutes=rnd.randint(1, 25))
    return events


def generated(seed_: int = 5, days: int = 10, per_day: int = 40) -> list[Event]:
    """Visitors as ingest makes them: an id lives one day (the daily salt); its visits all begin that
    day, some running past midnight."""
    rnd = random.Random(seed_)
    events: list[Event] = []
    for index in range(days):
        day = dt.datetime.combine(LAST - dt.timedelta(days=days - 1 - index), dt.time(), dt.UTC)
        for k in range(per_day):
            visitor = (index + 1) * 10_000 + k
            starts = sorted(rnd.randint(0, 24 * 3600 - 1) for _ in range(rnd.choice([1, 1, 2])))
            moment = day
            for offset in starts:
                begin = max(day + dt.timedelta(seconds=offset), moment + dt.timedelta(minutes=31))
                if begin >= day + dt.timedelta(days=1):
                    break
                visit = visit_events(rnd, visitor, begin)
                events += visit
                moment = max(e.timestamp for e in visit)
    return events


@pytest.fixture(scope="module")
def stored(clickhouse: None) -> Iterator[list[Event]]:
    clear_events()
    events = generated()
    seed(events)
    yield events
    clear_events()


def ranges(tz: str) -> list[DateRange]:
    """The whole range, an inner one, and one ending the day before the open last day."""
    return [
        DateRange(LAST - dt.timedelta(days=12), LAST, tz),
        DateRange(LAST - dt.timedelta(days=7), LAST - dt.timedelta(days=2), tz),
        DateRange(LAST - dt.timedelta(days=3), LAST - dt.timedelta(days=1), tz),
    ]


def queries(tz: str) -> Iterator[Query]:
    """Every rolled dimension (and none), and the filtered pairs, over each of ``ranges``."""
    for date_range in ranges(tz):
        for dimension in (*ROLLED, "event:props:plan"):
            dims = (dimension,) if dimension else ()
            if dimension == GOAL:
                metrics: tuple[str, ...] = ("visitors", "events", "conversion_rate", "total_revenue")
            else:
                metrics = METRICS + (("percentage",) if dims else ())
            yield Query(SITE, date_range, metrics, dims, goals=GOALS, limit=1000)
        for filtered, value in CLICKED.items():
            for dimension in (*PAIRED, filtered, "event:props:plan"):
                dims = (dimension,) if dimension else ()
                metrics = METRICS + (("percentage",) if dims else ())
                if dimension == GOAL:
                    metrics = ("visitors", "events", "conversion_rate")
                clicked = (Filter("is", filtered, (value,)),)
                yield Query(SITE, date_range, metrics, dims, clicked, goals=GOALS, limit=1000)


def parts(tz: str, day: dt.date | None = None) -> int:
    """How many parts of the closed days (of ``day`` only, when given) a build writes in ``tz``."""
    days = [d for d in closed_days(SITE, NOW) if day is None or d.day == day]
    return sum(1 for d in days for cut in cuts(d, tz) if part_before(d.day, cut))


def answers(query_list: list[Query]) -> list[list[dict[str, Any]]]:
    return [run_query(q) for q in query_list]


@pytest.mark.parametrize("tz", TIMEZONES)
def test_sums_answer_as_every_event_does(stored: list[Event], tz: str) -> None:
    client.command("TRUNCATE TABLE day_sums")
    asked = list(queries(tz))
    assert all(read_sql(q) is None for q in asked)  # nothing built: every query reads raw
    raw = answers(asked)
    keys = [top_prop_keys(SITE, r) for r in sorted({q.date_range for q in asked}, key=repr)]
    written = build(SITE, tz, GOALS, NOW)
    # the ten days but the open last one: each dimension, the property keys and their one key's breakdown,
    # whole and up to each local midnight among a day's events
    assert written == (9 + parts(tz)) * KINDS
    used = [q for q in asked if read_sql(q) is not None]
    assert len(used) == len(asked)  # every one of them can take sums now
    assert answers(asked) == raw
    assert (
        [top_prop_keys(SITE, r) for r in sorted({q.date_range for q in asked}, key=repr)]
        == keys
        == [["plan"]] * 3
    )
    assert build(SITE, tz, GOALS, NOW) == 0  # nothing left to write


@pytest.mark.parametrize("tz", ["Europe/Berlin", "America/New_York", "UTC"])
def test_a_range_ending_inside_a_closed_day_reads_it_from_its_part(stored: list[Event], tz: str) -> None:
    """A range of whole local days ends at a local midnight, which falls among the events of its last
    visit day (a UTC day, with visits running past its end): that day's sums up to the midnight answer
    it, not its events."""
    client.command("TRUNCATE TABLE day_sums")
    date_range = DateRange(LAST - dt.timedelta(days=6), LAST - dt.timedelta(days=2), tz)
    query = Query(SITE, date_range, METRICS, ("visit:source",))
    raw = run_query(query)
    build(SITE, tz, GOALS, NOW)
    summed, edges = split(SITE, date_range, [("visit:source", variant("visit:source", tz, GOALS))])
    end = date_range.bounds_utc()[1].replace(tzinfo=None)
    last = [day for day in summed if day.first_at < end <= day.last_at]
    assert len(last) == 1 and last[0].part == part_before(last[0].day, end) != ""
    assert all(day.first_at < date_range.bounds_utc()[0].replace(tzinfo=None) for day in edges)  # the start's
    assert run_query(query) == raw
    client.command("TRUNCATE TABLE day_sums")


def test_a_day_changed_after_its_sums_is_read_raw_until_they_are_rewritten(stored: list[Event]) -> None:
    client.command("TRUNCATE TABLE day_sums")
    build(SITE, "UTC", GOALS, NOW)
    query = Query(
        SITE, DateRange(LAST - dt.timedelta(days=8), LAST, "UTC"), METRICS, ("event:page",), limit=100
    )
    before = run_query(query)
    late_day = dt.datetime.combine(LAST - dt.timedelta(days=4), dt.time(10), dt.UTC)
    seed([make_event(SITE, timestamp=late_day, visitor_id=999_999, pathname="/late")])
    after = run_query(query)
    assert {r["event:page"] for r in after} - {r["event:page"] for r in before} == {"/late"}
    changed = LAST - dt.timedelta(days=4)  # that day's sums only (whole and its parts), at its new count
    assert build(SITE, "UTC", GOALS, NOW) == (1 + parts("UTC", changed)) * KINDS
    assert read_sql(query) is not None
    assert run_query(query) == after
    client.command("TRUNCATE TABLE day_sums")
    assert run_query(query) == after  # and reading every event gives the same


def test_two_builders_at_once_write_each_sum_once(stored: list[Event]) -> None:
    client.command("TRUNCATE TABLE day_sums")
    query = Query(SITE, DateRange(LAST - dt.timedelta(days=9), LAST, "UTC"), METRICS, ("visit:source",))
    raw = run_query(query)
    threads = [threading.Thread(target=build, args=(SITE, "UTC", GOALS, NOW)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    build(SITE, "UTC", GOALS, NOW)
    markers = client.execute(
        "SELECT dimension, variant, day, count() FROM day_sums WHERE marker = 1"
        " GROUP BY dimension, variant, day HAVING count() > 1",
        tag="test",
    ).rows
    assert markers == []
    assert run_query(query) == raw


def test_revenue_and_goals_come_from_the_sums(stored: list[Event]) -> None:
    client.command("TRUNCATE TABLE day_sums")
    query = Query(
        SITE,
        DateRange(LAST - dt.timedelta(days=9), LAST - dt.timedelta(days=1), "UTC"),
        ("visitors", "total_revenue", "average_revenue"),
        (GOAL,),
        goals=GOALS,
    )
    raw = run_query(query)
    build(SITE, "UTC", GOALS, NOW)
    assert read_sql(query) is not None
    rolled = run_query(query)
    assert rolled == raw
    purchase = next(r for r in rolled if r[GOAL] == "Purchase")
    assert purchase["total_revenue"]["value"] > Decimal(0)
    other_goals = dataclasses.replace(query, goals=GOALS[:2])
    assert read_sql(other_goals) is None  # sums of other goals are not these


def test_the_job_writes_each_site_in_its_timezone_and_for_its_goals(owner: Any, events_table: None) -> None:
    from panel.goals.models import Goal as GoalRow
    from panel.sites.closed_days import build_closed

    sid = owner.site.id  # Europe/Berlin
    GoalRow.objects.create(site=owner.site, event_name="Signup")
    now = dt.datetime.now(dt.UTC)
    day = dt.datetime.combine(now.date() - dt.timedelta(days=3), dt.time(12), dt.UTC)
    seed(
        [make_event(sid, timestamp=day, visitor_id=v, name=n) for v in (1, 2) for n in ("pageview", "Signup")]
    )
    written = build_closed(now)
    assert written[owner.site.domain] > 0
    kinds = client.execute(
        "SELECT DISTINCT toString(dimension), variant FROM day_sums"
        " WHERE site_id = {s:UInt64} AND marker = 1",
        {"s": sid},
        tag="test",
    ).rows
    goals = GoalRow.objects.analytics_goals(owner.site)
    assert ("time:day", "Europe/Berlin") in kinds
    assert (GOAL, variant(GOAL, "Europe/Berlin", goals)) in kinds
    assert build_closed(now)[owner.site.domain] == 0
    week = DateRange(now.date() - dt.timedelta(days=6), now.date() - dt.timedelta(days=1), "Europe/Berlin")
    query = Query(sid, week, ("visitors", "conversion_rate"), (GOAL,), goals=goals)
    assert read_sql(query) is not None
    assert run_query(query) == [{GOAL: "Signup", "visitors": 2, "conversion_rate": 100.0}]


def test_a_funnel_reads_its_sums_as_it_reads_every_event(stored: list[Event]) -> None:
    client.command("TRUNCATE TABLE day_sums")
    funnel = Funnel(
        "Signup flow", (Goal(page_path="/"), Goal(page_path="/pricing"), Goal(event_name="Signup"))
    )
    other = Funnel("Other", (Goal(page_path="/pricing"), Goal(page_path="/docs")))
    berlin = ranges("Europe/Berlin")
    raw = [run_funnel(SITE, r, f) for r in berlin for f in (funnel, other)]
    assert build_funnels(SITE, [funnel, other], NOW) == 2 * 9
    assert all(funnel_sql(SITE, r, funnel)[0].count("day_sums") == 1 for r in berlin)
    assert [run_funnel(SITE, r, f) for r in berlin for f in (funnel, other)] == raw
    assert raw[0].steps[0].visitors > raw[0].steps[2].visitors > 0
    assert build_funnels(SITE, [funnel, other], NOW) == 0


def test_a_day_keyed_before_a_breakdown_kind_changed_gets_that_kind(
    stored: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Days whose keys and their breakdowns were written before sources were grouped by case (their
    kinds then had no "folded" variant) get the source-filtered breakdowns by their keys, though the job
    writes a day's keys last and, for days with keys, nothing more of them."""
    import analytics.closed_days as closed_days_module

    client.command("TRUNCATE TABLE day_sums")
    query = Query(
        SITE,
        DateRange(LAST - dt.timedelta(days=8), LAST, "UTC"),
        ("visitors", "events"),
        ("event:props:plan",),
        (Filter("is", "visit:source", ("Google",)),),
        goals=GOALS,
    )
    answer = run_query(query)  # every event read
    with monkeypatch.context() as old:
        old.setattr(closed_days_module, "folded", lambda dimensions: [])  # as the job wrote them then
        build(SITE, "UTC", GOALS, NOW)
    assert read_sql(query) is None  # no sums of this kind yet
    assert build(SITE, "UTC", GOALS, NOW) > 0
    assert read_sql(query) is not None
    assert run_query(query) == answer
    assert build(SITE, "UTC", GOALS, NOW) == 0


def test_a_day_re_derived_gets_its_sums_written_again(stored: list[Event]) -> None:
    """Re-deriving visits drops the days' sums; the job writes them again even when a day keeps its
    event count (the stamp its sums were written at before)."""
    from analytics import rederive

    client.command("TRUNCATE TABLE day_sums")
    query = Query(SITE, DateRange(LAST - dt.timedelta(days=8), LAST, "UTC"), METRICS, ("visit:source",))
    build(SITE, "UTC", GOALS, NOW)
    before = run_query(query)
    assert read_sql(query) is not None
    rederive.rederive_site(SITE)  # the same events: the same visits and counts
    assert read_sql(query) is None  # its days' sums are gone: read raw
    assert build(SITE, "UTC", GOALS, NOW + dt.timedelta(minutes=10)) > 0  # the job's next run
    assert read_sql(query) is not None  # and written again
    assert run_query(query) == before

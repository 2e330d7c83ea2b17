"""Funnels: how many visitors went through 2 to 8 goals in order, and where the others dropped off.

    >>> steps = (Goal(page_path="/"), Goal(page_path="/pricing"), Goal(event_name="Signup"))
    >>> funnel = Funnel("Signup", steps)
    >>> result = run_funnel(site_id=1, date_range=date_range, funnel=funnel)  # doctest: +SKIP
    >>> [step.visitors for step in result.steps]  # doctest: +SKIP
    [120, 40, 6]

The rule: a visitor reaches step k when, within one visit (decided at ingest: ``ingest/visits.py``),
events in the range complete steps 1..k in that order, each strictly later than the one before (events
of the same millisecond do not chain; one event completes at most one step). Each visit is walked in
time order, taking every step at its first chance (which reaches the furthest step possible);
ClickHouse's ``windowFunnel`` is not used because it restarts a chain when one event matches both a
step and the next one. A visitor counts once per step, by their furthest visit. Filters narrow the
events as in ``Query`` (visit filters the visits), except goal filters, which keep the visits converting
in the range (every event filter holding for one of their events) and walk all their events. Per step:
visitors, the conversion rate from the first step, and the drop-off (count and percent) from the step
before; rates are percent to 2 decimals, half up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from analytics.closed_days import around, built_sums, closed_days, lacking, write
from analytics.errors import QueryError
from analytics.filters import FilterNode
from analytics.goals import Goal, goal_sql
from analytics.periods import DateRange
from analytics.query import Plan, Query
from analytics.runner import check_patterns, execute_checked, run_query
from analytics.visit_days import split, sums_rows

__all__ = [
    "MAX_STEPS",
    "MIN_STEPS",
    "Funnel",
    "FunnelResult",
    "FunnelStep",
    "build_funnels",
    "funnel_sql",
    "run_funnel",
]

MIN_STEPS, MAX_STEPS = 2, 8
FUNNEL = "funnel"  # the sums' kind holding a closed day's visitors by the furthest step (value)
MAX_NAME = 120


@dataclasses.dataclass(frozen=True)
class Funnel:
    name: str
    steps: tuple[Goal, ...]

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME:
            raise QueryError("funnel", f"a funnel's name has 1 to {MAX_NAME} characters")
        if not MIN_STEPS <= len(self.steps) <= MAX_STEPS:
            raise QueryError("funnel", f"a funnel has {MIN_STEPS} to {MAX_STEPS} steps")
        if len(set(self.steps)) != len(self.steps):
            raise QueryError("funnel", "a goal appears twice in the funnel")


@dataclasses.dataclass(frozen=True)
class FunnelStep:
    label: str
    visitors: int
    conversion_rate: float  # from the first step, percent
    dropoff: int  # from the step before
    dropoff_percentage: float

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class FunnelResult:
    name: str
    steps: tuple[FunnelStep, ...]
    all_visitors: int  # visitors in the range (under the filters), whether they entered or not

    @property
    def entering_visitors(self) -> int:
        return self.steps[0].visitors

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "all_visitors": self.all_visitors,
            "entering_visitors": self.entering_visitors,
            "never_entering_visitors": self.all_visitors - self.entering_visitors,
            "steps": [step.as_dict() for step in self.steps],
        }


def _rate(part: int, whole: int) -> float:
    """part / whole in percent to 2 decimals, halves up (0 when whole is 0)."""
    return 0.0 if whole == 0 else ((2 * part * 10_000 + whole) // (2 * whole)) / 100


def shape(funnel: Funnel, reached: dict[int, int], all_visitors: int) -> FunnelResult:
    """Visitors by furthest step reached -> the per-step figures (pure)."""
    counts = [sum(n for level, n in reached.items() if level >= k) for k in range(1, len(funnel.steps) + 1)]
    steps = []
    for index, (goal, visitors) in enumerate(zip(funnel.steps, counts, strict=True)):
        before = counts[index - 1] if index else visitors
        steps.append(
            FunnelStep(
                label=goal.display_name,
                visitors=visitors,
                conversion_rate=_rate(visitors, counts[0]),
                dropoff=before - visitors,
                dropoff_percentage=_rate(before - visitors, before),
            )
        )
    return FunnelResult(funnel.name, tuple(steps), all_visitors)


def funnel_sql(
    site_id: int,
    date_range: DateRange,
    funnel: Funnel,
    filters: tuple[FilterNode, ...] = (),
    goals: tuple[Goal, ...] = (),
) -> tuple[str, dict[str, Any]]:
    """Rows (level, visitors): of the visitors with an event in the range that completes some step, how
    many got exactly that far (level 0: none entered). Only those events are walked; the visitors in the
    range are the ``visitors`` metric under the same filters. Closed visit days are read from their sums
    (``analytics.closed_days``) when there are no filters and they are written."""
    plan = Plan(Query(site_id, date_range, ("visitors",), filters=filters, goals=goals))
    summed, edges = split(site_id, date_range, [_kind(funnel)]) if not filters else ([], [])
    if not summed:
        return f"{levels_sql(plan, funnel)} ORDER BY level", plan.params
    plan.restrict_to(edges)
    rows = sums_rows(plan.bind, _kind(funnel), summed, ["p_visitors"])
    sums = f"SELECT toUInt64(value) AS level, p_visitors AS visitors FROM ({rows})"  # noqa: S608
    union = f"({levels_sql(plan, funnel)}) UNION ALL ({sums})"
    return f"SELECT level, sum(visitors) FROM ({union}) GROUP BY level ORDER BY level", plan.params  # noqa: S608


def levels_sql(plan: Plan, funnel: Funnel, *, by_day: bool = False) -> str:
    """The plan's visitors by the furthest step they reached (``level``, ``visitors``; and their visit
    ``day`` when ``by_day``)."""
    mask = " + ".join(
        f"toUInt64({goal_sql(step, plan.bind)}) * {1 << i}" for i, step in enumerate(funnel.steps)
    )
    stamp = "toUInt64(toUnixTimestamp64Milli(e.timestamp))"
    # (level, time of the last step taken), advanced by each event in time order that completes the next step
    walk = (
        f"arrayFold((acc, x) -> if(acc.1 < {len(funnel.steps)} AND bitTest(x.2, acc.1) AND x.1 > acc.2,"
        " (toUInt64(acc.1 + 1), x.1), acc),"
        f" arraySort(groupArray(({stamp}, {mask}))), (toUInt64(0), toUInt64(0))).1"
    )
    # Goal filters narrow the visits (those converting in the range), not the events walked: under a
    # filter on Signup, the funnel of the visits that signed up.
    where = [*plan.events_in_range(engagement=False, grouped=False, nodes=plan.base_nodes), f"({mask}) != 0"]
    if len(plan.base_nodes) < len(plan.event_nodes):
        converting = " AND ".join(plan.events_in_range(engagement=False, grouped=False))
        where.append(f"e.visit_id IN (SELECT e.visit_id FROM events AS e WHERE {converting})")  # noqa: S608
    columns = f"e.visit_id AS visit, any(e.visitor_id) AS visitor, any(toDate(e.visit_start)) AS day, {walk}"
    per_visit = f"SELECT {columns} AS level FROM events AS e WHERE {' AND '.join(where)} GROUP BY visit"  # noqa: S608
    # A visitor id lives one visit day, so per visitor and day (the sums' grain) is per visitor.
    who = "visitor, day" if by_day else "visitor"
    per_visitor = f"SELECT {who}, max(level) AS level FROM ({per_visit}) GROUP BY {who}"  # noqa: S608
    keys = "day, level" if by_day else "level"
    return f"SELECT {keys}, count() AS visitors FROM ({per_visitor}) GROUP BY {keys}"  # noqa: S608


def _kind(funnel: Funnel) -> tuple[str, str]:
    """The kind of a funnel's sums: its steps (not its name) make them."""
    return FUNNEL, hashlib.sha256(repr(funnel.steps).encode()).hexdigest()[:16]


def build_funnels(site_id: int, funnels: Sequence[Funnel], now: dt.datetime) -> int:
    """Write the sums of the site's closed visit days for each funnel, where lacking; how many
    (funnel, day) sums were written (the ``closed_days`` job, with ``analytics.closed_days.build``)."""
    days, built, written = closed_days(site_id, now), built_sums(site_id), 0
    for funnel in funnels:
        for chunk in lacking(days, built, _kind(funnel)):
            plan = Plan(Query(site_id, around(chunk, "UTC"), ("visitors",)))
            plan.restrict_to(chunk)
            sql = levels_sql(plan, funnel, by_day=True)
            select = f"SELECT day, toString(level) AS value, visitors AS p_visitors FROM ({sql})"  # noqa: S608
            columns = ["value", "p_visitors"]
            written += write(site_id, _kind(funnel), chunk, select, plan.params, columns, now=now)
    return written


def run_funnel(
    site_id: int,
    date_range: DateRange,
    funnel: Funnel,
    filters: tuple[FilterNode, ...] = (),
    *,
    goals: tuple[Goal, ...] = (),
    tag: str = "",
) -> FunnelResult:
    """The funnel's figures; ``goals`` (the site's) are needed only when a filter names event:goal."""
    check_patterns(filters)
    sql, params = funnel_sql(site_id, date_range, funnel, filters, goals)
    tag = tag or f"site:{site_id}:funnel"
    rows = execute_checked(sql, params, tag=tag, max_rows=MAX_STEPS + 1).rows
    reached = {int(level): int(count) for level, count in rows}
    everyone = run_query(Query(site_id, date_range, ("visitors",), filters=filters, goals=goals), tag=tag)
    return shape(funnel, reached, int(everyone[0]["visitors"]) if everyone else 0)

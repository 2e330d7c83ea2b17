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
events as in ``Query`` (visit filters the visits). Per step: visitors, the conversion rate from the
first step, and the drop-off (count and percent) from the step before; rates are percent to 2
decimals, half up.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from analytics.errors import QueryError
from analytics.filters import FilterNode
from analytics.goals import Goal, goal_sql
from analytics.periods import DateRange
from analytics.query import Plan, Query
from analytics.runner import check_patterns, execute_checked, run_query

__all__ = ["MAX_STEPS", "MIN_STEPS", "Funnel", "FunnelResult", "FunnelStep", "funnel_sql", "run_funnel"]

MIN_STEPS, MAX_STEPS = 2, 8
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
    range are the ``visitors`` metric under the same filters."""
    plan = Plan(Query(site_id, date_range, ("visitors",), filters=filters, goals=goals))
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
    where = [*plan.events_in_range(engagement=False, grouped=False), f"({mask}) != 0"]
    per_visit = (
        f"SELECT e.visit_id AS visit, any(e.visitor_id) AS visitor, {walk} AS level"  # noqa: S608 - names only
        f" FROM events AS e WHERE {' AND '.join(where)}"
        " GROUP BY visit"
    )
    sql = (
        "SELECT level, count() FROM"  # noqa: S608 - names only
        f" (SELECT visitor, max(level) AS level FROM ({per_visit}) GROUP BY visitor)"
        " GROUP BY level ORDER BY level"
    )
    return sql, plan.params


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

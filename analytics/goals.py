"""Goals: a custom event by name, or a pageview of a path (``*``/``**`` wildcards), under a display name.

A site's goals travel with each ``Query`` (``Query.goals``); ``event:goal`` filters and breakdowns name
them by display name. An event completes a goal when it is a custom event of that name, or a pageview
whose path matches:

    >>> Goal(event_name="Signup").display_name, Goal(page_path="/blog/**").display_name
    ('Signup', 'Visit /blog/**')
    >>> Goal(event_name="Purchase", currency="EUR").currency
    'EUR'

A goal for a custom event may carry a revenue currency (ISO 4217): its revenue metrics add up the
amounts of its events in that currency (events sent in another currency are not converted, and left
out).
"""

from __future__ import annotations

import dataclasses

from analytics.currencies import CURRENCIES
from analytics.errors import QueryError
from analytics.filters import Binder, Filter, wildcard_regex

__all__ = ["RESERVED_EVENTS", "Goal", "any_goal_sql", "goal_sql", "select_goals"]

RESERVED_EVENTS = frozenset({"pageview", "engagement"})
MAX_EVENT_NAME = 120
MAX_PAGE_PATH = 2_000
MAX_DISPLAY_NAME = 120


@dataclasses.dataclass(frozen=True)
class Goal:
    event_name: str = ""
    page_path: str = ""
    display_name: str = ""
    currency: str = ""

    def __post_init__(self) -> None:
        problem = _problem(self)
        if problem:
            raise QueryError("goals", problem)
        if not self.display_name:
            default = self.event_name or f"Visit {self.page_path}"
            object.__setattr__(self, "display_name", default)

    @property
    def kind(self) -> str:
        return "event" if self.event_name else "page"


def _problem(goal: Goal) -> str:
    """Why ``goal`` is not a valid goal, or ''."""
    if bool(goal.event_name) == bool(goal.page_path):
        return "a goal has exactly one of an event name and a page path"
    if goal.event_name in RESERVED_EVENTS:
        return f"{goal.event_name!r} is not a custom event; use a page path goal for pageviews"
    if len(goal.event_name) > MAX_EVENT_NAME or len(goal.page_path) > MAX_PAGE_PATH:
        return "the goal's event name or page path is too long"
    if goal.page_path and not goal.page_path.startswith("/"):
        return "a page path starts with /"
    if len(goal.display_name) > MAX_DISPLAY_NAME or (goal.display_name and not goal.display_name.strip()):
        return f"a display name has 1 to {MAX_DISPLAY_NAME} characters"
    if goal.currency and goal.page_path:
        return "only a custom event goal has a currency"
    if goal.currency and goal.currency not in CURRENCIES:
        return f"currency {goal.currency!r} is not an ISO 4217 currency code, such as EUR or USD"
    return ""


def goal_sql(goal: Goal, bind: Binder, table: str = "e") -> str:
    """The condition under which an event of ``table`` completes ``goal``."""
    if goal.event_name:
        return f"{table}.name = {bind(goal.event_name, 'String')}"
    pattern = bind(wildcard_regex([goal.page_path]), "String")
    return f"({table}.name = 'pageview' AND match({table}.pathname, {pattern}))"


def any_goal_sql(goals: tuple[Goal, ...] | list[Goal], bind: Binder, table: str = "e") -> str:
    return "(" + " OR ".join(goal_sql(g, bind, table) for g in goals) + ")" if goals else "0"


def select_goals(goals: tuple[Goal, ...], flt: Filter) -> tuple[Goal, ...]:
    """The goals an ``event:goal`` filter names (before any negation), by display name."""
    if flt.operator in {"is", "is_not"}:
        known = {g.display_name for g in goals}
        unknown = [v for v in flt.values if v not in known]
        if unknown:
            raise QueryError("filters", f"event:goal: no goal named {unknown[0]!r} on this site")
        return tuple(g for g in goals if g.display_name in flt.values)
    if flt.operator in {"contains", "contains_not"}:
        needles = [v.casefold() for v in flt.values]
        return tuple(g for g in goals if any(n in g.display_name.casefold() for n in needles))
    raise QueryError("filters", "event:goal takes is, is_not, contains or contains_not")

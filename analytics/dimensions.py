"""What a query can group and filter by: event and visit properties, custom props, goals, time buckets.

    >>> find("visit:source").column, find("event:props:plan").prop, find("nope") is None
    ('referrer_source', 'plan', True)

``event:*`` dimensions are the event's own (``event:props:<key>`` a custom property, ``(none)`` when
the event has no such property; ``event:goal`` the goals the event completes, by display name);
``visit:*`` ones are the visit's (first touch, carried by its every event; its entry and exit pages).
Time dimensions bucket in the range's timezone.

``visit:source`` folds case (``fold_case``): a campaign's own source name ("Newsletter", "newsletter")
keeps its spelling when stored, but its spellings are one group and one filter value; a group is shown
in its first spelling in sort order (capitals first: "Newsletter"), the same in every period.
"""

from __future__ import annotations

import dataclasses

__all__ = [
    "DIMENSIONS",
    "DIRECT",
    "GOAL",
    "NONE",
    "PROPS_PREFIX",
    "TIME_DIMENSIONS",
    "Dimension",
    "find",
]

DIRECT = "Direct / None"
NONE = "(none)"
PROPS_PREFIX = "event:props:"
GOAL = "event:goal"
MAX_PROP_KEY = 300


@dataclasses.dataclass(frozen=True)
class Dimension:
    """A column of ``events`` (scope "event") or of a visit (scope "visit"), a custom prop or goals."""

    scope: str
    column: str
    empty_label: str = ""  # what an empty value is called; without one, empty values leave breakdowns
    keep_empty: bool = False
    prop: str = ""  # the custom property's key, for event:props:<key>
    fold_case: bool = False  # grouped and filtered ignoring case (``key_sql``), shown as one spelling

    def sql(self, table: str = "") -> str:
        col = f"{table}.{self.column}" if table else self.column
        return f"if({col} = '', '{self.empty_label}', {col})" if self.empty_label else col

    def key_sql(self, value: str) -> str:
        """What groups and filters compare of the value ``value`` (an SQL expression): itself, or its
        lower case when the dimension folds case."""
        return f"lowerUTF8({value})" if self.fold_case else value

    @property
    def skips_empty(self) -> bool:
        return not (self.empty_label or self.keep_empty)


DIMENSIONS: dict[str, Dimension] = {
    "event:page": Dimension("event", "pathname"),
    "event:hostname": Dimension("event", "hostname"),
    "event:name": Dimension("event", "name"),
    "visit:source": Dimension("visit", "referrer_source", DIRECT, fold_case=True),
    "visit:referrer": Dimension("visit", "referrer", DIRECT),
    "visit:channel": Dimension("visit", "channel", keep_empty=True),
    "visit:utm_medium": Dimension("visit", "utm_medium"),
    "visit:utm_source": Dimension("visit", "utm_source"),
    "visit:utm_campaign": Dimension("visit", "utm_campaign"),
    "visit:utm_content": Dimension("visit", "utm_content"),
    "visit:utm_term": Dimension("visit", "utm_term"),
    "visit:entry_page": Dimension("visit", "entry_page"),
    "visit:exit_page": Dimension("visit", "exit_page"),
    "visit:country": Dimension("visit", "country_code"),
    "visit:region": Dimension("visit", "region"),
    "visit:city": Dimension("visit", "city"),
    # Plausible's names for the names (its region and city are codes; Lantern stores names for both)
    "visit:region_name": Dimension("visit", "region"),
    "visit:city_name": Dimension("visit", "city"),
    "visit:browser": Dimension("visit", "browser"),
    "visit:browser_version": Dimension("visit", "browser_version"),
    "visit:os": Dimension("visit", "os"),
    "visit:os_version": Dimension("visit", "os_version"),
    "visit:device": Dimension("visit", "device"),
    "visit:screen": Dimension("visit", "screen_size"),
}
GOAL_DIMENSION = Dimension("event", "", keep_empty=True)

# Time buckets come back as local-time text ("2026-11-21", "2026-11-21 13:00:00"), never as datetimes
# whose zone a driver could reinterpret. {ts} is the time being bucketed.
TIME_DIMENSIONS: dict[str, str] = {
    "time:minute": "formatDateTime({ts}, '%Y-%m-%d %H:%i:00', {{tz:String}})",
    "time:hour": "formatDateTime({ts}, '%Y-%m-%d %H:00:00', {{tz:String}})",
    "time:day": "toString(toDate({ts}, {{tz:String}}))",
    "time:week": "toString(toMonday({ts}, {{tz:String}}))",
    "time:month": "toString(toStartOfMonth({ts}, {{tz:String}}))",
}


def find(name: str) -> Dimension | None:
    """The dimension called ``name`` (time dimensions aside), or None."""
    if name in DIMENSIONS:
        return DIMENSIONS[name]
    if name == GOAL:
        return GOAL_DIMENSION
    if name.startswith(PROPS_PREFIX) and 1 <= len(name) - len(PROPS_PREFIX) <= MAX_PROP_KEY:
        return Dimension("event", "", NONE, prop=name[len(PROPS_PREFIX) :])
    return None

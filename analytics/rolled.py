"""Queries answered from rollups (``analytics.rollups``) where they are current, raw elsewhere.

A query qualifies when it has no filters, at most one rolled dimension or a day/week/month time
dimension, whole local days, and metrics made of the rolled partials. Its range is split into UTC
days (``analytics.pieces``); a day whose build is current is read from the rollup rows, the others
(changed since their build, or never built) from the raw tables with the query layer's own
statements, and both kinds of rows are summed by the same outer query as a raw query's. A day is read
raw together with its neighbour when the visitors the two share were counted against events since
changed. A raw span followed by rolled days leaves out the visits going on past its end: the rolled
day they end on counts them. The answer is the raw query's, exactly (tests/test_rollups.py compares
them).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import zoneinfo
from typing import Any

from analytics import client, prop_keys, rollups
from analytics.config import env_int
from analytics.dimensions import GOAL, PROPS_PREFIX
from analytics.periods import DateRange
from analytics.pieces import Bucket, Cut, Use, cut, cut_ms, day_bounds, decompose
from analytics.query import (
    EVENTS,
    METRICS,
    VISITS,
    Query,
    outer_sql,
    partials_sql,
    query_sources,
    rename_params,
)
from analytics.rollups import (
    KINDS,
    PROP_KEYS,
    ROLLED_PARTIALS,
    VISIT_PARTIALS,
    DayState,
    built_as_now,
    canonical_dim,
)

__all__ = ["ROLLED_METRICS", "done_sessions", "eligible", "rolled_sql", "top_prop_keys"]

ROLLED_METRICS = frozenset(
    {
        "visitors",
        "visits",
        "pageviews",
        "views_per_visit",
        "bounce_rate",
        "visit_duration",
        "events",
        "percentage",
        "exit_rate",
    }
)
# A goal breakdown's: each goal's visitors and events are those of one rolled value (``_goal_keys``).
GOAL_ROLLED_METRICS = frozenset({"visitors", "events", "conversion_rate"})
ROLLED_TIME = ("time:day", "time:week", "time:month")
DAY = dt.timedelta(days=1)


def eligible(query: Query) -> bool:
    """No filters, whole local days, rolled metrics, and no dimension, a time bucket or a rolled one
    (an event dimension only with event metrics: a visit's pieces are not kept per event value), or
    the goals (``_goal_keys``)."""
    metrics = GOAL_ROLLED_METRICS if query.dimensions == (GOAL,) else ROLLED_METRICS
    if query.filters or query.date_range.moments is not None or not set(query.metrics) <= metrics:
        return False
    if not query.dimensions:
        return True
    (name, *more), sources = query.dimensions, query_sources(query)
    if more:
        return False
    if name == GOAL:
        return _goal_keys(query) is not None
    if name in ROLLED_TIME:
        return True
    return canonical_dim(name) is not None and not (name.startswith("event:") and VISITS in sources)


def _goal_keys(query: Query) -> list[tuple[str, str]] | None:
    """Each goal as the rolled (dimension, value) whose events complete it: a custom event's name, a
    page path without wildcards (its pageviews: the rollups' top pages are pageviews only). None if a
    goal has wildcards (several pages: their visitors cannot be added up) or two goals share a value."""
    keys = []
    for goal in query.goals:
        if goal.event_name:
            keys.append(("event:name", goal.event_name))
        elif "*" not in goal.page_path:
            keys.append(("event:page", goal.page_path))
        else:
            return None
    return keys if len(set(keys)) == len(keys) else None


def _states(site_id: int, date_range: DateRange) -> dict[dt.date, DayState]:
    """The site's UTC days that a range touches, and those their builds depend on (``inputs``).

    A page's requests come together and ask about the same days, so what was read is kept for
    ``ROLLUP_STATE_TTL_MS`` (default 2000; 0 reads every time), unless this process wrote meanwhile. A
    state read earlier is like one read just before events arrived: a day whose build it calls current
    is read from that build's rows (kept until the day's next build), every other day raw.
    """
    start, end = date_range.bounds_utc()
    last = (end - dt.timedelta(milliseconds=1)).date()
    key = (site_id, start.date() - 3 * DAY, last + DAY)
    writes, now = client.writes(), time.monotonic()
    kept = _kept_states.get(key)
    if kept is not None and kept[0] == writes and now - kept[1] < env_int("ROLLUP_STATE_TTL_MS", 2000) / 1000:
        return kept[2]
    found = {day: state for (_, day), state in rollups.day_states(*key).items()}
    if len(_kept_states) >= _KEEP_STATES:
        _kept_states.clear()
    _kept_states[key] = (writes, now, found)
    return found


def done_sessions(site_id: int, date_range: DateRange) -> dict[str, Any] | None:
    """Parameters for ``sessions.live_sql(frozen=True)``: the UTC days whose visits a raw query over
    the range may read from their builds (``sessions_done``: those days' builds are current), and the
    days the other visits begin on (read live); None when no build serves.

    The visits a range reads end from its first UTC day to ``REACH`` past its end; a day after the
    range's last is read live (its build's inputs reach past the states read).
    """
    states = _states(site_id, date_range)
    start, end = date_range.bounds_utc()
    last = (end - dt.timedelta(milliseconds=1)).date()
    beyond = (end - dt.timedelta(milliseconds=1) + dt.timedelta(hours=27)).date()
    builds: list[tuple[dt.date, int]] = []
    thawed: set[dt.date] = set()
    day = start.date()
    while day <= beyond:
        build = states[day].build if day <= last and day in states and built_as_now(states, day) else None
        if build is not None:
            builds.append((day, build))
        else:
            thawed |= {day - DAY, day}
        day += DAY
    if not builds:
        return None
    return {
        "frozen_builds": builds,
        "frozen_days": [day for day, _ in builds],
        "thawed_starts": sorted(thawed),
    }


_KEEP_STATES = 256
_EDGES_AFTER_DAYS = 62  # see _rollup_rows
_kept_states: dict[tuple[int, dt.date, dt.date], tuple[int, float, dict[dt.date, DayState]]] = {}


def _buckets(query: Query) -> list[Bucket]:
    """The query's range as spans of whole local days: one, or one per time bucket."""
    start, end = query.date_range.bounds_utc()
    bucket = query.time_dimension
    if bucket is None:
        return [Bucket("", start, end)]
    zone = zoneinfo.ZoneInfo(query.date_range.tz)
    first, last = query.date_range.first, query.date_range.last
    out: list[Bucket] = []
    day = first
    while day <= last:
        if bucket == "time:day":
            label, following = day, day + DAY
        elif bucket == "time:week":
            label = day - dt.timedelta(days=day.weekday())
            following = label + dt.timedelta(days=7)
        else:
            label = day.replace(day=1)
            following = (label + dt.timedelta(days=32)).replace(day=1)
        stop = min(following, last + DAY)
        low = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
        high = dt.datetime.combine(stop, dt.time(), zone).astimezone(dt.UTC)
        out.append(Bucket(label.isoformat(), low, high))
        day = stop
    return out


@dataclasses.dataclass(frozen=True)
class _Split:
    uses: list[Use]
    raw: list[tuple[dt.datetime, dt.datetime]]  # UTC spans read raw
    builds: list[tuple[dt.date, int]]


def _split(query: Query, states: dict[dt.date, DayState], dim: str = "") -> _Split | None:
    """Which days are read from rollups (with which factors) and which raw; None if rollups cannot
    help. ``dim`` is the rolled dimension read: a day whose build did not take it is read raw."""
    start, end = query.date_range.bounds_utc()
    tz = query.date_range.tz
    days = []
    day = start.date()
    while day_bounds(day)[0] < end:
        days.append(day)
        day += DAY
    cuts: dict[dt.date, Cut] = {day: cut(day, tz) for day in days}

    def current(day: dt.date) -> bool:
        state = states.get(day)
        if state is None or state.changes == 0:
            return True  # no events: nothing to read either way
        return (
            built_as_now(states, day)
            and state.tz == tz
            and (state.cut_ms == cut_ms(cuts[day], day))
            and (not dim.startswith(PROPS_PREFIX) or dim.removeprefix(PROPS_PREFIX) in state.prop_keys)
        )

    def carried_current(day: dt.date) -> bool:
        """Whether the visitors shared with the day before were counted against both days as they are."""
        state, before = states.get(day), states.get(day - DAY)
        if state is None or state.changes == 0 or before is None or before.changes == 0:
            return True  # no visitors on one side: none shared
        return current(day)

    raw = {day for day in days if not current(day)}
    for day in days[1:]:
        if not carried_current(day):
            raw |= {day, day - DAY}
    if all(day in raw or day not in states for day in days):
        return None  # nothing built: the raw query alone
    uses = decompose(_buckets(query), cuts)
    if uses is None or len({(u.day, u.kind) for u in uses}) != len(uses):
        return None
    # A day's own rows go with it when it is read raw. The visitors it shares with the day before come
    # off unless both are read raw together: a pair is current whenever one side is rolled (else
    # both would be raw), and its rows are kept with the later day's build.
    kept = [u for u in uses if not ({u.day, u.day - DAY} <= raw if u.kind.startswith("x") else u.day in raw)]
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for day in sorted(raw):
        low, high = max(start, day_bounds(day)[0]), min(end, day_bounds(day)[1])
        if spans and spans[-1][1] == low:
            spans[-1] = (spans[-1][0], high)
        else:
            spans.append((low, high))
    used = sorted({u.day for u in kept})
    builds = [(day, build) for day in used if day in states and (build := states[day].build) is not None]
    return _Split(kept, spans, builds)


def rolled_sql(query: Query) -> tuple[str, dict[str, Any]] | None:
    """The query over rollups and raw spans, or None when rollups would not help (or cannot serve it)."""
    if not eligible(query):
        return None
    states = _states(query.site_id, query.date_range)
    split = _split(query, states, _rolled_dim(query))
    whole = dataclasses.replace(query, dimensions=(), metrics=("visitors",), order_by=(), goals=())
    wants_total = {"percentage", "conversion_rate"} & set(query.metrics)
    total = _split(whole, states) if wants_total else None
    if split is None or (wants_total and total is None):
        return None
    params: dict[str, Any] = {}
    inner = _source(query, split, params, "")
    totals = {"total_visitors": "", "total_base_visitors": ""}
    if total is not None:  # all the visitors: a share's whole, and (no filters) a conversion's base
        rows = _source(whole, total, params, "_t")
        visitors = f"ifNull((SELECT sum(p_visitors) FROM ({rows})), 0)"  # noqa: S608
        totals = {"total_visitors": visitors, "total_base_visitors": visitors}
    having = " OR ".join(f"sum({p}) > 0" for p in _reach(query))
    return outer_sql(query, inner, totals, having, params), params


def _reach(query: Query) -> list[str]:
    """The partials telling which groups a query lists: those its kinds of data reach, as in a raw query."""
    sources = query_sources(query)
    return [p for source, p in ((EVENTS, "p_events"), (VISITS, "p_visits")) if source in sources]


def _partials(query: Query) -> list[str]:
    """The partial columns a query's metrics read, and those telling which groups its data reach."""
    wanted = {p for name in query.metrics for p in METRICS[name].partials} | set(_reach(query))
    return [p for p in ROLLED_PARTIALS if p in wanted]


def _source(query: Query, split: _Split, params: dict[str, Any], tag: str) -> str:
    """Rows of the partial sums the query reads (dimension aliases first): the rollup rows in use, then
    each raw span."""
    partials = _partials(query)
    parts = []
    if split.uses:
        parts.append(_rollup_rows(query, split, params, tag, partials))
    end = query.date_range.bounds_utc()[1]
    for index, (low, high) in enumerate(split.raw):
        span = dataclasses.replace(query, date_range=_between(low, high, query))
        sql, found, names = partials_sql(span, force=("p_events", "p_visits"), ended=high < end)
        sql, found = rename_params(sql, found, f"_r{index}{tag}")
        params |= found
        aliases = [f"d{n}" for n in range(len(query.dimensions))]
        columns = [f"toInt64({name if name in names else 0}) AS {name}" for name in partials]
        parts.append(f"SELECT {', '.join([*aliases, *columns])} FROM ({sql})")  # noqa: S608
    return " UNION ALL ".join(f"({part})" for part in parts)


def _between(low: dt.datetime, high: dt.datetime, query: Query) -> DateRange:
    start, end = query.date_range.bounds_utc()
    if (low, high) == (start, end):
        return query.date_range
    return DateRange.between(low, high, query.date_range.tz)


def _rolled_dim(query: Query) -> str:
    """The ``dim`` of the rollup rows a query reads ("" for the totals, which time buckets read too)."""
    name = query.dimensions[0] if query.dimensions else ""
    return "" if not name or name in ROLLED_TIME else canonical_dim(name) or ""


def _rollup_rows(
    query: Query,
    split: _Split,
    params: dict[str, Any],
    tag: str,
    partials: list[str],
    *,
    dim: str | None = None,
    select: str = "",
) -> str:
    """The rollup rows in use, each times its use's factors (every (day, kind) is used at most once):
    the ``partials`` after the dimension's alias, or ``select`` over ``value``, ``at`` and the factors
    ``{fe}`` (of event partials) and ``{fv}`` (of visit partials)."""
    dimensions = query.dimensions
    timed = bool(dimensions) and dimensions[0] in ROLLED_TIME
    goals = _goal_keys(query) if dimensions == (GOAL,) else None
    rdims = [dim] if dim is not None else sorted({d for d, _ in goals}) if goals else [_rolled_dim(query)]
    params |= {
        f"site_id{tag}": query.site_id,
        f"rdims{tag}": rdims,
        f"keys{tag}": [_key(u) for u in split.uses],
        f"at{tag}": list(range(1, len(split.uses) + 1)),
        f"ev{tag}": [u.ev for u in split.uses],
        f"vi{tag}": [u.vi for u in split.uses],
        f"builds{tag}": [build for _, build in split.builds],
    }
    # The rows read: the kinds in use over the days they span; ``at`` says which of them count. A key
    # condition per kind would read fewer rows, but the engine takes longer to analyse it (~5 ms) than
    # to read a month's extra rows. Over longer ranges, the kinds of the edge days (a day's head or
    # tail) are read on those days only.
    used_days = [u.day for u in split.uses]
    params |= {
        f"kinds{tag}": sorted({u.kind for u in split.uses}, key=KINDS.index),
        f"first{tag}": min(used_days),
        f"last{tag}": max(used_days),
    }
    edges = ""
    if (max(used_days) - min(used_days)).days > _EDGES_AFTER_DAYS:
        spread = [kind for kind in KINDS if sum(u.kind == kind for u in split.uses) > 2]
        params |= {
            f"spread{tag}": spread,
            f"edges{tag}": sorted({u.day for u in split.uses if u.kind not in spread}),
        }
        edges = f" AND (kind IN {{spread{tag}:Array(String)}} OR day IN {{edges{tag}:Array(Date)}})"
    only = ""
    if goals:  # the goals' values only, each named as its goal
        params |= {
            f"gkeys{tag}": [f"{d}|{v}" for d, v in goals],
            f"gnames{tag}": [g.display_name for g in query.goals],
            f"gvalues{tag}": sorted({v for _, v in goals}),
        }
        only = f" AND value IN {{gvalues{tag}:Array(String)}}"
    factors = {"fe": f"{{ev{tag}:Array(Int64)}}[at]", "fv": f"{{vi{tag}:Array(Int64)}}[at]"}
    if not select:
        columns = []
        if goals:
            named = "concat(dim, '|', value)"
            columns.append(
                f"transform({named}, {{gkeys{tag}:Array(String)}}, {{gnames{tag}:Array(String)}}, '') AS d0"
            )
        elif dimensions:
            columns.append(f"{{labels{tag}:Array(String)}}[at] AS d0" if timed else "value AS d0")
            if timed:
                params[f"labels{tag}"] = [u.label for u in split.uses]
        columns += [f"{p} * {factors['fv' if p in VISIT_PARTIALS else 'fe']} AS {p}" for p in partials]
        select = ", ".join(columns)
    else:
        select = select.format(**factors)
    key = "toUInt32(day) * 16 + CAST(kind, 'UInt8')"
    at = f"transform({key}, {{keys{tag}:Array(UInt32)}}, {{at{tag}:Array(UInt32)}}, toUInt32(0))"
    return (
        f"SELECT {select} FROM rollups WHERE site_id = {{site_id{tag}:UInt64}}"  # noqa: S608
        f" AND dim IN {{rdims{tag}:Array(String)}}{only} AND kind IN {{kinds{tag}:Array(String)}}"
        f" AND day >= {{first{tag}:Date}} AND day <= {{last{tag}:Date}}{edges}"
        f" AND build IN {{builds{tag}:Array(UInt64)}} AND ({at} AS at) > 0"
    )


def top_prop_keys(site_id: int, date_range: DateRange, limit: int = prop_keys.MAX_KEYS) -> list[str]:
    """``analytics.prop_keys.top_prop_keys``, from the rollups of the days unchanged since built."""
    query = Query(site_id, date_range, ("events",))
    split = _split(query, _states(site_id, date_range), PROP_KEYS)
    if split is None or date_range.moments is not None:
        return prop_keys.top_prop_keys(site_id, date_range, limit)
    params: dict[str, Any] = {"limit": limit}
    parts = []
    if split.uses:
        select = "value AS key, p_events * {fe} AS uses"
        parts.append(_rollup_rows(query, split, params, "", ["p_events"], dim=PROP_KEYS, select=select))
    for index, (low, high) in enumerate(split.raw):
        sql, found_params = prop_keys.key_uses_sql(site_id, low, high, f"_r{index}")
        params |= found_params
        parts.append(f"SELECT key, toInt64(uses) AS uses FROM ({sql})")  # noqa: S608
    inner = " UNION ALL ".join(f"({part})" for part in parts)
    sql = f"SELECT key, sum(uses) AS uses FROM ({inner}){prop_keys.ORDER}"  # noqa: S608 - names only
    return [str(row[0]) for row in client.execute(sql, params, tag="dashboard:prop_keys").rows]


def _key(use: Use) -> int:
    """A use's (day, kind) as the number the query computes for a row."""
    return (use.day - dt.date(1970, 1, 1)).days * 16 + KINDS.index(use.kind) + 1

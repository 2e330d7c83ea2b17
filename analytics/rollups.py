"""Rollups: each (site, UTC day)'s sums per dimension value, built from events and sessions.

A build runs the query layer's own statements (``query.partials_sql``) over each piece of the day
(``analytics.pieces``: the whole day, and its head and tail around the site's local midnight) for
every rolled dimension, and stores their partial sums, so a rolled query adds up exactly what the
raw query would have computed. Visits count in the piece they end in; those crossing the site's
local midnight or 00:00 UTC at the day's end are stored apart, for a range ending there. It also
stores the visitors seen on both this day and the one before (ids of visits carried across 00:00
UTC), by piece, so adding two days takes them off once. And it keeps the day's finished visits as
they stand (``sessions_done``: the sessions ending on the day), so raw queries read a built day's
visits as plain rows instead of picking each session's latest version (``analytics.sessions``).

A build records the event counts it was built from (``day_changes``, kept by the events insert
itself): ``inputs``, those of the day and of the three before it (the sessions of the day before's
events may begin two days before it, and their windows reach back to 23:30 of the day before that)
and the next day's count before 03:00 UTC (its visits may end then: ``analytics.sessions``).
Readers (``analytics.rolled``) use a day's rows only while those counts are unchanged, and read
anything else from the raw tables. So a rollup is never stale, only unused. The counts are read
before the sessions are caught up, and only quiet days are built, so a build's sessions hold every
event it counted.

The sessionizer thread calls ``refresh`` every half minute; ``rebuild`` builds a site's every day:

    >>> rebuild(1, "Europe/Berlin")  # doctest: +SKIP
    30
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from analytics import client, prop_keys, sessions
from analytics.config import env_int
from analytics.dimensions import BUILD_TIME_DIMENSIONS, DIMENSIONS, PIECE, PROPS_PREFIX, find
from analytics.periods import DateRange
from analytics.pieces import Cut, cut, cut_ms, day_bounds
from analytics.query import Plan, Query, partials_sql
from analytics.sessions import CARRY

log = logging.getLogger(__name__)

__all__ = [
    "DIMS",
    "KINDS",
    "PROP_KEYS",
    "ROLLED_PARTIALS",
    "VISIT_PARTIALS",
    "DayState",
    "build_days",
    "built_as_now",
    "canonical_dim",
    "day_states",
    "inputs",
    "rebuild",
    "refresh",
]

# The pieces a day's rows are of, in the order of the rollups table's kind numbers (1, 2, ...).
KINDS = ("whole", "head", "tail", "cross", "overnight", "xWW", "xTW", "xWH", "xTH")
# Every partial a rollup row holds: those of the events, visits and exit-page branches.
ROLLED_PARTIALS: tuple[str, ...] = (
    "p_visitors",
    "p_pageviews",
    "p_events",
    "p_visits",
    "p_visit_pageviews",
    "p_bounces",
    "p_bounce_visits",
    "p_duration_ms",
    "p_page_pageviews",
)
# Of those, the ones made of visits (the rest are sums over events).
VISIT_PARTIALS = frozenset({"p_visits", "p_visit_pageviews", "p_bounces", "p_bounce_visits", "p_duration_ms"})
PROP_KEYS = "#prop_keys"  # the rows counting each custom property key's uses
_ALIASES = {"visit:region_name": "visit:region", "visit:city_name": "visit:city"}
# The rolled dimensions ("" is the site's totals): every event and visit property but custom props.
DIMS: tuple[str, ...] = ("", *(name for name in DIMENSIONS if name not in _ALIASES))
_BUILD_METRICS = (
    "visitors",
    "pageviews",
    "events",
    "visits",
    "views_per_visit",
    "bounce_rate",
    "visit_duration",
)
_TIME = "DateTime64(3, 'UTC')"
DAY = dt.timedelta(days=1)
REBUILD_EVENTS = 2_000_000  # events per rebuild run


def canonical_dim(name: str) -> str | None:
    """The rolled dimension ``name`` is read from ("" for none), or None if it is not rolled (a custom
    property is rolled on the days whose build took its key: ``DayState.prop_keys``)."""
    name = _ALIASES.get(name, name)
    dimension = find(name)
    return name if name in DIMS or (dimension is not None and dimension.prop) else None


@dataclasses.dataclass(frozen=True)
class DayState:
    """A UTC day of a site: its event counts now (all, and before 03:00 UTC), and its latest build, if
    any, with the ``inputs`` it was built from."""

    changes: int
    last_change: dt.datetime | None
    early: int = 0
    last_early: dt.datetime | None = None
    build: int | None = None
    tz: str = ""
    cut_ms: int = 0
    built_inputs: tuple[int, ...] = ()
    prop_keys: frozenset[str] = frozenset()

    def holds(self, dim: str) -> bool:
        """Whether its build rolled up ``dim`` (every fixed dimension; the custom properties it took)."""
        return not dim.startswith(PROPS_PREFIX) or dim[len(PROPS_PREFIX) :] in self.prop_keys


_BUILT = "[changes, prev_changes, prev2_changes, prev3_changes, next_early]"  # as ``inputs`` orders them


def inputs(states: Mapping[dt.date, DayState], day: dt.date) -> tuple[int, ...]:
    """What a build of ``day`` depends on: the event counts of the day and of the three days before
    it, and the next day's count before 03:00 UTC (a day without events counts 0)."""
    counts = [state.changes if (state := states.get(day - n * DAY)) else 0 for n in range(4)]
    following = states.get(day + DAY)
    return (*counts, following.early if following else 0)


def day_states(site_id: int | None, first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], DayState]:
    """Each (site, day) in [first, last] with events or a build: its counts and latest build."""
    site = "site_id = {site_id:UInt64} AND " if site_id is not None else ""
    params = {"site_id": site_id or 0, "first": first, "last": last}
    days = f"{site}day >= {{first:Date}} AND day <= {{last:Date}}"
    empty = "(toUInt64(0), '', toInt64(0), CAST([], 'Array(UInt64)'), CAST([], 'Array(String)'))"
    zero = "toDateTime64(0, 3, 'UTC')"
    sql = (
        "SELECT site_id, day, sum(changes), max(last_change), sum(early), max(last_early), 0, "  # noqa: S608
        f"{empty} FROM day_changes WHERE {days} GROUP BY site_id, day"
        f" UNION ALL SELECT site_id, day, 0, {zero}, 0, {zero}, 1,"
        f" argMax((build, tz, cut_ms, {_BUILT}, prop_keys), built_at)"
        f" FROM rollup_builds WHERE {days} GROUP BY site_id, day"
    )
    counts: dict[tuple[int, dt.date], tuple[Any, ...]] = {}
    builds: dict[tuple[int, dt.date], tuple[Any, ...]] = {}
    rows = client.execute(sql, params, tag="rollups:state", max_rows=0).rows
    for site, day, *found, is_build, build in rows:
        if is_build:
            builds[(int(site), day)] = build
        else:
            counts[(int(site), day)] = tuple(found)
    out = {}
    for key in counts.keys() | builds.keys():
        changes, last_change, early, last_early = counts.get(key, (0, None, 0, None))
        number, tz, at, built, keys = builds.get(key, (None, "", 0, (), ()))
        out[key] = DayState(
            changes=int(changes),
            last_change=last_change,
            early=int(early),
            last_early=last_early,
            build=None if number is None else int(number),
            tz=str(tz),
            cut_ms=int(at),
            built_inputs=tuple(int(n) for n in built),
            prop_keys=frozenset(str(k) for k in keys),
        )
    return out


def build_days(site_id: int, days: Sequence[dt.date], tz: str, states: Mapping[dt.date, DayState]) -> None:
    """Build the rollups of these consecutive UTC days of a site in timezone ``tz``.

    ``states`` holds the event counts of the days and those around them (``inputs``), read before
    the sessions were caught up; a day's build is current while its inputs stay so.
    """
    first, last = days[0], days[-1]
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    ids = [secrets.randbits(63) for _ in days]
    own = {"rb_site": site_id, "rb_days": list(days), "rb_ids": ids}
    cuts = {day: cut(day, tz) for day in days}
    pieces = any(isinstance(at, dt.datetime) for at in cuts.values())
    keys = _top_keys(site_id, start, end)
    _insert(_keys_sql(site_id, start, end, tz, pieces), own | {"rb_dim": PROP_KEYS})
    for dim in (*DIMS, *(PROPS_PREFIX + key for key in keys)):
        params = own | {"rb_dim": dim}
        _insert(_whole_sql(site_id, start, end, dim), params)
        if pieces:
            _insert(_pieces_sql(site_id, start, end, tz, dim), params)
        if not dim.startswith("event:"):
            _insert(_crossing_sql(site_id, start, end, tz, dim, cuts), params)
        if states.get(first - DAY) or len(days) > 1:
            _insert(_carried_sql(site_id, start - DAY, end, tz, dim), params)
    bounds = {"site_id": site_id, "start": start.replace(tzinfo=None), "end": end.replace(tzinfo=None)}
    client.command(_DONE, own | bounds, settings={"max_execution_time": 3600})
    rows = [
        (
            site_id,
            day_bounds(day)[0].replace(tzinfo=None),
            day,
            build,
            tz,
            cut_ms(cuts[day], day),
            *inputs(states, day),
            keys,
        )
        for day, build in zip(days, ids, strict=True)
    ]
    client.command(
        "INSERT INTO rollup_builds (site_id, day_start, day, build, tz, cut_ms, changes, prev_changes,"
        " prev2_changes, prev3_changes, next_early, prop_keys, built_at)"
        " SELECT r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11, r.12, now64(6, 'UTC')"
        " FROM system.one ARRAY JOIN {rows:Array(Tuple(UInt64, DateTime64(3, 'UTC'), Date, UInt64, String,"
        " Int64, UInt64, UInt64, UInt64, UInt64, UInt64, Array(String)))} AS r",
        {"rows": rows},
    )
    # Builds before the one just replaced are never read again. The replaced one stays until the day's
    # next build: a query that read the day's state just before this build still finds its rows.
    kept = [*zip(days, ids, strict=True)]
    replaced = [(day, states[day].build) for day in days if day in states]
    kept += [(day, build) for day, build in replaced if build is not None]
    for table in ("rollups", "sessions_done"):
        client.command(
            f"DELETE FROM {table} WHERE site_id = {{rb_site:UInt64}}"  # noqa: S608 - two constant names
            " AND day >= {first:Date} AND day <= {last:Date}"
            " AND (day, build) NOT IN {pairs:Array(Tuple(Date, UInt64))}",
            {"rb_site": site_id, "first": first, "last": last, "pairs": kept},
        )


_BUILD = "transform(day, {rb_days:Array(Date)}, {rb_ids:Array(UInt64)}, toUInt64(0))"
# The days' finished visits, as ``sessions.live_sql`` reads a current build's day: the sessions ending
# in ``[{start}, {end})``, in their latest state.
_DONE_COLUMNS = ", ".join(["site_id", "visitor_id", "session_start", *sessions.SESSION_COLUMNS])
_DONE = (
    f"INSERT INTO sessions_done (day, build, {_DONE_COLUMNS})"  # noqa: S608 - constant names
    f" SELECT toDate(session_end) AS day, {_BUILD}, {_DONE_COLUMNS}"
    f" FROM ({sessions.live_sql(sessions.SESSION_COLUMNS)})"
    " WHERE session_end < {end:DateTime64(3, 'UTC')} AND has({rb_days:Array(Date)}, day)"
)


def _insert(select: tuple[str, dict[str, Any]], params: Mapping[str, Any]) -> None:
    """Insert rows whose columns are (day, kind, value, *ROLLED_PARTIALS), of the days being built."""
    sql, found = select
    client.command(
        f"INSERT INTO rollups (site_id, day, build, kind, dim, value, {', '.join(ROLLED_PARTIALS)})"  # noqa: S608
        f" SELECT {{rb_site:UInt64}}, day, {_BUILD}, kind, {{rb_dim:String}}, value,"
        f" {', '.join(ROLLED_PARTIALS)}"
        f" FROM ({sql}) WHERE has({{rb_days:Array(Date)}}, day)",
        {**found, **params},
        settings={"max_execution_time": 3600},
    )


def _top_keys(site_id: int, start: dt.datetime, end: dt.datetime) -> list[str]:
    """The custom property keys most used in [start, end), whose values are rolled up."""
    span = DateRange.between(start, end, "UTC")
    return prop_keys.top_prop_keys(site_id, span, env_int("ROLLUP_PROP_KEYS", prop_keys.MAX_KEYS))


def _keys_sql(
    site_id: int, start: dt.datetime, end: dt.datetime, tz: str, pieces: bool
) -> tuple[str, dict[str, Any]]:
    """How many events (engagement aside) carried each custom property key, per day and piece."""
    piece = BUILD_TIME_DIMENSIONS[PIECE].format(ts="e.timestamp")
    whole = "[(toDate(e.timestamp, 'UTC'), 'whole')]"
    both = (
        f"[(toDate(e.timestamp, 'UTC'), 'whole'), (toDate(e.timestamp, 'UTC'), splitByChar(' ', {piece})[2])]"
    )
    zeros = ", ".join(f"toInt64(0) AS {name}" for name in ROLLED_PARTIALS if name != "p_events")
    sql = (
        "SELECT at.1 AS day, at.2 AS kind, key AS value, toInt64(count()) AS p_events,"  # noqa: S608
        f" {zeros} FROM events AS e ARRAY JOIN e.prop_keys AS key"
        f" ARRAY JOIN {both if pieces else whole} AS at"
        " WHERE e.site_id = {site_id:UInt64} AND e.timestamp >= {start:DateTime64(3, 'UTC')}"
        " AND e.timestamp < {end:DateTime64(3, 'UTC')} AND e.name != 'engagement' AND key != ''"
        " GROUP BY day, kind, value"
    )
    bounds = {
        "site_id": site_id,
        "start": start.replace(tzinfo=None),
        "end": end.replace(tzinfo=None),
        "tz": tz,
    }
    return sql, bounds


def _metrics(dim: str) -> tuple[str, ...]:
    return (*_BUILD_METRICS, "exit_rate") if dim == "visit:exit_page" else _BUILD_METRICS


def _partials(query: Query, day: str, kind: str) -> tuple[str, dict[str, Any]]:
    """The query layer's partial sums of ``query`` (time bucket first, then the dimension, if any)."""
    sql, params, names = partials_sql(query, force=ROLLED_PARTIALS)
    value = "toString(d1)" if len(query.dimensions) > 1 else "''"
    columns = [f"toInt64({name if name in names else 0}) AS {name}" for name in ROLLED_PARTIALS]
    select = f"SELECT {day} AS day, {kind} AS kind, {value} AS value, {', '.join(columns)} FROM ({sql})"  # noqa: S608
    return select, params


def _whole_sql(site_id: int, start: dt.datetime, end: dt.datetime, dim: str) -> tuple[str, dict[str, Any]]:
    """Each UTC day's sums: the query layer's, by ``time:day`` in UTC. The span reaches ``CARRY`` past
    the days built, so a visit going on past their end is charted on the day after (not stored)."""
    span = DateRange.between(start, end + CARRY, "UTC")
    query = Query(site_id, span, _metrics(dim), ("time:day", *((dim,) if dim else ())), limit=1)
    return _partials(query, "toDate(d0)", "'whole'")


def _pieces_sql(
    site_id: int, start: dt.datetime, end: dt.datetime, tz: str, dim: str
) -> tuple[str, dict[str, Any]]:
    """Each UTC day's head and tail sums: events by when they happened, visits by when they ended
    (reaching past the days built as ``_whole_sql`` does)."""
    span = DateRange.between(start, end + CARRY, tz)
    query = Query(site_id, span, _metrics(dim), (PIECE, *((dim,) if dim else ())), limit=1)
    return _partials(query, "toDate(splitByChar(' ', d0)[1])", "splitByChar(' ', d0)[2]")


def _crossing_sql(
    site_id: int, start: dt.datetime, end: dt.datetime, tz: str, dim: str, cuts: Mapping[dt.date, Cut]
) -> tuple[str, dict[str, Any]]:
    """The visits going on across each day's cut (``cross``) and across its end, 00:00 UTC
    (``overnight``): the visits branch's sums over those visits, for a range that ends there."""
    plan = Plan(
        Query(site_id, DateRange.between(start, end, tz), ("visits",), (dim,) if dim else (), limit=1)
    )
    value = plan.select_dimensions(time="")[0].rsplit(" AS ", 1)[0] if dim else "''"
    moments = [(day, "overnight", day_bounds(day)[1].replace(tzinfo=None)) for day in cuts]
    moments += [
        (day, "cross", at.replace(tzinfo=None)) for day, at in cuts.items() if isinstance(at, dt.datetime)
    ]
    plan.params["rb_moments"] = moments
    where = ["s.session_start < m.3", "s.session_end >= m.3", *plan.skip_empty(plan.query.dimensions)]
    values = {
        "p_visits": "count()",
        "p_visit_pageviews": "sum(s.pageviews)",
        "p_bounces": "sum(s.is_bounce)",
        "p_bounce_visits": "count()",
        "p_duration_ms": "sum(s.duration_ms)",
    }
    columns = [f"toInt64({values.get(name, '0')}) AS {name}" for name in ROLLED_PARTIALS]
    sql = (
        f"SELECT m.1 AS day, m.2 AS kind, toString({value}) AS value, {', '.join(columns)}"  # noqa: S608
        f" FROM ({plan.live('pageviews', 'is_bounce', 'duration_ms')}) AS s"
        " ARRAY JOIN {rb_moments:Array(Tuple(Date, String, DateTime64(3, 'UTC')))} AS m"
        f" WHERE {' AND '.join(where)} GROUP BY day, kind, value"
    )
    return sql, plan.params


def _carried_sql(
    site_id: int, start: dt.datetime, end: dt.datetime, tz: str, dim: str
) -> tuple[str, dict[str, Any]]:
    """The visitors seen on a day and on the day before, per value and pair of pieces: the day before
    Whole or its Tail, the day Whole or its Head (ids carried over 00:00 UTC by a continuing visit)."""
    plan = Plan(
        Query(site_id, DateRange.between(start, end, tz), ("visitors",), (dim,) if dim else (), limit=1)
    )
    joined = bool(plan.visit_dims)
    dims = plan.select_dimensions(time="e.timestamp") if dim else ["'' AS d0"]
    piece = BUILD_TIME_DIMENSIONS[PIECE].format(ts="e.timestamp")
    several = (
        "SELECT visitor_id FROM events WHERE site_id = {site_id:UInt64}"  # noqa: S608 - constant names
        f" AND timestamp >= {{start:{_TIME}}} AND timestamp < {{end:{_TIME}}} AND name != 'engagement'"
        " GROUP BY visitor_id HAVING uniqExact(toDate(timestamp, 'UTC')) > 1"
    )
    where = [*plan.events_in_range(joined=joined, engagement=False), f"e.visitor_id IN ({several})"]
    seen = (
        f"SELECT {', '.join(dims)}, e.visitor_id AS v, toDate(e.timestamp, 'UTC') AS seen_day,"  # noqa: S608
        f" max(endsWith({piece}, 'head')) AS h, max(endsWith({piece}, 'tail')) AS t"
        f" FROM {plan.events_from(joined=joined)} WHERE {' AND '.join(where)} GROUP BY d0, v, seen_day"
    )
    pairs = (
        "SELECT d0, cur.1 AS day, arrayFirst(x -> x.1 = cur.1 - 1, ds) AS prev, cur"  # noqa: S608
        f" FROM (SELECT d0, v, groupArray((seen_day, h, t)) AS ds FROM ({seen}) GROUP BY d0, v"
        " HAVING length(ds) > 1) ARRAY JOIN ds AS cur"
    )
    counts = {"xWW": "1", "xTW": "prev.3", "xWH": "cur.2", "xTH": "prev.3 AND cur.2"}
    kinds = ", ".join(f"('{kind}', countIf({condition}))" for kind, condition in counts.items())
    zeros = ", ".join(f"toInt64(0) AS {name}" for name in ROLLED_PARTIALS[1:])
    sql = (
        "SELECT day, pair.1 AS kind, value, toInt64(pair.2) AS p_visitors,"  # noqa: S608
        f" {zeros} FROM (SELECT day, toString(d0) AS value, [{kinds}] AS counted FROM ({pairs})"
        " WHERE prev.1 = cur.1 - 1 GROUP BY day, value) ARRAY JOIN counted AS pair WHERE pair.2 > 0"
    )
    return sql, plan.params


def built_as_now(states: Mapping[dt.date, DayState], day: dt.date) -> bool:
    """Whether the day has a build, made from its inputs as they are now."""
    state = states[day]
    return state.build is not None and state.built_inputs == inputs(states, day)


def _needs_build(states: Mapping[dt.date, DayState], day: dt.date, tz: str) -> bool:
    state = states[day]
    return state.changes > 0 and (state.tz != tz or not built_as_now(states, day))


def _last_change(states: Mapping[dt.date, DayState], day: dt.date) -> dt.datetime | None:
    """When an input of the day's build last changed: the day's own events or the next day's early ones."""
    found = [states[day].last_change, following.last_early if (following := states.get(day + DAY)) else None]
    moments = [moment.replace(tzinfo=dt.UTC) for moment in found if moment is not None]
    return max(moments) if moments else None


def refresh(
    timezones: Mapping[int, str],
    *,
    catch_up: Callable[[], object],
    quiet_s: float | None = None,
    budget_s: float | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Build the (site, day)s that changed and have been quiet ``quiet_s``, newest first, until
    ``budget_s`` has gone by (at least one run of days); returns how many days were built.

    ``now`` defaults to the engine's clock, the one that stamps each day's last change.

    ``catch_up`` brings the sessions up to date; it runs after the counts are read, so the sessions
    hold every event counted (a day that changes meanwhile is simply not current when read).
    """
    quiet = dt.timedelta(seconds=quiet_s if quiet_s is not None else env_int("ROLLUP_QUIET_S", 60))
    budget = budget_s if budget_s is not None else env_int("ROLLUP_BUDGET_S", 5)
    now = now or client.engine_now()
    first = (now - dt.timedelta(days=env_int("ROLLUP_DAYS", 400))).date()
    by_site: dict[int, dict[dt.date, DayState]] = {}
    for (site, day), state in day_states(None, first - 3 * DAY, now.date() + DAY).items():
        by_site.setdefault(site, {})[day] = state
    due: dict[int, list[dt.date]] = {}
    for site, own in by_site.items():
        tz = timezones.get(site)
        for day in own:
            if tz is None or day < first or not _needs_build(own, day, tz):
                continue
            changed = _last_change(own, day)
            if changed is not None and changed > now - quiet:
                continue
            due.setdefault(site, []).append(day)
    runs = [(site, run) for site, days in due.items() for run in _runs(sorted(days), 7)]
    if not runs:
        return 0
    catch_up()
    started, built = time.monotonic(), 0
    for site, run in sorted(runs, key=lambda item: item[1][-1], reverse=True):
        build_days(site, run, timezones[site], by_site[site])
        built += len(run)
        if time.monotonic() - started >= budget:
            break
    return built


def rebuild(site_id: int, tz: str, days: Iterable[dt.date] | None = None) -> int:
    """Build every day of a site that has events (or those ``days``), whatever their state; how many."""
    found = day_states(site_id, dt.date(1970, 1, 1), dt.date(2999, 12, 31))
    states = {day: state for (_, day), state in found.items()}
    chosen = sorted(
        day for day in (states if days is None else days) if day in states and states[day].changes
    )
    runs: list[list[dt.date]] = []
    batch: list[dt.date] = []
    batch_events = 0
    for run in _runs(chosen, 10_000):
        for day in run:  # a few days' events at a time: their sorts fit in memory
            if batch and (batch[-1] != day - DAY or batch_events >= REBUILD_EVENTS):
                runs.append(batch)
                batch, batch_events = [], 0
            batch.append(day)
            batch_events += states[day].changes
    if batch:
        runs.append(batch)
    for run in runs:
        build_days(site_id, run, tz, states)
    return len(chosen)


def _runs(days: Sequence[dt.date], most: int) -> list[list[dt.date]]:
    """Sorted days as runs of consecutive days, each at most ``most`` long."""
    runs: list[list[dt.date]] = []
    for day in days:
        if runs and runs[-1][-1] == day - DAY and len(runs[-1]) < most:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs

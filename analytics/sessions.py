"""Sessions ("visits"): kept up to date in ClickHouse as batches of events arrive, exact at query time.

A session is a visitor's run of events, in event time, with gaps of at most 30 minutes. It may cross
00:00 UTC (ingest keeps a visitor's id across it while the visit goes on: ``ingest/continuity.py``),
but it ends before 03:00 UTC of the day after it began (``CARRY``, as long as ingest carries an id): the
first event from then on opens a new session. So a session touches at most two UTC days, lasts less
than 27 hours (``REACH``), and the sessions that begin on a day depend only on the visitor's events from
23:30 UTC the day before to 03:00 UTC the day after (its *window*). Engagement events keep a session
going and extend it, but a run made only of engagement events is not a visit. Its first event (by
time, then event id) gives the first-touch attributes (source, referrer, UTM, geo, device); its first
and last pageviews give the entry and exit pages.

How the table stays exact (see ``clickhouse/migrations/0004_sessions.sql`` and ``0022_midnight.sql``):

- The unit of recomputation is a visitor-day: the sessions that *begin* on that UTC day. Every insert
  into ``events`` queues the visitor-days whose windows it touched (``sessions_queue``, materialized
  views: an event's own day, the day before for one before 03:00, the day after for one from 23:30),
  and the sessionizer (``analytics/sessionizer.py``) hands them to ``reconcile``, which recomputes
  their sessions from the ``events`` table in one ``INSERT … SELECT``: a row for each session whose
  content changed, and a ``deleted`` row for each stored session that no longer exists (a late event
  moved its start or merged it with another). No event is read into Python. (``update(lines)`` does
  the same for event lines in hand, as tests and imports have them.)
- Every row carries ``version`` = the number of events its writer saw in the visitor-day's window.
  Events are only added, so a later view has a higher version; the same view computes the same rows.
  Readers take ``argMax(column, version)`` per session key and drop deleted keys (``live_sql``).
- A writer counts its visitor-days' window events before and after its statement and redoes those
  whose count moved (``reconcile``): a writer overtaken by another flusher could otherwise leave behind
  a session that the newer writer never saw, so never deleted.

So a batch delivered twice, batches arriving out of order, events carrying old timestamps, and several
flushers working on one visitor at the same moment all end in the same numbers: whichever writer saw
the most events wins, and writers that saw the same events wrote the same rows. Until the sessionizer has
taken a batch's visitor-days (a few seconds), its events are counted in event metrics but not yet in
visit metrics.

Trade-offs weighed (figures at 1M events on chDB, 2 cores):

- A VersionedCollapsingMergeTree of sign = -1/+1 rows lets readers sum ``sign * x`` (~25 ms against
  ~60 ms for the per-key argMax here), but it is exact only with one writer per visitor: two flushers
  (the Redis buffer allows several) cancelling the same old row would cancel it twice.
- Sessions computed at query time from ``events`` need no table and no write step, but took 350-530
  ms for one aggregate, against ~100 ms here.
- AggregatingMergeTree states cannot split a visitor's events at a gap that a late event may fill.
- The write step costs ~50 ms a round plus ~40 us a visitor-day touched. Done inside the flusher it
  held the flusher to ~36k events/s; as its own step it no longer slows the events insert.
  ``rebuild`` works through whole days: 10M events (1.9M visits) in ~35 s.
- Sessions cut at 00:00 UTC (as before) counted a visit crossing it twice, and cost less: reading the
  windows (events near midnight read for two days) and the second split make the write step and
  ``rebuild`` ~1.5x as slow (450k events: 1.3 s -> 2.0 s). Unbounded chains (no cut at all) would make
  a day's sessions depend on any earlier day, and readers scan from a bound before the range; the
  03:00 cut matches ingest, which hands out today's id from then on anyway.

    >>> update([event.to_json() for event in batch])  # doctest: +SKIP
    >>> rebuild()  # doctest: +SKIP

    python -m analytics.sessions rebuild [SITE_ID]   # recompute sessions from events (after upgrading)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Iterable, Sequence

import orjson

from analytics import client

__all__ = [
    "CARRY",
    "FIRST_TOUCH",
    "GAP_MS",
    "REACH",
    "SESSION_COLUMNS",
    "TABLE_COLUMNS",
    "SessionsBusy",
    "VisitorDay",
    "live_sql",
    "rebuild",
    "reconcile",
    "reconcile_days",
    "touched",
    "update",
]

GAP_MS = 30 * 60 * 1000
DAY_MS = 24 * 60 * 60 * 1000
CARRY = dt.timedelta(hours=3)  # a session begun the day before ends before this time of day
CARRY_MS = int(CARRY.total_seconds() * 1000)
REACH = "INTERVAL 27 HOUR"  # the longest a session can last: from 00:00 UTC to CARRY the next day
# Visitor-days per statement: 5,000 visitor ids stay under the 128 KiB a ClickHouse server takes in one
# form field (http_max_field_value_size), which is how large parameters travel over HTTP.
CHUNK = 5_000
# Events per rebuild statement: a few days of a busy site, whose window sorts fit in memory.
REBUILD_EVENTS = 2_000_000

# Taken from a session's first event.
FIRST_TOUCH: tuple[str, ...] = (
    "hostname",
    "referrer",
    "referrer_source",
    "channel",
    "utm_medium",
    "utm_source",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "country_code",
    "region",
    "city",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "device",
    "screen_size",
)
_COUNTS: tuple[str, ...] = (
    "hits",
    "pageviews",
    "events",
    "interactive_events",
    "is_bounce",
    "duration_ms",
)
# What a reader may ask of a live session (besides its key).
SESSION_COLUMNS: tuple[str, ...] = ("session_end", *_COUNTS, "entry_page", "exit_page", *FIRST_TOUCH)
_CONTENT = SESSION_COLUMNS  # what the fingerprint covers: all of it, so any change is written
# Every column of the table, as the write statement lists them.
TABLE_COLUMNS: tuple[str, ...] = (
    "site_id",
    "visitor_id",
    "session_start",
    "version",
    "deleted",
    "fingerprint",
    *_CONTENT,
)


@dataclasses.dataclass(frozen=True, order=True)
class VisitorDay:
    """The unit of recomputation: the sessions one visitor begins on one UTC day."""

    site_id: int
    visitor_id: int
    day: dt.date


def anchors(stamp: dt.datetime) -> list[dt.date]:
    """The days whose windows hold an event at ``stamp`` (UTC): its own, and the day before (before
    ``CARRY``) or the day after (from 23:30), as the queue's materialized views list them."""
    day = stamp.date()
    into = stamp - dt.datetime.combine(day, dt.time(), stamp.tzinfo)
    if into < CARRY:
        return [day, day - dt.timedelta(days=1)]
    if into >= dt.timedelta(milliseconds=DAY_MS - GAP_MS):
        return [day, day + dt.timedelta(days=1)]
    return [day]


def touched(lines: Iterable[bytes]) -> set[VisitorDay]:
    """The visitor-days of a batch's event lines; unreadable lines (as the sink skips them) are ignored."""
    found: set[VisitorDay] = set()
    for line in lines:
        try:
            row = orjson.loads(line)
            stamp = dt.datetime.fromisoformat(row["timestamp"])
            site, visitor = int(row["site_id"]), int(row["visitor_id"])
            utc = stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
            found.update(VisitorDay(site, visitor, day) for day in anchors(utc))
        except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
            continue
    return found


def update(lines: Sequence[bytes]) -> int:
    """Recompute the sessions of these event lines' visitor-days (already inserted): returns how many.

    Idempotent: running it again for the same lines (a re-delivered batch) writes nothing new.
    """
    keys = touched(lines)
    reconcile(keys)
    return len(keys)


class SessionsBusy(RuntimeError):
    """Events kept arriving for some visitor-days while their sessions were written; try the batch again."""


def reconcile(keys: Iterable[VisitorDay], *, attempts: int = 8) -> None:
    """Bring the stored sessions of these visitor-days in line with their events.

    A writer whose view of a visitor-day was overtaken while it wrote (another flusher inserted events
    for it and wrote their sessions in between) may have written sessions that no longer exist, and
    the other writer, not having seen them, did not delete them. So each writer counts the events of
    its visitor-days before and after writing, and redoes those whose count moved: its statement then
    saw exactly the events counted. Raises ``SessionsBusy`` if they keep moving.
    """
    ordered = sorted(set(keys), key=lambda k: (k.site_id, k.day, k.visitor_id))
    for at in range(0, len(ordered), CHUNK):
        chunk = ordered[at : at + CHUNK]
        before = _counts(chunk)
        for _ in range(attempts):
            client.command(RECONCILE, _scope_params(chunk))
            after = _counts(chunk)
            chunk = [key for key in chunk if after.get(key, 0) != before.get(key, 0)]
            if not chunk:
                break
            before = after
        else:
            raise SessionsBusy(f"{len(chunk)} visitor-day(s) kept changing while their sessions were written")


def _scope_params(chunk: Sequence[VisitorDay]) -> dict[str, object]:
    return {
        **_days_params(sorted({(k.site_id, k.day) for k in chunk})),
        "visitors": sorted({k.visitor_id for k in chunk}),
    }


def _days_params(days: Sequence[tuple[int, dt.date]]) -> dict[str, object]:
    """The (site, day)s recomputed, and the days their windows read events from."""
    one = dt.timedelta(days=1)
    near = sorted({(site, day + shift) for site, day in days for shift in (-one, dt.timedelta(), one)})
    return {
        "site_days": sorted(set(days)),
        "near_days": near,
        "gap_ms": GAP_MS,
        "carry_ms": CARRY_MS,
        "day_ms": DAY_MS,
    }


def _counts(chunk: Sequence[VisitorDay]) -> dict[VisitorDay, int]:
    """How many events each visitor-day's window of the chunk's scope holds now."""
    sql = (
        "SELECT site_id, visitor_id, anchor, count()"  # noqa: S608 - constant SQL
        f" FROM ({_anchored('site_id, visitor_id', visitors=True)}) GROUP BY site_id, visitor_id, anchor"
    )
    most = len({k.visitor_id for k in chunk}) * len({(k.site_id, k.day) for k in chunk})
    rows = client.execute(sql, _scope_params(chunk), tag="sessions:count", max_rows=most).rows
    return {VisitorDay(int(site), int(visitor), day): int(n) for site, visitor, day, n in rows}


def rebuild(site_id: int | None = None) -> int:
    """Recompute the sessions of every visitor-day in ``events`` (all sites, or one); returns how many.

    Set-based: the write statement runs over whole days (``RECONCILE_DAYS``, the flusher's statement
    scoped by day instead of by visitor), a few days at a time, so each day's events are read about once.
    """
    where, params = "", {}
    if site_id is not None:
        where, params = "WHERE site_id = {site_id:UInt64}", {"site_id": site_id}
    sql = (
        "SELECT site_id, toDate(timestamp) AS day, count(), uniqExact(visitor_id) FROM events"  # noqa: S608
        f" {where} GROUP BY site_id, day ORDER BY site_id, day"
    )
    rows = client.execute(sql, params, tag="sessions:rebuild", max_rows=0, timeout_s=600).rows
    batch: list[tuple[int, dt.date]] = []
    batch_events = 0
    for site, day, events, _ in rows:
        batch.append((int(site), day))
        batch_events += int(events)
        if batch_events >= REBUILD_EVENTS:
            reconcile_days(batch)
            batch, batch_events = [], 0
    if batch:
        reconcile_days(batch)
    return sum(int(row[3]) for row in rows)


def reconcile_days(days: Sequence[tuple[int, dt.date]]) -> None:
    """``RECONCILE_DAYS`` over these (site, day) pairs. Days whose windows moved meanwhile (a flusher
    at work) are redone visitor-day by visitor-day (``reconcile``), so a busy today never holds it up."""
    before = _day_counts(days)
    client.command(RECONCILE_DAYS, _days_params(days))
    after = _day_counts(days)
    moved = [key for key in days if after.get(key, 0) != before.get(key, 0)]
    if moved:
        sql = f"SELECT DISTINCT site_id, visitor_id, anchor FROM ({_anchored('site_id, visitor_id')})"  # noqa: S608
        rows = client.execute(sql, _days_params(moved), tag="sessions:rebuild", max_rows=0).rows
        reconcile(VisitorDay(int(site), int(visitor), day) for site, visitor, day in rows)


def _day_counts(days: Sequence[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], int]:
    sql = f"SELECT site_id, anchor, count() FROM ({_anchored('site_id')}) GROUP BY site_id, anchor"  # noqa: S608
    rows = client.execute(sql, _days_params(days), tag="sessions:count", max_rows=len(days)).rows
    return {(int(site), day): int(n) for site, day, n in rows}


def _rebuild_all() -> int:
    """Every site, and the sessionizer's queue counted as read (``analytics.sessionizer.rebuild``)."""
    from analytics import sessionizer  # it builds on this module

    return sessionizer.rebuild()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "rebuild" or len(args) > 2 or (len(args) == 2 and not args[1].isdigit()):
        print("usage: python -m analytics.sessions rebuild [SITE_ID]", file=sys.stderr)
        return 2
    try:
        done = rebuild(int(args[1])) if len(args) == 2 else _rebuild_all()
    except client.EngineBusyError as exc:
        print(f"clickhouse: {exc}", file=sys.stderr)
        return 2
    print(f"sessions: recomputed {done} visitor-day(s)")
    return 0


# Which sessions of the range a reader takes: WHERE conditions on the key (cheap: they prune the
# scan) and conditions on the live state. A session lasts less than ``REACH``.
_START, _END = "{start:DateTime64(3, 'UTC')}", "{end:DateTime64(3, 'UTC')}"
SPANS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # every session overlapping [start, end)
    "overlapping": ((), (f"session_end >= {_START}",)),
    # the sessions wholly inside it: all their events lie in the range
    "inside": ((f"session_start >= {_START}",), (f"session_end < {_END}",)),
    # the sessions crossing an edge of it: only some of their events lie in the range
    "edges": (
        (f"(session_start < {_START} OR session_start >= {_END} - {REACH})",),
        (f"session_end >= {_START}", f"(session_start < {_START} OR session_end >= {_END})"),
    ),
}


def live_sql(
    columns: Sequence[str], having: Sequence[str] = (), *, span: str = "overlapping", frozen: bool = False
) -> str:
    """A subquery: each session of ``{site_id}`` overlapping ``[{start}, {end})``, in its latest state.

    Yields ``site_id, visitor_id, session_start`` and the requested ``columns`` (from
    ``SESSION_COLUMNS``; ``session_end`` always), keeping the sessions that also satisfy ``having``
    (conditions over those columns). A session lasts less than ``REACH`` (27 hours), so the scan starts
    that long before the range. ``span`` narrows them to those wholly inside the range or crossing its
    edges.

    ``frozen``: the sessions ending on the UTC days ``{frozen_days}`` are read as those days' current
    builds kept them (``sessions_done``, one row a session, named by ``{frozen_builds}``), the others
    live, from the sessions beginning on ``{thawed_starts}`` (a session ends on the day it began or the
    next). The caller vouches that those builds are current (``analytics.rolled.done_sessions``).
    """
    unknown = set(columns) - set(SESSION_COLUMNS)
    if unknown:
        raise ValueError(f"not session columns: {sorted(unknown)}")
    where, live = SPANS[span]
    wanted = ["session_end", "deleted", *(c for c in dict.fromkeys(columns) if c != "session_end")]
    picks = ", ".join(f"argMax({column}, version) AS {column}" for column in wanted)
    scan = [f"session_start >= {_START} - {REACH}", f"session_start < {_END}", *where]
    thawed = ["toDate(session_start) IN {thawed_starts:Array(Date)}"] if frozen else []
    not_done = ["toDate(session_end) NOT IN {frozen_days:Array(Date)}"] if frozen else []
    current = (
        f"SELECT site_id, visitor_id, session_start, {picks} FROM sessions"  # noqa: S608 - constant names
        " WHERE site_id = {site_id:UInt64}"
        f"{''.join(' AND ' + condition for condition in (*scan, *thawed))}"
        " GROUP BY site_id, visitor_id, session_start"
        f" HAVING {' AND '.join(['deleted = 0', *live, *having, *not_done])}"
    )
    if not frozen:
        return current
    kept = ", ".join(c if c != "deleted" else "toUInt8(0) AS deleted" for c in wanted)
    done = (
        f"SELECT site_id, visitor_id, session_start, {kept} FROM sessions_done"  # noqa: S608 - constant names
        " WHERE site_id = {site_id:UInt64} AND (day, build) IN {frozen_builds:Array(Tuple(Date, UInt64))}"
        f"{''.join(' AND ' + condition for condition in (*scan, *live, *having))}"
    )
    return f"{done} UNION ALL {current}"


def _first(column: str) -> str:
    return f"anyIf({column}, opens) AS {column}"


# The days whose windows hold an event: its own, the day before (before CARRY), the day after (from
# 23:30), as clickhouse/migrations/0022_midnight.sql queues them; ``_anchored`` keeps those recomputed.
_ANCHORS = (
    "arrayDistinct([toDate(timestamp), toDate(timestamp - toIntervalMillisecond({carry_ms:UInt32})),"
    " toDate(timestamp + toIntervalMillisecond({gap_ms:UInt32}))])"
)
_VISITORS = " AND visitor_id IN {visitors:Array(UInt64)}"
_ORDER = "ORDER BY timestamp, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


def _anchored(columns: str, *, visitors: bool = False) -> str:
    """The events of the scope's windows, each once per day whose window holds it (``anchor``)."""
    return (
        f"SELECT {columns}, anchor FROM events ARRAY JOIN {_ANCHORS} AS anchor"  # noqa: S608 - constants
        " WHERE (site_id, toDate(timestamp)) IN {near_days:Array(Tuple(UInt64, Date))}"
        f"{_VISITORS if visitors else ''}"
        " AND (site_id, anchor) IN {site_days:Array(Tuple(UInt64, Date))}"
    )


def _reconcile_sql(*, visitors: bool) -> str:
    """One statement: read the events of the scope's windows, split them into sessions, keep those
    that begin on the window's day, compare with what is stored, and insert the sessions that changed
    plus a deleted row for each stored session that is gone. The scope is made of whole visitor-days,
    so the result per visitor-day is the same whatever else the scope holds.

    A window's events are split where the gap exceeds 30 minutes (``run``), and a run begun the day
    before is split again at its first event from ``CARRY`` on (``late``)."""
    columns = ", ".join(
        ("site_id", "visitor_id", "timestamp", "event_id", "name", "pathname", "interactive", *FIRST_TOUCH)
    )
    stored_scope = "(site_id, toDate(session_start)) IN {site_days:Array(Tuple(UInt64, Date))}"
    return f"""
INSERT INTO sessions ({", ".join(TABLE_COLUMNS)})
WITH
marked AS (
    SELECT site_id, visitor_id, anchor AS day, timestamp, toString(event_id) AS event_key,
        name, pathname, interactive, {", ".join(FIRST_TOUCH)},
        dateDiff('millisecond', toDateTime64(anchor, 3, 'UTC'), timestamp) AS at_ms,
        count() OVER (PARTITION BY site_id, visitor_id, day) AS seen,
        row_number() OVER ordered AS rank,
        dateDiff('millisecond', lagInFrame(timestamp) OVER ordered, timestamp) AS since,
        since > {{gap_ms:UInt32}} AS gap_opens
    FROM ({_anchored(columns, visitors=visitors)})
    WINDOW ordered AS (PARTITION BY site_id, visitor_id, day {_ORDER})
),
numbered AS (
    SELECT *, sum(gap_opens) OVER ordered AS run,
        max(if(gap_opens, at_ms, -toInt64({{day_ms:UInt32}}))) OVER ordered < 0 AS carried,
        carried AND at_ms >= {{carry_ms:UInt32}} AS late,
        gap_opens OR (late AND at_ms - since < {{carry_ms:UInt32}}) AS opens
    FROM marked
    WINDOW ordered AS (PARTITION BY site_id, visitor_id, day {_ORDER})
),
built AS (
    SELECT site_id, visitor_id, min(timestamp) AS session_start, max(timestamp) AS session_end,
        any(seen) AS version,
        toUInt32(count()) AS hits,
        toUInt32(countIf(name = 'pageview')) AS pageviews,
        toUInt32(countIf(name != 'engagement')) AS events,
        toUInt32(countIf(name NOT IN ('pageview', 'engagement') AND interactive)) AS interactive_events,
        toUInt8(pageviews = 1 AND interactive_events = 0) AS is_bounce,
        toUInt32(if(is_bounce, 0, dateDiff('millisecond', session_start, session_end))) AS duration_ms,
        argMinIf(pathname, rank, name = 'pageview') AS entry_page,
        argMaxIf(pathname, rank, name = 'pageview') AS exit_page,
        {", ".join(_first(column) for column in FIRST_TOUCH)}
    FROM numbered
    GROUP BY site_id, visitor_id, day, run, late
    HAVING events > 0 AND toDate(session_start) = day
),
desired AS (
    SELECT *, cityHash64({", ".join(_CONTENT)}) AS fingerprint FROM built
),
days AS (
    SELECT site_id, visitor_id, anchor AS day, count() AS seen
    FROM ({_anchored("site_id, visitor_id", visitors=visitors)})
    GROUP BY site_id, visitor_id, day
),
stored AS (
    SELECT latest.site_id AS site_id, latest.visitor_id AS visitor_id, latest.session_start AS session_start,
        latest.fingerprint AS stored_fingerprint, days.seen AS seen
    FROM (
        SELECT site_id, visitor_id, session_start,
            argMax(fingerprint, version) AS fingerprint, argMax(deleted, version) AS deleted
        FROM sessions
        WHERE {stored_scope}{_VISITORS if visitors else ""}
        GROUP BY site_id, visitor_id, session_start
    ) AS latest
    INNER JOIN days
        ON latest.site_id = days.site_id AND latest.visitor_id = days.visitor_id
        AND toDate(latest.session_start) = days.day
    WHERE latest.deleted = 0
)
SELECT site_id, visitor_id, session_start, greatest(desired.version, stored.seen),
    toUInt8(desired.hits = 0), desired.fingerprint, {", ".join(f"desired.{c}" for c in _CONTENT)}
FROM desired
FULL OUTER JOIN stored USING (site_id, visitor_id, session_start)
WHERE NOT (desired.hits > 0 AND stored.seen > 0 AND desired.fingerprint = stored.stored_fingerprint)
"""  # noqa: S608 - names from the constants above; every value is a bound parameter


# The flusher's: the visitor-days of a batch (sites' days x visitors, which may take in a few
# visitor-days beyond those asked: redoing one is harmless).
RECONCILE = _reconcile_sql(visitors=True)
# The rebuild's: every visitor of whole days.
RECONCILE_DAYS = _reconcile_sql(visitors=False)


if __name__ == "__main__":
    sys.exit(main())

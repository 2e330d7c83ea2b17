"""Sessions ("visits"): kept up to date in ClickHouse as batches of events arrive, exact at query time.

A session is a visitor's run of events, in event time, with gaps of at most 30 minutes, within one UTC
day (visitor ids are keyed by the day's salt, so one never outlives its day). Engagement events keep a
session going and extend it, but a run made only of engagement events is not a visit. Its first event
(by time, then event id) gives the first-touch attributes (source, referrer, UTM, geo, device); its
first and last pageviews give the entry and exit pages.

How the table stays exact (see ``clickhouse/migrations/0004_sessions.sql``):

- Every insert into ``events`` queues the visitor-days it touched (``sessions_queue``, a materialized
  view), and the sessionizer (``analytics/sessionizer.py``) hands them to ``reconcile``, which
  recomputes their sessions from the ``events`` table in one ``INSERT … SELECT``: a row for each
  session whose content changed, and a ``deleted`` row for each stored session that no longer exists
  (a late event moved its start or merged it with another). No event is read into Python.
  (``update(lines)`` does the same for event lines in hand, as tests and imports have them.)
- Every row carries ``version`` = the number of events its writer saw for that visitor-day. Events are
  only added, so a later view has a higher version; the same view computes the same rows. Readers take
  ``argMax(column, version)`` per session key and drop deleted keys (``live_sql``).
- A writer counts its visitor-days' events before and after its statement and redoes those whose
  count moved (``reconcile``): a writer overtaken by another flusher could otherwise leave behind a
  session that the newer writer never saw, so never deleted.

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
    "FIRST_TOUCH",
    "GAP_MS",
    "SESSION_COLUMNS",
    "TABLE_COLUMNS",
    "SessionsBusy",
    "VisitorDay",
    "live_sql",
    "rebuild",
    "reconcile",
    "touched",
    "update",
]

GAP_MS = 30 * 60 * 1000
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
    """The unit of recomputation: one visitor's events on one UTC day."""

    site_id: int
    visitor_id: int
    day: dt.date


def touched(lines: Iterable[bytes]) -> set[VisitorDay]:
    """The visitor-days of a batch's event lines; unreadable lines (as the sink skips them) are ignored."""
    found = set()
    for line in lines:
        try:
            row = orjson.loads(line)
            stamp = dt.datetime.fromisoformat(row["timestamp"])
            day = (stamp.astimezone(dt.UTC) if stamp.tzinfo else stamp).date()
            found.add(VisitorDay(int(row["site_id"]), int(row["visitor_id"]), day))
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
        "site_days": sorted({(k.site_id, k.day) for k in chunk}),
        "visitors": sorted({k.visitor_id for k in chunk}),
        "gap_ms": GAP_MS,
    }


def _counts(chunk: Sequence[VisitorDay]) -> dict[VisitorDay, int]:
    """How many events each visitor-day of the chunk's scope has now."""
    params = _scope_params(chunk)
    sql = (
        "SELECT site_id, visitor_id, toDate(timestamp) AS day, count() FROM events"  # noqa: S608
        f" WHERE {_SCOPE.format(time='timestamp')} GROUP BY site_id, visitor_id, day"
    )
    most = len({k.visitor_id for k in chunk}) * len({(k.site_id, k.day) for k in chunk})
    rows = client.execute(sql, params, tag="sessions:count", max_rows=most).rows
    return {VisitorDay(int(site), int(visitor), day): int(n) for site, visitor, day, n in rows}


def rebuild(site_id: int | None = None) -> int:
    """Recompute the sessions of every visitor-day in ``events`` (all sites, or one); returns how many.

    Set-based: the write statement runs over whole days (``RECONCILE_DAYS``, the flusher's statement
    scoped by day instead of by visitor), a few days at a time, so each day's events are read once.
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
            _rebuild_days(batch)
            batch, batch_events = [], 0
    if batch:
        _rebuild_days(batch)
    return sum(int(row[3]) for row in rows)


def _rebuild_days(days: Sequence[tuple[int, dt.date]]) -> None:
    """``RECONCILE_DAYS`` over these (site, day) pairs. Days whose events moved meanwhile (a flusher at
    work) are redone visitor-day by visitor-day (``reconcile``), so a busy today never holds it up."""
    before = _day_counts(days)
    client.command(RECONCILE_DAYS, {"site_days": sorted(days), "gap_ms": GAP_MS})
    after = _day_counts(days)
    moved = [key for key in days if after.get(key, 0) != before.get(key, 0)]
    if moved:
        sql = (
            "SELECT DISTINCT site_id, visitor_id, toDate(timestamp) FROM events"  # noqa: S608
            f" WHERE {_DAY_SCOPE.format(time='timestamp')}"
        )
        rows = client.execute(sql, {"site_days": sorted(moved)}, tag="sessions:rebuild", max_rows=0).rows
        reconcile(VisitorDay(int(site), int(visitor), day) for site, visitor, day in rows)


def _day_counts(days: Sequence[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], int]:
    sql = (
        "SELECT site_id, toDate(timestamp) AS day, count() FROM events"  # noqa: S608
        f" WHERE {_DAY_SCOPE.format(time='timestamp')} GROUP BY site_id, day"
    )
    rows = client.execute(sql, {"site_days": sorted(days)}, tag="sessions:count", max_rows=len(days)).rows
    return {(int(site), day): int(n) for site, day, n in rows}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "rebuild" or len(args) > 2 or (len(args) == 2 and not args[1].isdigit()):
        print("usage: python -m analytics.sessions rebuild [SITE_ID]", file=sys.stderr)
        return 2
    try:
        done = rebuild(int(args[1]) if len(args) == 2 else None)
    except client.EngineBusyError as exc:
        print(f"clickhouse: {exc}", file=sys.stderr)
        return 2
    print(f"sessions: recomputed {done} visitor-day(s)")
    return 0


# Which sessions of the range a reader takes: WHERE conditions on the key (cheap: they prune the
# scan) and conditions on the live state. Sessions never span more than a day.
_START, _END = "{start:DateTime64(3, 'UTC')}", "{end:DateTime64(3, 'UTC')}"
SPANS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # every session overlapping [start, end)
    "overlapping": ((), (f"session_end >= {_START}",)),
    # the sessions wholly inside it: all their events lie in the range
    "inside": ((f"session_start >= {_START}",), (f"session_end < {_END}",)),
    # the sessions crossing an edge of it: only some of their events lie in the range
    "edges": (
        (f"(session_start < {_START} OR session_start >= {_END} - INTERVAL 1 DAY)",),
        (f"session_end >= {_START}", f"(session_start < {_START} OR session_end >= {_END})"),
    ),
}


def live_sql(columns: Sequence[str], having: Sequence[str] = (), *, span: str = "overlapping") -> str:
    """A subquery: each session of ``{site_id}`` overlapping ``[{start}, {end})``, in its latest state.

    Yields ``site_id, visitor_id, session_start`` and the requested ``columns`` (from
    ``SESSION_COLUMNS``; ``session_end`` always), keeping the sessions that also satisfy ``having``
    (conditions over those columns). Sessions never span more than a day, so the scan starts a day
    before the range. ``span`` narrows them to those wholly inside the range or crossing its edges.
    """
    unknown = set(columns) - set(SESSION_COLUMNS)
    if unknown:
        raise ValueError(f"not session columns: {sorted(unknown)}")
    where, live = SPANS[span]
    wanted = ["session_end", "deleted", *(c for c in dict.fromkeys(columns) if c != "session_end")]
    picks = ", ".join(f"argMax({column}, version) AS {column}" for column in wanted)
    conditions = ["deleted = 0", *live, *having]
    return (
        f"SELECT site_id, visitor_id, session_start, {picks} FROM sessions"  # noqa: S608 - constant names
        " WHERE site_id = {site_id:UInt64}"
        f" AND session_start >= {_START} - INTERVAL 1 DAY AND session_start < {_END}"
        f"{''.join(' AND ' + condition for condition in where)}"
        " GROUP BY site_id, visitor_id, session_start"
        f" HAVING {' AND '.join(conditions)}"
    )


def _first(column: str) -> str:
    return f"anyIf({column}, opens) AS {column}"


_SCOPE = (
    "(site_id, toDate({time})) IN {{site_days:Array(Tuple(UInt64, Date))}}"
    " AND visitor_id IN {{visitors:Array(UInt64)}}"
)
_DAY_SCOPE = "(site_id, toDate({time})) IN {{site_days:Array(Tuple(UInt64, Date))}}"
_ORDER = "ORDER BY timestamp, event_key ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"


def _reconcile_sql(scope: str) -> str:
    """One statement: read the events in ``scope``, split them into sessions, compare with what is
    stored, and insert the sessions that changed plus a deleted row for each stored session that is
    gone. The scope is made of whole visitor-days, so the result per visitor-day is the same whatever
    else the scope holds."""
    return f"""
INSERT INTO sessions ({", ".join(TABLE_COLUMNS)})
WITH
marked AS (
    SELECT site_id, visitor_id, toDate(timestamp) AS day, timestamp, toString(event_id) AS event_key,
        name, pathname, interactive, {", ".join(FIRST_TOUCH)},
        count() OVER (PARTITION BY site_id, visitor_id, day) AS seen,
        row_number() OVER ordered AS rank,
        dateDiff('millisecond', lagInFrame(timestamp) OVER ordered, timestamp) > {{gap_ms:UInt32}} AS opens
    FROM events
    WHERE {scope.format(time="timestamp")}
    WINDOW ordered AS (PARTITION BY site_id, visitor_id, day {_ORDER})
),
numbered AS (
    SELECT *, sum(opens) OVER (PARTITION BY site_id, visitor_id, day {_ORDER}) AS n
    FROM marked
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
    GROUP BY site_id, visitor_id, day, n
    HAVING events > 0
),
desired AS (
    SELECT *, cityHash64({", ".join(_CONTENT)}) AS fingerprint FROM built
),
days AS (
    SELECT site_id, visitor_id, toDate(timestamp) AS day, count() AS seen
    FROM events
    WHERE {scope.format(time="timestamp")}
    GROUP BY site_id, visitor_id, day
),
stored AS (
    SELECT latest.site_id AS site_id, latest.visitor_id AS visitor_id, latest.session_start AS session_start,
        latest.fingerprint AS stored_fingerprint, days.seen AS seen
    FROM (
        SELECT site_id, visitor_id, session_start,
            argMax(fingerprint, version) AS fingerprint, argMax(deleted, version) AS deleted
        FROM sessions
        WHERE {scope.format(time="session_start")}
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
RECONCILE = _reconcile_sql(_SCOPE)
# The rebuild's: every visitor of whole days.
RECONCILE_DAYS = _reconcile_sql(_DAY_SCOPE)


if __name__ == "__main__":
    sys.exit(main())

"""The sessionizer: keeps the ``sessions`` table up to date from the queue the events insert fills.

Every ``INSERT INTO events`` also queues the visitor-days whose sessions it may change (materialized
views, ``clickhouse/migrations/0020_sessions_queue.sql`` and ``0022_midnight.sql``: an event's day,
and the day before or after for one near midnight). The sessionizer reads the queue in order of
``queued_at``, recomputes those visitor-days' sessions with ``sessions.reconcile`` (exact and
idempotent, see ``analytics/sessions.py``), and records how far it got. So the flusher only inserts
events, at the engine's speed, and visit metrics follow a few seconds behind event metrics.

The queue is read up to ``margin`` before the engine's clock: an insert stamps its queue rows when its
view runs and they become visible when it commits, so with a ClickHouse server (where other processes
insert at the same moment) the sessionizer leaves the last few seconds for the next round. Embedded
chDB runs one statement at a time in this process, so an insert is committed before any read: no
margin, and the flusher wakes the sessionizer right after each insert (in server mode too). A crash
between recomputing and recording progress only means the same visitor-days are recomputed again,
which changes nothing.

    python -m analytics.sessionizer   # catch up once (the flusher process runs it continuously)
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
from collections.abc import Callable, Mapping

from analytics import client, rollups, sessions
from analytics.background import lower_priority
from analytics.config import env_int, is_embedded_clickhouse

log = logging.getLogger(__name__)

NAME = "sessions"  # the progress row's name
_TIME = "DateTime64(6, 'UTC')"


_wake = threading.Event()


def margin_s() -> float:
    """How far behind the engine's clock the queue is read (``SESSIONS_MARGIN_MS``; default 5 s with a
    ClickHouse server, 0 with embedded chDB)."""
    return env_int("SESSIONS_MARGIN_MS", 0 if is_embedded_clickhouse() else 5_000) / 1000


def poke() -> None:
    """Events were just inserted: start the next round now rather than at the end of the interval."""
    _wake.set()


def done_through() -> dt.datetime | None:
    """How far the queue has been worked through, or None before the first round."""
    sql = "SELECT argMax(done_through, written_at), count() FROM sessions_progress WHERE name = {name:String}"
    (through, rows), *_ = client.execute(sql, {"name": NAME}, tag="sessions:progress").rows
    return through if rows else None


def catch_up(*, margin: float | None = None) -> int:
    """Recompute the sessions of every visitor-day queued since the last round; returns how many."""
    upto = _clock(margin_s() if margin is None else margin)
    since = done_through()
    where = [f"queued_at <= {{upto:{_TIME}}}"]
    if since is not None:
        where.append(f"queued_at > {{since:{_TIME}}}")
    sql = f"SELECT DISTINCT site_id, visitor_id, day FROM sessions_queue WHERE {' AND '.join(where)}"  # noqa: S608
    params = {"upto": upto, "since": since}
    rows = client.execute(sql, params, tag="sessions:queue", max_rows=0, timeout_s=600).rows
    keys = [sessions.VisitorDay(int(site), int(visitor), day) for site, visitor, day in rows]
    if not keys:
        return 0  # nothing to record: the next round reads from the same point
    sessions.reconcile(keys)
    _record(upto)
    return len(keys)


def rebuild() -> int:
    """Recompute every site's sessions from the events (``sessions.rebuild``); returns how many
    visitor-days. The queue then counts as read up to where the rebuild began (less the margin): it
    read every event queued before then. Otherwise the next round would recompute every visitor-day
    queued since the events arrived (after loading a store: all of them, while pages are served)."""
    upto = _clock(margin_s())
    done = sessions.rebuild()
    since = done_through()
    if since is None or since < upto:
        _record(upto)
    return done


def _clock(margin: float) -> dt.datetime:
    """The engine's clock, ``margin`` seconds ago."""
    rows = client.execute(
        "SELECT now64(6, 'UTC') - toIntervalMicrosecond({margin_us:UInt64})",
        {"margin_us": int(margin * 1_000_000)},
        tag="sessions:clock",
    ).rows
    upto: dt.datetime = rows[0][0]
    return upto


def _record(upto: dt.datetime) -> None:
    """The queue has been worked through up to ``upto``."""
    client.command(
        "INSERT INTO sessions_progress (name, done_through, written_at)"
        " VALUES ({name:String}, {upto:DateTime64(6, 'UTC')}, now64(6, 'UTC'))",
        {"name": NAME, "upto": upto},
    )


Timezones = Callable[[], Mapping[int, str]]


def run(
    stop: threading.Event,
    *,
    interval_s: float = 1.0,
    max_backoff_s: float = 30.0,
    timezones: Timezones | None = None,
) -> None:
    """Catch up every ``interval_s`` until ``stop`` is set; on an error, retry with a growing pause.

    With ``timezones`` (site id -> its timezone), every ``ROLLUP_EVERY_S`` it also builds the rollups
    of the days that changed and have gone quiet (``analytics.rollups.refresh``), a few at a time.
    """
    lower_priority()  # visits follow the events seconds behind anyway
    backoff = interval_s
    every = env_int("ROLLUP_EVERY_S", 30, minimum=1)
    next_rollups = time.monotonic() + every
    while not stop.is_set():
        try:
            _wake.clear()
            catch_up()
            if timezones is not None and time.monotonic() >= next_rollups:
                rollups.refresh(timezones(), catch_up=catch_up)
                next_rollups = time.monotonic() + every
            backoff = interval_s
            _wake.wait(interval_s)
        except Exception as exc:
            log.warning("sessions step failed, will retry in %.1fs: %s", backoff, exc)
            stop.wait(backoff)
            backoff = min(backoff * 2, max_backoff_s)


def start_thread(
    *, interval_s: float = 1.0, timezones: Timezones | None = None
) -> tuple[threading.Thread, threading.Event]:
    """Run ``run`` in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run,
        args=(stop,),
        kwargs={"interval_s": interval_s, "timezones": timezones},
        name="lantern-sessions",
        daemon=True,
    )
    thread.start()
    return thread, stop


def main() -> int:
    try:
        done = catch_up()
    except client.EngineBusyError as exc:
        print(f"clickhouse: {exc}", file=sys.stderr)
        return 2
    print(f"sessions: recomputed {done} visitor-day(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

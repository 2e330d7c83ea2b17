"""Re-derive visits from stored events: after upgrading a store, after an import, or to repair one.

Ingest decides each event's visit when it arrives (``ingest/visits.py``). Events that reached the store
another way (written before visits were decided at ingest, imported, or damaged) get their visits here,
by the same rule applied in SQL to the events in time order: per site and visitor id, a gap of more
than 30 minutes begins a visit, and so does the first event from 03:00 UTC of the day after the visit
began. Each visit takes the first-touch columns of its first event (time, then event id as a number)
and a visit id derived from its site, visitor and start, so re-deriving the same events gives the same
rows.

The events of the chosen UTC days are rewritten: computed into a staging table named after the site and
the days (``events_rederive_<site>_<first>_<last>``), then deleted from ``events`` and ``visits`` and
inserted again from the staging table, whose insert feeds ``visits`` as any insert does; the visit days
involved are counted again (``day_events``) and their sums dropped (``analytics.closed_days``). A run
that stops half-way leaves its staging table, and the next run finishes that move first, so no event is
lost or doubled. Visits are derived within the days chosen: a visit crossing the edge of the range is
split there (re-derive whole histories, the default, to avoid it).

    python -m analytics.rederive [SITE_ID [FIRST_DAY LAST_DAY]]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence

from analytics import client
from analytics.schema import CARRY_MS, DAY_MS, EVENT_COLUMN_NAMES, FIRST_TOUCH, GAP_MS
from analytics.topology import Layout

STAGING = "events_rederive_"
_STAGED = re.compile(r"^events_rederive_(\d+)_(\d{8})_(\d{8})$")
_STAGING_ORDER = "(site_id, timestamp)"
_WINDOW = "PARTITION BY site_id, visitor_id ORDER BY timestamp, toUInt128(event_id)"


def _derived_columns() -> str:
    """Every events column, with the visit's columns computed from the window ``v`` (one visit)."""
    computed = {
        "visit_start": "min(timestamp) OVER v",
        "visit_id": "cityHash64(site_id, visitor_id, min(timestamp) OVER v)",
        **{column: f"argMin({column}, (timestamp, toUInt128(event_id))) OVER v" for column in FIRST_TOUCH},
    }
    return ", ".join(f"{computed.get(name, name)} AS {name}" for name in EVENT_COLUMN_NAMES)


def _derive_sql(staging: str) -> str:
    # The names come from the schema's constants and a checked staging name; every value is bound.
    return f"""
INSERT INTO {staging}
SELECT {_derived_columns()}
FROM (
    SELECT *,
        timestamp >= toStartOfDay(min(timestamp) OVER run_window) + toIntervalMillisecond({DAY_MS + CARRY_MS})
            AS late
    FROM (
        SELECT *, sum(opens) OVER ({_WINDOW} ROWS UNBOUNDED PRECEDING) AS run
        FROM (
            SELECT *,
                dateDiff('millisecond', lagInFrame(timestamp, 1, timestamp) OVER ({_WINDOW}
                    ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), timestamp) > {GAP_MS} AS opens
            FROM events
            WHERE site_id = {{site:UInt64}} AND toDate(timestamp) BETWEEN {{first:Date}} AND {{last:Date}}
        )
    )
    WINDOW run_window AS (PARTITION BY site_id, visitor_id, run)
)
WINDOW v AS (PARTITION BY site_id, visitor_id, run, late)
"""  # noqa: S608


def _range(site_id: int, first: dt.date, last: dt.date) -> tuple[str, dict[str, object]]:
    where = "site_id = {site:UInt64} AND toDate(timestamp) BETWEEN {first:Date} AND {last:Date}"
    return where, {"site": site_id, "first": first, "last": last}


def rederive(site_id: int, first: dt.date, last: dt.date) -> int:
    """Re-derive the visits of ``site_id``'s events on the UTC days ``first``..``last``; returns how
    many events were rewritten."""
    finish_staged()
    first, last = _whole_visits(site_id, first, last)
    staging = f"{STAGING}{site_id}_{first:%Y%m%d}_{last:%Y%m%d}"
    layout = Layout.from_env()
    for statement in [*layout.drop(staging), *layout.create_like(staging, "events", _STAGING_ORDER)]:
        client.command(statement)
    client.command(_derive_sql(staging), {"site": site_id, "first": first, "last": last})
    return _move(staging, site_id, first, last)


def _whole_visits(site_id: int, first: dt.date, last: dt.date) -> tuple[dt.date, dt.date]:
    """The range widened until no stored visit of its events crosses its edges (visits last < 27 h)."""
    for _ in range(30):
        where, params = _range(site_id, first, last)
        sql = (
            "SELECT min(toDate(visit_start)), max(toDate(last_at)), count() FROM visits"  # noqa: S608
            f" WHERE site_id = {{site:UInt64}} AND visit_id != 0"
            f" AND visit_id IN (SELECT DISTINCT visit_id FROM events WHERE {where})"
        )
        (low, high, found), *_ = client.execute(sql, params, tag="rederive").rows
        if not found or (low >= first and high <= last):
            break
        first, last = min(first, low), max(last, high)
    return first, last


_DAYS = "SELECT site_id, min(toDate(timestamp)), max(toDate(timestamp)) FROM events"


def rederive_all() -> int:
    """Re-derive every site's visits over all its days; returns how many events were rewritten."""
    finish_staged()
    rows = client.execute(f"{_DAYS} GROUP BY site_id", tag="rederive", max_rows=0).rows
    return sum(rederive(int(site), first, last) for site, first, last in rows)


def rederive_site(site_id: int) -> int:
    """Re-derive one site's visits over all its days; returns how many events were rewritten."""
    sql = f"{_DAYS} WHERE site_id = {{site:UInt64}} GROUP BY site_id"
    rows = client.execute(sql, {"site": site_id}, tag="rederive").rows
    return sum(rederive(int(site), first, last) for site, first, last in rows)


def finish_staged() -> int:
    """Finish the moves a stopped run left behind (its staging tables); returns how many events."""
    sql = "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, {p:String})"
    moved = 0
    for (name,) in client.execute(sql, {"p": STAGING}, tag="rederive", max_rows=0).rows:
        match = _STAGED.match(str(name))
        if match is None:
            continue
        site, first, last = match.groups()
        day = dt.datetime.strptime  # the days are the table name's, as rederive wrote them
        moved += _move(str(name), int(site), day(first, "%Y%m%d").date(), day(last, "%Y%m%d").date())
    return moved


def _move(staging: str, site_id: int, first: dt.date, last: dt.date) -> int:
    """Replace the range's events (and their visits) by the staging table's, then drop it. Safe to redo:
    the staging table stays until its rows are in."""
    layout = Layout.from_env()
    where, params = _range(site_id, first, last)
    (count,), *_ = client.execute(f"SELECT count() FROM {staging}", tag="rederive").rows  # noqa: S608
    days_sql = (
        f"SELECT DISTINCT toDate(visit_start) FROM events WHERE {where}"  # noqa: S608
        f" UNION DISTINCT SELECT DISTINCT toDate(visit_start) FROM {staging}"
    )
    days = sorted(row[0] for row in client.execute(days_sql, params, tag="rederive", max_rows=0).rows)
    with client.events_written():  # embedded mode: no read sees the range half moved
        visits_of = "site_id = {site:UInt64} AND visit_id IN (SELECT DISTINCT visit_id FROM %s)"
        # whole visits: the range covers every event of its stored visits (``_whole_visits``)
        _delete(layout, "visits", visits_of % f"events WHERE {where}", params)
        _delete(layout, "events", where, params)
        _delete(layout, "visits", visits_of % staging, params)
        client.command(
            f"INSERT INTO events SELECT * FROM {staging}",  # noqa: S608
            settings={"deduplicate_blocks_in_dependent_materialized_views": 1},
        )
        _recount(layout, site_id, days)
    for statement in layout.drop(staging):
        client.command(statement)
    return int(count)


def _delete(layout: Layout, table: str, where: str, params: dict[str, object]) -> None:
    """``ALTER TABLE … DELETE`` on the tables storing ``table``'s rows, waiting until it is done."""
    sql = f"ALTER TABLE {layout.write_target(table)} DELETE WHERE {where}"
    client.command(sql, params, settings=layout.mutation_settings())


def _recount(layout: Layout, site_id: int, days: Sequence[dt.date]) -> None:
    """The visit days' counts counted again from their events, and their sums dropped (written again by
    the closed_days job): events moved between visit days, and their visits changed."""
    params = {"site": site_id, "days": list(days)}
    where = "site_id = {site:UInt64} AND day IN {days:Array(Date)}"
    sync = layout.mutation_settings()
    client.command(
        f"ALTER TABLE {layout.write_target('day_events')} DELETE WHERE {where}", params, settings=sync
    )
    client.command(
        "INSERT INTO day_events SELECT site_id, toDate(visit_start) AS day, count(), min(timestamp),"
        " max(timestamp) FROM events WHERE site_id = {site:UInt64} AND day IN {days:Array(Date)}"
        " GROUP BY site_id, day",
        params,
    )
    client.command(
        f"ALTER TABLE {layout.write_target('day_sums')} DELETE WHERE {where}", params, settings=sync
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analytics.rederive", description=__doc__.splitlines()[0])
    parser.add_argument("site_id", nargs="?", type=int, help="one site (default: every site, every day)")
    parser.add_argument("first", nargs="?", type=dt.date.fromisoformat, help="first UTC day, YYYY-MM-DD")
    parser.add_argument("last", nargs="?", type=dt.date.fromisoformat, help="last UTC day, YYYY-MM-DD")
    args = parser.parse_args(argv)
    if (args.first is None) != (args.last is None) or (args.first and args.first > args.last):
        parser.error("give both FIRST_DAY and LAST_DAY, the first not after the last")
    try:
        if args.site_id is None:
            done = rederive_all()
        elif args.first is None:
            done = rederive_site(args.site_id)
        else:
            done = rederive(args.site_id, args.first, args.last)
    except client.EngineBusyError as exc:
        print(f"clickhouse: {exc}", file=sys.stderr)
        return 2
    print(f"visits: re-derived from {done} event(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

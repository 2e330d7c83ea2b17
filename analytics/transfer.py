"""Copy the event store's own rows to another ClickHouse, month by month, so an interrupted copy resumes.

Only what nothing else derives is copied (``COPIED``: the events and the drop counts); the other tables
(``DERIVED``) fill themselves on the target as the events arrive (``visits`` and ``day_events``, fed by
the events insert) or are built again there (``day_sums``, the closed days' sums).

A month's rows go in pages of at most ``page_rows`` rows (more only when rows tie on the key), in the
order of the table's ``key``; each page is one insert under a deduplication token naming the table, the
month and a digest of the page's lines, so a page sent twice is stored once. Pages go in key order, so
an interrupted copy leaves, in each month on the target, exactly the source's rows up to some key:
``month_plan`` checks that (the target month's row count and digest against those of the source's rows
up to the target's last key) and the copy goes on after that key. A month holding anything else on the
target (other data, or source rows below that key that changed since) raises ``NotAPrefix``: the target
is not an earlier copy of this store.

The current store is the one ``CLICKHOUSE_URL`` names; a ``Store`` (``on``) points a block at the
target through ``analytics.config.overridden``:

    target = on({"CLICKHOUSE_URL": "http://lantern:pw@clickhouse:8123/lantern"})
    for month in month_plan(COPIED[0], target):       # what is left, per month
        copy_month(COPIED[0], month, target, page_rows=50_000)
    with target():
        theirs = counts()
    first_difference(counts(), theirs)                 # None when both hold the same numbers
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from analytics import client
from analytics.config import overridden
from analytics.imported.tables import TABLES as IMPORTED_TABLES

__all__ = [
    "COPIED",
    "DERIVED",
    "Copied",
    "Month",
    "NotAPrefix",
    "copy_month",
    "counts",
    "first_difference",
    "month_plan",
    "stored_tables",
]

Store = Callable[[], contextlib.AbstractContextManager[None]]
ROW_DIGEST = "cityHash64(formatRow('TabSeparated', *))"  # a row's text, hashed; summed per month (wraps)


@dataclasses.dataclass(frozen=True)
class Copied:
    """A table copied row by row: ``rows`` is what is copied (a SELECT over the table, its columns
    named as the table's), ``month`` the month of a row of it, ``key`` the columns ordering its pages
    (with their types, to bind a key back)."""

    table: str
    rows: str
    month: str
    key: tuple[tuple[str, str], ...]

    def key_columns(self) -> str:
        return ", ".join(name for name, _ in self.key)

    def key_params(self) -> str:
        return ", ".join(f"{{k{i}:{kind}}}" for i, (_, kind) in enumerate(self.key))


COPIED: tuple[Copied, ...] = (
    Copied(
        "events",
        "SELECT * FROM events",
        "toYYYYMM(timestamp)",
        (("timestamp", "DateTime64(3, 'UTC')"), ("event_id", "UUID"), ("site_id", "UInt64")),
    ),
    Copied(  # a SummingMergeTree: its rows as merged, one per site, day and reason
        "dropped_events",
        "SELECT site_id, day, reason, sum(count) AS count FROM dropped_events GROUP BY site_id, day, reason",
        "toYYYYMM(day)",
        (("day", "Date"), ("site_id", "UInt64"), ("reason", "String")),
    ),
)
# Imported history (``analytics.imported``): daily rows, paged in the order of every column they hold.
COPIED += tuple(
    Copied(
        table.name,
        f"SELECT * FROM {table.name}",  # noqa: S608 - the registry's table names
        "toYYYYMM(date)",
        (
            ("date", "Date"),
            ("site_id", "UInt64"),
            ("import_id", "UInt64"),
            *((name, table.kinds.get(name, "String")) for name in table.stored if name != "date"),
        ),
    )
    for table in IMPORTED_TABLES.values()
)
# Filled on the target by the events insert (materialized views), or built there by the closed_days job.
DERIVED: tuple[str, ...] = ("visits", "day_events", "day_sums")


class NotAPrefix(Exception):
    """The target's rows of a month are not the source's rows up to some key: not an earlier copy."""

    def __init__(self, table: str, month: int, detail: str) -> None:
        super().__init__(f"{table} of {_month_text(month)}: {detail}")
        self.table, self.month = table, month


@dataclasses.dataclass(frozen=True)
class Month:
    """A month of a copied table: the source's rows, and where the copy of it stands."""

    month: int  # YYYYMM
    rows: int  # the source's
    copied: int  # rows already on the target
    after: tuple[Any, ...] | None  # the target's last key (copy what follows), None: from the start

    @property
    def done(self) -> bool:
        return self.copied == self.rows

    def label(self) -> str:
        return _month_text(self.month)


def _month_text(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def on(target: Mapping[str, str]) -> Store:
    """A store to pass below: the installation the ``target`` variables name (``CLICKHOUSE_URL``, …)."""
    return lambda: overridden(**target)


def stored_tables() -> set[str]:
    """The tables (not views) of the current store's database."""
    sql = (
        "SELECT name FROM system.tables WHERE database = currentDatabase()"
        " AND engine NOT IN ('MaterializedView', 'View')"
    )
    return {str(row[0]) for row in client.execute(sql, tag="transfer").rows}


def _fingerprints(
    spec: Copied, where: str = "", params: Mapping[str, Any] | None = None
) -> dict[int, tuple[int, int]]:
    """Per month: the rows and the sum of their digests (``ROW_DIGEST``), of the current store."""
    sql = (
        f"SELECT {spec.month} AS month, count(), sum({ROW_DIGEST}) FROM ({spec.rows})"  # noqa: S608
        f" {where} GROUP BY month ORDER BY month"
    )
    rows = client.execute(sql, params, tag="transfer", timeout_s=600).rows
    return {int(month): (int(count), int(digest)) for month, count, digest in rows}


def month_plan(spec: Copied, target: Store) -> list[Month]:
    """Each month of the source's rows of ``spec``, with what the target holds of it already; raises
    ``NotAPrefix`` when the target holds anything but the source's rows up to some key."""
    source = _fingerprints(spec)
    with target():
        held = _fingerprints(spec)
    strange = sorted(set(held) - set(source))
    if strange:
        raise NotAPrefix(spec.table, strange[0], "the target holds rows of a month the source has none of")
    plan = []
    for month, (rows, digest) in source.items():
        have = held.get(month)
        if have is None:
            plan.append(Month(month, rows, 0, None))
        elif have == (rows, digest):
            plan.append(Month(month, rows, rows, None))
        else:
            plan.append(_resumed(spec, month, rows, have, target))
    return plan


def _resumed(spec: Copied, month: int, rows: int, have: tuple[int, int], target: Store) -> Month:
    """A month the target holds part of: where to go on, if the part is the source's rows up to a key."""
    order = ", ".join(f"{name} DESC" for name, _ in spec.key)
    sql = (
        f"SELECT {spec.key_columns()} FROM ({spec.rows}) WHERE {spec.month} = {{month:UInt32}}"  # noqa: S608
        f" ORDER BY {order} LIMIT 1"
    )
    with target():
        last = _key_of(spec, client.read_json_lines(sql, {"month": month}, tag="transfer")[0])
    params = {"month": month, **_bound(last)}
    where = f"WHERE {spec.month} = {{month:UInt32}} AND ({spec.key_columns()}) <= ({spec.key_params()})"
    source = _fingerprints(spec, where, params).get(month)
    if source != have:
        raise NotAPrefix(
            spec.table, month, f"the target holds {have[0]} rows that are not the source's first ones"
        )
    return Month(month, rows, have[0], last)


def _bound(key: Sequence[Any]) -> dict[str, Any]:
    return {f"k{i}": value for i, value in enumerate(key)}


def copy_month(
    spec: Copied,
    month: Month,
    target: Store,
    *,
    page_rows: int,
    progress: Callable[[Month, int], None] = lambda month, copied: None,
) -> int:
    """Copy what the target lacks of ``month``, a page at a time; returns the rows inserted.
    ``progress`` hears the month and its rows on the target after each page."""
    after, copied, inserted = month.after, month.copied, 0
    while copied < month.rows:
        lines = _page(spec, month.month, after, page_rows)
        if not lines:
            break
        token = f"transfer:{spec.table}:{month.month}:{hashlib.sha256(b''.join(lines)).hexdigest()[:40]}"
        with target():
            client.insert_json_lines(spec.table, lines, token=token)
        copied, inserted = copied + len(lines), inserted + len(lines)
        after = _key_of(spec, lines[-1])
        progress(month, copied)
    return inserted


def _page(spec: Copied, month: int, after: tuple[Any, ...] | None, page_rows: int) -> list[bytes]:
    """The next page of the source's rows of ``month`` after the key ``after``, in key order; rows tied
    on the key with the page's last one come along (a page never splits a key)."""
    where = f"{spec.month} = {{month:UInt32}}"
    params: dict[str, Any] = {"month": month, "rows": page_rows}
    if after is not None:
        where += f" AND ({spec.key_columns()}) > ({spec.key_params()})"
        params.update(_bound(after))
    sql = (
        f"SELECT * FROM ({spec.rows}) WHERE {where}"  # noqa: S608 - names from COPIED; values bound
        f" ORDER BY {spec.key_columns()} LIMIT {{rows:UInt64}} WITH TIES"
    )
    return client.read_json_lines(sql, params, tag="transfer", timeout_s=600)


def _key_of(spec: Copied, line: bytes) -> tuple[Any, ...]:
    row = json.loads(line)
    return tuple(row[name] for name, _ in spec.key)


# What is compared on both sides before a transfer is done: per site and UTC day.
COUNTS: dict[str, str] = {
    "events": "SELECT site_id, toDate(timestamp) AS day, count() FROM events GROUP BY site_id, day",
    "visits": (
        "SELECT site_id, toDate(visit_start) AS day, uniqExact(visit_id) FROM visits GROUP BY site_id, day"
    ),
    "dropped events": "SELECT site_id, day, sum(count) FROM dropped_events GROUP BY site_id, day",
    "imported rows": " UNION ALL ".join(
        f"SELECT site_id, date AS day, count() FROM {name} GROUP BY site_id, day"  # noqa: S608
        for name in IMPORTED_TABLES
    ),
}

Counts = dict[str, dict[tuple[int, dt.date], int]]


def counts() -> Counts:
    """The current store's events, visits and drop counts per site and UTC day."""
    out: Counts = {}
    for what, sql in COUNTS.items():
        rows = client.execute(sql, tag="transfer", timeout_s=600, max_rows=10_000_000).rows
        out[what] = {(int(site), day): int(count) for site, day, count in rows}
    return out


def first_difference(source: Counts, target: Counts) -> str | None:
    """The first (site, day) whose numbers differ, in words; None when every number is the same."""
    for what in COUNTS:
        here, there = source.get(what, {}), target.get(what, {})
        for site, day in sorted(set(here) | set(there)):
            ours, theirs = here.get((site, day), 0), there.get((site, day), 0)
            if ours != theirs:
                return f"{what} of site {site} on {day.isoformat()}: {ours} here, {theirs} on the target"
    return None

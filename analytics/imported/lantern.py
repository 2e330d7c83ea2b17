"""Load Lantern's full export (from another installation, or another site) into a site, all or nothing.

    >>> is_lantern_export(Path("example.com-20270101.zip"))  # doctest: +SKIP
    True
    >>> load_lantern(Path("example.com-20270101.zip"), site_id=9, import_id=4, tz="UTC")  # doctest: +SKIP
    LanternLoaded(events_added=5400, events_present=0, dropped_added=12, history=Loaded(...), ...)

A Lantern zip is known by its files (``events.csv`` and ``site.csv``; ``events.csv``'s header names the
``events`` columns). Its raw events come in exactly, under the target site's id: ``events.csv`` is read
as a stream, every cell checked into a typed value (a bad one is an ``ImportFileError`` naming the file,
line and column), and inserted a batch at a time, each under its own deduplication token, into a
staging table of this import (``events_import_<import id>``), which no query reads. Only once every
file has been read whole are the staged events moved into ``events`` (one ``INSERT … SELECT``, leaving
out events the site already holds: the same event id), and the visits of the days they touch
re-derived (``analytics.rederive``), so visits follow this installation's rules whatever ids the
source gave them; the visit days are counted again and their closed-day sums dropped on the way.
``visits.csv`` is not read: visits are derived from the events.

Drop counts (``dropped_events.csv``) come in for the (day, reason) pairs the site has no count for yet,
and the source's imported history (its ``imported_*.csv`` files, Plausible's format) loads into the
imported tables under the import id (``analytics.imported.load``), as a Plausible import would.

On any failure before the move, the staging table and the import's imported rows are deleted: nothing
stays. Importing the same file again adds nothing (its events are there, its drop days counted; the
visits of its days are derived again, to the same visits), so a run that died during the move (the
engine failing, not the file) is completed by importing the file again.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from analytics import client, rederive
from analytics.imported import store
from analytics.imported.lantern_rows import STAGED_COLUMNS, DroppedReader, EventReader
from analytics.imported.load import Loaded, kept_days, load_tables
from analytics.imported.rows import NOT_UTF8, ImportFileError, first_bad_line, unquote
from analytics.imported.tables import parse_file_name
from analytics.topology import Layout

__all__ = [
    "EVENTS",
    "SITE",
    "LanternLoaded",
    "drop_staging",
    "is_lantern_export",
    "load_lantern",
    "staged_imports",
]

EVENTS, SITE, DROPPED, VISITS = "events.csv", "site.csv", "dropped_events.csv", "visits.csv"
STAGING = "events_import_"
BATCH = 20_000
_STAGING_ORDER = "(site_id, timestamp)"
_READ_SHARE = 0.8  # of the progress: reading the files; the rest is the move and the visits


@dataclasses.dataclass(frozen=True)
class LanternLoaded:
    events_added: int  # moved into the site's events
    events_present: int  # in the file, and already the site's (the same event id): left out
    dropped_added: int  # (day, reason) counts added
    history: Loaded  # the source's imported history (Plausible's tables), if it had one
    site: dict[str, str]  # the source site's settings, as site.csv holds them


def is_lantern_export(path: Path) -> bool:
    """Whether the zip at ``path`` is Lantern's full export (its files name it; a file that is not a
    zip is not one)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {info.filename for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError):
        return False
    return EVENTS in names or SITE in names


def staging_name(import_id: int) -> str:
    return f"{STAGING}{int(import_id)}"


def staged_imports() -> list[int]:
    """The import ids whose staging tables exist (a run that stopped before its end leaves one)."""
    sql = "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, {p:String})"
    names = [str(row[0]) for row in client.execute(sql, {"p": STAGING}, tag="import", max_rows=0).rows]
    return [int(name[len(STAGING) :]) for name in names if name[len(STAGING) :].isdigit()]


def drop_staging(import_id: int) -> None:
    for statement in Layout.from_env().drop(staging_name(import_id)):
        client.command(statement)


def load_lantern(
    path: Path,
    site_id: int,
    import_id: int,
    tz: str,
    chosen: tuple[dt.date, dt.date] | None = None,
    first_native: dt.date | None = None,
    progress: Callable[[float], None] = lambda fraction: None,
) -> LanternLoaded:
    """Load the export at ``path`` into ``site_id`` (whose timezone is ``tz``; ``first_native``: the
    local day of its first event before this import). ``chosen``: only events of these local days,
    and history within them."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = _members(archive)
            site = _site_row(archive, members[SITE])
            _stage_events(archive, members[EVENTS], site_id, import_id, progress)
            dropped = _dropped(archive, members[DROPPED]) if DROPPED in members else []
            history_files = [value for value in members.values() if isinstance(value, tuple)]
            window = _span(import_id, tz, chosen)
            earliest = min((d for d in (first_native, window[0] if window else None) if d), default=None)
            keep = kept_days(earliest, chosen)
            history = load_tables(archive, history_files, site_id, import_id, keep, quoted=True)
    except zipfile.BadZipFile as exc:
        _undo(site_id, import_id)
        raise ImportFileError(path.name, f"not a zip file ({exc})") from None
    except BaseException:
        _undo(site_id, import_id)
        raise
    progress(_READ_SHARE)
    try:
        dropped_added = _add_dropped(site_id, import_id, dropped, chosen)
        added, present = _move(site_id, import_id, tz, chosen)
    except BaseException:
        _undo(site_id, import_id)  # events moved stay: importing the file again completes the move
        raise
    progress(1.0)
    return LanternLoaded(added, present, dropped_added, history, site)


def _undo(site_id: int, import_id: int) -> None:
    drop_staging(import_id)
    store.drop(site_id, [import_id])


Members = dict[str, Any]


def _members(archive: zipfile.ZipFile) -> Members:
    """The export's files by name: events.csv and site.csv (required), dropped_events.csv, visits.csv,
    and the ``imported_*.csv`` files (with their tables); anything else is an ImportFileError."""
    found: Members = {}
    for info in archive.infolist():
        if info.is_dir() or info.filename.startswith("__MACOSX/"):
            continue
        name = info.filename
        parsed = parse_file_name(name)
        if name in (EVENTS, SITE, DROPPED, VISITS):
            found[name] = info
        elif parsed is not None:
            found[name] = (info, parsed[0])
        else:
            raise ImportFileError(name, "not a file of Lantern's full export")
    for required in (EVENTS, SITE):
        if required not in found:
            raise ImportFileError("the zip", f"has no {required} (it is not Lantern's full export)")
    return found


Row = tuple[int, list[str], int]  # line, cells, bytes of the member read so far


def _rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[Row]:
    """The member's CSV rows, the header first, with their line numbers (a blank line is skipped).
    Text that is not UTF-8 or not CSV is an ImportFileError naming the line."""
    with archive.open(info) as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""), strict=True)
        line = 1
        try:
            for cells in reader:
                line = reader.line_num
                if cells:
                    yield line, cells, raw.tell()
        except csv.Error as exc:
            raise ImportFileError(info.filename, f"not CSV ({exc})", reader.line_num or line) from None
        except UnicodeDecodeError:
            with archive.open(info) as again:
                raise ImportFileError(info.filename, NOT_UTF8, first_bad_line(again)) from None


def _with_header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[list[str], Iterator[Row]]:
    rows = _rows(archive, info)
    first = next(rows, None)
    if first is None or first[0] != 1:
        raise ImportFileError(info.filename, "the file is empty (it needs at least its header line)")
    return first[1], rows


def _site_row(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, str]:
    header, rows = _with_header(archive, info)
    names = [unquote(name.strip().lstrip("\ufeff")) for name in header]
    if "domain" not in names:
        raise ImportFileError(info.filename, "the header lacks the column 'domain'", 1)
    found = next(rows, None)
    if found is None:
        raise ImportFileError(info.filename, "no row (the export names its site there)")
    line, cells, _ = found
    if len(cells) != len(names):
        raise ImportFileError(info.filename, f"{len(cells)} cells where the header has {len(names)}", line)
    return {name: unquote(cell) for name, cell in zip(names, cells, strict=True)}


def _stage_events(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    site_id: int,
    import_id: int,
    progress: Callable[[float], None],
) -> int:
    """Read events.csv into the import's staging table (made afresh); how many events."""
    staging = staging_name(import_id)
    layout = Layout.from_env()
    for statement in [*layout.drop(staging), *layout.create_like(staging, "events", _STAGING_ORDER)]:
        client.command(statement)
    header, rows = _with_header(archive, info)
    reader = EventReader(info.filename, header)
    total, size = 0, max(info.file_size, 1)
    batch: list[bytes] = []
    for line, cells, read in rows:
        batch.append(orjson.dumps(reader.row(site_id, line, cells)))
        if len(batch) >= BATCH:
            total += _insert(staging, import_id, total, batch)
            batch = []
            progress(_READ_SHARE * min(read / size, 1.0))
    total += _insert(staging, import_id, total, batch)
    return total


def _insert(staging: str, import_id: int, done: int, lines: list[bytes]) -> int:
    if lines:
        client.insert_rows(staging, STAGED_COLUMNS, lines, token=f"lantern-import:{import_id}:{done}")
    return len(lines)


def _dropped(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> list[tuple[str, str, int]]:
    """dropped_events.csv's rows (a site's days times a dozen reasons at most: small)."""
    header, rows = _with_header(archive, info)
    reader = DroppedReader(info.filename, header)
    return [reader.row(line, cells) for line, cells, _ in rows]


def _range(tz: str, chosen: tuple[dt.date, dt.date] | None) -> tuple[str, dict[str, Any]]:
    """The staged events a move takes: all, or those of the chosen local days."""
    if chosen is None:
        return "1", {}
    where = "toDate(timestamp, {tz:String}) BETWEEN {first:Date} AND {last:Date}"
    return where, {"tz": tz, "first": chosen[0], "last": chosen[1]}


def _span(import_id: int, tz: str, chosen: tuple[dt.date, dt.date] | None) -> tuple[dt.date, dt.date] | None:
    """The first and last local day of the staged events the move takes, or None."""
    where, params = _range(tz, chosen)
    sql = (
        f"SELECT toDate(min(timestamp), {{tz:String}}), toDate(max(timestamp), {{tz:String}}), count()"  # noqa: S608
        f" FROM {staging_name(import_id)} WHERE {where}"
    )
    first, last, count = client.execute(sql, {**params, "tz": tz}, tag="import").rows[0]
    return (first, last) if count else None


def _move(site_id: int, import_id: int, tz: str, chosen: tuple[dt.date, dt.date] | None) -> tuple[int, int]:
    """Move the staged events the site lacks into ``events``, re-derive the visits of the days the
    staged events span (again, when the site held them all: a move that stopped before its visits is
    completed so) and drop the staging table; (events added, events the site held already)."""
    staging = staging_name(import_id)
    where, params = _range(tz, chosen)
    sql = f"SELECT min(timestamp), max(timestamp), count() FROM {staging} WHERE {where}"  # noqa: S608
    low, high, taken = client.execute(sql, params, tag="import").rows[0]
    added = 0
    if taken:
        params = {**params, "site": site_id, "low": low, "high": high}
        new = (
            f"{where} AND event_id GLOBAL NOT IN (SELECT event_id FROM events"  # noqa: S608 - constant SQL
            " WHERE site_id = {site:UInt64}"
            " AND timestamp BETWEEN {low:DateTime64(3, 'UTC')} AND {high:DateTime64(3, 'UTC')})"
        )
        counted = f"SELECT count() FROM {staging} WHERE {new}"  # noqa: S608 - a staging name
        added = int(client.execute(counted, params, tag="import", timeout_s=600).rows[0][0])
        if added:
            with client.events_written():  # embedded mode: no read sees the events before their visits
                client.command(f"INSERT INTO events SELECT * FROM {staging} WHERE {new}", params)  # noqa: S608
        rederive.rederive(site_id, low.date(), high.date())
    drop_staging(import_id)
    return added, int(taken) - added


def _add_dropped(
    site_id: int, import_id: int, rows: list[tuple[str, str, int]], chosen: tuple[dt.date, dt.date] | None
) -> int:
    """Add the drop counts of the (day, reason) pairs the site has none for; how many."""
    held = client.execute(
        "SELECT DISTINCT toString(day), reason FROM dropped_events WHERE site_id = {site:UInt64}",
        {"site": site_id},
        tag="import",
        max_rows=0,
    ).rows
    have = {(str(day), str(reason)) for day, reason in held}
    low, high = (chosen[0].isoformat(), chosen[1].isoformat()) if chosen else ("", "9999")
    lines = [
        orjson.dumps({"site_id": site_id, "day": day, "reason": reason, "count": count})
        for day, reason, count in rows
        if (day, reason) not in have and low <= day <= high and count
    ]
    if lines:
        client.insert_json_lines("dropped_events", lines, token=f"lantern-import:{import_id}:dropped")
    return len(lines)

"""Load a zip of Plausible's CSV export into the imported tables under one import id, all or nothing.

    >>> keep = kept_days(first_native=dt.date(2024, 5, 1), chosen=None)
    >>> keep(dt.date(2024, 4, 30)), keep(dt.date(2024, 5, 1))
    (True, False)
    >>> load_plausible(Path("export.zip"), site_id=1, import_id=7, keep=keep)  # doctest: +SKIP
    Loaded(rows={'imported_visitors': 731, ...}, first=datetime.date(2022, 5, 1), last=...)

Each member is read as a stream (``zipfile`` decompresses as it goes) and inserted in batches, so a
file of any size loads in bounded memory. The first bad cell, or a zip without the files an import
needs, raises ``ImportFileError`` (naming the file, line and column) after the rows this import had
loaded are deleted again: the import id's rows are read only once the caller makes it the site's
active import, so a failed load leaves nothing half-way, and a retry loads under a new id.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from analytics.imported import store
from analytics.imported.channels import channel
from analytics.imported.places import CityNames, region_name
from analytics.imported.rows import NOT_UTF8, ImportFileError, first_bad_line, read_batches
from analytics.imported.tables import DERIVED, TABLES, parse_file_name

_Batch = tuple[tuple[str, ...], list[list[Any]]]

__all__ = ["REQUIRED", "Loaded", "kept_days", "load_plausible", "load_tables", "plausible_files"]

REQUIRED = "imported_visitors"  # the top stats and the chart: an export without it is not one


@dataclasses.dataclass(frozen=True)
class Loaded:
    rows: dict[str, int]  # rows loaded per table (days kept only)
    first: dt.date | None  # the first and last day loaded into imported_visitors
    last: dt.date | None


def kept_days(
    first_native: dt.date | None, chosen: tuple[dt.date, dt.date] | None
) -> Callable[[dt.date], bool]:
    """Which days an import takes: those before the site's first native event (all, while it has
    none), and within the owner's ``chosen`` range when there is one."""
    low, high = chosen if chosen else (dt.date.min, dt.date.max)
    if first_native is not None:
        high = min(high, first_native - dt.timedelta(days=1))
    return lambda day: low <= day <= high


def plausible_files(archive: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, str]]:
    """The export's CSV files with their tables, in the zip's order; an unexpected file, or an export
    without ``imported_visitors``, is an ImportFileError."""
    found = []
    for info in archive.infolist():
        if info.is_dir() or info.filename.startswith("__MACOSX/"):
            continue
        parsed = parse_file_name(info.filename)
        if parsed is None:
            raise ImportFileError(
                info.filename,
                "not a file of Plausible's CSV export (imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv)",
            )
        found.append((info, parsed[0]))
    if not any(table == REQUIRED for _, table in found):
        raise ImportFileError("the zip", f"has no {REQUIRED}_<YYYYMMDD>_<YYYYMMDD>.csv file")
    return found


def _with_channel(columns: Sequence[str], rows: list[list[Any]]) -> list[list[Any]]:
    """imported_sources rows with their channel (after their other columns)."""
    at = [columns.index(name) for name in ("source", "referrer", "utm_source", "utm_medium")]
    for row in rows:
        row.append(
            channel(source=row[at[0]], referrer=row[at[1]], utm_source=row[at[2]], utm_medium=row[at[3]])
        )
    return rows


def _with_names(columns: Sequence[str], rows: list[list[Any]], cities: CityNames) -> list[list[Any]]:
    """imported_locations rows with their region's and city's names (after their other columns)."""
    region, city = columns.index("region"), columns.index("city")
    for row in rows:
        row += (region_name(row[region]), cities.name(row[city]))
    return rows


def _derived(name: str, columns: Sequence[str], rows: list[list[Any]], cities: CityNames) -> list[list[Any]]:
    """Rows of the table ``name`` with its ``DERIVED`` columns added."""
    if name == "imported_locations":
        return _with_names(columns, rows, cities)
    return _with_channel(columns, rows)


def _utf8_named(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, batches: Iterator[_Batch]
) -> Iterator[_Batch]:
    """``batches``, with a text that is not UTF-8 named by its line (the file is read again to find
    it: the decoder works a chunk at a time)."""
    try:
        yield from batches
    except ImportFileError as exc:
        if exc.message != NOT_UTF8 or exc.line:
            raise
        with archive.open(info) as again:
            raise ImportFileError(info.filename, NOT_UTF8, first_bad_line(again)) from None


def load_plausible(
    path: Path,
    site_id: int,
    import_id: int,
    keep: Callable[[dt.date], bool],
    progress: Callable[[float], None] = lambda fraction: None,
) -> Loaded:
    """Load every file of the export at ``path``; ``progress`` hears the fraction read so far."""
    try:
        with zipfile.ZipFile(path) as archive:
            return load_tables(archive, plausible_files(archive), site_id, import_id, keep, progress)
    except zipfile.BadZipFile as exc:
        store.drop(site_id, [import_id])
        raise ImportFileError(path.name, f"not a zip file ({exc})") from None


def load_tables(
    archive: zipfile.ZipFile,
    files: Sequence[tuple[zipfile.ZipInfo, str]],
    site_id: int,
    import_id: int,
    keep: Callable[[dt.date], bool],
    progress: Callable[[float], None] = lambda fraction: None,
    *,
    quoted: bool = False,
) -> Loaded:
    """Load ``files`` (members of ``archive`` with their tables) under the import id, all or nothing;
    ``quoted``: they are Lantern's own files (its full export's formula guard comes off)."""
    counts = dict.fromkeys(TABLES, 0)
    cities = CityNames()  # read at the first city, let go with the load
    try:
        total = max(sum(info.file_size for info, _ in files), 1)
        done = 0
        for info, name in files:
            table = TABLES[name]
            with archive.open(info) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                read = read_batches(info.filename, table, text, keep, quoted=quoted)
                for number, (columns, rows) in enumerate(_utf8_named(archive, info, read)):
                    if name in DERIVED:
                        rows, columns = _derived(name, columns, rows, cities), (*columns, *DERIVED[name])
                    token = f"import:{site_id}:{import_id}:{info.filename}:{number}"
                    store.insert(site_id, import_id, name, columns, rows, token=token)
                    counts[name] += len(rows)
                    progress((done + raw.tell()) / total)
            done += info.file_size
        progress(1.0)
    except BaseException:
        store.drop(site_id, [import_id])
        raise
    span = store.span(site_id, import_id)
    return Loaded(counts, *(span or (None, None)))

"""One CSV file of an export, read as a stream into typed rows (pure: text in, values out).

    >>> from analytics.imported.tables import TABLES
    >>> header = "date,device,visitors,visits,visit_duration,bounces,pageviews"
    >>> lines = [header, "2021-03-01,Mobile,3,4,50,1,9"]
    >>> batches = read_batches("devices.csv", TABLES["imported_devices"], lines, keep=lambda day: True)
    >>> columns, rows = next(batches)
    >>> columns[:3], rows
    (('date', 'device', 'visitors'), [['2021-03-01', 'Mobile', 3, 4, 50, 1, 9]])

Rows come out with the names of their columns, the day as ISO text; a day ``keep`` refuses is
skipped. The first bad cell stops the read with an ``ImportFileError`` naming the file,
the line (1 is the header) and the column, so nothing half-read is ever loaded by mistake.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import operator
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from typing import Any

from analytics.imported.tables import Table

__all__ = ["BATCH", "MAX_TEXT", "NOT_UTF8", "ImportFileError", "first_bad_line", "read_batches", "unquote"]

BATCH = 50_000
MAX_TEXT = 10_000  # characters in a text cell (a page, a referrer): more is not an export's
_LIMITS = {"UInt64": 2**64 - 1, "UInt32": 2**32 - 1}
NOT_UTF8 = "not UTF-8 text"
_SMALL = _LIMITS["UInt32"]  # a row whose counts are all at most this needs no check column by column


def unquote(cell: str) -> str:
    """A cell of Lantern's full export as the value it was: one leading ``'`` (the formula guard,
    ``panel.exports.csv.exact_cell``) taken off."""
    return cell[1:] if cell.startswith("'") else cell


class ImportFileError(ValueError):
    """A file of the export that cannot be imported as it is, with where: file, line and column."""

    def __init__(self, file: str, message: str, line: int = 0, column: str = "") -> None:
        where = file + (f", line {line}" if line else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message


def _header(file: str, table: Table, names: list[str]) -> dict[str, int]:
    """Where each column of the table is in a row; an optional column the file lacks is left out (it
    loads as 0)."""
    kinds = list(table.kinds)
    required = [name for name in kinds if name not in table.optional]
    cleaned = [name.strip().lstrip("\ufeff") for name in names]
    return column_positions(file, cleaned, kinds, required, ignored=table.ignored, table=table.name)


def column_positions(
    file: str,
    names: Sequence[str],
    known: Sequence[str],
    required: Collection[str],
    *,
    ignored: Collection[str] = (),
    table: str = "",
) -> dict[str, int]:
    """Where each of the ``known`` columns a header ``names`` (in any order) is: every name known (or
    ``ignored``) and named once, every ``required`` one there; else an error naming the header's cell."""
    of = f" for {table}" if table else ""
    for index, name in enumerate(names):
        if name not in known and name not in ignored:
            raise ImportFileError(file, f"unknown column {name!r}{of}", 1, f"{index + 1} ({name})")
        if names.index(name) != index:
            raise ImportFileError(file, f"column {name!r} is named twice", 1, f"{index + 1} ({name})")
    for name in known:
        if name in required and name not in names:
            raise ImportFileError(
                file, f"the header lacks the column {name!r}{f' ({table})' if table else ''}", 1
            )
    return {name: names.index(name) for name in known if name in names}


def _picker(positions: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """A row's cells at ``positions``, as a tuple (``itemgetter`` gives a bare cell for one)."""
    if len(positions) == 1:
        only = positions[0]
        return lambda row: (row[only],)
    if not positions:
        return lambda row: ()
    return operator.itemgetter(*positions)


@dataclasses.dataclass(frozen=True)
class _Layout:
    """Which cells of a row are the date, the text columns and the counts (with their names)."""

    date: int
    texts: list[tuple[int, str]]
    numbers: list[tuple[int, str, str]]  # position, name, kind

    @property
    def columns(self) -> tuple[str, ...]:
        return ("date", *(n for _, n in self.texts), *(n for _, n, _ in self.numbers))


def _layout(file: str, table: Table, header: list[str]) -> _Layout:
    found = _header(file, table, header)
    kinds = table.kinds
    texts = [(at, name) for name, at in found.items() if kinds[name] == "String"]
    numbers = [(at, name, kinds[name]) for name, at in found.items() if kinds[name] in _LIMITS]
    return _Layout(found["date"], texts, numbers)


def _checked(file: str, line: int, layout: _Layout, row: list[str]) -> list[Any]:
    """The slow path of one row: every cell checked alone, so the first bad one is named."""
    values: list[Any] = []
    for at, name in layout.texts:
        if len(row[at]) > MAX_TEXT:
            raise ImportFileError(file, f"longer than {MAX_TEXT} characters", line, f"{at + 1} ({name})")
        values.append(row[at])
    for at, name, kind in layout.numbers:
        cell, limit = row[at], _LIMITS[kind]
        if not (cell.isdigit() and cell.isascii()) or int(cell) > limit:
            raise ImportFileError(
                file,
                f"{cell[:40]!r} is not a whole number from 0 to {limit} ({kind})",
                line,
                f"{at + 1} ({name})",
            )
        values.append(int(cell))
    return values


def _whole(words: tuple[str, ...], counts: tuple[str, ...]) -> list[Any] | None:
    """The fast path of one row: its values when every count is digits fitting any count column and
    the texts are short enough together, else None (then ``_checked`` finds what is wrong, if any)."""
    joined = "".join(counts)
    if not (joined.isdigit() and joined.isascii() and all(counts)) and counts:
        return None
    if len("".join(words)) > MAX_TEXT:
        return None
    values = [*map(int, counts)]
    if values and max(values) > _SMALL:
        return None
    return [*words, *values]


def read_batches(
    file: str,
    table: Table,
    lines: Iterable[str],
    keep: Callable[[dt.date], bool],
    batch: int = BATCH,
    *,
    quoted: bool = False,
) -> Iterator[tuple[tuple[str, ...], list[list[Any]]]]:
    """The file's kept rows, ``batch`` at a time, with the columns they hold (the date, then the text
    columns, then the counts: an optional column the file lacks is not among them); ``lines`` is the
    file's text. A row whose counts are all digits and fit any count column, and whose texts are
    short enough together, is taken whole; any other is checked cell by cell. ``quoted``: the file is
    Lantern's own (its full export), whose text cells carry the formula guard (``unquote``)."""
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(file, "the file is empty (it needs at least its header line)") from None
    except csv.Error as exc:
        raise ImportFileError(file, f"not CSV ({exc})", 1) from None
    except UnicodeDecodeError:
        raise ImportFileError(file, NOT_UTF8) from None
    layout = _layout(file, table, header)
    columns = layout.columns
    texts = _picker([at for at, _ in layout.texts])
    numbers = _picker([at for at, _, _ in layout.numbers])
    date_at, width, fromiso = layout.date, len(header), dt.date.fromisoformat
    quoted_texts = range(1, len(layout.texts) + 1) if quoted else range(0)
    out: list[list[Any]] = []
    line = 1
    try:
        for row in reader:
            line = reader.line_num
            if len(row) != width:
                if not row:
                    continue  # a blank line (the last one, say)
                raise ImportFileError(file, f"{len(row)} cells where the header has {width}", line)
            text = row[date_at]
            try:
                if len(text) != 10:  # fromisoformat also takes 20210301
                    raise ValueError(text)
                day = fromiso(text)
            except ValueError:
                raise ImportFileError(
                    file, f"{text[:40]!r} is not a date (YYYY-MM-DD)", line, f"{date_at + 1} (date)"
                ) from None
            if not keep(day):
                continue
            values = _whole(texts(row), numbers(row))
            out.append([text, *(_checked(file, line, layout, row) if values is None else values)])
            for at in quoted_texts:
                out[-1][at] = unquote(out[-1][at])
            if len(out) >= batch:
                yield columns, out
                out = []
    except csv.Error as exc:
        raise ImportFileError(file, f"not CSV ({exc})", reader.line_num or line) from None
    except UnicodeDecodeError:
        raise ImportFileError(file, NOT_UTF8) from None
    if out:
        yield columns, out


def first_bad_line(lines: Iterable[bytes]) -> int:
    """The number of the first line that is not UTF-8 (0: none is)."""
    for number, raw in enumerate(lines, 1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return 0

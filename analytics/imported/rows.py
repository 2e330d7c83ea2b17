"""One CSV file of an export, read as a stream into typed rows (pure: text in, values out).

    >>> from analytics.imported.tables import TABLES
    >>> header = "date,device,visitors,visits,visit_duration,bounces,pageviews"
    >>> lines = [header, "2021-03-01,Mobile,3,4,50,1,9"]
    >>> batches = read_batches("devices.csv", TABLES["imported_devices"], lines, keep=lambda day: True)
    >>> next(batches)
    [['2021-03-01', 'Mobile', 3, 4, 50, 1, 9]]

Rows come out in ``Table.stored`` order (derived columns aside), the day as ISO text; a day ``keep``
refuses is skipped. The first bad cell stops the read with an ``ImportFileError`` naming the file,
the line (1 is the header) and the column, so nothing half-read is ever loaded by mistake.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from analytics.imported.tables import Table

__all__ = ["BATCH", "MAX_TEXT", "ImportFileError", "decoded", "read_batches"]

BATCH = 50_000
MAX_TEXT = 10_000  # characters in a text cell (a page, a referrer): more is not an export's
_LIMITS = {"UInt64": 2**64 - 1, "UInt32": 2**32 - 1}


class ImportFileError(ValueError):
    """A file of the export that cannot be imported as it is, with where: file, line and column."""

    def __init__(self, file: str, message: str, line: int = 0, column: str = "") -> None:
        where = file + (f", line {line}" if line else "") + (f", column {column}" if column else "")
        super().__init__(f"{where}: {message}")
        self.file, self.line, self.column, self.message = file, line, column, message


def decoded(file: str, lines: Iterable[bytes]) -> Iterator[str]:
    """A binary file's lines as text; a line that is not UTF-8 is an error naming it."""
    for number, line in enumerate(lines, 1):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(file, "not UTF-8 text", number) from None


def _header(file: str, table: Table, names: list[str]) -> list[int | None]:
    """Where each stored column is in a row (None: an optional column the file lacks)."""
    names = [name.strip().lstrip("\ufeff") for name in names]
    kinds = table.kinds
    for index, name in enumerate(names):
        if name not in kinds and name not in table.ignored:
            raise ImportFileError(
                file, f"unknown column {name!r} for {table.name}", 1, f"{index + 1} ({name})"
            )
        if names.index(name) != index:
            raise ImportFileError(file, f"column {name!r} is named twice", 1, f"{index + 1} ({name})")
    positions: list[int | None] = []
    for name in kinds:
        if name in names:
            positions.append(names.index(name))
        elif name in table.optional:
            positions.append(None)
        else:
            raise ImportFileError(file, f"the header lacks the column {name!r} ({table.name})", 1)
    return positions


def read_batches(
    file: str,
    table: Table,
    lines: Iterable[str],
    keep: Callable[[dt.date], bool],
    batch: int = BATCH,
) -> Iterator[list[list[Any]]]:
    """The file's kept rows, ``batch`` at a time; ``lines`` is the file's text, a line at a time."""
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(file, "the file is empty (it needs at least its header line)") from None
    except csv.Error as exc:
        raise ImportFileError(file, f"not CSV ({exc})", 1) from None
    except UnicodeDecodeError:
        raise ImportFileError(file, "not UTF-8 text", 1) from None
    positions = _header(file, table, header)
    names = list(table.kinds)
    kinds = list(table.kinds.values())
    plan = [(at, kinds[i], _LIMITS.get(kinds[i], 0), names[i]) for i, at in enumerate(positions)][1:]
    date_at = positions[0]
    assert date_at is not None
    width = len(header)
    out: list[list[Any]] = []
    fromiso = dt.date.fromisoformat
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
            values: list[Any] = [text]
            for at, kind, limit, name in plan:
                if at is None:
                    values.append(0)
                    continue
                cell = row[at]
                if limit:
                    if not (cell.isdigit() and cell.isascii()) or int(cell) > limit:
                        raise ImportFileError(
                            file,
                            f"{cell[:40]!r} is not a whole number from 0 to {limit} ({kind})",
                            line,
                            f"{at + 1} ({name})",
                        )
                    values.append(int(cell))
                else:
                    if len(cell) > MAX_TEXT:
                        raise ImportFileError(
                            file, f"longer than {MAX_TEXT} characters", line, f"{at + 1} ({name})"
                        )
                    values.append(cell)
            out.append(values)
            if len(out) >= batch:
                yield out
                out = []
    except csv.Error as exc:
        raise ImportFileError(file, f"not CSV ({exc})", reader.line_num or line) from None
    except UnicodeDecodeError:
        raise ImportFileError(file, "not UTF-8 text", line + 1) from None
    if out:
        yield out

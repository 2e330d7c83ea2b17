"""The files of Lantern's full export read back as typed rows (pure: text in, values out).

``events.csv`` holds every column of the ``events`` table but ``site_id``, one event a line, as the full
export writes them (``panel.reports.full_export``): times in ISO 8601, props as JSON lists, revenue as a
decimal or empty, booleans as ``True``/``False``, and every cell that begins with ``'``, ``=``, ``+``,
``-``, ``@``, a tab or a carriage return with one more ``'`` in front (``unquote`` takes it off).

    >>> reader = EventReader("events.csv", EVENT_FILE_COLUMNS)
    >>> reader.row(site_id=9, line=2, cells=["2026-01-31T09:30:00.123+00:00", "pageview"])
    Traceback (most recent call last):
    ImportFileError: events.csv, line 2: 2 cells where the header has 32
    >>> unquote("'-1"), unquote("''x"), unquote("/")
    ('-1', "'x", '/')

Each row becomes the values of ``STAGED_COLUMNS`` (``site_id`` first, then the schema's order), ready to
insert; the first bad cell raises ``ImportFileError`` naming the file, the line (1 is the header) and the
column, so nothing half-read is ever loaded by mistake.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
import decimal
import re
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from analytics.imported.rows import MAX_TEXT, ImportFileError, column_positions, unquote
from analytics.schema import EVENT_COLUMNS

__all__ = [
    "DROPPED_FILE_COLUMNS",
    "EVENT_FILE_COLUMNS",
    "STAGED_COLUMNS",
    "DroppedReader",
    "EventReader",
    "unquote",
]

STAGED_COLUMNS: tuple[str, ...] = tuple(name for name, _ in EVENT_COLUMNS)
EVENT_FILE_COLUMNS: tuple[str, ...] = tuple(name for name in STAGED_COLUMNS if name != "site_id")
DROPPED_FILE_COLUMNS = ("day", "reason", "count")
_KINDS = dict(EVENT_COLUMNS)
_EARLIEST, _LATEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime(2299, 12, 31, tzinfo=dt.UTC)
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_REVENUE = decimal.Decimal(10) ** 12
_BOOLEANS = {"True": True, "False": False, "true": True, "false": False, "1": True, "0": False}
MAX_REASON = 64


def _text(cell: str) -> str:
    value = unquote(cell)
    if len(value) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
    return value


def _whole(bits: int) -> Callable[[str], int]:
    limit = 2**bits - 1

    def parse(cell: str) -> int:
        if not (cell.isascii() and cell.isdigit()) or int(cell) > limit:
            raise ValueError(f"{cell[:40]!r} is not a whole number from 0 to {limit}")
        return int(cell)

    return parse


def _time(cell: str) -> str:
    """An ISO 8601 time (UTC when it names no offset) as the engine's UTC text, to the millisecond."""
    try:
        moment = dt.datetime.fromisoformat(cell) if len(cell) >= 19 else None
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(f"{cell[:40]!r} is not a time (ISO 8601, as 2026-01-31T09:30:00.123+00:00)")
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    if not _EARLIEST <= moment <= _LATEST:
        raise ValueError(f"{cell[:40]!r} is outside 1970 to 2299")
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000:03d}"


def _uuid(cell: str) -> str:
    try:
        return str(uuid.UUID(cell))
    except ValueError:
        raise ValueError(f"{cell[:40]!r} is not a UUID") from None


def _texts(cell: str) -> list[str]:
    try:
        value = orjson.loads(unquote(cell))
    except orjson.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{cell[:40]!r} is not a JSON list of texts")
    if any(len(item) > MAX_TEXT for item in value):
        raise ValueError(f"a text longer than {MAX_TEXT} characters")
    return value


def _amount(cell: str) -> str | None:
    if cell == "":
        return None
    try:
        amount = decimal.Decimal(unquote(cell))
    except decimal.InvalidOperation:
        amount = None
    exponent = amount.as_tuple().exponent if amount is not None else "n"
    if amount is None or not isinstance(exponent, int) or exponent < -6 or abs(amount) >= _MAX_REVENUE:
        raise ValueError(f"{cell[:40]!r} is not an amount (a decimal with at most 6 places, under 10^12)")
    return f"{amount:f}"


def _currency(cell: str) -> str:
    if cell and not _CURRENCY.match(cell):
        raise ValueError(f"{cell[:40]!r} is not a currency code (three capital letters, or empty)")
    return cell


def _boolean(cell: str) -> bool:
    if cell not in _BOOLEANS:
        raise ValueError(f"{cell[:40]!r} is neither True nor False")
    return _BOOLEANS[cell]


_BY_KIND: dict[str, Callable[[str], Any]] = {
    "UInt64": _whole(64),
    "UInt32": _whole(32),
    "UInt8": _whole(8),
    "DateTime64(3, 'UTC')": _time,
    "UUID": _uuid,
    "String": _text,
    "LowCardinality(String)": _text,
    "Array(String)": _texts,
    "Nullable(Decimal(18, 6))": _amount,
    "Bool": _boolean,
}
_BY_NAME: dict[str, Callable[[str], Any]] = {"revenue_currency": _currency}


def _positions(file: str, header: Sequence[str], expected: Sequence[str]) -> list[int]:
    """Where each expected column is in the file's rows (any order; each named once, nothing else)."""
    names = [unquote(name.strip().lstrip("\ufeff")) for name in header]
    found = column_positions(file, names, expected, expected)
    return [found[name] for name in expected]


@dataclasses.dataclass(frozen=True)
class _Cell:
    at: int  # where in the file's row
    name: str
    parse: Callable[[str], Any]


class _Reader(abc.ABC):
    """Reads one file's rows into the values of ``columns``, checking the count of cells a row; each
    kind of file says how its columns parse (``parser``)."""

    def __init__(self, file: str, header: Sequence[str], columns: Sequence[str]) -> None:
        self.file, self.width = file, len(header)
        at = _positions(file, header, columns)
        self.cells = [_Cell(at[i], name, self.parser(name)) for i, name in enumerate(columns)]

    @abc.abstractmethod
    def parser(self, name: str) -> Callable[[str], Any]:
        """How the cells of column ``name`` parse."""

    def values(self, line: int, row: Sequence[str]) -> list[Any]:
        if len(row) != self.width:
            raise ImportFileError(self.file, f"{len(row)} cells where the header has {self.width}", line)
        out = []
        for cell in self.cells:
            try:
                out.append(cell.parse(row[cell.at]))
            except ValueError as exc:
                raise ImportFileError(self.file, str(exc), line, f"{cell.at + 1} ({cell.name})") from None
        return out

    def where(self, name: str) -> str:
        return next(f"{c.at + 1} ({c.name})" for c in self.cells if c.name == name)


class EventReader(_Reader):
    """``events.csv``: each row as the values of ``STAGED_COLUMNS`` under ``site_id``."""

    def __init__(self, file: str, header: Sequence[str]) -> None:
        super().__init__(file, header, EVENT_FILE_COLUMNS)
        self._keys = EVENT_FILE_COLUMNS.index("prop_keys")
        self._values = EVENT_FILE_COLUMNS.index("prop_values")
        self._amount = EVENT_FILE_COLUMNS.index("revenue_amount")
        self._currency = EVENT_FILE_COLUMNS.index("revenue_currency")

    def parser(self, name: str) -> Callable[[str], Any]:
        return _BY_NAME.get(name) or _BY_KIND[_KINDS[name]]

    def row(self, site_id: int, line: int, cells: Sequence[str]) -> list[Any]:
        values = self.values(line, cells)
        keys, props = values[self._keys], values[self._values]
        if len(keys) != len(props):
            message = f"{len(props)} values for {len(keys)} keys (prop_keys)"
            raise ImportFileError(self.file, message, line, self.where("prop_values"))
        if values[self._amount] is not None and not values[self._currency]:
            message = "an amount without its currency"
            raise ImportFileError(self.file, message, line, self.where("revenue_currency"))
        return [site_id, *values]


def _day(cell: str) -> str:
    try:
        if len(cell) != 10:
            raise ValueError(cell)
        return dt.date.fromisoformat(cell).isoformat()
    except ValueError:
        raise ValueError(f"{cell[:40]!r} is not a date (YYYY-MM-DD)") from None


def _reason(cell: str) -> str:
    if not cell or len(cell) > MAX_REASON or not cell.isascii():
        raise ValueError(f"{cell[:40]!r} is not a reason (a word of at most {MAX_REASON} characters)")
    return cell


class DroppedReader(_Reader):
    """``dropped_events.csv``: each row as (day, reason, count)."""

    def __init__(self, file: str, header: Sequence[str]) -> None:
        super().__init__(file, header, DROPPED_FILE_COLUMNS)

    def parser(self, name: str) -> Callable[[str], Any]:
        return {"day": _day, "reason": _reason, "count": _whole(64)}[name]

    def row(self, line: int, cells: Sequence[str]) -> tuple[str, str, int]:
        day, reason, count = self.values(line, cells)
        return day, reason, count

"""The one module that imports clickhouse-connect: the process's clients and the one ``execute()``.

The DSN comes from ``CLICKHOUSE_URL`` (``chdb:///dir`` runs the engine in-process, ``http://…`` talks
to a server). Every query goes through ``execute``, which adds a time limit, a row cap and a tag;
values are always bound parameters (``{name:Type}`` placeholders), never formatted into the SQL.
Each query, command and insert is timed into ``analytics.metrics`` (query and insert histograms).

An insert into ``events`` also writes the ``visits`` table (its materialized view), as two parts that
become visible one after the other. In embedded mode reads and such inserts exclude each other
(``events_written``: many reads at once, or one insert), so no read sees an event without its visit.
With a ClickHouse server the flusher is another process: a read can fall between the two parts of an
insert, a window of one part's write (milliseconds), not a batch's or a flush interval's.

    >>> rows = execute("SELECT {n:UInt8} + 1 AS x", {"n": 1}).rows  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from analytics.config import clickhouse_url, is_embedded_clickhouse, is_overridden
from analytics.metrics import CLICKHOUSE_INSERT_SECONDS, CLICKHOUSE_QUERY_SECONDS, tag_label, timed
from analytics.topology import Layout

__all__ = [
    "ClickHouseError",
    "EngineBusyError",
    "Result",
    "borrow",
    "command",
    "engine_now",
    "events_written",
    "execute",
    "insert_json_lines",
    "insert_rows",
    "read_json_lines",
    "writes",
]

DEFAULT_TIMEOUT_S = 15
DEFAULT_MAX_ROWS = 100_000

_lock = threading.Lock()
_pools: dict[str, _Pool] = {}
_writes = 0  # statements this process has written with (see ``writes``)
_event_writes = 0  # of them, inserts of events


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer goes before readers that come after it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextlib.contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            self._cond.wait_for(lambda: not self._writing and not self._waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            self._cond.wait_for(lambda: not self._writing and not self._readers)
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


_events = _ReadWriteLock()


@contextlib.contextmanager
def events_written() -> Iterator[None]:
    """Hold while writing ``events`` (and so ``visits``): in embedded mode no read runs meanwhile."""
    if not is_embedded_clickhouse():
        yield
        return
    with _events.writing():
        yield


def _read() -> contextlib.AbstractContextManager[None]:
    return _events.reading() if is_embedded_clickhouse() else contextlib.nullcontext()


class EngineBusyError(RuntimeError):
    """The embedded engine's data directory is owned by another process (e.g. a running server)."""


@dataclasses.dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class _Pool:
    """The clients of one URL. An HTTP client serves every thread at once; an embedded engine's
    client runs one statement at a time (clickhouse-connect serialises calls on a chDB handle), so
    each caller borrows an idle one, and a new one opens when all are busy: statements of concurrent
    requests and the flusher then run side by side on the one engine."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shared = not is_embedded_clickhouse(url)
        self._idle: list[Client] = []
        self._all: list[Client] = []
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[Client]:
        with self._guard:
            client = self._idle.pop() if self._idle else None
            if client is None and self.shared and self._all:
                client = self._all[0]
        if client is None:
            client = _connect(self.url)
            with self._guard:
                self._all.append(client)
        try:
            yield client
        finally:
            if not self.shared:
                with self._guard:
                    self._idle.append(client)

    def close(self) -> None:
        with self._guard:
            clients, self._all, self._idle = self._all, [], []
        for client in clients:
            client.close()


def _current_pool() -> _Pool:
    """The pool of ``CLICKHOUSE_URL``, made on first use (so after any fork). When the environment
    names another store the old pools are closed; a store named in an ``overridden`` block (another
    installation's) gets a pool beside the process's own."""
    url = clickhouse_url()
    with _lock:
        pool = _pools.get(url)
        if pool is None:
            if not is_overridden():
                _close_all()
            pool = _pools[url] = _Pool(url)
        return pool


def _close_all() -> None:
    for pool in _pools.values():
        pool.close()
    _pools.clear()


def borrow() -> contextlib.AbstractContextManager[Client]:
    """A client of the process's pool that no other thread uses until the block ends."""
    return _current_pool().borrow()


def _connect(url: str) -> Client:
    if is_embedded_clickhouse(url):
        try:
            return clickhouse_connect.get_client(dsn=url)
        except Exception as exc:
            if "EmbeddedServer" in str(exc) or "another" in str(exc).lower():
                raise EngineBusyError(
                    f"the event store at {url} is held by another process (is `./dev serve` running?)"
                ) from exc
            raise
    return clickhouse_connect.get_client(dsn=url, autogenerate_session_id=False)


def close() -> None:
    """Close the process's clients (tests and shutdown)."""
    with _lock:
        _close_all()


def execute(
    sql: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    tag: str = "",
    timeout_s: int = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> Result:
    """Run one read query with bound ``parameters``, a time limit and a row cap."""
    settings = {
        "max_execution_time": timeout_s,
        "max_result_rows": max_rows,
        "result_overflow_mode": "throw",
        "log_comment": tag[:200],
    }
    with timed(CLICKHOUSE_QUERY_SECONDS, tag_label(tag), operation="query"), _read(), borrow() as client:
        result = client.query(sql, parameters=dict(parameters or {}), settings=settings)
    return Result(tuple(result.column_names), [tuple(row) for row in result.result_rows])


def read_json_lines(
    sql: str, parameters: Mapping[str, Any] | None = None, *, tag: str = "", timeout_s: int = 300
) -> list[bytes]:
    """Run one read query and return its rows as ``JSONEachRow`` lines, as the engine wrote them: what
    ``insert_json_lines`` takes back unchanged (copying rows between stores; no per-value Python work)."""
    settings = {"max_execution_time": timeout_s, "log_comment": tag[:200]}
    with timed(CLICKHOUSE_QUERY_SECONDS, tag_label(tag), operation="query"), _read(), borrow() as client:
        data = client.raw_query(sql, parameters=dict(parameters or {}), settings=settings, fmt="JSONEachRow")
    return data.splitlines()


def engine_now() -> dt.datetime:
    """The engine's clock, in UTC: the clock its ``now64()`` stamps rows with (materialized views), so
    code comparing with such stamps reads this, not the web process's clock (a server may differ)."""
    moment = execute("SELECT now64(6, 'UTC')", tag="clock", max_rows=1).rows[0][0]
    assert isinstance(moment, dt.datetime)
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def command(
    sql: str, parameters: Mapping[str, Any] | None = None, *, settings: Mapping[str, Any] | None = None
) -> Any:
    """Run DDL or another statement that returns no rows (migrations, deletions)."""
    try:
        with timed(CLICKHOUSE_QUERY_SECONDS, "command", operation="command"), borrow() as client:
            return client.command(sql, parameters=dict(parameters or {}), settings=dict(settings or {}))
    finally:
        _wrote()


def insert_json_lines(table: str, lines: Sequence[bytes], *, token: str) -> None:
    """Insert ``JSONEachRow`` lines as they are; ``token`` makes a retried batch a no-op (deduplication).

    ClickHouse parses the lines, so a batch costs the flusher no per-row Python work.
    """
    writing = events_written() if table == "events" else contextlib.nullcontext()
    try:
        with timed(CLICKHOUSE_INSERT_SECONDS, table, operation="insert"), writing, borrow() as client:
            client.raw_insert(
                table,
                None,
                insert_block=b"\n".join(lines),
                settings={
                    "insert_deduplication_token": token,
                    "deduplicate_blocks_in_dependent_materialized_views": 1,  # the visits, with the events
                    "input_format_json_throw_on_bad_escape_sequence": 0,
                    "date_time_input_format": "best_effort",  # RFC 3339 times with their offset
                    **Layout.from_env().insert_settings(),
                },
                fmt="JSONEachRow",
            )
    finally:
        _wrote(table)


def insert_rows(table: str, columns: Sequence[str], lines: Sequence[bytes], *, token: str) -> None:
    """Insert ``JSONCompactEachRow`` lines (one JSON array a row, values in ``columns``' order): a bulk
    load's rows cost one small array each, and ClickHouse parses and types them. ``token`` as above."""
    try:
        with borrow() as client:
            client.raw_insert(
                table,
                list(columns),
                insert_block=b"\n".join(lines),
                settings={
                    "insert_deduplication_token": token,
                    "input_format_json_throw_on_bad_escape_sequence": 0,
                },
                fmt="JSONCompactEachRow",
            )
    finally:
        _wrote(table)


def writes(*, events: bool = True) -> int:
    """How many writing statements (inserts, commands) this process has run: a reader holding
    something derived from the tables can tell whether this process has changed them since. Without
    ``events``, inserts of events are not counted: a reader that sees those by the visit days' counts
    (``day_events``, written by the same insert) keeps what it holds while events arrive."""
    return _writes if events else _writes - _event_writes


def _wrote(table: str = "") -> None:
    global _writes, _event_writes
    _writes += 1
    if table == "events":
        _event_writes += 1

"""The one module that imports clickhouse-connect: the per-process client and the one ``execute()``.

The DSN comes from ``CLICKHOUSE_URL`` (``chdb:///dir`` runs the engine in-process, ``http://…`` talks
to a server). Every query goes through ``execute``, which adds a time limit, a row cap and a tag;
values are always bound parameters (``{name:Type}`` placeholders), never formatted into the SQL.

    >>> rows = execute("SELECT {n:UInt8} + 1 AS x", {"n": 1}).rows  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import ClickHouseError

from analytics.config import clickhouse_url, is_embedded_clickhouse

__all__ = [
    "ClickHouseError",
    "EngineBusyError",
    "Result",
    "command",
    "execute",
    "get_client",
    "insert_json_lines",
]

DEFAULT_TIMEOUT_S = 15
DEFAULT_MAX_ROWS = 100_000

_lock = threading.Lock()
_client: Client | None = None
_client_url: str | None = None


class EngineBusyError(RuntimeError):
    """The embedded engine's data directory is owned by another process (e.g. a running server)."""


@dataclasses.dataclass(frozen=True)
class Result:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def get_client() -> Client:
    """The process's client, created on first use (so after any fork) from ``CLICKHOUSE_URL``."""
    global _client, _client_url
    url = clickhouse_url()
    with _lock:
        if _client is None or _client_url != url:
            if _client is not None:
                _client.close()
            _client = _connect(url)
            _client_url = url
        return _client


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
    """Drop the process's client (tests and shutdown)."""
    global _client, _client_url
    with _lock:
        if _client is not None:
            _client.close()
        _client = None
        _client_url = None


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
    result = get_client().query(sql, parameters=dict(parameters or {}), settings=settings)
    return Result(tuple(result.column_names), [tuple(row) for row in result.result_rows])


def command(
    sql: str, parameters: Mapping[str, Any] | None = None, *, settings: Mapping[str, Any] | None = None
) -> Any:
    """Run DDL or another statement that returns no rows (migrations, deletions)."""
    return get_client().command(sql, parameters=dict(parameters or {}), settings=dict(settings or {}))


def insert_json_lines(table: str, lines: Sequence[bytes], *, token: str) -> None:
    """Insert ``JSONEachRow`` lines as they are; ``token`` makes a retried batch a no-op (deduplication).

    ClickHouse parses the lines, so a batch costs the flusher no per-row Python work.
    """
    get_client().raw_insert(
        table,
        None,
        insert_block=b"\n".join(lines),
        settings={
            "insert_deduplication_token": token,
            "input_format_json_throw_on_bad_escape_sequence": 0,
            "date_time_input_format": "best_effort",  # RFC 3339 times with their offset
        },
        fmt="JSONEachRow",
    )

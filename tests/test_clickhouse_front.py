"""The HTTP front that stands in for a ClickHouse server (``tests/clickhouse_front.py``) answers
clickhouse-connect's HTTP driver as a server would: the connect probe, bound parameters, settings for one
query, sessions, deduplicated and compressed inserts, and errors with their codes.

Each test talks to the session's store (``clickhouse_server``) with a client of its own, in tables of
its own; against ``CLICKHOUSE_TEST_URL`` these run on a real server.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import clickhouse_connect
import pytest
from clickhouse_connect.driver.client import Client
from clickhouse_connect.driver.exceptions import DatabaseError


@pytest.fixture
def http(clickhouse_server: str) -> Iterator[Client]:
    connection = clickhouse_connect.get_client(dsn=clickhouse_server, autogenerate_session_id=False)
    yield connection
    connection.close()


@pytest.fixture
def table(http: Client) -> Iterator[str]:
    name = f"front_{uuid.uuid4().hex[:12]}"
    http.command(
        f"CREATE TABLE {name} (id UInt64, label String, at DateTime64(3, 'UTC')) ENGINE = MergeTree"
        " ORDER BY id SETTINGS non_replicated_deduplication_window = 100"
    )
    yield name
    http.command(f"DROP TABLE {name}")


def test_the_driver_connects_and_reads_the_engine_version(http: Client) -> None:
    answer = http.command("SELECT version(), timezone()")
    assert isinstance(answer, list)
    version, zone = answer
    assert version == http.server_version and version.split(".")[0].isdigit()
    assert zone and http.ping()


def test_values_are_bound_as_the_server_binds_them(http: Client) -> None:
    awkward = "it's a\ttab, a \\ backslash and a\nnewline"
    row = http.query(
        "SELECT {s:String} AS s, {n:UInt32} + 1 AS n, {a:Array(String)} AS a, {d:Date} AS d",
        parameters={"s": awkward, "n": 41, "a": ["x'y", ""], "d": dt.date(2026, 2, 28)},
    ).result_rows[0]
    assert row == (awkward, 42, ["x'y", ""], dt.date(2026, 2, 28))
    long = "z" * 40_000  # long enough for the driver to send the parameters as a form
    assert http.query("SELECT length({p:String})", parameters={"p": long}).result_rows == [(40_000,)]


def test_a_setting_holds_for_its_query_alone(http: Client) -> None:
    sql = "SELECT getSetting('max_execution_time'), getSetting('log_comment')"
    assert http.query(sql, settings={"max_execution_time": 7, "log_comment": "tagged"}).result_rows == [
        (7, "tagged")
    ]
    assert http.query(sql).result_rows[0][1] == ""
    with pytest.raises(DatabaseError) as refused:
        http.query("SELECT number FROM numbers(10)", settings={"max_result_rows": 3})
    assert refused.value.code == 396  # TOO_MANY_ROWS_OR_BYTES


def test_a_session_keeps_its_own_settings_between_queries(clickhouse_server: str, http: Client) -> None:
    session = clickhouse_connect.get_client(dsn=clickhouse_server, session_id=uuid.uuid4().hex)
    try:
        session.command("SET max_result_rows = 5")
        sql = "SELECT getSetting('max_result_rows')"
        assert session.query(sql, settings={"max_result_rows": 9}).result_rows == [(9,)]
        assert session.query(sql).result_rows == [(5,)]
        assert http.query(sql).result_rows == [(0,)]  # no session: none of the session's
    finally:
        session.close()


def test_an_insert_retried_with_its_token_is_stored_once(http: Client, table: str) -> None:
    lines = b'{"id": 1, "label": "a", "at": "2026-01-01T10:00:00+02:00"}\n{"id": 2, "label": "b", "at": 0}'
    for _ in range(3):
        http.raw_insert(table, None, lines, settings={"insert_deduplication_token": "t1"}, fmt="JSONEachRow")
    http.raw_insert(table, None, lines, settings={"insert_deduplication_token": "t2"}, fmt="JSONEachRow")
    assert http.query(f"SELECT count(), min(at) FROM {table}").result_rows == [(4, dt.datetime(1970, 1, 1))]
    at = http.query(f"SELECT at FROM {table} WHERE id = 1 LIMIT 1").result_rows[0][0]
    assert at == dt.datetime(2026, 1, 1, 8)  # UTC, naive (the driver's default for UTC columns)


def test_a_native_insert_compressed_by_the_driver_arrives(clickhouse_server: str, table: str) -> None:
    compressing = clickhouse_connect.get_client(dsn=clickhouse_server, compress="lz4")
    try:
        rows = [[n, f"row {n}", dt.datetime(2026, 3, 1, tzinfo=dt.UTC)] for n in range(1000)]
        compressing.insert(table, rows, column_names=["id", "label", "at"])
        assert compressing.query(f"SELECT count(), sum(id) FROM {table}").result_rows == [(1000, 499_500)]
    finally:
        compressing.close()


def test_a_mutation_waits_when_asked_to(http: Client, table: str) -> None:
    http.command(f"INSERT INTO {table} (id, label) VALUES (1, 'a'), (2, 'b')")
    http.command(
        f"ALTER TABLE {table} DELETE WHERE id = {{id:UInt64}}", {"id": 1}, settings={"mutations_sync": 2}
    )
    assert http.query(f"SELECT id FROM {table}").result_rows == [(2,)]


def test_errors_carry_the_server_code_and_text(http: Client, table: str) -> None:
    with pytest.raises(DatabaseError) as unknown:
        http.query("SELECT * FROM no_such_table_here")
    assert unknown.value.code == 60 and "UNKNOWN_TABLE" in str(unknown.value)
    with pytest.raises(DatabaseError) as unparsable:
        http.raw_insert(table, None, b'{"id": "not a number"}', fmt="JSONEachRow")
    assert unparsable.value.code in {27, 72, 6}  # a parse error: the flusher sets such records aside
    with pytest.raises(DatabaseError) as bad_setting:
        http.query("SELECT 1", settings={"no_such_setting": 1})
    assert bad_setting.value.code == 115

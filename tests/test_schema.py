"""The Python row type matches the ClickHouse table, and migrations are recorded once."""

import dataclasses

from analytics import client
from analytics.schema import EVENT_COLUMN_NAMES, EVENT_COLUMNS, Event
from clickhouse.migrate import discover, migrate, split_statements


def test_event_columns_match_describe_table(clickhouse: None) -> None:
    described = client.execute("DESCRIBE TABLE events").rows
    assert [(row[0], row[1]) for row in described] == list(EVENT_COLUMNS)


def test_the_event_record_names_its_fields_as_the_columns() -> None:
    assert tuple(field.name for field in dataclasses.fields(Event)) == EVENT_COLUMN_NAMES


def test_migrations_apply_once(clickhouse: None) -> None:
    assert migrate() == []
    versions = client.execute("SELECT version FROM lantern_migrations ORDER BY version").rows
    assert [v for (v,) in versions] == [m.version for m in discover()]


def test_statements_split_at_line_ends_only() -> None:
    sql = (
        "-- a comment; with a semicolon\nCREATE TABLE a (x String DEFAULT ';');\nCREATE TABLE b (y UInt8);\n"
    )
    assert split_statements(sql) == ("CREATE TABLE a (x String DEFAULT ';')", "CREATE TABLE b (y UInt8)")

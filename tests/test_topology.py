"""One set of migrations, rendered per ClickHouse topology: golden files, every statement parsed by the
engine, ``single`` exactly as written, the deduplication windows against the buffer's retry horizon, and
deletion and rederive's mutations on the tables that store the rows.

No ClickHouse cluster runs here (no server, no Keeper): the cluster renderings are checked by the engine's
parser (``formatQuery``) and by their shape, not applied. To refresh the golden files after changing a
migration: ``python -m clickhouse.render --golden``, then review the diff.
"""

from __future__ import annotations

import inspect
import re

import pytest

from analytics import client
from analytics.config import ConfigError
from analytics.deletion import delete_statement, site_table_columns
from analytics.topology import Layout, Topology
from clickhouse.migrate import MIGRATIONS_DIR, discover, split_statements
from clickhouse.render import (
    DEDUP_WINDOW,
    DEDUP_WINDOW_SECONDS,
    GOLDEN_DIR,
    RenderError,
    golden_files,
    ledger_ddl,
    render_all,
)
from ingest.buffer import MARKER_TTL_S, RedisStreamBuffer
from ingest.flusher import Flusher

SINGLE, REPLICATED, SHARDED = (Layout(t) for t in Topology)
CLUSTERED = (REPLICATED, SHARDED)
# The tables of sites' rows the current schema has (sharded: <name>_local plus a Distributed <name>).
SITE_TABLES = ("events", "visits", "dropped_events", "day_events", "day_sums")


def all_statements(layout: Layout) -> list[str]:
    rendered = render_all(discover(), layout)
    return [ledger_ddl(layout)] + [s for version in sorted(rendered) for s in rendered[version]]


def formatted(statement: str) -> str:
    return str(client.execute("SELECT formatQuery({q:String})", {"q": statement}, tag="t").rows[0][0])


# --- the setting -------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["single", "replicated", "sharded", "SHARDED", " replicated "])
def test_the_topology_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CLICKHOUSE_TOPOLOGY", value)
    monkeypatch.setenv("CLICKHOUSE_CLUSTER", "analytics_1")
    assert Layout.from_env() == Layout(Topology(value.strip().lower()), "analytics_1")


def test_unset_means_one_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLICKHOUSE_TOPOLOGY", raising=False)
    monkeypatch.delenv("CLICKHOUSE_CLUSTER", raising=False)
    assert Layout.from_env() == Layout(Topology.SINGLE, "lantern")


@pytest.mark.parametrize(
    ("name", "value"),
    [("CLICKHOUSE_TOPOLOGY", "cluster"), ("CLICKHOUSE_TOPOLOGY", "1"), ("CLICKHOUSE_CLUSTER", "a' b")],
)
def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        Layout.from_env()


# --- the renderings -----------------------------------------------------------------------------------


@pytest.mark.parametrize("topology", list(Topology))
def test_the_rendering_equals_the_golden_files(topology: Topology) -> None:
    expected = golden_files(Layout(topology))
    folder = GOLDEN_DIR / topology.value
    on_disk = {path.name: path.read_text() for path in folder.glob("*.sql")}
    assert sorted(on_disk) == sorted(expected), "golden files stale: python -m clickhouse.render --golden"
    for name, text in expected.items():
        assert on_disk[name] == text, f"{folder / name} differs: python -m clickhouse.render --golden"


def test_single_is_the_migrations_as_written() -> None:
    """Byte for byte the statements the runner always sent (comment lines dropped, as ever)."""
    rendered = render_all(discover(), SINGLE)
    for migration in discover():
        path = MIGRATIONS_DIR / f"{migration.name}.sql"
        assert rendered[migration.version] == split_statements(path.read_text()) == migration.statements
    assert ledger_ddl(SINGLE) == (
        "CREATE TABLE IF NOT EXISTS lantern_migrations"
        " (version UInt32, name String, applied_at DateTime DEFAULT now())"
        " ENGINE = MergeTree ORDER BY version"
    )


@pytest.mark.parametrize("layout", [SINGLE, REPLICATED, SHARDED], ids=lambda layout: layout.topology.value)
def test_every_rendered_statement_parses(clickhouse: None, layout: Layout) -> None:
    for statement in all_statements(layout):
        assert formatted(statement), statement


@pytest.mark.parametrize("layout", CLUSTERED, ids=lambda layout: layout.topology.value)
def test_cluster_ddl_runs_on_every_node_with_replicated_engines(layout: Layout) -> None:
    for statement in all_statements(layout):
        if statement.startswith(("CREATE", "ALTER", "DROP", "TRUNCATE")):
            assert " ON CLUSTER 'lantern'" in statement, statement
        if statement.startswith("CREATE TABLE"):
            engine = re.search(r"ENGINE = (\w+)\(", statement)
            assert engine and engine[1].startswith(("Replicated", "Distributed")), statement
        if "ENGINE = Replicated" in statement:
            assert "'{replica}'" in statement, statement
            assert f"replicated_deduplication_window = {DEDUP_WINDOW}," in statement, statement
            assert f"replicated_deduplication_window_seconds = {DEDUP_WINDOW_SECONDS}" in statement
        if statement.startswith("DROP TABLE"):
            assert statement.endswith(" SYNC"), statement  # Keeper forgets it before a table of that name
        assert "non_replicated_deduplication_window" not in statement


def test_tables_of_sites_rows_are_replicated_per_shard_and_the_ledger_across_the_cluster() -> None:
    statements = all_statements(REPLICATED)
    ledger = statements[0]
    assert "ReplicatedMergeTree('/clickhouse/tables/{database}/lantern_migrations', '{replica}')" in ledger
    creates = "\n".join(s for s in statements if s.startswith("CREATE TABLE IF NOT EXISTS events "))
    assert "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/events', '{replica}')" in creates


def test_sharded_tables_are_local_tables_behind_distributed_ones_by_site() -> None:
    statements = all_statements(SHARDED)
    text = "\n".join(statements)
    for table in SITE_TABLES:
        assert f"CREATE TABLE IF NOT EXISTS {table}_local ON CLUSTER 'lantern'" in text
        assert (
            f"CREATE TABLE IF NOT EXISTS {table} ON CLUSTER 'lantern' AS {table}_local\nENGINE = "
            f"Distributed('lantern', currentDatabase(), '{table}_local', cityHash64(site_id))"
        ) in text
    views = [s for s in statements if s.startswith("CREATE MATERIALIZED VIEW")]
    assert views
    for view in views:  # each shard's view reads its own events and writes its own derived rows
        target = re.search(r" TO (\w+) AS", view)
        assert target and target[1].endswith("_local"), view
        assert re.findall(r"\bFROM (\w+)", view) == ["events_local"], view


def test_sharded_changes_reach_the_tables_holding_the_rows() -> None:
    statements = all_statements(SHARDED)
    truncates = [s for s in statements if s.startswith("TRUNCATE")]
    assert truncates and all(re.match(r"TRUNCATE TABLE \w+_local ON CLUSTER", s) for s in truncates)
    settings = [s for s in statements if " MODIFY SETTING " in s]
    assert settings and all(re.match(r"ALTER TABLE \w+_local ON CLUSTER", s) for s in settings)
    added = [s for s in statements if " ADD COLUMN IF NOT EXISTS visit_id " in s]
    assert [s.split(" ON ")[0] for s in added] == ["ALTER TABLE events_local", "ALTER TABLE events"]


def test_a_statement_the_renderer_does_not_know_is_refused_by_migration() -> None:
    class Odd:
        version, name, statements = 99, "0099_odd", ("RENAME TABLE events TO events_old",)

    assert render_all([Odd()], SINGLE) == {99: ("RENAME TABLE events TO events_old",)}  # as written
    with pytest.raises(RenderError, match="0099_odd"):
        render_all([Odd()], REPLICATED)


# --- deduplication windows against the buffer's retry horizon ----------------------------------------

# Assumptions of the count window: the engine inserts ~557k rows/s (ARCHITECTURE.md, measured), so full
# batches land at most that fast; a flusher with less than a full batch pauses its interval (1 s by
# default) between inserts; up to 100 flushers at once. That is ~14,000 inserts while a batch is in doubt.
ENGINE_ROWS_PER_S = 557_000
MAX_FLUSHERS = 100


def test_the_windows_cover_the_buffers_retry_horizon() -> None:
    claim_idle_s = inspect.signature(RedisStreamBuffer).parameters["claim_idle_ms"].default / 1000
    max_backoff_s = inspect.signature(Flusher.run).parameters["max_backoff_s"].default
    batch = inspect.signature(Flusher).parameters["batch_size"].default
    # A batch in doubt is tried again within its claim time plus one backoff (while a flusher runs) ...
    in_doubt_s = claim_idle_s + max_backoff_s
    inserts_per_s = ENGINE_ROWS_PER_S / batch + MAX_FLUSHERS / 1.0  # full batches + trickles at 1 s
    assert in_doubt_s * inserts_per_s <= DEDUP_WINDOW
    # ... and while no flusher runs nothing is inserted in between, however long: the seconds window
    # must outlast the longest the buffer keeps anything in doubt.
    assert DEDUP_WINDOW_SECONDS >= MARKER_TTL_S


def test_single_keeps_its_own_deduplication_windows() -> None:
    windows = re.findall(r"non_replicated_deduplication_window = (\d+)", "\n".join(all_statements(SINGLE)))
    assert windows and {int(w) for w in windows} == {DEDUP_WINDOW}


# --- deletion and rederive per topology ---------------------------------------------------------------

WHERE = "site_id = {site:UInt64}"


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (SINGLE, "ALTER TABLE `events` DELETE WHERE site_id = {site:UInt64}"),
        (REPLICATED, "ALTER TABLE `events` ON CLUSTER 'lantern' DELETE WHERE site_id = {site:UInt64}"),
        (SHARDED, "ALTER TABLE `events_local` ON CLUSTER 'lantern' DELETE WHERE site_id = {site:UInt64}"),
    ],
    ids=["single", "replicated", "sharded"],
)
def test_deletion_mutates_the_tables_storing_the_rows(
    clickhouse: None, layout: Layout, expected: str
) -> None:
    statement = delete_statement(layout, "events", WHERE)
    assert statement == expected
    assert formatted(statement)
    assert layout.mutation_settings()["mutations_sync"] == 2  # returns once every replica is done


def test_deletion_finds_sharded_tables_by_their_local_names(clickhouse: None) -> None:
    client.command("CREATE TABLE probe_local (site_id UInt64, day Date) ENGINE = MergeTree ORDER BY site_id")
    try:
        sharded = site_table_columns(SHARDED)
        assert sharded["probe"] == {"site_id": "UInt64", "day": "Date"}
        assert "probe_local" not in sharded
        assert "probe_local" in site_table_columns(SINGLE)
    finally:
        client.command("DROP TABLE IF EXISTS probe_local")


@pytest.mark.parametrize("layout", [SINGLE, REPLICATED, SHARDED], ids=lambda layout: layout.topology.value)
def test_rederive_work_tables_parse_and_get_their_own_keeper_path(clickhouse: None, layout: Layout) -> None:
    made = layout.create_like("events_rederive_1_20260101_20260102", "events", "(site_id, timestamp)")
    dropped = layout.drop("events_rederive_1_20260101_20260102")
    for statement in made + dropped:
        assert formatted(statement)
    if layout is SINGLE:
        assert made == ["CREATE TABLE events_rederive_1_20260101_20260102 AS events"]
    else:
        assert "/clickhouse/tables/{shard}/{database}/events_rederive_1_20260101_20260102" in made[0]
        assert len(made) == len(dropped) == (2 if layout is SHARDED else 1)

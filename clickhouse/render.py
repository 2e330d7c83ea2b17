"""One set of migrations, rendered for each ClickHouse topology (``analytics.topology``).

The ``.sql`` files are written for one server; ``render`` turns each statement into what a cluster runs:

- ``single``: the statements as written, unchanged (byte for byte what the runner always sent).
- ``replicated``: DDL ``ON CLUSTER``, ``*MergeTree`` engines as ``Replicated*MergeTree`` under a Keeper
  path with the ``{shard}`` and ``{replica}`` macros, explicit replicated deduplication windows, drops
  ``SYNC`` (a table dropped and made again reuses its Keeper path).
- ``sharded``: as ``replicated``, and a table holding sites' rows (a ``site_id`` column) becomes
  ``<name>_local`` on every shard plus a ``Distributed`` ``<name>`` sharded by site; materialized views
  read and write the local tables (a site's events and what is derived from them share a shard);
  column changes go to both, settings, ``TRUNCATE`` and mutations to the local table only. Inserts and
  reads keep the plain names (the ``Distributed`` tables).

A statement of a shape the renderer does not know is an error naming its migration, never passed on
unchanged to a cluster. Golden files hold each topology's rendering (``clickhouse/golden/<topology>/``)
and a test compares them; after changing a migration or this module, write them again and review the diff:

    python -m clickhouse.render --golden        # rewrite clickhouse/golden/*/
    python -m clickhouse.render sharded         # print one topology's rendering
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from analytics.topology import Layout, Topology

GOLDEN_DIR = Path(__file__).parent / "golden"
LEDGER = "lantern_migrations"

# Replicated tables keep the hashes of their last DEDUP_WINDOW inserted blocks, for DEDUP_WINDOW_SECONDS
# at most (whichever ends first). A batch may be inserted again under its token as long as the buffer can
# hold it in doubt: a crashed flusher's batch is claimed after ``claim_idle_ms`` (60 s) and a failing
# insert is retried every 30 s at most, so far fewer than DEDUP_WINDOW inserts come between two tries
# (at the engine's ~55 full batches a second); while every flusher is down no insert comes in between,
# so the window in seconds must cover the longest the buffer remembers anything in doubt: its markers'
# 7 days (``ingest.buffer.MARKER_TTL_S``; tests/test_topology.py checks both relations). The engine's
# own default (3,600 s) would let a batch retried after an hour's outage be stored twice.
DEDUP_WINDOW = 100_000
DEDUP_WINDOW_SECONDS = 7 * 24 * 3600
_WINDOWS = (
    f"replicated_deduplication_window = {DEDUP_WINDOW}, "
    f"replicated_deduplication_window_seconds = {DEDUP_WINDOW_SECONDS}"
)

_CREATE_TABLE = re.compile(r"\ACREATE TABLE (?P<ine>IF NOT EXISTS )?(?P<name>\w+)(?P<rest>\s.*)\Z", re.S)
_CREATE_VIEW = re.compile(
    r"\ACREATE MATERIALIZED VIEW (?P<ine>IF NOT EXISTS )?(?P<name>\w+)"
    r" TO (?P<target>\w+) AS\n(?P<select>.*)\Z",
    re.S,
)
_ALTER = re.compile(r"\AALTER TABLE (?P<name>\w+) (?P<rest>.*)\Z", re.S)
_COLUMN_CHANGE = re.compile(r"\A(ADD|MODIFY|DROP|RENAME|COMMENT) COLUMN ")
_DROP = re.compile(r"\ADROP (?P<kind>TABLE|VIEW) IF EXISTS (?P<name>\w+)\Z")
_TRUNCATE = re.compile(r"\ATRUNCATE TABLE (?P<name>\w+)\Z")
_INSERT = re.compile(r"\AINSERT INTO (?P<name>\w+)\b")
_ENGINE = re.compile(r"ENGINE = (?P<engine>\w*MergeTree)(?:\((?P<args>[^()]*)\))?")
_SELECT = re.compile(r"\s(EMPTY )?AS SELECT\b")
_FROM = re.compile(r"\bFROM (\w+)\b")
_SITE_COLUMN = re.compile(r"^\s+site_id\s", re.M)
_OLD_WINDOW = re.compile(r"non_replicated_deduplication_window = \d+")


class _Migration(Protocol):
    @property
    def version(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def statements(self) -> tuple[str, ...]: ...


@dataclasses.dataclass
class Catalogue:
    """The tables the migrations so far have made, and which of them hold sites' rows."""

    tables: set[str] = dataclasses.field(default_factory=set)
    site_tables: set[str] = dataclasses.field(default_factory=set)

    def known(self, name: str) -> str:
        if name not in self.tables:
            raise ValueError(f"table {name!r} is not made by an earlier statement")
        return name


class RenderError(ValueError):
    """A migration statement of a shape the renderer cannot turn into a cluster's."""


def render_all(migrations: Sequence[_Migration], layout: Layout) -> dict[int, tuple[str, ...]]:
    """Each migration's statements for ``layout``, by version (every migration is read, in order, so the
    renderer knows each table's kind when a later one alters or drops it)."""
    catalogue = Catalogue()
    rendered = {}
    for migration in migrations:
        out: list[str] = []
        for statement in migration.statements:
            try:
                out += render_statement(statement, layout, catalogue)
            except ValueError as exc:
                raise RenderError(f"{migration.name}: {exc}: {statement.splitlines()[0]}") from exc
        rendered[migration.version] = tuple(out)
    return rendered


def render_statement(statement: str, layout: Layout, catalogue: Catalogue) -> list[str]:
    """One statement as ``layout`` runs it (one or more statements); records what it makes or drops.
    ``single`` runs every statement as written, whatever its shape."""
    if not layout.clustered:
        with contextlib.suppress(ValueError):
            _render(statement, layout, catalogue)  # only to keep the catalogue
        return [statement]
    return _render(statement, layout, catalogue)


def _render(statement: str, layout: Layout, catalogue: Catalogue) -> list[str]:
    if match := _CREATE_TABLE.match(statement):
        return _create_table(match, layout, catalogue)
    if match := _CREATE_VIEW.match(statement):
        return _create_view(match, layout, catalogue)
    if match := _ALTER.match(statement):
        return _alter(match, layout, catalogue)
    if match := _DROP.match(statement):
        name, view = match["name"], match["kind"] == "VIEW"
        site_rows = name in catalogue.site_tables
        catalogue.tables.discard(name)
        catalogue.site_tables.discard(name)
        return [statement] if not layout.clustered else layout.drop(name, view=view, site_rows=site_rows)
    if match := _TRUNCATE.match(statement):
        name = catalogue.known(match["name"])
        if not layout.clustered:
            return [statement]
        stored = layout.local(name) if name in catalogue.site_tables else name
        return [f"TRUNCATE TABLE {stored}{layout.on_cluster()}"]
    if match := _INSERT.match(statement):
        catalogue.known(match["name"])  # through the Distributed table when sharded: as written
        return [statement]
    raise ValueError(f"no rendering for {layout.topology} of this statement")


def _create_table(match: re.Match[str], layout: Layout, catalogue: Catalogue) -> list[str]:
    name, ine, rest = match["name"], match["ine"] or "", match["rest"]
    select = _SELECT.search(rest)
    head, tail = (rest[: select.start()], rest[select.start() :]) if select else (rest, "")
    if select:
        sources = _FROM.findall(tail)
        site_rows = bool(sources) and catalogue.known(sources[0]) in catalogue.site_tables
    else:
        site_rows = bool(_SITE_COLUMN.search(head.split("ENGINE = ")[0]))
    catalogue.tables.add(name)
    if site_rows:
        catalogue.site_tables.add(name)
    if not layout.clustered:
        return [match.string]
    sharded = layout.sharded and site_rows
    stored = layout.local(name) if sharded else name
    engine = _ENGINE.search(head)
    if engine is None:
        raise ValueError("a table's engine must be one of the MergeTree family")
    args = f", {engine['args']}" if engine["args"] else ""
    path = layout.keeper_path(name, per_shard=site_rows)
    replicated = f"ENGINE = Replicated{engine['engine']}('{path}', '{{replica}}'{args})"
    head = _windows(head[: engine.start()] + replicated + head[engine.end() :])
    if sharded:
        tail = _FROM.sub(lambda m: f"FROM {_local_if_site(m[1], layout, catalogue)}", tail)
    created = [f"CREATE TABLE {ine}{stored}{layout.on_cluster()}{head}{tail}"]
    if sharded:
        distributed = layout.distributed_engine(name)
        created.append(f"CREATE TABLE {ine}{name}{layout.on_cluster()} AS {stored}\nENGINE = {distributed}")
    return created


def _windows(head: str) -> str:
    """The table's settings with explicit replicated deduplication windows (see ``DEDUP_WINDOW``)."""
    if _OLD_WINDOW.search(head):
        return _OLD_WINDOW.sub(_WINDOWS, head)
    settings = re.search(r"\nSETTINGS ", head)
    if settings:
        return f"{head[: settings.end()]}{_WINDOWS}, {head[settings.end() :]}"
    return f"{head.rstrip()}\nSETTINGS {_WINDOWS}"


def _local_if_site(name: str, layout: Layout, catalogue: Catalogue) -> str:
    return layout.local(name) if catalogue.known(name) in catalogue.site_tables else name


def _create_view(match: re.Match[str], layout: Layout, catalogue: Catalogue) -> list[str]:
    name, ine, target, select = match["name"], match["ine"] or "", match["target"], match["select"]
    catalogue.known(target)
    if not layout.clustered:
        return [match.string]
    if layout.sharded:  # each shard's view reads its local rows and writes its local target
        target = _local_if_site(target, layout, catalogue)
        select = _FROM.sub(lambda m: f"FROM {_local_if_site(m[1], layout, catalogue)}", select)
    return [f"CREATE MATERIALIZED VIEW {ine}{name}{layout.on_cluster()} TO {target} AS\n{select}"]


def _alter(match: re.Match[str], layout: Layout, catalogue: Catalogue) -> list[str]:
    name, rest = catalogue.known(match["name"]), match["rest"]
    if not layout.clustered:
        return [match.string]
    on = layout.on_cluster()
    if not (layout.sharded and name in catalogue.site_tables):
        return [f"ALTER TABLE {name}{on} {rest}"]
    altered = [f"ALTER TABLE {layout.local(name)}{on} {rest}"]
    if _COLUMN_CHANGE.match(rest):  # the Distributed table's columns follow its local tables'
        altered.append(f"ALTER TABLE {name}{on} {rest}")
    return altered


def ledger_ddl(layout: Layout) -> str:
    """The migrations ledger: one table on a server; replicated to every node of a cluster (one replica
    group for the whole cluster, so any node answers what was applied)."""
    columns = (
        f"{LEDGER}{layout.on_cluster()} (version UInt32, name String, applied_at DateTime DEFAULT now())"
    )
    if not layout.clustered:
        return f"CREATE TABLE IF NOT EXISTS {columns} ENGINE = MergeTree ORDER BY version"
    path = layout.keeper_path(LEDGER, per_shard=False)
    return (
        f"CREATE TABLE IF NOT EXISTS {columns}"
        f" ENGINE = ReplicatedMergeTree('{path}', '{{replica}}') ORDER BY version SETTINGS {_WINDOWS}"
    )


def golden_text(statements: Sequence[str]) -> str:
    """How a golden file holds a rendering: each statement ended by ``;``, a blank line between."""
    return "\n\n".join(f"{statement};" for statement in statements) + "\n"


def golden_files(layout: Layout) -> dict[str, str]:
    """File name -> text, for every golden file of ``layout``'s topology."""
    from clickhouse.migrate import discover

    migrations = discover()
    rendered = render_all(migrations, layout)
    files = {"ledger.sql": golden_text([ledger_ddl(layout)])}
    files.update({f"{m.name}.sql": golden_text(rendered[m.version]) for m in migrations})
    return files


def write_golden(directory: Path = GOLDEN_DIR) -> list[Path]:
    """Rewrite every topology's golden files (for the default cluster name); returns the files written."""
    written = []
    for topology in Topology:
        folder = directory / topology.value
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.sql"):
            stale.unlink()
        for name, text in golden_files(Layout(topology)).items():
            (folder / name).write_text(text)
            written.append(folder / name)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clickhouse.render", description=__doc__.splitlines()[0])
    parser.add_argument(
        "topology", nargs="?", choices=[t.value for t in Topology], help="print its rendering"
    )
    parser.add_argument("--golden", action="store_true", help="rewrite clickhouse/golden/ for every topology")
    args = parser.parse_args(argv)
    if args.golden:
        print(f"wrote {len(write_golden())} golden files under {GOLDEN_DIR}")
        return 0
    if not args.topology:
        parser.error("name a topology, or --golden")
    for name, text in golden_files(Layout(Topology(args.topology))).items():
        print(f"-- {name}\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

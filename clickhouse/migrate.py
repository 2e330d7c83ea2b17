"""Apply the numbered ``.sql`` files in ``clickhouse/migrations`` once each, recording what was applied.

Each statement runs as ``CLICKHOUSE_TOPOLOGY`` renders it (``clickhouse.render``: ``single`` as written,
``replicated`` and ``sharded`` with ``ON CLUSTER``, replicated engines and, sharded, ``Distributed``
tables). The whole run holds the installation's migration lock (``clickhouse.lock``), so two runs at
once apply each step once: the second waits, then finds the steps recorded.

A migration may have a step in Python that runs after its statements, before it is recorded
(``AFTER``): once 0030 and 0031 have made the tables, the events stored before them get their visits
(``analytics.rederive``), with their visit days' counts.

python -m clickhouse.migrate          # apply what is pending
python -m clickhouse.migrate --list   # show applied and pending
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

from analytics import client, rederive
from analytics.config import ConfigError
from analytics.topology import Layout
from clickhouse.lock import LockTimeout, migration_lock
from clickhouse.render import LEDGER, ledger_ddl, render_all

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
__all__ = [
    "LEDGER",
    "MIGRATIONS_DIR",
    "Migration",
    "applied",
    "discover",
    "migrate",
    "pending",
    "split_statements",
]
AFTER: dict[int, Callable[[], object]] = {31: rederive.rederive_all}


@dataclasses.dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in version order; a file whose name breaks the pattern is an error, not skipped."""
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise ValueError(f"migration file {path.name} must be named NNNN_lowercase_words.sql")
        found.append(Migration(int(match.group(1)), path.stem, split_statements(path.read_text())))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise ValueError("two migration files share a version number")
    return found


def split_statements(sql: str) -> tuple[str, ...]:
    """Statements separated by ``;`` at a line end; ``--`` comment lines are dropped."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    parts = re.split(r";\s*$", "\n".join(lines), flags=re.MULTILINE)
    return tuple(part.strip() for part in parts if part.strip())


def applied(layout: Layout | None = None) -> set[int]:
    """The versions the ledger records (made first if missing). In a cluster every replica first
    fetches what the ledger's replica group has (``SYSTEM SYNC REPLICA … ON CLUSTER``), so whichever node
    answers, a run never takes a recorded step for a pending one."""
    layout = layout or Layout.from_env()
    client.command(ledger_ddl(layout))
    if layout.clustered:
        client.command(f"SYSTEM SYNC REPLICA{layout.on_cluster()} {LEDGER}")
    sql = f"SELECT version FROM {LEDGER}"  # noqa: S608 - a constant table name
    return {row[0] for row in client.execute(sql, tag="migrate").rows}


def pending(directory: Path = MIGRATIONS_DIR) -> list[str]:
    """The names of the migrations not applied yet, reading only: no ledger is made if there is none
    and no replica is synced (readiness asks this often; ``applied`` is what a run trusts)."""
    exists = client.execute("EXISTS TABLE {name:Identifier}", {"name": LEDGER}, tag="migrate").rows
    done: set[int] = set()
    if exists and exists[0][0]:
        sql = f"SELECT version FROM {LEDGER}"  # noqa: S608 - a constant table name
        done = {row[0] for row in client.execute(sql, tag="migrate").rows}
    return [migration.name for migration in discover(directory) if migration.version not in done]


def migrate(layout: Layout | None = None, *, close: bool = False) -> list[str]:
    """Apply pending migrations under the migration lock; returns the names applied. ``close`` closes
    the process's engine clients before the lock goes (the command does: a run waiting for the lock may
    then open the same chDB directory); a process that goes on using the engine leaves it False."""
    layout = layout or Layout.from_env()
    with migration_lock():
        try:
            return _apply_pending(layout)
        finally:
            if close:
                client.close()


def _apply_pending(layout: Layout) -> list[str]:
    done = applied(layout)
    migrations = discover()
    rendered = render_all(migrations, layout)
    names = []
    for migration in migrations:
        if migration.version in done:
            continue
        for statement in rendered[migration.version]:
            client.command(statement)
        if migration.version in AFTER:
            AFTER[migration.version]()
        row = json.dumps({"version": migration.version, "name": migration.name}).encode()
        client.insert_json_lines(LEDGER, [row], token=migration.name)
        names.append(migration.name)
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m clickhouse.migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="show applied and pending migrations")
    args = parser.parse_args(argv)
    try:
        if args.list:
            done = applied()
            for migration in discover():
                print(f"[{'x' if migration.version in done else ' '}] {migration.name}")
            return 0
        names = migrate(close=True)
    except (client.EngineBusyError, LockTimeout, ConfigError) as exc:
        print(f"clickhouse: {exc}", file=sys.stderr)
        return 2
    print("clickhouse: " + (f"applied {', '.join(names)}" if names else "schema up to date"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

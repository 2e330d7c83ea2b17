"""./dev manage transfer --to-clickhouse URL --to-database URL: move this embedded installation to servers.

Run it with Lantern stopped (chDB admits one process per data directory: this one must own it). In order:
the events still in the spool are stored; both sides' schemas are migrated; the accounts database is
copied in one transaction; the events and drop counts are copied month by month (``analytics.transfer``:
each page under a deduplication token, an interrupted run resumes where the target stands); what is
derived fills itself on the target or is built there (the closed days' sums); then both sides' events,
visits and drop counts per site and day, and every accounts row, are compared before it says done.
Run again after an interruption: it checks the target holds exactly an earlier run's part, and goes on.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from analytics import (
    DERIVED_TABLES,
    TRANSFER_TABLES,
    ClickHouseError,
    EngineBusyError,
    NotAPrefix,
    TransferMonth,
    first_count_difference,
    store_counts,
    store_of,
    stored_tables,
    transfer_month,
    transfer_plan,
)
from analytics.config import clickhouse_url, database_url, is_embedded_clickhouse, overridden, redis_url
from clickhouse.migrate import migrate
from clickhouse.render import LEDGER
from ingest.buffer import SpoolBuffer
from ingest.deadletter import DeadLetters, directory
from ingest.flusher import Flusher
from ingest.wiring import spool_dir
from panel.sites.closed_days import build_closed
from panel.transfer import accounts
from panel.transfer.targets import FlagError, Target, parse, same_clickhouse, same_database


class Command(BaseCommand):
    help = (
        "Move this embedded installation (SQLite and chDB) to PostgreSQL and a ClickHouse server, "
        "with Lantern stopped; run it again to resume an interrupted move."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to-clickhouse", default="", metavar="URL", help="http(s)://user:password@host:8123/database"
        )
        parser.add_argument(
            "--to-database", default="", metavar="URL", help="postgres://user:password@host/db"
        )
        parser.add_argument(
            "--to-topology", default="single", help="the target's CLICKHOUSE_TOPOLOGY (default single)"
        )
        parser.add_argument("--to-cluster", default="lantern", help="the target's CLICKHOUSE_CLUSTER")
        parser.add_argument(
            "--page-rows", type=int, default=50_000, help="rows per insert into the target (default 50000)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = self._target(options)
        self._check_source(target)
        self._prepare_source()
        accounts.connect(target.database_url)
        try:
            self._move(target, options["page_rows"])
        finally:
            accounts.disconnect()

    def _target(self, options: dict[str, Any]) -> Target:
        try:
            target = parse(
                options["to_clickhouse"],
                options["to_database"],
                topology=options["to_topology"],
                cluster=options["to_cluster"],
            )
        except FlagError as exc:
            raise CommandError(str(exc)) from None
        if options["page_rows"] < 1:
            raise CommandError(f"--page-rows must be at least 1, got {options['page_rows']}")
        return target

    def _check_source(self, target: Target) -> None:
        if same_database(database_url(), target.database_url):
            raise CommandError("--to-database names this installation's own accounts database")
        if same_clickhouse(clickhouse_url(), target.clickhouse_url):
            raise CommandError("--to-clickhouse names this installation's own event store")
        if not is_embedded_clickhouse() or redis_url():
            raise CommandError(
                "transfer moves an embedded installation (chDB, no REDIS_URL); this one already runs "
                "in server mode (CLICKHOUSE_URL is a server or REDIS_URL is set)"
            )
        try:
            stored_tables()
        except EngineBusyError as exc:
            raise CommandError(f"{exc}: stop Lantern first, then run transfer again") from None

    def _prepare_source(self) -> None:
        self._say("source: migrating its accounts database and event store")
        accounts.migrate_source()
        migrate()
        moved = Flusher(SpoolBuffer(spool_dir())).move_all()
        self._say(f"source: {moved:,} buffered record(s) stored from the spool; nothing is left in it")
        waiting = DeadLetters(directory()).count()
        if waiting:
            self._say(
                f"warning: {waiting:,} record(s) the event store refused wait in {directory()}: they are not "
                "moved (python -m ingest.deadletter list; replay them before transferring to keep them)"
            )

    def _move(self, target: Target, page_rows: int) -> None:
        self._say(f"target: {target.shown()}")
        occupied = self._check_target(target)
        self._say("target: migrating its accounts database and event store")
        accounts.migrate_target()
        with self._on(target):
            applied = migrate()
        self._say(f"target: {len(applied)} ClickHouse migration(s) applied")
        plans = self._plans(target)  # both sides are checked before anything is written
        copy_accounts = self._accounts_to_copy(occupied)
        if copy_accounts:
            self._copy_accounts()
        inserted = self._copy_events(target, plans, page_rows)
        self._derive(target)
        self._compare(target)
        self._say(
            f"done: {inserted:,} row(s) inserted this run; both sides hold the same events, visits, "
            "drop counts and accounts. Start Lantern in server mode with DATABASE_URL and CLICKHOUSE_URL "
            "set to the target and the same SECRET_KEY; do not start it in embedded mode again."
        )

    def _check_target(self, target: Target) -> bool:
        """Whether the target's accounts database already holds rows; refuses a target that is not
        Lantern's (a ClickHouse database with tables but no migrations ledger)."""
        try:
            rows = accounts.occupied()
        except DatabaseError as exc:
            raise CommandError(f"--to-database: cannot use {target.shown()}: {exc}") from None
        try:
            with self._on(target):
                tables = stored_tables()
        except (ClickHouseError, OSError) as exc:
            raise CommandError(f"--to-clickhouse: cannot reach the server: {exc}") from None
        if tables - {LEDGER} and LEDGER not in tables:
            raise CommandError(
                "--to-clickhouse: the database holds tables that are not Lantern's"
                f" ({', '.join(sorted(tables))}): name an empty database"
            )
        return bool(rows)

    def _accounts_to_copy(self, occupied: bool) -> bool:
        """Whether the accounts are still to be copied (False: an earlier run copied these)."""
        if not occupied:
            return True
        difference = accounts.difference()
        if difference:
            raise CommandError(
                f"--to-database already holds accounts that are not this installation's ({difference}):"
                " name an empty database"
            )
        self._say("accounts: already on the target (an earlier run copied them)")
        return False

    def _copy_accounts(self) -> None:
        copied = accounts.copy()
        total = sum(copied.values())
        tables = sum(1 for count in copied.values() if count)
        self._say(f"accounts: {total:,} row(s) of {tables} table(s) copied, ids kept, sequences moved on")

    def _plans(self, target: Target) -> list[list[TransferMonth]]:
        """Per copied table, its months and where the target stands in each; refuses a target whose
        rows are not an earlier run's."""
        store = store_of(target.variables())
        try:
            return [transfer_plan(spec, store) for spec in TRANSFER_TABLES]
        except NotAPrefix as exc:
            raise CommandError(
                f"--to-clickhouse holds {exc}, so it is not an earlier transfer of this installation:"
                " name an empty database"
            ) from None

    def _copy_events(self, target: Target, plans: list[list[TransferMonth]], page_rows: int) -> int:
        inserted = 0
        store = store_of(target.variables())
        for spec, plan in zip(TRANSFER_TABLES, plans, strict=True):
            if not plan:
                self._say(f"{spec.table}: none")
            for month in plan:
                if month.done:
                    self._say(f"{spec.table} {month.label()}: {month.rows:,} row(s), already on the target")
                    continue
                if month.copied:
                    self._say(f"{spec.table} {month.label()}: resuming after {month.copied:,} row(s)")
                inserted += transfer_month(
                    spec, month, store, page_rows=page_rows, progress=self._progress(spec.table)
                )
        return inserted

    def _progress(self, table: str) -> Any:
        def told(month: TransferMonth, copied: int) -> None:
            self._say(f"{table} {month.label()}: {copied:,} of {month.rows:,} row(s) copied")

        return told

    def _derive(self, target: Target) -> None:
        self._say(
            f"derived: {', '.join(DERIVED_TABLES[:2])} were filled by the inserts; building closed days' sums"
        )
        with self._on(target):
            built = build_closed(timezone.now())
        self._say(f"derived: {sum(built.values()):,} closed day sum(s) written for {len(built)} site(s)")

    def _compare(self, target: Target) -> None:
        ours = store_counts()
        with self._on(target):
            theirs = store_counts()
        difference = first_count_difference(ours, theirs)
        if difference:
            raise CommandError(f"the target does not hold what this installation holds: {difference}")
        difference = accounts.difference()
        if difference:
            raise CommandError(f"the target's accounts differ from this installation's: {difference}")
        days = len(ours["events"])
        self._say(f"checked: events, visits and drop counts equal on both sides for {days:,} site-day(s)")

    @contextlib.contextmanager
    def _on(self, target: Target) -> Iterator[None]:
        with overridden(**target.variables()):
            yield

    def _say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

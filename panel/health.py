"""The panel's own readiness check: every Django migration of this code applied to the accounts
database. It joins the ingest app's checks (``ingest/readiness.py``), which answer ``/readyz`` for
the whole web process (``panel/wsgi.py``).
"""

from __future__ import annotations

from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from ingest.readiness import Check, pending_reason


def pending_django_migrations() -> list[str]:
    """``app.name`` of each migration not applied yet, in the order ``migrate`` would apply them."""
    connection = connections["default"]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def django_migrations_check() -> Check:
    def probe() -> str | None:
        try:
            return pending_reason(pending_django_migrations())
        finally:
            connections.close_all()  # the check runs in a thread of its own: close its connection

    return Check("django_migrations", probe, stays_ready=True)

"""``/healthz`` and ``/readyz`` on the ingest app and on the whole web process (``panel.wsgi``), against
the real accounts database (PostgreSQL, and SQLite as embedded mode has it), Redis and chDB."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from analytics.metrics import metrics_app
from clickhouse.migrate import MIGRATIONS_DIR
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import SpoolBuffer
from ingest.ops import Ops
from ingest.readiness import (
    Check,
    Readiness,
    clickhouse_migrations_check,
    database_check,
    redis_check,
    standard_checks,
)
from panel.health import django_migrations_check
from tests.conftest import pipeline_for
from tests.services import free_port
from tests.wsgi import Response, call


def app_with(accounts: AccountsDB, checks: list[Check], tmp_path: Path) -> Iterator[IngestApp]:
    spool = SpoolBuffer(tmp_path / "spool")
    ops = Ops(Readiness(checks), metrics_app(""))
    app = IngestApp(pipeline_for(accounts), spool, (), TrackerFiles(tmp_path), ops=ops)
    yield app
    app.close()
    spool.close()


def ready(app: object) -> tuple[int, dict[str, Any]]:
    response = call(app, "GET", "/readyz")  # type: ignore[arg-type]
    assert response.headers["Content-Type"] == "application/json"
    return response.status, json.loads(response.body)


@pytest.fixture
def healthy(accounts: AccountsDB, clickhouse: None, redis_url: str, tmp_path: Path) -> Iterator[IngestApp]:
    checks = [*standard_checks(accounts, redis_url=redis_url), django_migrations_check()]
    yield from app_with(accounts, checks, tmp_path)


def test_healthz_answers_while_the_process_serves(healthy: IngestApp) -> None:
    response = call(healthy, "GET", "/healthz")
    assert (response.status, response.body) == (200, b"ok\n")
    assert call(healthy, "POST", "/healthz").status == 405


def test_readyz_is_200_when_every_store_answers_and_every_migration_is_applied(healthy: IngestApp) -> None:
    status, body = ready(healthy)
    assert status == 200
    assert body == {
        "ready": True,
        "not_ready": [],
        "checks": {
            "database": "ok",
            "redis": "ok",
            "clickhouse": "ok",
            "clickhouse_migrations": "ok",
            "django_migrations": "ok",
        },
    }


def test_readyz_names_redis_when_it_is_unreachable(
    accounts: AccountsDB, clickhouse: None, tmp_path: Path
) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    for app in app_with(accounts, standard_checks(accounts, redis_url=closed), tmp_path):
        status, body = ready(app)
        assert status == 503
        assert body["not_ready"] == ["redis"]
        assert body["checks"] == {
            "database": "ok",
            "redis": "unreachable",
            "clickhouse": "ok",
            "clickhouse_migrations": "ok",
        }


def test_readyz_names_a_pending_clickhouse_migration(
    accounts: AccountsDB, clickhouse: None, tmp_path: Path
) -> None:
    migrations = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, migrations)
    (migrations / "9999_not_applied_yet.sql").write_text("SELECT 1;\n")
    checks = [database_check(accounts), clickhouse_migrations_check(migrations)]
    for app in app_with(accounts, checks, tmp_path):
        status, body = ready(app)
        assert status == 503
        assert body["not_ready"] == ["clickhouse_migrations"]
        assert body["checks"]["clickhouse_migrations"] == "pending: 9999_not_applied_yet"


def test_readyz_names_a_pending_django_migration(accounts: AccountsDB, tmp_path: Path) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations WHERE app = 'accounts' ORDER BY name DESC")
        app_label, last = cursor.fetchone()
        cursor.execute("DELETE FROM django_migrations WHERE app = %s AND name = %s", [app_label, last])
    try:
        for app in app_with(accounts, [django_migrations_check()], tmp_path):
            status, body = ready(app)
            assert status == 503
            assert body["not_ready"] == ["django_migrations"]
            assert body["checks"]["django_migrations"] == f"pending: accounts.{last}"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, now())", [app_label, last]
            )


def test_a_check_that_passed_once_for_good_is_not_asked_again(tmp_path: Path) -> None:
    answers = iter([None])  # a second call would raise StopIteration: "failed (StopIteration)"
    readiness = Readiness([Check("migrations", lambda: next(answers), stays_ready=True)])
    assert readiness.run().ready
    assert readiness.run().ready


def test_a_check_that_does_not_answer_in_time_is_named(tmp_path: Path) -> None:
    import threading

    release = threading.Event()
    slow = Check("slow", lambda: None if release.wait(5) else "never answered")
    readiness = Readiness([slow, Check("quick", lambda: None)], timeout_s=0.2)
    try:
        report = readiness.run()
    finally:
        release.set()
    assert report.checks == {"slow": "timed out", "quick": "ok"}
    assert report.not_ready == ["slow"]


def test_an_embedded_sqlite_accounts_database_is_checked_too(tmp_path: Path) -> None:
    healthy = Readiness([database_check(AccountsDB(f"sqlite:///{tmp_path / 'lantern.sqlite3'}"))]).run()
    assert healthy.checks == {"database": "ok"}
    missing = Readiness([database_check(AccountsDB(f"sqlite:///{tmp_path / 'no' / 'such.sqlite3'}"))]).run()
    assert missing.checks == {"database": "unreachable"}


def test_redis_check_answers_ok_for_a_live_redis(redis_url: str) -> None:
    assert Readiness([redis_check(redis_url)]).run().checks == {"redis": "ok"}


def test_the_web_process_answers_them_outside_django(transactional_db: None, clickhouse: None) -> None:
    """``panel.wsgi``: no host check or https redirect for a probe calling the pod's address."""
    from ingest import wiring
    from panel import wsgi

    try:
        headers = {"Host": "10.1.2.3:8000"}  # not in ALLOWED_HOSTS: Django would answer 400
        health: Response = call(wsgi.application, "GET", "/healthz", headers=headers)
        assert (health.status, health.body) == (200, b"ok\n")
        status, body = ready(wsgi.application)
        assert status == 200, body
        assert body["checks"] == {
            "database": "ok",
            "clickhouse": "ok",
            "clickhouse_migrations": "ok",
            "django_migrations": "ok",
        }
        assert call(wsgi.application, "GET", "/metrics").status == 404  # METRICS_TOKEN is not set here
    finally:
        wiring.accounts().close()

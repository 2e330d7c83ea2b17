"""Whether a process can serve: named checks of what it needs, run side by side within a time limit.

    readiness = Readiness(standard_checks(accounts, redis_url="redis://..."))
    report = readiness.run()
    report.ready, report.checks   # False, {"database": "ok", "redis": "unreachable", ...}

A check answers None (ready) or a short reason; one that raises is not ready, its reason said in a few
words (``unreachable``, ``timed out``, ``failed (KeyError)``) and its error logged, so ``/readyz`` tells
no one outside the servers' addresses. A check marked ``stays_ready`` (migrations: once this code's
are applied, they stay so) is not asked again once it passed.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import socket
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg
import redis

from analytics import client
from clickhouse.migrate import MIGRATIONS_DIR, pending
from ingest.accounts import AccountsDB

log = logging.getLogger(__name__)

OK = "ok"


@dataclasses.dataclass(frozen=True)
class Check:
    name: str
    probe: Callable[[], str | None]  # None when ready, else why not; raising counts as not ready
    stays_ready: bool = False


@dataclasses.dataclass(frozen=True)
class Report:
    checks: dict[str, str]  # each check's "ok" or reason, in the checks' order

    @property
    def ready(self) -> bool:
        return all(reason == OK for reason in self.checks.values())

    @property
    def not_ready(self) -> list[str]:
        return [name for name, reason in self.checks.items() if reason != OK]


class Readiness:
    def __init__(self, checks: Sequence[Check], *, timeout_s: float = 3.0) -> None:
        names = [check.name for check in checks]
        if len(names) != len(set(names)):
            raise ValueError(f"two readiness checks share a name: {names}")
        self.checks = tuple(checks)
        self.timeout_s = timeout_s
        self._passed: set[str] = set()
        self._guard = threading.Lock()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max(1, len(checks)), thread_name_prefix="lantern-readiness"
        )

    def run(self) -> Report:
        """Every check at once; one not answered within ``timeout_s`` is ``timed out``."""
        with self._guard:
            asked = [check for check in self.checks if check.name not in self._passed]
        futures = {check.name: self._pool.submit(_answer, check) for check in asked}
        concurrent.futures.wait(futures.values(), timeout=self.timeout_s)
        checks = {}
        for check in self.checks:
            future = futures.get(check.name)
            if future is None:
                checks[check.name] = OK
            elif not future.done():
                checks[check.name] = "timed out"
            else:
                checks[check.name] = future.result()
                if checks[check.name] == OK and check.stays_ready:
                    with self._guard:
                        self._passed.add(check.name)
        return Report(checks)


def _answer(check: Check) -> str:
    try:
        reason = check.probe()
    except Exception as exc:
        log.warning("readiness: %s is not ready: %s", check.name, exc)
        return _reason(exc)
    return OK if reason is None else reason


_UNREACHABLE = (OSError, redis.ConnectionError, psycopg.OperationalError, sqlite3.OperationalError)


def _reason(exc: Exception) -> str:
    if isinstance(exc, TimeoutError | socket.timeout | redis.TimeoutError):
        return "timed out"
    if isinstance(exc, _UNREACHABLE) or "connection refused" in str(exc).lower():
        return "unreachable"
    return f"failed ({type(exc).__name__})"


def pending_reason(names: Sequence[str]) -> str | None:
    """None when nothing is pending, else ``pending: a, b`` (at most five named)."""
    if not names:
        return None
    more = f" and {len(names) - 5} more" if len(names) > 5 else ""
    return "pending: " + ", ".join(names[:5]) + more


def database_check(accounts: AccountsDB) -> Check:
    def probe() -> None:
        accounts.ping()

    return Check("database", probe)


def redis_check(url: str) -> Check:
    def probe() -> None:
        connection = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            connection.ping()
        finally:
            connection.close()

    return Check("redis", probe)


def clickhouse_check() -> Check:
    def probe() -> None:
        client.execute("SELECT 1", tag="readyz", timeout_s=5, max_rows=1)

    return Check("clickhouse", probe)


def clickhouse_migrations_check(directory: Path = MIGRATIONS_DIR) -> Check:
    """The event store's migrations: every file of this code's ``clickhouse/migrations`` applied."""

    def probe() -> str | None:
        return pending_reason(pending(directory))

    return Check("clickhouse_migrations", probe, stays_ready=True)


def standard_checks(accounts: AccountsDB, *, redis_url: str) -> list[Check]:
    """What every web process needs: the accounts database, Redis when configured, the event store
    and its migrations (the panel adds Django's migrations, ``panel/health.py``)."""
    checks = [database_check(accounts)]
    if redis_url:
        checks.append(redis_check(redis_url))
    return [*checks, clickhouse_check(), clickhouse_migrations_check()]

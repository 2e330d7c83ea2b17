"""One ``migrate`` at a time per installation: the lock the runner holds from reading the ledger to its
last record, so two runs started together apply each step once (the second finds it recorded).

    with migration_lock():
        ...  # read the ledger, apply what is pending, record it

Where the lock lives follows what every process of the installation shares:

- a PostgreSQL accounts database (``DATABASE_URL=postgres…``, server and cluster mode): a session-level
  advisory lock on a connection of its own (``pg_try_advisory_lock``), released by PostgreSQL when the
  holder disconnects or dies, so a killed run never leaves it behind;
- otherwise (embedded mode, one machine): an ``flock`` on ``$LANTERN_DATA_DIR/clickhouse-migrate.lock``,
  released by the kernel when the holder exits. It is taken before the engine is opened, and the runner
  closes the engine before letting go, so a second run against the same chDB directory waits for the
  first instead of finding the directory held (chDB admits one process per directory).

A run waiting longer than ``MIGRATE_LOCK_TIMEOUT_S`` (default 600) gives up with ``LockTimeout``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg

from analytics.config import data_dir, database_url, env_int

# A constant 64-bit key in PostgreSQL's advisory lock space: b"lntrnmig" read as a number, moved into
# the signed bigint range. Advisory locks are per database, so each installation has its own.
ADVISORY_KEY = int.from_bytes(b"lntrnmig", "big") - (1 << 63)
LOCK_FILE = "clickhouse-migrate.lock"
_POLL_S = 0.2


class LockTimeout(RuntimeError):
    """Another ``migrate`` held the lock for longer than this one would wait."""


def timeout_s() -> int:
    return env_int("MIGRATE_LOCK_TIMEOUT_S", 600, minimum=1)


@contextlib.contextmanager
def migration_lock(*, wait_s: float | None = None) -> Iterator[str]:
    """Hold the installation's migration lock for the block; yields where it is held (for messages)."""
    wait = float(timeout_s() if wait_s is None else wait_s)
    url = database_url()
    lock = _postgres_lock(url, wait) if url.startswith(("postgres://", "postgresql://")) else _file_lock(wait)
    with lock as where:
        yield where


def _waiting(where: str) -> None:
    print(f"clickhouse: waiting for another migrate to finish ({where})", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _postgres_lock(url: str, wait_s: float) -> Iterator[str]:
    where = "PostgreSQL advisory lock"
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        deadline, told = time.monotonic() + wait_s, False
        while not _try_advisory(conn):
            if time.monotonic() > deadline:
                raise LockTimeout(f"another migrate held the {where} for more than {wait_s:.0f} s")
            if not told:
                _waiting(where)
                told = True
            time.sleep(_POLL_S)
        try:
            yield where
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_KEY,))


def _try_advisory(conn: psycopg.Connection[tuple[object, ...]]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_KEY,)).fetchone()
    return bool(row and row[0])


@contextlib.contextmanager
def _file_lock(wait_s: float) -> Iterator[str]:
    folder = data_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = Path(folder) / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline, told = time.monotonic() + wait_s, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"another migrate held {path} for more than {wait_s:.0f} s") from None
                if not told:
                    _waiting(str(path))
                    told = True
                time.sleep(_POLL_S)
        yield str(path)
    finally:
        os.close(fd)  # closing the descriptor releases the lock

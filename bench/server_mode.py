"""Server mode for the ingest benchmark: Redis (append-only, as deployed), ClickHouse over HTTP (the chDB
front standing in for a server, ``tests/clickhouse_front.py``) and two flushers, each a process of its
own, beside a gunicorn of two web processes that ``bench/http_ingest.py`` drives as it drives embedded mode.

    >>> with server_mode(env, work) as server_env:  # doctest: +SKIP
    ...     with Gunicorn(INGEST_APP, server_env, log): ...  # wrk, then wait_stream_drained(server_env)
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import redis

from bench.common import BenchError, progress
from bench.server import Service
from tests.clickhouse_front import running_front
from tests.services import Redis

WEB_PROCESSES = 2
FLUSHERS = 2
STREAM = "lantern:events"  # the buffer's stream (ingest/buffer.py)


@contextlib.contextmanager
def server_mode(env: Mapping[str, str], work: Path) -> Iterator[dict[str, str]]:
    """Redis, the ClickHouse front and the flushers running; yields ``env`` moved to server mode (accounts
    stay in ``env``'s SQLite: the web processes only read them)."""
    if not shutil.which("redis-server"):
        raise BenchError(
            "redis-server is not installed (./dev test installs it; or apt-get install redis-server)"
        )
    buffer = Redis.start(work / "redis")
    try:
        with running_front(work / "clickhouse-front", work / "clickhouse-front.log") as clickhouse:
            progress(
                f"server mode: Redis at {buffer.url}, ClickHouse (chDB behind the HTTP front) at {clickhouse}"
            )
            server = {
                **env,
                "REDIS_URL": buffer.url,
                "CLICKHOUSE_URL": clickhouse,
                "WEB_CONCURRENCY": str(WEB_PROCESSES),
                "LANTERN_FALLBACK_SPOOL": str(work / "fallback-spool"),
            }
            with contextlib.ExitStack() as flushers:
                for n in range(1, FLUSHERS + 1):
                    name = f"flusher-{n}"
                    log = work / f"{name}.log"
                    flushers.enter_context(
                        Service(name, ["-m", "ingest.flusher"], {**server, "FLUSHER_NAME": name}, log)
                    )
                yield server
    finally:
        buffer.stop()


def wait_stream_drained(env: Mapping[str, str], timeout_s: float) -> bool:
    """Until the flushers have moved every buffered event (acknowledged entries leave the stream)."""
    connection = redis.Redis.from_url(env["REDIS_URL"])
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if connection.xlen(STREAM) == 0:
            return True
        time.sleep(0.2)
    return int(connection.xlen(STREAM)) == 0

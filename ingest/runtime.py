"""Wiring from the environment: one buffer, one pipeline and one ingest app per process.

>>> from ingest.runtime import make_app
>>> application = make_app()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import gc
import logging
import threading
from pathlib import Path

from analytics.config import data_dir, database_url, env_int, env_networks, env_str, redis_url
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import Buffer, FallbackBuffer, RedisStreamBuffer, SpoolBuffer, start_replayer
from ingest.flusher import Flusher, flush_interval_s, start_thread
from ingest.geo import locator
from ingest.groupcommit import GroupCommit
from ingest.keys import KeyRing
from ingest.pipeline import Pipeline
from ingest.ratelimit import NO_LIMITS, Limits, RateLimiter, SharedLimits
from ingest.sites import SiteRegistry
from ingest.visitor import SaltStore

log = logging.getLogger(__name__)

TRACKER_DIR = Path(__file__).resolve().parent.parent / "tracker-js" / "dist"


@functools.cache
def accounts() -> AccountsDB:
    return AccountsDB(database_url())


@functools.cache
def make_buffer() -> Buffer:
    """The process's one buffer: the Redis stream with a local fallback spool, or the embedded spool.

    Concurrent pushes to Redis share round trips (``GroupCommit``), which also take the rate-limit
    tokens and decide the visits (``ingest/buffer.py``); a spool push is a memory copy, with nothing to
    share (the app decides the visits in embedded mode)."""
    url = redis_url()
    if not url:
        return SpoolBuffer(data_dir() / "spool")
    stream = RedisStreamBuffer(url, limits=SharedLimits(local_limits(), secret=salts().today))
    return GroupCommit(FallbackBuffer(stream, fallback_spool_dir()))


@functools.cache
def salts() -> SaltStore:
    db = accounts()
    return SaltStore(db.salt, db.delete_salts_before)


def _fallback() -> FallbackBuffer | None:
    """Server mode's fallback buffer behind the group commit, or None in embedded mode."""
    buffer = make_buffer()
    inner = buffer.inner if isinstance(buffer, GroupCommit) else buffer
    return inner if isinstance(inner, FallbackBuffer) else None


def fallback_spool_dir() -> Path:
    """Where a web process spools events while Redis is unreachable (``LANTERN_FALLBACK_SPOOL``)."""
    return Path(env_str("LANTERN_FALLBACK_SPOOL") or data_dir() / "fallback-spool").resolve()


def local_limits() -> Limits:
    """Events per second (and burst) per client and per site; ``0`` turns a limit off.

    The pipeline's in embedded mode. In server mode the buffer push takes them from buckets shared by
    every web process through Redis (``make_buffer``), and from these while Redis is out.
    """
    client_rate = env_int("INGEST_RATE_PER_CLIENT", 20)
    site_rate = env_int("INGEST_RATE_PER_SITE", 10_000)
    local = Limits(
        per_client=RateLimiter(rate_per_s=client_rate, burst=client_rate * 5),
        per_site=RateLimiter(rate_per_s=site_rate, burst=site_rate * 5),
    )
    return local


def make_pipeline() -> Pipeline:
    return Pipeline(
        SiteRegistry(accounts().fetch_sites),
        salts(),
        locator(),
        limits=NO_LIMITS if redis_url() else local_limits(),
    )


def make_app() -> IngestApp:
    tracker_dir = Path(env_str("LANTERN_TRACKER_DIR") or TRACKER_DIR)
    app = IngestApp(
        make_pipeline(),
        make_buffer(),
        env_networks("TRUSTED_PROXIES"),
        TrackerFiles(tracker_dir),
        KeyRing(accounts().fetch_key),
    )
    _apps.append(app)
    return app


_apps: list[IngestApp] = []


_started = threading.Lock()
_workers: list[tuple[threading.Thread, threading.Event]] = []


def start_workers() -> None:
    """The serving process's background thread, started once after fork (gunicorn's post_worker_init).

    Embedded mode (no ``REDIS_URL``): the flusher, in this, the only process that opens the event store.
    Server mode: the replayer that moves the fallback spool into Redis once Redis is reachable again
    (the flusher is a process of its own, ``python -m ingest.flusher``).
    """
    if not _started.acquire(blocking=False):
        return
    # What is alive now (the app, its caches, the referrer and spam lists, regex sets) lives as long as
    # the process: keep it out of the collector's scans, and collect less often (each request makes
    # short-lived objects that reference counting frees anyway). About 5% more events/s here.
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
    fallback = _fallback()
    if fallback is not None:
        _workers.append(start_replayer(fallback))
        log.info("fallback spool replayer started (%s)", fallback.spool_root)
    else:
        _workers.append(start_thread(Flusher(make_buffer()), interval_s=flush_interval_s()))
        log.info("embedded flusher started")


def stop_workers(timeout_s: float = 15.0) -> None:
    """Stop the background thread after a last flush or replay (what it cannot move stays on disk)."""
    for app in _apps:
        app.close()  # its drop counts go into the buffer before the last flush
    for _thread, stop in _workers:
        stop.set()
    for thread, _stop in _workers:
        thread.join(timeout_s)
    if _workers and (fallback := _fallback()) is not None:
        fallback.close()  # lets go of its spool directory: another worker (or the next start) adopts it

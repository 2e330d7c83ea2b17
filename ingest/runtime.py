"""Wiring from the environment: one buffer, one pipeline and one ingest app per process.

>>> from ingest.runtime import make_app
>>> application = make_app()  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path

from analytics.config import data_dir, database_url, env_networks, env_str, redis_url
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import Buffer, RedisStreamBuffer, SpoolBuffer
from ingest.flusher import Flusher, start_thread
from ingest.geo import locator
from ingest.pipeline import Pipeline
from ingest.sites import SiteRegistry
from ingest.visitor import SaltStore

log = logging.getLogger(__name__)

TRACKER_DIR = Path(__file__).resolve().parent.parent / "tracker-js" / "dist"


@functools.cache
def accounts() -> AccountsDB:
    return AccountsDB(database_url())


@functools.cache
def make_buffer() -> Buffer:
    url = redis_url()
    return RedisStreamBuffer(url) if url else SpoolBuffer(data_dir() / "spool")


def make_pipeline() -> Pipeline:
    db = accounts()
    return Pipeline(SiteRegistry(db.fetch_sites), SaltStore(db.salt, db.delete_salts_before), locator())


def make_app() -> IngestApp:
    tracker_dir = Path(env_str("LANTERN_TRACKER_DIR") or TRACKER_DIR)
    return IngestApp(
        make_pipeline(), make_buffer(), env_networks("TRUSTED_PROXIES"), TrackerFiles(tracker_dir)
    )


_embedded_started = threading.Lock()
_embedded: tuple[threading.Thread, threading.Event] | None = None


def start_embedded_workers() -> None:
    """Embedded mode (no REDIS_URL): run the flusher as a thread of this, the only serving, process."""
    global _embedded
    if redis_url() or not _embedded_started.acquire(blocking=False):
        return
    _embedded = start_thread(Flusher(make_buffer()))
    log.info("embedded flusher started")


def stop_embedded_workers(timeout_s: float = 15.0) -> None:
    """Stop the flusher thread after it has moved what is buffered (what it cannot move stays spooled)."""
    if _embedded is not None:
        thread, stop = _embedded
        stop.set()
        thread.join(timeout_s)

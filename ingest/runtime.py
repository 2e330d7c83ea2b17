"""The web process's ingest app, and its background thread (the flusher in embedded mode, the fallback
spool's replayer in server mode); the pieces they share come from ``ingest/wiring.py``.

>>> from ingest.runtime import make_app
>>> application = make_app()  # doctest: +SKIP
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from analytics.config import env_networks, env_str, redis_url
from analytics.metrics import metrics_app, metrics_token
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import start_replayer
from ingest.flusher import Flusher, flush_interval_s, start_thread
from ingest.geo import locator
from ingest.keys import KeyRing
from ingest.ops import Ops, buffer_gauges
from ingest.pipeline import Pipeline
from ingest.ratelimit import NO_LIMITS
from ingest.readiness import Check, Readiness, standard_checks
from ingest.sites import SiteRegistry
from ingest.wiring import accounts, fallback_buffer, local_limits, make_buffer, salts

log = logging.getLogger(__name__)

TRACKER_DIR = Path(__file__).resolve().parent.parent / "tracker-js" / "dist"


def make_pipeline() -> Pipeline:
    return Pipeline(
        SiteRegistry(accounts().fetch_sites),
        salts(),
        locator(),
        limits=NO_LIMITS if redis_url() else local_limits(),
    )


def make_app(extra_checks: Sequence[Check] = ()) -> IngestApp:
    """The process's ingest app; ``extra_checks`` join its readiness checks (the panel's migrations)."""
    tracker_dir = Path(env_str("LANTERN_TRACKER_DIR") or TRACKER_DIR)
    app = IngestApp(
        make_pipeline(),
        make_buffer(),
        env_networks("TRUSTED_PROXIES"),
        TrackerFiles(tracker_dir),
        KeyRing(accounts().fetch_key),
        ops=make_ops(extra_checks),
    )
    _apps.append(app)
    return app


def make_ops(extra_checks: Sequence[Check] = ()) -> Ops:
    """``/healthz``, ``/readyz`` (this process's stores and migrations) and ``/metrics`` (with the
    buffer's gauges) as this process's environment configures them."""
    readiness = Readiness([*standard_checks(accounts(), redis_url=redis_url()), *extra_checks])
    return Ops(readiness, metrics_app(metrics_token(), [buffer_gauges(make_buffer())]))


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
    fallback = fallback_buffer()
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
    if _workers and (fallback := fallback_buffer()) is not None:
        fallback.close()  # lets go of its spool directory: another worker (or the next start) adopts it

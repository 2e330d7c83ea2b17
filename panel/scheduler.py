"""Embedded mode's in-process scheduler: one daemon thread running ``panel.jobs.SCHEDULE``.

Started by the serving process (``deploy/gunicorn.conf.py``) when there is no ``REDIS_URL``, so the
jobs run where the event store is open. Server mode runs the same schedule with Celery beat.

    >>> due = Timetable(SCHEDULE, start=0.0)
    >>> [job.name for job in due.pop_due(now=0.0)]
    ['reports', 'alerts', 'retention', 'exports', 'closed_days']
    >>> due.pop_due(now=60.0)
    []
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from panel.jobs import SCHEDULE, Job, run

log = logging.getLogger(__name__)


class Timetable:
    """When each job is next due, on a monotonic clock; a job is due at once, then every ``every``."""

    def __init__(self, jobs: Sequence[Job], *, start: float) -> None:
        self._next = {job: start for job in jobs}

    def pop_due(self, now: float) -> list[Job]:
        due = [job for job, at in self._next.items() if at <= now]
        for job in due:
            self._next[job] = now + job.every.total_seconds()
        return due

    def seconds_to_next(self, now: float) -> float:
        return max(0.0, min(self._next.values()) - now)


def run_job(job: Job) -> None:
    """Run one job (counted, ``panel.jobs.run``); a failure is logged and the schedule goes on."""
    try:
        result = run(job)
    except Exception:
        log.exception("scheduled job %s failed", job.name)
    else:
        log.info("scheduled job %s done: %r", job.name, result)
    finally:
        from django.db import close_old_connections

        close_old_connections()


def _loop(stop: threading.Event, jobs: Sequence[Job]) -> None:
    table = Timetable(jobs, start=time.monotonic())
    while not stop.is_set():
        for job in table.pop_due(time.monotonic()):
            if stop.is_set():
                return
            run_job(job)
        stop.wait(min(table.seconds_to_next(time.monotonic()), 30.0))


_lock = threading.Lock()
_running: tuple[threading.Thread, threading.Event] | None = None


def start(jobs: Sequence[Job] = SCHEDULE) -> None:
    """Start the scheduler thread once per process."""
    global _running
    with _lock:
        if _running is not None:
            return
        stop = threading.Event()
        thread = threading.Thread(target=_loop, args=(stop, jobs), name="lantern-scheduler", daemon=True)
        thread.start()
        _running = (thread, stop)
        log.info("embedded scheduler started (%s)", ", ".join(job.name for job in jobs))


def stop(timeout_s: float = 15.0) -> None:
    global _running
    with _lock:
        if _running is None:
            return
        thread, event = _running
        event.set()
        thread.join(timeout_s)
        _running = None

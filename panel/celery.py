"""The Celery app of server mode: Redis as broker, beat running ``panel.jobs.SCHEDULE``.

    celery -A panel.celery worker --beat   # ./dev worker: a worker with the scheduler in it
    celery -A panel.celery worker          # more workers (only one beat per installation)

Every task is a thin wrapper around a plain function from the schedule, so embedded mode (no
``REDIS_URL``) runs the same functions from its in-process scheduler (``panel.scheduler``) instead.
Celery's Django fixup sets Django up in the worker before any task runs. Workers and beat create
their files private (umask 077, ``analytics.datadir``).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any

from celery import Celery
from celery.signals import beat_init, worker_init

from analytics.config import redis_url
from analytics.datadir import private_umask
from panel.jobs import SCHEDULE, Job

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

app = Celery("lantern")
app.conf.update(
    broker_url=redis_url() or "memory://",
    task_acks_late=True,  # a job whose worker dies goes to another; every job is safe to run again
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    beat_schedule={
        job.task_name: {"task": job.task_name, "schedule": job.every.total_seconds()} for job in SCHEDULE
    },
)


def _private_files(**_: Any) -> None:
    private_umask()  # exports and mail files; forked pool processes inherit it


worker_init.connect(_private_files, weak=False)
beat_init.connect(_private_files, weak=False)


def _register(job: Job) -> None:
    def run(now: str | None = None) -> object:
        """``now`` (ISO 8601 with an offset) runs the job as of that moment; beat leaves it out."""
        return job.load()(now=dt.datetime.fromisoformat(now) if now else None)

    run.__name__ = run.__qualname__ = job.name
    app.task(name=job.task_name)(run)


for _job in SCHEDULE:
    _register(_job)


def export(export_id: int) -> str:
    from panel.reports.full_export import run_export

    return run_export(export_id)


app.task(name="lantern.export")(export)


def import_history(import_id: int) -> str:
    from panel.imports.jobs import run_import

    return run_import(import_id)


app.task(name="lantern.import")(import_history)


def in_background(task_name: str, *args: Any) -> None:
    """Server mode: hand the task to a Celery worker. Embedded mode: run it in a thread of this process
    (the one that holds the event store)."""
    if redis_url():
        app.send_task(task_name, args=args)
        return
    task = app.tasks[task_name]

    def run() -> None:
        from django.db import connections

        try:
            task(*args)
        finally:
            connections.close_all()  # this thread's own connections

    threading.Thread(target=run, name=task_name, daemon=True).start()

"""The Celery app of server mode: Redis as broker, beat running ``panel.jobs.SCHEDULE``.

    celery -A panel.celery worker --beat   # ./dev worker: a worker with the scheduler in it
    celery -A panel.celery worker          # more workers
    celery -A panel.celery beat            # beat alone: a second one waits (panel/beat.py)

Every task is a thin wrapper around a plain function from the schedule, so embedded mode (no
``REDIS_URL``) runs the same functions from its in-process scheduler (``panel.scheduler``) instead.
Celery's Django fixup sets Django up in the worker before any task runs. Only the beat holding the
beat lease in Redis sends the schedule (``panel.beat``), and a job runs in one worker at a time
(``panel.jobs.run``). Workers and beat create their files private (umask 077, ``analytics.datadir``).
"""

from __future__ import annotations

import datetime as dt
import logging
import logging.config
import os
import threading
from typing import Any

from celery import Celery
from celery.signals import beat_init, setup_logging, worker_init

from analytics.config import redis_url
from analytics.datadir import private_umask
from analytics.logs import logging_config
from analytics.metrics import metrics_port, metrics_token, multiprocess_dir, serve
from panel import jobs
from panel.jobs import SCHEDULE, Job

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

log = logging.getLogger(__name__)

app = Celery("lantern")
app.conf.update(
    broker_url=redis_url() or "memory://",
    task_acks_late=True,  # a job whose worker dies goes to another; every job is safe to run again
    worker_prefetch_multiplier=1,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    beat_scheduler="panel.beat:LeasedScheduler",  # one beat sends at a time, whoever holds the lease
    beat_schedule={
        job.task_name: {"task": job.task_name, "schedule": job.every.total_seconds()} for job in SCHEDULE
    },
)


def _private_files(**_: Any) -> None:
    private_umask()  # exports and mail files; forked pool processes inherit it


def _metrics(**_: Any) -> None:
    """A worker's ``/metrics`` on ``METRICS_PORT``: job outcomes, and queries' times. Its pool's
    processes count into ``PROMETHEUS_MULTIPROC_DIR``; without it only threads' counts show."""
    (host, port), token = metrics_port(), metrics_token()
    if port:
        serve(port, host=host, token=token)
        log.info("metrics at http://%s:%d/metrics", host, port)
        if not multiprocess_dir():
            log.warning("METRICS_PORT without PROMETHEUS_MULTIPROC_DIR: a prefork pool's job counts are lost")


def _logging(**_: Any) -> None:
    """Celery logs as every Lantern process does (``LOG_FORMAT``), not in its own format."""
    logging.config.dictConfig(logging_config("%(asctime)s %(levelname)s %(name)s: %(message)s"))


worker_init.connect(_private_files, weak=False)
worker_init.connect(_metrics, weak=False)
beat_init.connect(_private_files, weak=False)
setup_logging.connect(_logging, weak=False)


def _register(job: Job) -> None:
    def run(now: str | None = None) -> object:
        """``now`` (ISO 8601 with an offset) runs the job as of that moment; beat leaves it out."""
        return jobs.run(job, dt.datetime.fromisoformat(now) if now else None)

    run.__name__ = run.__qualname__ = job.name
    app.task(name=job.task_name)(run)


for _job in SCHEDULE:
    _register(_job)


def export(export_id: int) -> str:
    from panel.reports.full_export import run_export

    result = jobs.counted("export", lambda: run_export(export_id))
    assert isinstance(result, str)
    return result


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

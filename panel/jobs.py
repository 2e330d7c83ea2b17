"""The one schedule of Lantern's periodic jobs, shared by Celery beat and the embedded scheduler.

Each job is a plain function (``panel.reports.jobs.send_due_reports`` ...) that is safe to run again
at any time: a report claims its row before sending, an alert its cool-down, and deleting old data or
expired export files finds nothing the second time. So both runners need only "every N seconds".

Both run a job through ``run``, which counts its outcome for ``/metrics`` (success, failure, skipped).
With ``REDIS_URL`` a job runs only while its worker holds the job's lease in Redis (``panel/lease.py``):
a job still running in one worker is skipped by another, so each job runs in one worker at a time.

    >>> [job.name for job in SCHEDULE]
    ['reports', 'alerts', 'retention', 'exports', 'closed_days']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import logging
import time
from collections.abc import Callable

import redis

from analytics.config import redis_url
from analytics.metrics import JOB_RUNS, JOB_SECONDS
from panel.lease import holding

log = logging.getLogger(__name__)

# How long a job's lease outlives a worker that died holding it (renewed every third of it meanwhile).
JOB_LEASE_S = 60.0


@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    function: str  # dotted path of a function taking one optional keyword: now (an aware datetime)
    every: dt.timedelta

    @property
    def task_name(self) -> str:
        return f"lantern.{self.name}"

    def load(self) -> Callable[..., object]:
        module, _, attribute = self.function.rpartition(".")
        function: Callable[..., object] = getattr(importlib.import_module(module), attribute)
        return function


SCHEDULE: tuple[Job, ...] = (
    # Weekly and monthly reports go out at 09:00 in each site's timezone: looking every 10 minutes
    # sends them within 10 minutes of that.
    Job("reports", "panel.reports.jobs.send_due_reports", dt.timedelta(minutes=10)),
    Job("alerts", "panel.reports.alerts.check_traffic", dt.timedelta(minutes=5)),
    Job("retention", "panel.reports.retention.enforce_retention", dt.timedelta(hours=6)),
    Job("exports", "panel.reports.full_export.delete_expired", dt.timedelta(hours=6)),
    # Each closed day's sums (analytics.closed_days) are written once, soon after the day closes.
    Job("closed_days", "panel.sites.closed_days.build_closed", dt.timedelta(minutes=10)),
)


def run(job: Job, now: dt.datetime | None = None) -> object:
    """Run ``job`` once (as of ``now``), counted; with ``REDIS_URL`` only while holding its lease, and
    skipped (None) while another worker runs it. A failure is counted and raised."""
    url = redis_url()
    if not url:
        return counted(job.name, job.load(), now)
    with holding(_redis(url), f"lantern:lease:job:{job.name}", ttl_s=JOB_LEASE_S) as held:
        if not held:
            JOB_RUNS.labels(job=job.name, outcome="skipped").inc()
            log.info("job %s is running in another worker: skipped", job.name)
            return None
        return counted(job.name, job.load(), now)


def counted(name: str, function: Callable[..., object], now: dt.datetime | None = None) -> object:
    """Call ``function`` (with ``now`` if given), counting its outcome and time under ``name``."""
    start = time.perf_counter()
    try:
        result = function() if now is None else function(now=now)
    except BaseException:
        JOB_RUNS.labels(job=name, outcome="failure").inc()
        raise
    finally:
        JOB_SECONDS.labels(job=name).observe(time.perf_counter() - start)
    JOB_RUNS.labels(job=name, outcome="success").inc()
    return result


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)

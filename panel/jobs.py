"""The one schedule of Lantern's periodic jobs, shared by Celery beat and the embedded scheduler.

Each job is a plain function (``panel.reports.jobs.send_due_reports`` ...) that is safe to run again
at any time: a report claims its row before sending, an alert its cool-down, and deleting old data or
expired export files finds nothing the second time. So both runners need only "every N seconds".

    >>> [job.name for job in SCHEDULE]
    ['reports', 'alerts', 'retention', 'exports', 'closed_days']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from collections.abc import Callable


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

"""One schedule, two runners: Celery beat's entries and the embedded scheduler thread both come from
``panel.jobs.SCHEDULE``; the thread runs due jobs and survives a failing one."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from panel import scheduler
from panel.celery import app
from panel.jobs import SCHEDULE, Job
from panel.scheduler import Timetable, run_job

ran = threading.Event()


def probe(now: dt.datetime | None = None) -> None:
    ran.set()


def broken(now: dt.datetime | None = None) -> None:
    raise RuntimeError("this job fails")


def test_beat_runs_every_job_of_the_schedule_at_its_interval() -> None:
    beat = app.conf.beat_schedule
    assert {entry["task"]: entry["schedule"] for entry in beat.values()} == {
        job.task_name: job.every.total_seconds() for job in SCHEDULE
    }
    assert all(job.task_name in app.tasks for job in SCHEDULE)
    assert all(callable(job.load()) for job in SCHEDULE)


def test_the_timetable_runs_each_job_at_once_then_every_interval() -> None:
    quick = Job("quick", "tests.test_scheduler.probe", dt.timedelta(seconds=10))
    slow = Job("slow", "tests.test_scheduler.probe", dt.timedelta(seconds=60))
    table = Timetable([quick, slow], start=100.0)
    assert table.pop_due(100.0) == [quick, slow]
    assert table.pop_due(105.0) == []
    assert table.seconds_to_next(105.0) == 5.0
    assert table.pop_due(110.0) == [quick]
    assert table.pop_due(160.0) == [quick, slow]


def test_a_failing_job_is_logged_and_does_not_stop_the_schedule(
    caplog: pytest.LogCaptureFixture, db: None
) -> None:
    run_job(Job("broken", "tests.test_scheduler.broken", dt.timedelta(seconds=1)))
    assert "scheduled job broken failed" in caplog.text


def test_the_embedded_scheduler_thread_runs_due_jobs() -> None:
    ran.clear()
    scheduler.start([Job("probe", "tests.test_scheduler.probe", dt.timedelta(hours=1))])
    try:
        assert ran.wait(20)
    finally:
        scheduler.stop()
    assert not any(t.name == "lantern-scheduler" for t in threading.enumerate())

"""Exactly one beat, and each background job in one worker at a time: leases in the real Redis.

Two beat-like holders in threads: only one holds the lease; when it stops renewing, the other takes it
over once the lease has expired, not before. Celery beat's scheduler sends only while holding it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from analytics.metrics import JOB_RUNS
from panel import jobs
from panel.beat import LeasedScheduler
from panel.celery import app as celery_app
from panel.jobs import Job
from panel.lease import Lease, holding

TTL_S = 1.0
ran: list[str] = []


def probe(now: dt.datetime | None = None) -> str:
    ran.append("probe")
    return "done"


def broken(now: dt.datetime | None = None) -> None:
    raise RuntimeError("this job fails")


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def name(client: redis.Redis) -> Iterator[str]:
    key = f"test:lease:{uuid.uuid4().hex}"
    yield key
    client.delete(key)


class Beatlike(threading.Thread):
    """Ticks like beat: takes or renews the lease every ``TTL_S / 10``, noting when it held it."""

    def __init__(self, client: redis.Redis, name: str) -> None:
        super().__init__(daemon=True)
        self.lease = Lease(client, name, ttl_s=TTL_S)
        self.held_at: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            if self.lease.hold():
                self.held_at.append(time.monotonic())
            self.stop.wait(TTL_S / 10)


def test_one_of_two_beats_holds_the_lease_and_the_other_takes_over_once_it_expires(
    client: redis.Redis, name: str
) -> None:
    first, second = Beatlike(client, name), Beatlike(client, name)
    first.start()
    time.sleep(TTL_S / 5)
    second.start()
    time.sleep(TTL_S * 2)
    assert first.held_at and not second.held_at  # the first renewed it all along; the second waited

    first.stop.set()  # stops renewing without letting go, as a killed beat does
    first.join()
    last_renewal = first.held_at[-1]
    deadline = time.monotonic() + TTL_S * 3
    while not second.held_at and time.monotonic() < deadline:
        time.sleep(0.01)
    second.stop.set()
    second.join()
    assert second.held_at, "the second beat never took over"
    assert second.held_at[0] - last_renewal >= TTL_S * 0.9  # only once the lease had expired
    assert Lease(client, name, ttl_s=TTL_S).hold() is False  # the second one holds it now


def test_a_released_lease_is_taken_at_once_and_a_lost_one_cannot_release_the_next(
    client: redis.Redis, name: str
) -> None:
    first, second = Lease(client, name, ttl_s=TTL_S), Lease(client, name, ttl_s=TTL_S)
    assert first.hold() and not second.hold()
    first.release()
    assert second.hold()
    assert not first.hold()
    first.release()  # it no longer holds it: the second keeps it
    assert client.get(name) is not None and not Lease(client, name, ttl_s=TTL_S).hold()


class RecordingScheduler(LeasedScheduler):
    """Celery beat's scheduler with a short lease, noting what it would send instead of sending it."""

    lease_s = TTL_S

    def __init__(self, *args: Any, lease_name: str, **kwargs: Any) -> None:
        self.lease_name = lease_name
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True, **kwargs: Any) -> None:
        self.sent.append(entry.task)


def tick_until_idle(beat: RecordingScheduler) -> list[str]:
    """Tick until nothing is due now (beat sends one entry a tick); what it sent meanwhile."""
    before = len(beat.sent)
    for _ in range(20):
        if beat.tick() > 0:
            break
    return sorted(task for task in beat.sent[before:] if task.startswith("lantern."))


def test_only_the_beat_holding_the_lease_sends_the_schedule(
    redis_url: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    beats = [
        RecordingScheduler(app=celery_app, schedule_filename=str(tmp_path / f"beat-{n}"), lease_name=name)
        for n in (1, 2)
    ]
    every_job = sorted(job.task_name for job in jobs.SCHEDULE)
    long_ago = celery_app.now() - dt.timedelta(days=1)
    for beat in beats:
        for entry in beat.schedule.values():
            entry.last_run_at = long_ago  # every job is due
    try:
        assert [tick_until_idle(beat) for beat in beats] == [every_job, []]
        assert 0 < beats[1].tick() <= TTL_S / 3  # the other one tries again soon
        assert 0 < beats[0].tick() <= TTL_S / 3  # the leader renews its lease as often

        time.sleep(TTL_S * 1.2)  # the leader stops ticking (stalled or killed): its lease expires
        assert tick_until_idle(beats[1]) == every_job
        assert beats[1].lease.held
        assert tick_until_idle(beats[0]) == []  # it lost the lease: it sends nothing more
        assert not beats[0].lease.held
    finally:
        for beat in beats:
            beat.close()


def test_a_job_runs_in_one_worker_at_a_time_and_its_outcomes_are_counted(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, client: redis.Redis
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    job = Job(f"probe_{uuid.uuid4().hex[:8]}", "tests.test_leases.probe", dt.timedelta(minutes=1))
    counts = JOB_RUNS.labels
    with holding(client, f"lantern:lease:job:{job.name}", ttl_s=TTL_S) as held:  # another worker runs it
        assert held
        time.sleep(TTL_S * 1.2)  # renewed meanwhile: still held after its time to live
        assert jobs.run(job) is None
    assert counts(job=job.name, outcome="skipped")._value.get() == 1
    ran.clear()
    assert jobs.run(job) == "done" and ran == ["probe"]
    assert counts(job=job.name, outcome="success")._value.get() == 1
    assert client.get(f"lantern:lease:job:{job.name}") is None  # released when the job ended

    failing = Job(f"broken_{uuid.uuid4().hex[:8]}", "tests.test_leases.broken", dt.timedelta(minutes=1))
    with pytest.raises(RuntimeError):
        jobs.run(failing)
    assert counts(job=failing.name, outcome="failure")._value.get() == 1


def test_embedded_mode_runs_jobs_without_redis_and_counts_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    job = Job(f"probe_{uuid.uuid4().hex[:8]}", "tests.test_leases.probe", dt.timedelta(minutes=1))
    assert jobs.run(job) == "done"
    assert JOB_RUNS.labels(job=job.name, outcome="success")._value.get() == 1

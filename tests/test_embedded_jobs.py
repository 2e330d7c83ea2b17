"""Embedded mode: ``./dev serve`` runs the scheduled jobs (reports, alerts, retention, exports, closed
days' sums) in its own process, where the event store is open, without Redis or Celery."""

from __future__ import annotations

import time
from pathlib import Path

from tests.embedded_server import embedded_server


def _wait_for_line(log: Path, text: str, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        content = log.read_text(errors="replace")
        if text in content:
            return content
        time.sleep(0.2)
    raise AssertionError(f"{text!r} not in the server's log:\n{log.read_text(errors='replace')[-3000:]}")


def test_the_served_process_runs_every_scheduled_job(tmp_path: Path) -> None:
    with embedded_server(tmp_path / "data") as server:
        started = "embedded scheduler started (reports, alerts, retention, exports, closed_days)"
        _wait_for_line(server.log, started)
        _wait_for_line(server.log, "scheduled job reports done: ")
        _wait_for_line(server.log, "scheduled job alerts done: 0")
        _wait_for_line(server.log, "scheduled job retention done: ")
        _wait_for_line(server.log, "scheduled job exports done: 0")
        content = _wait_for_line(server.log, "scheduled job closed_days done: ")
    assert [line for line in content.splitlines() if "scheduled job" in line and "failed" in line] == []

"""The dashboard render benchmark (``bench.page_render`` over ``bench.dashboard``'s store) on a tiny data
set: it serves the store with gunicorn, logs in as the site's owner, waits for every widget and reports
its runs; it refuses a page without numbers and a site whose id is not the events'."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bench import dashboard, page_render
from bench.common import BenchError
from bench.server import isolated_env, run_python

pytestmark = pytest.mark.browser


def test_one_size_times_the_queries_and_then_the_page_over_the_same_store() -> None:
    figures = dashboard.run_size(3000, reps=1, render_runs=2)
    assert "page_render_error" not in figures
    assert figures["events"] == 3000
    assert figures["page_render_runs"] == 2
    p50, p95 = float(figures["page_render_p50_ms"]), float(figures["page_render_p95_ms"])
    assert 0 < p50 <= p95


def test_a_page_without_visitors_is_no_measurement(tmp_path: Path) -> None:
    """The site exists and the store has its tables, but no events: ready, yet nothing was drawn."""
    run_python(["-m", "clickhouse.migrate"], isolated_env(tmp_path))
    with pytest.raises(BenchError, match="rendered no visitors"):
        page_render.render_figures(tmp_path, 1, site_id=1, tz="UTC", last_day=dt.date(2026, 11, 20))


def test_the_site_must_carry_the_events_site_id(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="the events are under 7"):
        page_render.prepare_accounts(isolated_env(tmp_path), 7, "UTC")


def test_summary_is_nearest_rank_p50_and_p95_of_the_runs() -> None:
    assert page_render.summarise([40.0, 10.0, 30.0, 20.0, 50.0]) == {
        "page_render_p50_ms": 30.0,
        "page_render_p95_ms": 50.0,
        "page_render_runs": 5,
    }
    with pytest.raises(BenchError):
        page_render.summarise([])

"""The dashboard's queries over 30 days at two sizes (1M and 10M events; 200k and 1M with --quick).

Each size runs in a child process of its own on a fresh chDB directory (never ``var/``): it loads
generated events (``bench.eventgen``, each with its visit; the insert fills the ``visits`` table), then
times every call the dashboard page makes when it opens (``PAGE_LOAD``: each card's first tab, the
site's goals, its custom properties, what was filtered out, current visitors), built from the page's
query strings by ``panel.stats_api.params`` into the real ``Query`` objects and run by
``analytics.run_query``: alone (one after another, p50 and p95 of each), and as a whole page,
sequentially and four at a time; then the same with every other tab of the list cards added.
Then, over the same store, the page itself in headless Chromium (``bench.page_render``):
``page_render_p50_ms_10m`` is issue 5's figure (target: every widget filled within 1000 ms).

    python -m bench.dashboard 1000000 --reps 15   # one size: one JSON line of figures
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from analytics.funnels import Funnel
from analytics.goals import Goal
from analytics.memo import forget
from analytics.periods import DateRange
from analytics.query import Query
from bench import page_render
from bench.common import BenchError, Figures, Settings, percentile, progress

SITE_ID = 1
TZ = "Europe/Berlin"
LAST_DAY = dt.date(2026, 11, 20)  # "today" for the page; the events cover the 30 days up to it
NOW = dt.datetime.combine(LAST_DAY, dt.time(23, 58), dt.UTC)  # realtime's "now"
CONCURRENCY = 4  # requests the page has in flight at once

FULL_SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (200_000, 1_000_000)

VISIT_METRICS = "visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration"
# The requests the dashboard makes when it opens (dashboard-js: every card's first tab), each as
# (endpoint, breakdown property, limit); tests/test_dashboard_browser.py checks the page makes these.
# (It also lists the site's funnels, which reads PostgreSQL only.)
PAGE_LOAD: tuple[tuple[str, str, int], ...] = (
    ("aggregate", "", 0),
    ("timeseries", "", 0),  # with the comparison period's buckets (one request, two queries)
    ("breakdown", "visit:channel", 9),
    ("breakdown", "event:page", 9),
    ("breakdown", "visit:country", 250),
    ("breakdown", "visit:browser", 9),
    ("breakdown", "event:goal", 9),
    ("props", "", 9),  # the keys in use and the most used one's breakdown, in one request
    ("dropped", "", 0),
    ("realtime/visitors", "", 0),
)
# The metrics the page asks for, by breakdown property ("visitors" for any other).
PAGE_METRICS = {
    "event:page": "visitors,time_on_page,scroll_depth",
    "event:goal": "visitors,events,conversion_rate",
    "event:props:": "visitors,events",
}
# The page after a click on a row: a visit filter (a source) and an event filter (a page).
FILTERED = {"source": "visit:source==Google", "page": "event:page==/pricing"}
# The other tabs of the list cards, read when clicked.
OTHER_TABS = (
    "visit:source",
    "visit:utm_medium",
    "visit:utm_source",
    "visit:utm_campaign",
    "visit:entry_page",
    "visit:exit_page",
    "visit:region",
    "visit:city",
    "visit:os",
    "visit:screen",
)
# The bench site's goals, as a site has them: its two custom events and a page.
GOALS = (
    Goal(event_name="Signup"),
    Goal(event_name="Outbound Link: Click"),
    Goal(page_path="/pricing"),
)

LABELS = {
    "load_eps": "events/s loaded at the largest size, their visits included",
    "peak_rss_mb": "peak resident memory of a size's process (load and queries)",
    "dashboard_growth_ratio": "whole page p50, larger size / smaller size",
    "dashboard_size_ratio": "events, larger size / smaller size",
    "dashboard_live_p50_ms_10m": "whole page p50 while events keep arriving for its last day",
    "dashboard_past_p50_ms_10m": "whole page p50 for the 30 days ending yesterday (closed days only)",
    "dashboard_all_tabs_p50_ms_10m": "the page's calls and every other tab of the list cards, 4 at a time",
    "dashboard_filtered_source_p50_ms_10m": "whole page p50 filtered by a source (a click on Google)",
    "dashboard_filtered_page_p50_ms_10m": "whole page p50 filtered by a page (a click on /pricing)",
    "funnel_p50_ms_10m": "a 3-step funnel over the 30 days (/, /pricing, Signup)",
    **page_render.LABELS,
}


def label(events: int) -> str:
    """1000000 -> "1m", 200000 -> "200k"."""
    if events % 1_000_000 == 0:
        return f"{events // 1_000_000}m"
    return f"{events // 1000}k"


@dataclasses.dataclass(frozen=True)
class Call:
    """One request of the page: a name and what it runs."""

    name: str
    run: Callable[[], object]


def page_calls(*, all_tabs: bool = False, filters: str = "", ending: dt.date = LAST_DAY) -> list[Call]:
    """The calls the dashboard makes when it opens for 30 days (``PAGE_LOAD``), as the API views run
    them; with ``all_tabs``, also every other tab of the list cards; with ``filters`` (the API's
    syntax), the page filtered by them, as after a click on a row; with ``ending``, the 30 days ending
    that day (``date=``)."""
    from analytics import run_query
    from analytics.dropped import dropped_events
    from analytics.prop_keys import top_prop_keys
    from analytics.realtime import current_visitors
    from panel.stats_api import params

    def query(qs: Mapping[str, str], kind: str = "aggregate") -> Query:
        qs = {**qs, "filters": filters} if filters else qs
        qs = {**qs, "date": ending.isoformat()} if ending != LAST_DAY else qs
        return params.parse_common(qs, site_id=SITE_ID, tz=TZ, today=LAST_DAY, kind=kind, goals=GOALS)

    def aggregate() -> object:
        qs = {"period": "30d", "metrics": VISIT_METRICS, "compare": "previous_period"}
        current = query(qs)
        previous = params.parse_compare(qs, current.date_range, today=LAST_DAY)
        assert previous is not None
        run_query(current, tag="bench:aggregate")
        return run_query(dataclasses.replace(current, date_range=previous), tag="bench:aggregate:compare")

    def timeseries() -> object:
        qs = {"period": "30d", "metrics": "visitors", "interval": "date", "compare": "previous_period"}
        current = query(qs, "timeseries")
        previous = params.parse_compare(qs, current.date_range, today=LAST_DAY)
        assert previous is not None
        run_query(current, tag="bench:timeseries")
        return run_query(dataclasses.replace(current, date_range=previous), tag="bench:timeseries:compare")

    def breakdown(prop: str, limit: int, metrics: str = "visitors") -> Callable[[], object]:
        qs = {"period": "30d", "metrics": metrics, "property": prop, "limit": str(limit)}
        built = query(qs, "breakdown")
        return lambda: run_query(built, tag="bench:breakdown")

    month = page_range(ending)

    def props() -> object:  # the page asks for the keys, then for its first key's values
        keys = top_prop_keys(SITE_ID, month)
        return breakdown(f"event:props:{keys[0]}", 9, PAGE_METRICS["event:props:"])() if keys else []

    def call(endpoint: str, prop: str, limit: int) -> Call:
        """The call behind one of ``PAGE_LOAD``'s requests."""
        if endpoint == "aggregate":
            return Call("aggregate", aggregate)
        if endpoint == "timeseries":
            return Call("timeseries", timeseries)
        if endpoint == "props":
            return Call("props", props)
        if endpoint == "dropped":
            return Call("dropped", lambda: dropped_events(SITE_ID, month.first, month.last))
        if endpoint == "realtime/visitors":
            return Call("realtime", lambda: current_visitors(SITE_ID, NOW))
        if prop == "event:goal":
            return Call("goals", breakdown(prop, limit, PAGE_METRICS[prop]))
        return Call(prop.replace(":", "_"), breakdown(prop, limit, PAGE_METRICS.get(prop, "visitors")))

    calls = [call(*request) for request in PAGE_LOAD]
    if all_tabs:
        calls += [Call(prop.replace(":", "_"), breakdown(prop, 9)) for prop in OTHER_TABS]
    return calls


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def arrive_on_last_day() -> None:
    """A few events for the page's last day, as they keep arriving on a busy site, each with its visit
    (the flusher's insert, the visits table fed by it)."""
    from analytics import client
    from analytics.schema import Event
    from ingest.visits import assign

    moment = dt.datetime.combine(LAST_DAY, dt.time(12), dt.UTC) + dt.timedelta(seconds=time.time() % 3600)
    events = [
        Event(SITE_ID, moment, uuid.uuid4(), "pageview", visitor, "bench.example", "/live")
        for visitor in range(1, 20)
    ]
    client.insert_json_lines("events", assign(events), token=f"bench:{uuid.uuid4()}")


def time_page(calls: list[Call], reps: int, between: Callable[[], None] | None = None) -> Figures:
    """Each call alone (p50, p95 over the sequential runs) and the whole page, sequential and concurrent."""
    for call in calls:  # warm up: first reads load marks and caches
        call.run()
    alone: dict[str, list[float]] = {call.name: [] for call in calls}
    sequential, concurrent, cpu = [], [], []
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for _ in range(reps):
            if between is not None:
                between()  # not timed: what happens between two page loads
            forget()  # each page load reads as the first after a while does (its calls share reads)
            page_started, cpu_started = time.perf_counter(), time.process_time()
            for call in calls:
                started = time.perf_counter()
                call.run()
                alone[call.name].append(time.perf_counter() - started)
            sequential.append(time.perf_counter() - page_started)
            cpu.append(time.process_time() - cpu_started)
            if between is not None:
                between()
            forget()
            started = time.perf_counter()
            for future in [pool.submit(call.run) for call in calls]:
                future.result()
            concurrent.append(time.perf_counter() - started)
    figures: Figures = {
        "page_p50_ms": _ms(percentile(concurrent, 0.5)),
        "page_p95_ms": _ms(percentile(concurrent, 0.95)),
        "page_seq_p50_ms": _ms(percentile(sequential, 0.5)),
        "page_seq_p95_ms": _ms(percentile(sequential, 0.95)),
        # CPU the engine spent on one page (every thread): what the page costs, whatever else runs
        "page_cpu_p50_ms": _ms(percentile(cpu, 0.5)),
    }
    for name, values in alone.items():
        figures[f"q_{name}_p50_ms"] = _ms(percentile(values, 0.5))
        figures[f"q_{name}_p95_ms"] = _ms(percentile(values, 0.95))
    figures["page_sum_of_p50_ms"] = round(sum(statistics.median(v) for v in alone.values()) * 1000, 1)
    return figures


def load(events: int) -> Figures:
    """Fill a fresh store with generated events; the insert fills their visits (``visits_mv``)."""
    from analytics import client
    from bench.eventgen import generate
    from clickhouse.migrate import migrate

    migrate()
    started = time.perf_counter()
    generate(events=events, site_id=SITE_ID, last_day=LAST_DAY)
    done = time.perf_counter()
    stored = int(client.execute("SELECT count() FROM events", tag="bench").rows[0][0])
    if stored != events:
        raise BenchError(f"asked for {events} events, the store holds {stored}")
    _wait_for_merges(events)
    size = client.execute(
        "SELECT table, sum(bytes_on_disk) FROM system.parts WHERE active AND database = currentDatabase()"
        " AND table IN ('events', 'visits') GROUP BY table",
        tag="bench",
    ).rows
    on_disk = {str(table): int(value) for table, value in size}
    return {
        "events": events,
        "load_s": round(done - started, 2),
        "load_eps": round(events / (done - started)),
        "size_mb": round(sum(on_disk.values()) / 1e6, 1),
        "events_mb": round(on_disk.get("events", 0) / 1e6, 1),
        "visits_mb": round(on_disk.get("visits", 0) / 1e6, 1),
    }


# Merges running, mutations pending, and months of closed days' sums not yet in one part (migration 0034
# merges them a minute after their last write: a page opened days later finds them so).
_BUSY = (
    "SELECT (SELECT count() FROM system.merges)"
    " + (SELECT count() FROM system.mutations WHERE database = currentDatabase() AND NOT is_done)"
    " + (SELECT count() FROM (SELECT partition FROM system.parts"
    " WHERE active AND database = currentDatabase() AND table = 'day_sums'"
    " GROUP BY partition HAVING count() > 1))"
)


def _wait_for_merges(events: int, limit_s: float = 600.0) -> None:
    """Let the engine finish the merges the load of ``events`` (or the closed days' writes) started, as
    a site's tables would be at rest; how long that took is in the progress log."""
    from analytics import client

    started = time.monotonic()
    time.sleep(min(12.0, events / 100_000))  # the engine schedules merges of many parts within seconds
    while time.monotonic() < started + limit_s:
        if not client.execute(_BUSY, tag="bench").rows[0][0]:
            break
        time.sleep(0.5)
    progress(f"dashboard: merges at rest after {time.monotonic() - started:.0f} s")


def measure_size(events: int, reps: int) -> Figures:
    """Everything for one size, in this process (which owns the CLICKHOUSE_URL directory)."""
    progress(f"dashboard: loading {events:,} events")
    figures = load(events)
    progress(
        f"dashboard: loaded in {figures['load_s']} s, {figures['size_mb']} MB; timing the page {reps} times"
    )
    from analytics import build_closed_days, build_funnels

    started = time.perf_counter()
    built = build_closed_days(SITE_ID, TZ, GOALS, NOW)  # as the closed_days job would have by now
    built += build_funnels(SITE_ID, [signup_funnel()], NOW)
    figures["closed_days_build_s"] = round(time.perf_counter() - started, 2)
    progress(f"dashboard: closed days' sums written ({built}) in {figures['closed_days_build_s']} s")
    _wait_for_merges(events)  # the sums' parts at rest too, as the job leaves them long before a page opens
    figures.update(time_page(page_calls(), reps))
    tabs = time_page(page_calls(all_tabs=True), reps)
    figures["page_all_tabs_p50_ms"] = tabs["page_p50_ms"]
    figures["page_all_tabs_cpu_p50_ms"] = tabs["page_cpu_p50_ms"]
    for name, filters in FILTERED.items():
        filtered = time_page(page_calls(filters=filters), max(3, reps // 2))
        figures[f"page_filtered_{name}_p50_ms"] = filtered["page_p50_ms"]
    past = time_page(page_calls(ending=LAST_DAY - dt.timedelta(days=1)), max(3, reps // 2))
    figures["page_past_p50_ms"] = past["page_p50_ms"]
    live = time_page(page_calls(), max(3, reps // 2), between=arrive_on_last_day)
    figures["page_live_p50_ms"] = live["page_p50_ms"]
    figures["funnel_p50_ms"] = time_page([Call("funnel", funnel)], reps)["q_funnel_p50_ms"]
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return figures


def page_range(ending: dt.date = LAST_DAY) -> DateRange:
    """The page's 30 days, as the API parses ``period=30d`` (``date=ending``)."""
    from panel.stats_api import params

    qs = {"period": "30d", "metrics": "visitors", "date": ending.isoformat()}
    return params.parse_common(qs, site_id=SITE_ID, tz=TZ, today=LAST_DAY).date_range


def signup_funnel() -> Funnel:
    from analytics.funnels import Funnel

    steps = (Goal(page_path="/"), Goal(page_path="/pricing"), Goal(event_name="Signup"))
    return Funnel("Signup flow", steps)


def funnel() -> object:
    """The bench site's signup funnel over the page's 30 days, as the funnel card asks for it."""
    from analytics import run_funnel

    return run_funnel(SITE_ID, page_range(), signup_funnel(), goals=GOALS)


def run_size(events: int, reps: int, render_runs: int) -> Figures:
    """Run one size in a fresh process and data directory; its figures, then the page in Chromium over
    the same store (``bench.page_render``) before the directory goes."""
    with tempfile.TemporaryDirectory(prefix="lantern-bench-dashboard-") as tmp:
        env = {**os.environ, "CLICKHOUSE_URL": f"chdb://{Path(tmp) / 'clickhouse'}"}
        command = [sys.executable, "-m", "bench.dashboard", str(events), "--reps", str(reps)]
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise BenchError(f"the {label(events)} dashboard run failed (exit {done.returncode})")
        figures: Figures = json.loads(done.stdout.strip().splitlines()[-1])
        try:
            rendered = page_render.render_figures(
                Path(tmp), render_runs, site_id=SITE_ID, tz=TZ, last_day=LAST_DAY
            )
        except BenchError as exc:  # the query figures still stand; the run reports the error and fails
            rendered = {"page_render_error": str(exc).splitlines()[0]}
        figures.update(rendered)
    return figures


def dashboard_queries(settings: Settings) -> Figures:
    """Both sizes, each in its own process; figures keyed by size (``dashboard_p50_ms_10m``, ...)."""
    small, large = QUICK_SIZES if settings.quick else FULL_SIZES
    reps = {small: 5, large: 5} if settings.quick else {small: 11, large: 5}
    render_runs = {small: 3, large: 3} if settings.quick else {small: 7, large: 5}
    out: Figures = {}
    by_size = {}
    for events in (small, large):
        figures = run_size(events, reps[events], render_runs[events])
        by_size[events] = figures
        tag = label(events)
        out[f"dashboard_p50_ms_{tag}"] = figures["page_p50_ms"]
        out[f"dashboard_p95_ms_{tag}"] = figures["page_p95_ms"]
        out[f"dashboard_seq_p50_ms_{tag}"] = figures["page_seq_p50_ms"]
        out[f"dashboard_seq_p95_ms_{tag}"] = figures["page_seq_p95_ms"]
        out[f"dashboard_cpu_p50_ms_{tag}"] = figures["page_cpu_p50_ms"]
        for key in (
            "page_render_p50_ms",
            "page_render_p95_ms",
            "page_render_error",
            "page_render_live_p50_ms",
            "page_render_filtered_0_p50_ms",
            "page_render_filtered_1_p50_ms",
            "serve_rss_mb",
        ):
            if key in figures:
                out[f"{key}_{tag}"] = figures[key]
        out[f"dashboard_live_p50_ms_{tag}"] = figures["page_live_p50_ms"]
        out[f"dashboard_past_p50_ms_{tag}"] = figures["page_past_p50_ms"]
        out[f"dashboard_all_tabs_p50_ms_{tag}"] = figures["page_all_tabs_p50_ms"]
        out[f"dashboard_all_tabs_cpu_p50_ms_{tag}"] = figures["page_all_tabs_cpu_p50_ms"]
        for name in FILTERED:
            out[f"dashboard_filtered_{name}_p50_ms_{tag}"] = figures[f"page_filtered_{name}_p50_ms"]
        out[f"funnel_p50_ms_{tag}"] = figures["funnel_p50_ms"]
        for key in (
            "load_s",
            "load_eps",
            "size_mb",
            "visits_mb",
            "peak_rss_mb",
            "closed_days_build_s",
        ):
            out[f"{key}_{tag}"] = figures[key]
        for key, value in figures.items():
            if key.startswith("q_"):
                out[f"{key}_{tag}"] = value
    out["load_eps"] = by_size[large]["load_eps"]
    out["peak_rss_mb"] = max(float(f["peak_rss_mb"]) for f in by_size.values())
    out["dashboard_growth_ratio"] = round(
        float(by_size[large]["page_p50_ms"]) / float(by_size[small]["page_p50_ms"]), 2
    )
    out["dashboard_size_ratio"] = round(large / small, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__.splitlines()[0])
    parser.add_argument("events", type=int, help="how many events to load")
    parser.add_argument("--reps", type=int, default=15, help="page runs timed in each mode")
    args = parser.parse_args(argv)
    if args.events < 1000 or args.reps < 1:
        parser.error("events must be at least 1000 and reps at least 1")
    print(json.dumps(measure_size(args.events, args.reps)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

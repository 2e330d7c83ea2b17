"""Events and their visits become visible together: read while events flow in and the flusher runs.

Every read made while the flusher inserts must agree with itself: the visits hold exactly the
pageviews the events do (``views_per_visit`` times ``visits`` = ``pageviews``), in the aggregate and in each
row of a visit breakdown, and there is no pageview without a visit.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

from analytics import run_query
from analytics.periods import DateRange
from analytics.query import Query
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import SpoolBuffer
from ingest.flusher import Flusher, start_thread
from tests.conftest import Persona, pipeline_for, wait_until
from tests.wsgi import call

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SOURCES = ("https://www.google.com/", "https://news.ycombinator.com/", "")
EVENTS = 600


def send(app: IngestApp, index: int) -> None:
    body = {
        "n": "pageview",
        "u": f"https://example.com/page-{index % 7}",
        "d": "example.com",
        "r": SOURCES[index % len(SOURCES)],
    }
    ip = f"198.51.100.{index % 40}"
    payload = json.dumps(body).encode()
    reply = call(app, "POST", "/api/event", payload, headers={"User-Agent": UA}, remote_addr=ip)
    assert reply.status == 202


def check_read(today: DateRange, site_id: int) -> int:
    """One round of reads; returns the pageviews seen. Fails on any read showing events without visits."""
    [total] = run_query(
        Query(site_id, today, ("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate"))
    )
    pageviews, visits = total["pageviews"], total["visits"]
    assert (pageviews == 0) == (visits == 0), total
    if visits:
        assert float(total["views_per_visit"]) == round(pageviews / visits + 1e-9, 2), total
        assert total["visitors"] <= visits, total
    metrics = ("visits", "pageviews", "views_per_visit")
    by_source = run_query(Query(site_id, today, metrics, dimensions=("visit:source",)))
    for row in by_source:  # every event here is a pageview, so each visit holds one or more
        assert row["visits"] > 0 and row["pageviews"] >= row["visits"], row
        assert float(row["views_per_visit"]) == round(row["pageviews"] / row["visits"] + 1e-9, 2), row
    return int(pageviews)


def test_no_read_shows_an_event_without_its_visit(
    accounts: AccountsDB, site: Persona, events_table: None, tmp_path: Path
) -> None:
    buffer = SpoolBuffer(tmp_path / "spool")
    app = IngestApp(pipeline_for(accounts), buffer, (), TrackerFiles(tmp_path))
    flusher_thread, stop_flusher = start_thread(Flusher(buffer), interval_s=0.01)
    now = dt.datetime.now(dt.UTC)
    today = DateRange(now.date() - dt.timedelta(days=1), now.date() + dt.timedelta(days=1), "UTC")

    failures: list[BaseException] = []

    def send_all() -> None:  # a steady stream over about a second and a half, as the flusher runs
        try:
            for index in range(EVENTS):
                send(app, index)
                time.sleep(0.0025)
        except BaseException as failure:  # the test fails with it, rather than waiting for ever
            failures.append(failure)

    sender = threading.Thread(target=send_all)
    sender.start()
    seen: list[int] = []
    try:
        while sender.is_alive():
            seen.append(check_read(today, site.site.id))
        assert not failures, failures

        def all_read() -> bool:
            seen.append(check_read(today, site.site.id))
            return seen[-1] == EVENTS

        wait_until(all_read, "every event to be read")
    finally:
        sender.join()
        stop_flusher.set()
        flusher_thread.join(10)
    assert len({count for count in seen if 0 < count < EVENTS}) > 3  # reads saw the flushes under way
    [total] = run_query(Query(site.site.id, today, ("visitors", "visits", "pageviews")))
    assert total == {"visitors": 40, "visits": 40, "pageviews": EVENTS}

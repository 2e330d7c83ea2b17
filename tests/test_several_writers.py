"""Several writers, one answer: two web processes and two flushers sharing one Redis (server mode) store
exactly what one process stores, visits included.

Each "process" here has what a process of its own has: its ingest app, its pipeline and its Redis
connection pool behind a group commit (web), or its buffer connection under its own consumer name
(flusher). The same backend events (server-side, with their own timestamps, so both runs see the same
times) go once through one web process and one flusher, then, from a clean store, through two web
processes taking turns from several threads while two flushers drain the stream at the same moment.
The Stats API answers must be the same.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from django.test import Client

from analytics import client
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import FallbackBuffer, RedisStreamBuffer
from ingest.flusher import Flusher
from ingest.groupcommit import GroupCommit
from ingest.keys import KeyRing
from tests.conftest import Persona, clear_events, pipeline_for
from tests.wsgi import call

AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.5 Mobile/15E148 Safari/604.1",
)
SOURCES = ("https://www.google.com/", "https://news.ycombinator.com/", "", "https://duckduckgo.com/")
PAGES = ("/", "/pricing", "/docs", "/blog")
VISITORS = 30


def bodies(today: dt.date) -> list[dict[str, Any]]:
    """Each visitor's visits over the day in time order: 1 to 4 pages a few minutes apart, some a
    second visit an hour later, a signup now and then."""
    out = []
    start = dt.datetime.combine(today, dt.time(1, 0), dt.UTC)
    for visitor in range(VISITORS):
        for visit in range(1 + visitor % 2):
            at = start + dt.timedelta(minutes=7 * visitor + 90 * visit)
            for page in range(1 + (visitor + visit) % 4):
                name = "Signup" if page == 2 and visitor % 3 == 0 else "pageview"
                out.append(
                    {
                        "n": name,
                        "u": f"https://example.com{PAGES[(visitor + page) % len(PAGES)]}",
                        "d": "example.com",
                        "r": SOURCES[(visitor + visit) % len(SOURCES)]
                        if page == 0
                        else "https://example.com/",
                        "ip": f"203.0.113.{visitor}",
                        "user_agent": AGENTS[visitor % 2],
                        "timestamp": (at + dt.timedelta(minutes=3 * page)).isoformat(),
                    }
                )
    return out


@pytest.fixture
def stream(redis_url: str) -> Iterator[str]:
    name = f"test:{uuid.uuid4().hex}"
    yield name
    connection = redis.Redis.from_url(redis_url)
    connection.delete(name, f"{name}:batches")
    for key in connection.scan_iter(f"{name}:visit:*"):
        connection.delete(key)


def web_process(accounts: AccountsDB, redis_url: str, stream: str, spool: Path) -> IngestApp:
    buffer = RedisStreamBuffer(redis_url, stream=stream, visits=f"{stream}:visit:")
    return IngestApp(
        pipeline_for(accounts),
        GroupCommit(FallbackBuffer(buffer, spool)),
        (),
        TrackerFiles(spool),
        KeyRing(accounts.fetch_key),
    )


def flusher_process(redis_url: str, stream: str, name: str) -> Flusher:
    return Flusher(RedisStreamBuffer(redis_url, stream=stream, consumer=name), batch_size=7)


def post(app: IngestApp, body: dict[str, Any], key: str) -> None:
    headers = {"User-Agent": "backend/1.0", "Authorization": f"Bearer {key}"}
    reply = call(app, "POST", "/api/event", json.dumps(body).encode(), headers=headers)
    assert reply.status == 202 and "X-Lantern-Dropped" not in reply.headers, reply.body


def answers(site: Persona, day: dt.date) -> dict[str, Any]:
    """What the Stats API says about the day: the aggregate and visit and event breakdowns."""
    headers = {"Authorization": f"Bearer {site.key}"}
    common = {"site_id": "example.com", "period": "day", "date": day.isoformat()}
    metrics = "visitors,visits,pageviews,events,bounce_rate,visit_duration,views_per_visit"
    out = {
        "aggregate": Client()
        .get("/api/v1/stats/aggregate", {**common, "metrics": metrics}, headers=headers)
        .json()
    }
    for prop in ("visit:source", "visit:entry_page", "visit:exit_page", "event:page"):
        query = {**common, "property": prop, "metrics": "visitors,visits,bounce_rate,visit_duration"}
        out[prop] = Client().get("/api/v1/stats/breakdown", query, headers=headers).json()
    return out


def clear_store() -> None:
    clear_events()


def test_two_web_processes_and_two_flushers_store_what_one_stores(
    accounts: AccountsDB, site: Persona, server_store: str, redis_url: str, stream: str, tmp_path: Path
) -> None:
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)  # every event is in the past
    events = bodies(yesterday)

    one_web = web_process(accounts, redis_url, stream + ":one", tmp_path / "one")
    for body in events:
        post(one_web, body, site.key)
    one_flusher = flusher_process(redis_url, stream + ":one", "flusher-1")
    while one_flusher.flush_once(wait_s=0):
        pass
    alone = answers(site, yesterday)
    assert alone["aggregate"]["results"]["visits"]["value"] == VISITORS + VISITORS // 2

    clear_store()
    webs = [web_process(accounts, redis_url, stream, tmp_path / name) for name in ("a", "b")]
    flushers = [flusher_process(redis_url, stream, name) for name in ("flusher-1", "flusher-2")]
    stop = threading.Event()

    def drain(flusher: Flusher) -> None:
        while not stop.is_set():
            flusher.flush_once(wait_s=0.01)

    drains = [threading.Thread(target=drain, args=(f,)) for f in flushers]
    for thread in drains:
        thread.start()
    try:
        by_visitor: dict[str, list[dict[str, Any]]] = {}
        for body in events:
            by_visitor.setdefault(body["ip"], []).append(body)

        def send(index: int, visitor_events: list[dict[str, Any]]) -> None:
            for turn, body in enumerate(visitor_events):  # a visitor's events alternate between the two
                post(webs[(index + turn) % 2], body, site.key)

        with ThreadPoolExecutor(6) as pool:
            list(pool.map(send, range(len(by_visitor)), by_visitor.values()))
    finally:
        stop.set()
        for thread in drains:
            thread.join(10)
    while any(f.flush_once(wait_s=0) for f in flushers):
        pass
    (stored,), *_ = client.execute("SELECT count() FROM events", tag="test").rows
    assert stored == len(events)
    assert answers(site, yesterday) == alone

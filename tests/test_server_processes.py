"""Server mode as deployed, each role an OS process of its own: two web processes (gunicorn, one worker
each), two flushers (``python -m ingest.flusher``) and a Celery worker, against the test run's PostgreSQL,
a Redis of this test's own and ClickHouse over HTTP (``server_store``: the front standing in for a
server, or ``CLICKHOUSE_TEST_URL``'s).

Backend events (their own timestamps, yesterday, and a ``seq`` property numbering each) go through both
web processes, each visitor's turn by turn between the two, while one flusher is SIGKILLed mid-stream and
started again under its name. Every accepted event is then stored exactly once, and once the worker has
written the day's sums (the ``closed_days`` job), both web processes' Stats API answers are those of one
process given the same events (ingest and flusher in this process, the day read from its events).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.test import Client

from analytics import client
from bench.server import Gunicorn, Service
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import RedisStreamBuffer
from ingest.flusher import Flusher
from ingest.geo import locator
from ingest.keys import KeyRing
from ingest.pipeline import Pipeline
from ingest.sites import SiteRegistry
from ingest.visitor import SaltStore
from tests.conftest import Persona, clear_events, wait_until
from tests.services import Redis
from tests.wsgi import call

AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.5 Mobile/15E148 Safari/604.1",
)
SOURCES = ("https://www.google.com/", "https://news.ycombinator.com/", "", "https://duckduckgo.com/")
PAGES = ("/", "/pricing", "/docs", "/blog")
VISITORS = 90
METRICS = "visitors,visits,pageviews,events,bounce_rate,visit_duration,views_per_visit"
PROPERTIES = ("visit:source", "visit:entry_page", "visit:exit_page", "event:page", "event:goal")

Get = Callable[[str, dict[str, str]], Any]


def bodies(day: dt.date) -> list[dict[str, Any]]:
    """Each visitor's events in time order over ``day``: 1 or 2 visits of 1 to 4 pages, a signup now
    and then; every event numbered by its ``seq`` property."""
    out: list[dict[str, Any]] = []
    start = dt.datetime.combine(day, dt.time(1, 0), dt.UTC)
    for visitor in range(VISITORS):
        for visit in range(1 + visitor % 2):
            at = start + dt.timedelta(minutes=5 * visitor + 90 * visit)
            for page in range(1 + (visitor + visit) % 4):
                first = page == 0
                out.append(
                    {
                        "n": "Signup" if page == 2 and visitor % 3 == 0 else "pageview",
                        "u": f"https://example.com{PAGES[(visitor + page) % len(PAGES)]}",
                        "d": "example.com",
                        "r": SOURCES[(visitor + visit) % len(SOURCES)] if first else "https://example.com/",
                        "ip": f"203.0.113.{visitor}",
                        "user_agent": AGENTS[visitor % 2],
                        "timestamp": (at + dt.timedelta(minutes=3 * page)).isoformat(),
                        "p": {"seq": str(len(out))},
                    }
                )
    return out


def answers(get: Get, day: dt.date) -> dict[str, Any]:
    """The Stats API on ``day``: the aggregate, and breakdowns by visit and event properties."""
    common = {"site_id": "example.com", "period": "day", "date": day.isoformat()}
    out = {"aggregate": get("/api/v1/stats/aggregate", {**common, "metrics": METRICS})}
    for prop in PROPERTIES:
        metrics = (
            "visitors,visits,bounce_rate,visit_duration" if prop.startswith("visit:") else "visitors,events"
        )
        out[prop] = get("/api/v1/stats/breakdown", {**common, "property": prop, "metrics": metrics})
    return out


def one_process(accounts: AccountsDB, redis_url: str, key: str, events: list[dict[str, Any]]) -> None:
    """The events through one ingest app and one flusher in this process, as a lone web process would."""
    stream = f"test:{uuid.uuid4().hex}"
    buffer = RedisStreamBuffer(redis_url, stream=stream, visits=f"{stream}:visit:")
    pipeline = Pipeline(
        SiteRegistry(accounts.fetch_sites), SaltStore(accounts.salt, accounts.delete_salts_before), locator()
    )
    app = IngestApp(pipeline, buffer, (), TrackerFiles(Path(__file__).parent), KeyRing(accounts.fetch_key))
    headers = {"User-Agent": "backend/1.0", "Authorization": f"Bearer {key}"}
    for body in events:
        reply = call(app, "POST", "/api/event", json.dumps(body).encode(), headers=headers)
        assert reply.status == 202 and "X-Lantern-Dropped" not in reply.headers, reply.body
    flusher = Flusher(RedisStreamBuffer(redis_url, stream=stream, consumer="alone"))
    while flusher.flush_once(wait_s=0):
        pass
    buffer.redis.delete(stream, f"{stream}:batches", *buffer.redis.keys(f"{stream}:*"))


def stored() -> tuple[int, int]:
    """count() and the distinct ``seq`` numbers of the stored events."""
    sql = "SELECT count(), uniqExact(prop_values[indexOf(prop_keys, 'seq')]) FROM events"
    (count, distinct), *_ = client.execute(sql, tag="test").rows
    return int(count), int(distinct)


def http_get(base: str, key: str) -> Get:
    def get(path: str, query: dict[str, str]) -> Any:
        request = urllib.request.Request(
            f"{base}{path}?{urllib.parse.urlencode(query)}", headers={"Authorization": f"Bearer {key}"}
        )
        with urllib.request.urlopen(request, timeout=30) as reply:
            return json.load(reply)

    return get


def post(base: str, body: dict[str, Any], key: str) -> bool:
    """Whether the event was accepted (202, not dropped)."""
    request = urllib.request.Request(
        base + "/api/event",
        data=json.dumps(body).encode(),
        headers={"User-Agent": "backend/1.0", "Authorization": f"Bearer {key}", "Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return reply.status == 202 and reply.headers.get("X-Lantern-Dropped") is None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Redis]:
    server = Redis.start(tmp_path / "redis")
    yield server
    server.stop()


def server_env(accounts_url: str, redis: Redis, clickhouse: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "BASE_URL", "WEB_CONCURRENCY"}}
    env.update(
        DATABASE_URL=accounts_url,
        REDIS_URL=redis.url,
        CLICKHOUSE_URL=clickhouse,
        LANTERN_DATA_DIR=str(data_dir),
        LANTERN_HTTPS="0",
        INGEST_RATE_PER_CLIENT="0",  # one backend sends every visitor's events
        INGEST_RATE_PER_SITE="0",
        FLUSH_INTERVAL_MS="50",  # many small batches, so a kill is likely to find one in hand
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
    )
    return env


def test_two_web_processes_two_flushers_and_a_worker_store_each_event_once_and_answer_as_one(
    accounts: AccountsDB,
    site: Persona,
    server_store: str,
    redis_url: str,
    own_redis: Redis,
    tmp_path: Path,
) -> None:
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = server_env(
        f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        own_redis,
        server_store,
        tmp_path / "var",
    )
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)  # every event is in the past
    events = bodies(yesterday)
    logs = tmp_path / "logs"
    logs.mkdir()

    def flusher(name: str) -> Service:
        return Service(name, ["-m", "ingest.flusher"], {**env, "FLUSHER_NAME": name}, logs / f"{name}.log")

    flushers = [flusher("flusher-1"), flusher("flusher-2")]
    worker = Service(
        "worker",
        ["-m", "celery", "-A", "panel.celery", "worker", "--pool", "solo", "--loglevel", "INFO"],
        env,
        logs / "worker.log",
    )
    webs = [Gunicorn("panel.wsgi:application", env, logs / f"web-{n}.log") for n in (1, 2)]
    processes: list[Gunicorn | Service] = [*webs, *flushers, worker]
    try:
        for process in processes:
            process.start()  # they start while this process ingests the same events alone

        one_process(accounts, redis_url, site.key, events)
        alone = answers(lambda path, query: Client().get(path, query, **_bearer(site.key)).json(), yesterday)
        assert alone["aggregate"]["results"]["visits"]["value"] == VISITORS + VISITORS // 2
        assert stored() == (len(events), len(events))
        clear_events()

        for web in webs:
            web.wait_ready()
        by_visitor: dict[str, list[dict[str, Any]]] = {}
        for body in events:
            by_visitor.setdefault(body["ip"], []).append(body)
        accepted: list[int] = []
        lock = threading.Lock()

        def send(index: int, visitor_events: list[dict[str, Any]]) -> None:
            for turn, body in enumerate(visitor_events):  # a visitor's events alternate between the two
                if post(webs[(index + turn) % 2].url, body, site.key):
                    with lock:
                        accepted.append(int(body["p"]["seq"]))

        with ThreadPoolExecutor(6) as pool:
            sending = list(map(lambda args: pool.submit(send, *args), enumerate(by_visitor.values())))
            wait_until(lambda: len(accepted) >= len(events) // 3, "a third of the events to be accepted")
            flushers[0].kill()  # mid-stream: what it held stays pending under its name in Redis
            killed_at = len(accepted)
            wait_until(lambda: len(accepted) >= len(events) * 2 // 3, "two thirds of the events")
            flushers[0].start()
            for future in sending:
                future.result()

        assert killed_at < len(events) and sorted(accepted) == list(range(len(events)))
        wait_until(lambda: stored()[0] >= len(events), "every accepted event to be stored", timeout_s=30)
        assert stored() == (len(events), len(events))  # each once

        Celery(broker=own_redis.url).send_task("lantern.closed_days", kwargs={"now": _after_close(yesterday)})
        wait_until(lambda: " succeeded in " in worker.log_tail(), "the worker to run the closed_days job", 30)
        assert _sums(site.site.id, yesterday) > 0  # the day is read from its sums now
        for web in webs:
            assert answers(http_get(web.url, site.key), yesterday) == alone
    finally:
        for process in processes:
            process.stop()
    assert stored() == (len(events), len(events))  # nothing more on the way down


def _bearer(key: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {key}"}}


def _after_close(day: dt.date) -> str:
    """A moment at which ``day``'s visits are over (03:30 UTC the day after), and not before now."""
    closed = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(4, 0), dt.UTC)
    return max(closed, dt.datetime.now(dt.UTC)).isoformat()


def _sums(site_id: int, day: dt.date) -> int:
    sql = "SELECT count() FROM day_sums WHERE site_id = {s:UInt64} AND day = {d:Date}"
    return int(client.execute(sql, {"s": site_id, "d": day}, tag="test").rows[0][0])

"""``/metrics``: Prometheus text from real requests through the ingest app (PostgreSQL accounts, a real
spool or Redis stream, chDB), kept behind ``METRICS_TOKEN``; the flusher's and workers' own port;
gunicorn's multiprocess mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from analytics import client
from analytics.metrics import metrics_app, serve
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import FallbackBuffer, RedisStreamBuffer, SpoolBuffer
from ingest.flusher import Flusher
from ingest.ops import Ops, buffer_gauges
from ingest.readiness import Readiness
from tests.conftest import Persona, pipeline_for
from tests.services import free_port
from tests.wsgi import call

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "a-metrics-token-of-some-length"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def scrape(app: object, token: str = TOKEN) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the app's ``/metrics``, by name and labels."""
    response = call(app, "GET", "/metrics", headers={"Authorization": f"Bearer {token}"})  # type: ignore[arg-type]
    assert response.status == 200, response.body
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.body.decode())
        for sample in family.samples
    }


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[SpoolBuffer]:
    buffer = SpoolBuffer(tmp_path / "spool")
    yield buffer
    buffer.close()


@pytest.fixture
def app(accounts: AccountsDB, site: Persona, spool: SpoolBuffer, tmp_path: Path) -> Iterator[IngestApp]:
    ops = Ops(Readiness([]), metrics_app(TOKEN, [buffer_gauges(spool)]))
    app = IngestApp(pipeline_for(accounts), spool, (), TrackerFiles(tmp_path), ops=ops)
    yield app
    app.close()


def post(app: IngestApp, user_agent: str, path: str = "/") -> int:
    body = json.dumps({"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}).encode()
    return call(app, "POST", "/api/event", body, headers={"User-Agent": user_agent}).status


def test_metrics_count_an_accepted_event_and_a_dropped_one_with_its_reason(app: IngestApp) -> None:
    before = scrape(app)
    assert post(app, FIREFOX) == 202
    assert post(app, CRAWLER) == 202
    assert call(app, "POST", "/api/event", b"{not json").status == 400
    after = scrape(app)
    assert value(after, "lantern_events_accepted_total") - value(before, "lantern_events_accepted_total") == 1
    dropped = "lantern_events_dropped_total"
    assert value(after, dropped, reason="bot") - value(before, dropped, reason="bot") == 1
    assert value(after, dropped, reason="spam") == value(before, dropped, reason="spam")
    rejected = "lantern_events_rejected_total"
    assert value(after, rejected, status="400") - value(before, rejected, status="400") == 1


def test_the_buffer_gauges_follow_the_embedded_spool_until_a_flush(
    app: IngestApp, spool: SpoolBuffer, events_table: None
) -> None:
    empty = scrape(app)
    assert value(empty, "lantern_buffer_depth") == 0
    assert value(empty, "lantern_spool_bytes") == 0
    assert value(empty, "lantern_flush_lag_seconds") == 0
    assert post(app, FIREFOX, "/a") == 202
    assert post(app, FIREFOX, "/b") == 202
    waiting = scrape(app)
    assert value(waiting, "lantern_buffer_depth") == 2
    assert value(waiting, "lantern_spool_bytes") > 200  # two events' JSON lines
    assert value(waiting, "lantern_flush_lag_seconds") > 0

    inserts = value(waiting, "lantern_clickhouse_insert_seconds_count", table="events")
    assert Flusher(spool).flush_once(wait_s=0) == 2
    flushed = scrape(app)
    assert value(flushed, "lantern_buffer_depth") == 0
    assert value(flushed, "lantern_spool_bytes") == 0
    assert value(flushed, "lantern_flush_lag_seconds") == 0
    assert value(flushed, "lantern_clickhouse_insert_seconds_count", table="events") == inserts + 1
    assert value(flushed, "lantern_flusher_last_success_timestamp_seconds") > 0


def test_query_latency_is_observed_by_the_first_word_of_the_tag(app: IngestApp, clickhouse: None) -> None:
    before = scrape(app)
    client.execute("SELECT 1", tag="dashboard:sources")
    client.execute("SELECT 1", tag="Weird Tag!")
    after = scrape(app)
    count = "lantern_clickhouse_query_seconds_count"
    assert value(after, count, tag="dashboard") == value(before, count, tag="dashboard") + 1
    assert value(after, count, tag="other") == value(before, count, tag="other") + 1
    assert value(after, "lantern_clickhouse_query_seconds_bucket", tag="dashboard", le="+Inf") >= 1
    with pytest.raises(client.ClickHouseError):
        client.execute("SELECT no_such_column FROM events", tag="dashboard")
    failed = scrape(app)
    assert value(failed, "lantern_clickhouse_failures_total", operation="query") == (
        value(after, "lantern_clickhouse_failures_total", operation="query") + 1
    )


def test_server_mode_gauges_read_the_redis_stream_and_the_fallback_spool(
    redis_url: str, tmp_path: Path
) -> None:
    name = f"test:{uuid.uuid4().hex}"
    stream = RedisStreamBuffer(redis_url, stream=name)
    try:
        stream.push([b'{"n":1}', b'{"n":2}'])  # one push: one stream entry
        stream.push([b'{"n":3}'])
        gauges = {family.name: family.samples[0].value for family in buffer_gauges(stream).collect()}
        assert gauges["lantern_buffer_depth"] == 2
        assert 0 <= gauges["lantern_flush_lag_seconds"] < 60
        batch = stream.read(100, 0)
        assert batch is not None
        stream.ack(batch)
        gauges = {family.name: family.samples[0].value for family in buffer_gauges(stream).collect()}
        assert (gauges["lantern_buffer_depth"], gauges["lantern_flush_lag_seconds"]) == (0, 0)
    finally:
        stream.redis.delete(name, stream.batches_key)
        stream.redis.close()

    away = FallbackBuffer(RedisStreamBuffer(f"redis://127.0.0.1:{free_port()}/0"), tmp_path / "fallback")
    try:
        away.push([b'{"n":3}'])  # Redis is unreachable: spooled on this host's disk
        gauges = {family.name: family.samples[0].value for family in buffer_gauges(away).collect()}
        assert gauges["lantern_spool_bytes"] > 0
        assert "lantern_buffer_depth" not in gauges  # unreadable this scrape: left out, not an error
    finally:
        away.close()
        away.primary.redis.close()


def test_metrics_refuse_without_the_token_and_are_off_without_one(app: IngestApp) -> None:
    assert call(app, "GET", "/metrics").status == 401
    wrong = call(app, "GET", "/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert wrong.status == 401
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    odd = call(app, "GET", "/metrics", headers={"Authorization": "Bearer \u00e9\u00e9"})
    assert odd.status == 401
    off = metrics_app("")
    assert call(off, "GET", "/metrics", headers={"Authorization": "Bearer "}).status == 404


def test_the_flusher_and_workers_serve_metrics_on_a_port_of_their_own() -> None:
    port = free_port()
    server = serve(port, host="127.0.0.1", token=TOKEN)
    try:
        url = f"http://127.0.0.1:{port}"
        authorised = urllib.request.Request(url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(authorised, timeout=5) as response:
            assert b"\nlantern_events_accepted_total " in response.read()
        for path, headers, status in (
            ("/metrics", {}, 401),
            ("/", {"Authorization": f"Bearer {TOKEN}"}, 404),
        ):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(url + path, headers=headers), timeout=5)
            assert refused.value.code == status
            refused.value.close()
    finally:
        server.shutdown()
        server.server_close()


_COUNT_ONE = "from analytics.metrics import EVENTS_ACCEPTED; EVENTS_ACCEPTED.inc()"
_SCRAPE = (
    "from analytics.metrics import metrics_app; from tests.wsgi import call;"
    f"r = call(metrics_app({TOKEN!r}), 'GET', '/metrics', headers={{'Authorization': 'Bearer {TOKEN}'}});"
    "print(r.body.decode())"
)


def test_with_a_multiprocess_directory_every_process_counts_into_one_scrape(tmp_path: Path) -> None:
    """gunicorn's workers are separate processes: with PROMETHEUS_MULTIPROC_DIR a scrape sums them."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", _COUNT_ONE], env=env, cwd=ROOT, check=True)
    out = subprocess.run(
        [sys.executable, "-c", _SCRAPE], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(out)
        for sample in family.samples
        if not sample.labels
    }
    assert samples["lantern_events_accepted_total"] == 2

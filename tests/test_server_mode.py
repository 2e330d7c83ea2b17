"""Server mode end to end: site registry and salts in PostgreSQL, events through the Redis stream,
the flusher into the engine, and the numbers back out of the Stats API."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django.test import Client

from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import RedisStreamBuffer
from ingest.flusher import Flusher
from tests.conftest import Persona, pipeline_for
from tests.wsgi import call

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture
def stream_buffer(redis_url: str) -> Iterator[RedisStreamBuffer]:
    name = f"test:{uuid.uuid4().hex}"
    yield RedisStreamBuffer(redis_url, stream=name, consumer="flusher-1")
    redis.Redis.from_url(redis_url).delete(name)


def test_events_flow_from_http_through_redis_to_the_stats_api(
    accounts: AccountsDB, site: Persona, stream_buffer: RedisStreamBuffer, server_store: str, tmp_path: Path
) -> None:
    app = IngestApp(pipeline_for(accounts), stream_buffer, (), TrackerFiles(tmp_path))
    visits = [
        ("203.0.113.1", "/"),
        ("203.0.113.1", "/docs"),
        ("203.0.113.2", "/"),
        ("203.0.113.3", "/pricing"),
    ]
    for ip, path in visits:
        body = json.dumps({"n": "pageview", "u": f"https://example.com{path}", "d": "example.com"}).encode()
        assert call(app, "POST", "/api/event", body, headers={"User-Agent": UA}, remote_addr=ip).status == 202
    assert stream_buffer.pending() == 4

    assert Flusher(stream_buffer).flush_once(wait_s=0.1) == 4
    assert stream_buffer.pending() == 0

    headers = {"Authorization": f"Bearer {site.key}"}
    totals = Client().get(
        "/api/v1/stats/aggregate",
        {"site_id": "example.com", "period": "day", "metrics": "visitors,pageviews"},
        headers=headers,
    )
    assert totals.json() == {"results": {"visitors": {"value": 3}, "pageviews": {"value": 4}}}
    pages = Client().get(
        "/api/v1/stats/breakdown",
        {"site_id": "example.com", "period": "day", "property": "event:page"},
        headers=headers,
    )
    assert pages.json()["results"][0] == {"page": "/", "visitors": 2}

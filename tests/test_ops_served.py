"""Embedded Lantern served as ``./dev serve`` serves it (gunicorn, SQLite, chDB, spool, flusher and
scheduler threads) with ``LOG_FORMAT=json``, ``ACCESS_LOG`` and ``METRICS_TOKEN``: the probes answer,
``/metrics`` counts what real requests did, and every log line is JSON without an address or a user
agent in it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.services import free_port

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "served-metrics-token-0123456789"
ADDRESS = "198.51.100.77"
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0 UniqueMarker/9.9"
CRAWLER = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, refused.read()


def post_event(url: str, agent: str) -> int:
    body = json.dumps({"n": "pageview", "u": "https://example.com/?secret=1", "d": "example.com"}).encode()
    request = urllib.request.Request(
        url + "/api/event",
        data=body,
        headers={"User-Agent": agent, "X-Forwarded-For": ADDRESS, "Content-Type": "text/plain"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return int(response.status)


def test_embedded_lantern_answers_probes_counts_metrics_and_logs_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    drop = {"DATABASE_URL", "REDIS_URL", "CLICKHOUSE_URL", "SECRET_KEY_FILE", "PROMETHEUS_MULTIPROC_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        {
            "LANTERN_DATA_DIR": str(data),
            "LANTERN_HTTPS": "0",
            "PORT": str(port),
            "BASE_URL": url,
            "LOG_FORMAT": "json",
            "ACCESS_LOG": "-",
            "METRICS_TOKEN": TOKEN,
            "TRUSTED_PROXIES": "127.0.0.1/32",
        }
    )
    for command in (
        ["panel.manage", "migrate", "--no-input", "-v", "0"],
        ["clickhouse.migrate"],
        ["panel.manage", "createsite", "example.com", "--owner", "owner@example.com"],
    ):
        subprocess.run([sys.executable, "-m", *command], env=env, cwd=ROOT, check=True, capture_output=True)
    log = tmp_path / "served.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "panel.wsgi:application"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(url + "/healthz") == (200, b"ok\n"):
                    break
            except OSError:
                pass
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not serve"
            time.sleep(0.2)

        status, body = get(url + "/readyz")
        assert status == 200, body
        assert json.loads(body)["not_ready"] == []
        assert get(url + "/metrics")[0] == 401
        assert post_event(url, AGENT) == 202
        assert post_event(url, CRAWLER) == 202
        status, exposition = get(url + "/metrics", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(exposition.decode())
            for sample in family.samples
        }
        assert samples[("lantern_events_accepted_total", ())] == 1
        assert samples[("lantern_events_dropped_total", (("reason", "bot"),))] == 1
        assert ("lantern_buffer_depth", ()) in samples
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)

    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is a JSON object
    assert all(
        isinstance(record, dict) and {"time", "level", "logger", "message"} <= record.keys()
        for record in records
    )
    loggers = {record["logger"] for record in records}
    assert {"gunicorn.error", "gunicorn.access"} <= loggers
    access = [record["message"] for record in records if record["logger"] == "gunicorn.access"]
    assert any(message.startswith('"POST /api/event" 202') for message in access)
    text = log.read_text()
    assert ADDRESS not in text and "UniqueMarker" not in text and "secret=1" not in text

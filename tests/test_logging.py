"""``LOG_FORMAT=json``: every process's log lines are JSON objects (Django's, the flusher's, gunicorn's);
a value other than text or json stops the boot naming the variable; no line holds a visitor's address
or user agent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"time", "level", "logger", "message", "process", "thread"}

_DJANGO_LOGS = """
import django, logging
django.setup()
log = logging.getLogger("panel.example")
log.warning("a warning with %s", "an argument", extra={"job": "reports"})
try:
    raise RuntimeError("boom")
except RuntimeError:
    log.exception("a failure")
"""


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "panel.settings", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def json_lines(text: str) -> list[dict[str, object]]:
    """Every line of ``text`` as a JSON object (a line that is not one fails the test)."""
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert all(isinstance(line, dict) for line in lines)
    return lines


def test_django_logs_json_lines_with_the_expected_keys() -> None:
    result = run(_DJANGO_LOGS, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    warning, failure = json_lines(result.stderr)
    assert warning.keys() >= KEYS and failure.keys() >= KEYS
    assert (warning["level"], warning["logger"]) == ("WARNING", "panel.example")
    assert warning["message"] == "a warning with an argument"
    assert warning["job"] == "reports"  # what extra= adds
    assert str(warning["time"]).endswith("+00:00")
    assert failure["level"] == "ERROR" and "RuntimeError: boom" in str(failure["exc_info"])


def test_text_stays_the_default() -> None:
    result = run(_DJANGO_LOGS)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("a warning with an argument\n")


def test_an_unknown_log_format_stops_the_boot_naming_the_variable() -> None:
    result = run(_DJANGO_LOGS, LOG_FORMAT="yaml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be text or json, got 'yaml'" in result.stderr
    flusher = subprocess.run(
        [sys.executable, "-m", "ingest.flusher"],
        env={**os.environ, "LOG_FORMAT": "JSONL"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert flusher.returncode == 2
    assert flusher.stderr.strip() == "flusher: LOG_FORMAT must be text or json, got 'JSONL'"


def test_the_flusher_logs_json_lines(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LOG_FORMAT": "json",
        "LANTERN_DATA_DIR": str(tmp_path),
        "CLICKHOUSE_URL": f"chdb://{tmp_path / 'clickhouse'}",
    }
    env.pop("REDIS_URL", None)
    log = tmp_path / "flusher.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingest.flusher"], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while "flushing to ClickHouse" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    [started] = json_lines(log.read_text())
    assert started.keys() >= KEYS
    assert (started["level"], started["message"]) == ("INFO", "flushing to ClickHouse")


_GUNICORN = """
import logging.config, runpy
settings = runpy.run_path("deploy/gunicorn.conf.py")
print(settings["access_log_format"])
if not settings["logconfig_dict"]:
    raise SystemExit("gunicorn's own text lines")
logging.config.dictConfig(settings["logconfig_dict"])
logging.getLogger("gunicorn.error").info("Booting worker")
logging.getLogger("gunicorn.access").info('"GET /healthz" 200 3 1ms', {"h": "203.0.113.7", "a": "Firefox"})
"""


def test_gunicorn_logs_json_lines_and_its_access_log_leaves_out_address_and_user_agent() -> None:
    result = run(_GUNICORN, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    access_format = result.stdout.strip()
    assert "%(h)s" not in access_format and "%(a)s" not in access_format and "%(r)s" not in access_format
    booting, access = json_lines(result.stderr)
    assert (booting["logger"], booting["message"]) == ("gunicorn.error", "Booting worker")
    assert access["logger"] == "gunicorn.access"
    assert "203.0.113.7" not in json.dumps(access) and "Firefox" not in json.dumps(access)
    assert run(_GUNICORN).stderr.strip() == "gunicorn's own text lines"  # unless LOG_FORMAT=json

"""Lantern's Prometheus metrics (``prometheus_client``): every metric any process keeps, and the
``/metrics`` WSGI app that serves them behind ``METRICS_TOKEN``.

    EVENTS_DROPPED.labels(reason="bot").inc()
    with timed(CLICKHOUSE_QUERY_SECONDS, "dashboard"): ...
    app = metrics_app(token="...", probes=[gauges])   # 401 without the token, 404 without METRICS_TOKEN
    serve(9100, host="0.0.0.0", token="...")          # the flusher's and Celery's: a port of their own

A process counts in its own memory, or, when ``PROMETHEUS_MULTIPROC_DIR`` names a directory at start,
in files there that every process of one gunicorn master (or one Celery worker's pool) writes and a
scrape sums (``prometheus_client`` multiprocess mode; gunicorn's config empties the directory at start
and marks dead workers). Gauges of shared state (buffer depth, spool bytes, flush lag) are not kept:
``probes`` read them at scrape time. Label values come from code (reasons, job names, table names,
the first word of a query tag), never from a request.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)
from prometheus_client.exposition import ThreadingWSGIServer, make_wsgi_app
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from analytics.config import ConfigError, env_int, env_str

__all__ = [
    "CLICKHOUSE_FAILURES",
    "CLICKHOUSE_INSERT_SECONDS",
    "CLICKHOUSE_QUERY_SECONDS",
    "EVENTS_ACCEPTED",
    "EVENTS_DROPPED",
    "EVENTS_REJECTED",
    "FLUSHER_LAST_SUCCESS",
    "FLUSHER_RECORDS",
    "JOB_RUNS",
    "JOB_SECONDS",
    "metrics_app",
    "metrics_port",
    "metrics_token",
    "multiprocess_dir",
    "serve",
    "tag_label",
    "timed",
]

# No ``*_created`` series: Prometheus tells a restart by a counter going down.
disable_created_metrics()  # type: ignore[no-untyped-call]

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

EVENTS_ACCEPTED = Counter("lantern_events_accepted", "Events ingest accepted and buffered (202).")
EVENTS_DROPPED = Counter(
    "lantern_events_dropped",
    "Events ingest did not store, by reason: filtered (202 with X-Lantern-Dropped) or rate_limited (429).",
    ["reason"],
)
EVENTS_REJECTED = Counter(
    "lantern_events_rejected",
    "Requests to /api/event refused, by status: 4xx for a bad request, 503 when nothing could buffer it.",
    ["status"],
)
CLICKHOUSE_QUERY_SECONDS = Histogram(
    "lantern_clickhouse_query_seconds",
    "Time of each read query and command sent to the event store, by the first word of its tag.",
    ["tag"],
    buckets=_SECONDS,
)
CLICKHOUSE_INSERT_SECONDS = Histogram(
    "lantern_clickhouse_insert_seconds",
    "Time of each insert into the event store, by table.",
    ["table"],
    buckets=_SECONDS,
)
CLICKHOUSE_FAILURES = Counter(
    "lantern_clickhouse_failures", "Statements the event store failed, by operation.", ["operation"]
)
FLUSHER_RECORDS = Counter("lantern_flusher_records", "Buffered records the flusher moved to the event store.")
FLUSHER_LAST_SUCCESS = Gauge(
    "lantern_flusher_last_success_timestamp_seconds",
    "When a flush last ended without an error (an empty buffer counts), as a Unix time.",
    multiprocess_mode="max",
)
JOB_RUNS = Counter(
    "lantern_job_runs",
    "Background job runs by outcome: success, failure, or skipped (another worker held the job).",
    ["job", "outcome"],
)
JOB_SECONDS = Histogram("lantern_job_seconds", "Time of each background job run.", ["job"], buckets=_SECONDS)

_TAG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def tag_label(tag: str) -> str:
    """The label of a query tag: its first word (``dashboard:dropped`` -> ``dashboard``), or ``other``."""
    first = tag.split(":", 1)[0]
    return first if _TAG.match(first) else "other"


@contextlib.contextmanager
def timed(histogram: Histogram, label: str, *, operation: str) -> Iterator[None]:
    """Observe the block's time under ``label``; a failure is also counted under ``operation``."""
    start = time.perf_counter()
    try:
        yield
    except BaseException:
        CLICKHOUSE_FAILURES.labels(operation=operation).inc()
        raise
    finally:
        histogram.labels(label).observe(time.perf_counter() - start)


MIN_TOKEN_CHARS = 16


def metrics_token() -> str:
    """``METRICS_TOKEN`` (or ``METRICS_TOKEN_FILE``): the bearer token ``/metrics`` asks for; empty
    turns ``/metrics`` off (404)."""
    token = env_str("METRICS_TOKEN").strip()
    if token and len(token) < MIN_TOKEN_CHARS:
        raise ConfigError(f"METRICS_TOKEN must be at least {MIN_TOKEN_CHARS} characters")
    return token


def metrics_port() -> tuple[str, int]:
    """Where a process without a web port (the flusher, a Celery worker) serves ``/metrics``:
    ``METRICS_HOST`` (default 127.0.0.1) and ``METRICS_PORT`` (0 or unset: nowhere). A port needs
    ``METRICS_TOKEN``."""
    port = env_int("METRICS_PORT", 0)
    if port and not metrics_token():
        raise ConfigError("METRICS_PORT needs METRICS_TOKEN (the bearer token /metrics asks for)")
    return env_str("METRICS_HOST", "127.0.0.1"), port


def multiprocess_dir() -> str:
    """``PROMETHEUS_MULTIPROC_DIR``, read by ``prometheus_client`` when it is first imported."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def _registry(probes: Sequence[Collector]) -> CollectorRegistry:
    """What a scrape reads: this process's metrics (or every process's, in multiprocess mode) and the
    scrape-time probes."""
    if multiprocess_dir():
        registry = CollectorRegistry(auto_describe=True)
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    elif probes:
        registry = CollectorRegistry(auto_describe=True)
        registry.register(_Everything(REGISTRY))
    else:
        return REGISTRY
    for probe in probes:
        registry.register(probe)
    return registry


class _Everything:
    """One collector for all the default registry holds (so probes can join it in a registry of
    their own without touching the process-wide one)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterable[Any]:
        return self._registry.collect()


StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def metrics_app(token: str, probes: Sequence[Collector] = ()) -> WsgiApp:
    """The ``/metrics`` WSGI app: 404 when ``token`` is empty (metrics off), 401 unless the request
    carries ``Authorization: Bearer <token>``, else the text exposition (or OpenMetrics if asked)."""
    serve = make_wsgi_app(_registry(probes))
    expected = f"Bearer {token}".encode()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not token:
            return _plain(start_response, "404 Not Found", b"not found\n")
        given = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, expected):
            challenge = ("WWW-Authenticate", "Bearer")
            return _plain(start_response, "401 Unauthorized", b"a bearer token is needed\n", challenge)
        result: Iterable[bytes] = serve(environ, start_response)
        return result

    return app


def _plain(start_response: StartResponse, status: str, body: bytes, *extra: tuple[str, str]) -> list[bytes]:
    headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body))), *extra]
    start_response(status, headers)
    return [body]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # no line per scrape, and no address
        pass


def serve(port: int, *, host: str, token: str, probes: Sequence[Collector] = ()) -> WSGIServer:
    """Serve ``metrics_app`` at ``http://host:port/metrics`` from a daemon thread; ``shutdown()`` stops it."""
    metrics = metrics_app(token, probes)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/metrics":
            return _plain(start_response, "404 Not Found", b"not found\n")
        return metrics(environ, start_response)

    server = make_server(host, port, app, server_class=ThreadingWSGIServer, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="lantern-metrics", daemon=True).start()
    return server

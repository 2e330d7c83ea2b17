"""The operations endpoints every web process answers, outside Django (no host check, no https
redirect, so a probe reaches them at the pod's own address):

- ``GET /healthz``: 200 ``ok`` while the process serves.
- ``GET /readyz``: 200, or 503 naming what is not ready, as JSON
  (``{"ready": false, "not_ready": ["redis"], "checks": {"database": "ok", "redis": "unreachable"}}``).
- ``GET /metrics``: the Prometheus text format, only with ``Authorization: Bearer $METRICS_TOKEN``
  (401 without it; 404 while ``METRICS_TOKEN`` is unset), ``analytics/metrics.py``.

``BufferGauges`` reads the event buffer's state when scraped: its depth, the spool's bytes on disk
and how long the oldest unflushed event has waited.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric

from analytics.metrics import WsgiApp
from ingest.buffer import Buffer, FallbackBuffer, RedisStreamBuffer, SpoolBuffer
from ingest.groupcommit import GroupCommit
from ingest.readiness import Readiness

log = logging.getLogger(__name__)

OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

StartResponse = Callable[..., Any]


class Ops:
    def __init__(self, readiness: Readiness, metrics: WsgiApp) -> None:
        self.readiness = readiness
        self.metrics = metrics

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD", "GET") not in {"GET", "HEAD"}:
            allow = ("Allow", "GET")
            return _send(start_response, "405 Method Not Allowed", "text/plain", b"use GET\n", allow)
        if path == "/healthz":
            return _send(start_response, "200 OK", "text/plain", b"ok\n")
        if path == "/readyz":
            report = self.readiness.run()
            body = {"ready": report.ready, "not_ready": report.not_ready, "checks": report.checks}
            status = "200 OK" if report.ready else "503 Service Unavailable"
            return _send(start_response, status, "application/json", json.dumps(body).encode())
        if path == "/metrics":
            return self.metrics(environ, start_response)
        return _send(start_response, "404 Not Found", "text/plain", b"not found\n")


def _send(
    start_response: StartResponse, status: str, content_type: str, body: bytes, *extra: tuple[str, str]
) -> list[bytes]:
    start_response(
        status,
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            *extra,
        ],
    )
    return [body]


Reading = Callable[[], float]


class BufferGauges:
    """A collector of the buffer's state at scrape time; a reading that fails (Redis away) is left out
    of that scrape, never an error."""

    def __init__(self, *, depth: Reading, spool_bytes: Reading, flush_lag: Reading) -> None:
        self._readings = (
            ("lantern_buffer_depth", "Events buffered and not yet in the event store.", depth),
            ("lantern_spool_bytes", "Bytes of events in the spool on this host's disk.", spool_bytes),
            (
                "lantern_flush_lag_seconds",
                "How long the oldest event not yet in the event store has waited (0: none waits).",
                flush_lag,
            ),
        )

    def collect(self) -> Iterator[Metric]:
        for name, documentation, read in self._readings:
            try:
                value = float(read())
            except Exception as exc:
                log.debug("metrics: could not read %s: %s", name, exc)
                continue
            yield GaugeMetricFamily(name, documentation, value=value)


def buffer_gauges(buffer: Buffer) -> BufferGauges:
    """The buffer's depth, spool bytes and flush lag: the Redis stream's and the fallback spool's in
    server mode, the embedded spool's otherwise."""
    inner = buffer.inner if isinstance(buffer, GroupCommit) else buffer
    if isinstance(inner, FallbackBuffer):
        stream = inner.primary
        return BufferGauges(depth=stream.pending, spool_bytes=inner.disk_bytes, flush_lag=stream.oldest_age_s)
    if isinstance(inner, RedisStreamBuffer):
        return BufferGauges(depth=inner.pending, spool_bytes=lambda: 0, flush_lag=inner.oldest_age_s)
    if isinstance(inner, SpoolBuffer):
        spool = inner
        return BufferGauges(
            depth=spool.depth, spool_bytes=spool.disk_bytes, flush_lag=lambda: spool.oldest_age_s(time.time())
        )
    raise TypeError(f"no gauges for a buffer of type {type(inner).__name__}")

"""The ingest WSGI app: ``POST /api/event``, the tracker script at ``/js/*.js``, and the operations
endpoints ``/healthz``, ``/readyz`` and ``/metrics`` (``ingest/ops.py``).

Answers 202 ``ok`` for an accepted (or knowingly dropped) event, 4xx with
``{"errors": {"<field>": ["<message>"]}}`` for a bad one (401/403 for a bad or misused API key, 429
over a rate limit), 503 when events cannot be buffered. A dropped event names its reason in
``X-Lantern-Dropped``; drops are counted per site and day. Accepted, dropped and refused events are
also counted for ``/metrics`` (``analytics/metrics.py``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from analytics.metrics import EVENTS_ACCEPTED, EVENTS_DROPPED, EVENTS_REJECTED
from ingest.accounts import KeyGrant
from ingest.buffer import Buffer
from ingest.clientip import Network, client_ip
from ingest.errors import PayloadError
from ingest.keys import KeyRing, bearer
from ingest.ops import OPS_PATHS, Ops
from ingest.pipeline import Context, Pipeline, RateLimited
from ingest.request import MAX_BODY_BYTES, parse_request
from ingest.sites import RegistryUnavailable
from ingest.visits import MemoryVisits

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]

_CORS: Headers = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type, Authorization"),
    ("Access-Control-Max-Age", "86400"),
]
_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


_ACCEPTED: Headers = [("Content-Type", "text/plain"), *_CORS, ("Content-Length", "2")]  # body: b"ok"


def _respond(start_response: StartResponse, status: int, body: bytes, headers: Headers) -> list[bytes]:
    start_response(
        f"{status} {_REASONS.get(status, '')}".strip(), [*headers, ("Content-Length", str(len(body)))]
    )
    return [body]


def _json(
    start_response: StartResponse, status: int, payload: object, extra: Headers | None = None
) -> list[bytes]:
    body = json.dumps(payload).encode()
    return _respond(
        start_response, status, body, [("Content-Type", "application/json"), *_CORS, *(extra or [])]
    )


class TrackerFiles:
    """The built tracker scripts, read once and served from memory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._cache: dict[str, bytes] = {}

    def get(self, name: str) -> bytes | None:
        if name not in self._cache:
            path = self.directory / name
            if not (name.endswith(".js") and "/" not in name and path.is_file()):
                return None
            self._cache[name] = path.read_bytes()
        return self._cache[name]


class IngestApp:
    def __init__(
        self,
        pipeline: Pipeline,
        buffer: Buffer,
        trusted_proxies: Sequence[Network],
        tracker: TrackerFiles,
        keys: KeyRing | None = None,
        *,
        report_drops_every_s: float = 5.0,
        visits: MemoryVisits | None = None,
        ops: Ops | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.visits = visits or MemoryVisits()  # embedded mode's visit states (server mode: in Redis)
        self.buffer = buffer
        self.trusted_proxies = trusted_proxies
        self.tracker = tracker
        self.keys = keys
        self.ops = ops  # /healthz, /readyz, /metrics (``ingest.runtime.make_app`` gives them their checks)
        self._report_every = report_drops_every_s
        self._report_timer: threading.Timer | None = None
        self._report_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/api/event":
            if method == "OPTIONS":
                return _respond(start_response, 204, b"", _CORS)
            if method != "POST":
                return _json(start_response, 405, {"errors": {"method": ["use POST"]}}, [("Allow", "POST")])
            return self.event(environ, start_response)
        if path in OPS_PATHS and self.ops is not None:
            return self.ops(environ, start_response)
        if path.startswith("/js/") and method in {"GET", "HEAD"}:
            script = self.tracker.get(path.removeprefix("/js/"))
            if script is not None:
                headers = [
                    ("Content-Type", "application/javascript; charset=utf-8"),
                    ("Cache-Control", "public, max-age=3600"),
                    ("Access-Control-Allow-Origin", "*"),
                ]
                return _respond(start_response, 200, b"" if method == "HEAD" else script, headers)
        return _json(start_response, 404, {"errors": {"path": ["not found"]}})

    def event(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            context = Context(grant=self._grant(environ), prefetch=_is_prefetch(environ))
            raw = _read_body(environ)
            request = parse_request(
                raw,
                ip=client_ip(
                    environ.get("REMOTE_ADDR", ""),
                    environ.get("HTTP_X_FORWARDED_FOR", ""),
                    self.trusted_proxies,
                ),
                user_agent=environ.get("HTTP_USER_AGENT", ""),
            )
            outcome = self.pipeline.process(request, context)
        except PayloadError as exc:
            EVENTS_REJECTED.labels(status=str(exc.status)).inc()
            return _json(start_response, exc.status, exc.body())
        except RegistryUnavailable:
            EVENTS_REJECTED.labels(status="503").inc()
            return _json(start_response, 503, {"errors": {"server": ["sites are unavailable, try again"]}})
        if outcome.dropped is not None:
            EVENTS_DROPPED.labels(reason=outcome.dropped.value).inc()
            self._schedule_drop_report()
            headers = [("Content-Type", "text/plain"), *_CORS, ("X-Lantern-Dropped", outcome.dropped.value)]
            return _respond(start_response, 202, b"ok", headers)
        sites = [str(site.id) for site in outcome.sites]
        push_pending = getattr(self.buffer, "push_pending", None)
        try:  # rate limits are taken here, after every filter: only events to be stored take tokens
            if push_pending is None:  # embedded: this process decides the visits
                self.pipeline.refuse(outcome.sites, self.pipeline.limits.check(request.ip, sites))
                self.buffer.push(self.visits.decide_all(outcome.pendings))
            else:  # one round trip takes the shared rate-limit tokens, decides the visits, stores the events
                self.pipeline.refuse(outcome.sites, push_pending(outcome.pendings, request.ip, sites))
        except RateLimited as exc:
            return self._limited(start_response, exc)
        except Exception as exc:
            log.error("could not buffer an event: %s", exc)
            EVENTS_REJECTED.labels(status="503").inc()
            return _json(
                start_response, 503, {"errors": {"server": ["events cannot be stored now, try again"]}}
            )
        EVENTS_ACCEPTED.inc(len(outcome.pendings))
        start_response("202 Accepted", list(_ACCEPTED))
        return [b"ok"]

    def _limited(self, start_response: StartResponse, exc: RateLimited) -> list[bytes]:
        EVENTS_DROPPED.labels(reason="rate_limited").inc()
        self._schedule_drop_report()
        headers = [("Retry-After", "1"), ("X-Lantern-Dropped", "rate_limited")]
        return _json(start_response, 429, {"errors": {exc.field: [exc.message]}}, headers)

    def _grant(self, environ: dict[str, Any]) -> KeyGrant | None:
        """The grant of the request's API key; None without one; 401 for a key that is not live."""
        raw = bearer(environ.get("HTTP_AUTHORIZATION", ""))
        if raw is None:
            return None
        grant = self.keys.grant(raw) if self.keys else None
        if grant is None:
            raise PayloadError("authorization", "the API key is not valid or was revoked", status=401)
        return grant

    def _schedule_drop_report(self) -> None:
        """Hand the drop counts to the buffer a few seconds from now (once per period, not per drop)."""
        with self._report_lock:
            if self._report_timer is None:
                self._report_timer = threading.Timer(self._report_every, self.report_drops)
                self._report_timer.daemon = True
                self._report_timer.start()

    def close(self) -> None:
        """On shutdown: hand over the drop counts now instead of when the timer would have."""
        with self._report_lock:
            if self._report_timer is not None:
                self._report_timer.cancel()
        self.report_drops()

    def report_drops(self) -> None:
        """Push the drop counts gathered so far (the timer calls this; so does shutdown)."""
        with self._report_lock:
            self._report_timer = None
        records = self.pipeline.drops.drain()
        if not records:
            return
        try:
            self.buffer.push(records)
        except Exception as exc:  # counts are best effort; events never depend on them
            log.warning("could not buffer %d drop counts: %s", len(records), exc)


def _is_prefetch(environ: dict[str, Any]) -> bool:
    """A browser prefetch or prerender that no person may ever see (Purpose / Sec-Purpose / X-Moz)."""
    return any(
        "prefetch" in environ[header].lower()
        for header in ("HTTP_PURPOSE", "HTTP_SEC_PURPOSE", "HTTP_X_MOZ")
        if header in environ
    )


def _read_body(environ: dict[str, Any]) -> bytes:
    length_header = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if length_header:
        try:
            length = int(length_header)
        except ValueError:
            raise PayloadError("Content-Length", "is not a number") from None
        if length < 0:
            raise PayloadError("Content-Length", "is negative")
        if length > MAX_BODY_BYTES:
            raise PayloadError("body", f"larger than {MAX_BODY_BYTES} bytes", status=413)
        return bytes(stream.read(length))
    return bytes(stream.read(MAX_BODY_BYTES + 1))

"""The ingest WSGI app: ``POST /api/event`` and the tracker script at ``/js/*.js``.

Answers 202 ``ok`` for an accepted (or knowingly dropped) event, 4xx with
``{"errors": {"<field>": ["<message>"]}}`` for a bad one, 503 when events cannot be buffered.
A dropped event names its reason in ``X-Lantern-Dropped``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ingest.buffer import Buffer
from ingest.clientip import Network, client_ip
from ingest.errors import PayloadError
from ingest.pipeline import Pipeline
from ingest.request import MAX_BODY_BYTES, parse_request
from ingest.sites import RegistryUnavailable

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
Headers = list[tuple[str, str]]

_CORS: Headers = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Allow-Methods", "POST, OPTIONS"),
    ("Access-Control-Allow-Headers", "Content-Type"),
    ("Access-Control-Max-Age", "86400"),
]
_REASONS = {
    200: "OK",
    202: "Accepted",
    204: "No Content",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    503: "Service Unavailable",
}


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
        self, pipeline: Pipeline, buffer: Buffer, trusted_proxies: Sequence[Network], tracker: TrackerFiles
    ) -> None:
        self.pipeline = pipeline
        self.buffer = buffer
        self.trusted_proxies = trusted_proxies
        self.tracker = tracker

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/api/event":
            if method == "OPTIONS":
                return _respond(start_response, 204, b"", _CORS)
            if method != "POST":
                return _json(start_response, 405, {"errors": {"method": ["use POST"]}}, [("Allow", "POST")])
            return self.event(environ, start_response)
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
            outcome = self.pipeline.process(request)
        except PayloadError as exc:
            return _json(start_response, exc.status, exc.body())
        except RegistryUnavailable:
            return _json(start_response, 503, {"errors": {"server": ["sites are unavailable, try again"]}})
        if outcome.dropped is not None:
            headers = [("Content-Type", "text/plain"), *_CORS, ("X-Lantern-Dropped", outcome.dropped.value)]
            return _respond(start_response, 202, b"ok", headers)
        try:
            self.buffer.push([json.dumps(event.to_wire()).encode() for event in outcome.events])
        except Exception as exc:
            log.error("could not buffer an event: %s", exc)
            return _json(
                start_response, 503, {"errors": {"server": ["events cannot be stored now, try again"]}}
            )
        return _respond(start_response, 202, b"ok", [("Content-Type", "text/plain"), *_CORS])


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

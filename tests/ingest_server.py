"""A customer's website and Lantern's ingest app in this process, over real HTTP, for the tracker's
browser tests.

    with TrackerServer(FIXTURES) as server:
        server.ingest = IngestApp(pipeline, buffer, (), TrackerFiles(TRACKER_DIST))
        page.goto(server.site("/pageview.html"))
        [pageview] = server.wait_for(1)
        assert pageview.body["n"] == "pageview"

One port, told apart by the Host header:

- ``http://site.test:PORT/``: the customer's pages, ``FIXTURES/NAME.html`` at ``/NAME.html`` with
  ``{{lantern}}`` and ``{{elsewhere}}`` replaced by those origins, files to download under ``/files/``,
  and a 404 page (``404.html``, status 404) for any other path. Any host that is not Lantern's is
  served these pages (``http://localhost:PORT/`` is the same site, for the tracker's localhost rule).
- ``http://elsewhere.test:PORT/``: another website, somewhere to follow an outbound link to.
- ``http://lantern.test:PORT/``: Lantern, ``server.ingest`` (``/js/*.js`` and ``POST /api/event``). Each
  event posted is kept in ``server.received``, with the status the ingest app answered.

Chromium reaches the three names through ``--host-resolver-rules=`` + ``server.resolver_rules``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import mimetypes
import socketserver
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from tests.services import free_port

SITE_HOST = "site.test"
OTHER_HOST = "elsewhere.test"
LANTERN_HOST = "lantern.test"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclasses.dataclass(frozen=True)
class Received:
    """One ``POST /api/event`` as the server got it, and what the ingest app answered."""

    body: dict[str, Any]
    content_type: str
    origin: str
    status: int
    dropped: str | None

    @property
    def name(self) -> str:
        return str(self.body.get("n"))


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class TrackerServer:
    def __init__(self, fixtures: Path) -> None:
        self.fixtures = fixtures
        self.port = free_port()
        self.ingest: WsgiApp | None = None
        self.received: list[Received] = []
        self.lantern_requests: list[tuple[str, str]] = []  # (method, path) of every request to Lantern
        self._lock = threading.Condition()
        self._httpd = _ThreadingServer(("127.0.0.1", self.port), _QuietHandler)
        self._httpd.set_app(self._app)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="tracker-server", daemon=True)

    def __enter__(self) -> TrackerServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)

    @property
    def resolver_rules(self) -> str:
        """For Chromium's ``--host-resolver-rules``: the three test names lead to this server."""
        return ", ".join(f"MAP {host} 127.0.0.1" for host in (SITE_HOST, OTHER_HOST, LANTERN_HOST))

    def origin(self, host: str) -> str:
        return f"http://{host}:{self.port}"

    def site(self, path: str) -> str:
        return self.origin(SITE_HOST) + path

    @property
    def hosts(self) -> set[str]:
        """``host:port`` of the customer's site and of Lantern: all a tracked page may talk to."""
        return {f"{SITE_HOST}:{self.port}", f"{LANTERN_HOST}:{self.port}"}

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.lantern_requests.clear()

    def wait_for(self, count: int, *, timeout_s: float = 10.0, settle_s: float = 0.4) -> list[Received]:
        """The events received once there are ``count`` of them and no more came for ``settle_s``.

        Fails when fewer arrive in time; returns more than ``count`` if more arrived (callers assert).
        """
        deadline = time.monotonic() + timeout_s
        with self._lock:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    names = [r.name for r in self.received]
                    raise AssertionError(f"expected {count} events within {timeout_s}s, got {names}")
                self._lock.wait(left)
            seen = len(self.received)
            while True:
                self._lock.wait(settle_s)
                if len(self.received) == seen:
                    return list(self.received)
                seen = len(self.received)

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
        if host == LANTERN_HOST:
            with self._lock:
                self.lantern_requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
            return self._lantern(environ, start_response)
        if host == OTHER_HOST:
            return _send(
                start_response, 200, "text/html", b"<!doctype html><title>Elsewhere</title>Elsewhere"
            )
        return self._site(environ, start_response)

    def _lantern(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.ingest is None:
            return _send(start_response, 503, "text/plain", b"no ingest app for this test")
        if environ.get("PATH_INFO") != "/api/event" or environ.get("REQUEST_METHOD") != "POST":
            return self.ingest(environ, start_response)
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        answer: dict[str, Any] = {}

        def record(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            answer["status"] = int(status.split()[0])
            answer["headers"] = dict(headers)
            return start_response(status, headers, *rest)

        response = b"".join(self.ingest(environ, record))
        try:
            body = json.loads(raw)
        except ValueError:
            body = {"unreadable": raw.decode("utf-8", "replace")}
        received = Received(
            body=body,
            content_type=environ.get("CONTENT_TYPE", ""),
            origin=environ.get("HTTP_ORIGIN", ""),
            status=answer["status"],
            dropped=answer["headers"].get("X-Lantern-Dropped"),
        )
        with self._lock:
            self.received.append(received)
            self._lock.notify_all()
        return [response]

    def _site(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        if path.startswith("/files/"):
            kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
            name = path.rsplit("/", 1)[-1]
            headers = [("Content-Disposition", f'attachment; filename="{name}"')]
            return _send(start_response, 200, kind, b"file contents", headers)
        page = self.fixtures / path.lstrip("/")
        status = 200
        if not (path.endswith(".html") and "/" not in path[1:] and page.is_file()):
            page, status = self.fixtures / "404.html", 404
        html = page.read_text().replace("{{lantern}}", self.origin(LANTERN_HOST))
        html = html.replace("{{elsewhere}}", self.origin(OTHER_HOST))
        return _send(start_response, status, "text/html; charset=utf-8", html.encode())


def _send(
    start_response: StartResponse,
    status: int,
    content_type: str,
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", content_type), ("Content-Length", str(len(body))), *(headers or [])],
    )
    return [body]

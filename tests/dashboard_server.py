"""Lantern's Django app on a local port inside the test process, so a browser test reads the same
PostgreSQL and chDB its fixtures seeded. Each request's database connections close when it ends."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.core.wsgi import get_wsgi_application
from django.db import connections


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # the base class names it so
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


@contextmanager
def dashboard_server() -> Iterator[str]:
    """Serve Django at ``http://127.0.0.1:<port>`` until the block ends; yields that base URL."""
    django_app = get_wsgi_application()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        result = django_app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            result.close()  # Django's responses (and WhiteNoise's files) have one
            connections.close_all()

    server = make_server("127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()

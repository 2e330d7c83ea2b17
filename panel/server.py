"""The gunicorn worker Lantern runs: gunicorn's gthread with a deadline on each request's headers.

    worker_class = "panel.server.BoundedThreadWorker"   # deploy/gunicorn.conf.py

gthread gives a connection a thread once its first bytes arrive and parses the headers in that thread
with no time limit, so clients sending headers slowly could hold every thread. Here the headers must
arrive within ``REQUEST_HEADER_TIMEOUT_S`` (default 10) of the thread taking the connection, or it is
closed (``ingest.deadline``); the body has its own deadline in the WSGI layer (``panel.wsgi``).
"""

from __future__ import annotations

import threading
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from analytics.config import header_timeout_s
from ingest import deadline as read_deadlines
from ingest.deadline import Deadline

HEADER_TIMEOUT_S = header_timeout_s()


class BoundedThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no types
    """A thread worker whose threads wait at most ``HEADER_TIMEOUT_S`` for a request's headers."""

    _headers = threading.local()

    def handle(self, conn: Any) -> Any:
        self._headers.deadline = read_deadlines.arm(conn.sock, HEADER_TIMEOUT_S)
        try:
            return super().handle(conn)
        finally:
            self._stop_clock()

    def _stop_clock(self) -> None:
        deadline: Deadline | None = getattr(self._headers, "deadline", None)
        if deadline is not None:
            read_deadlines.cancel(deadline)
            self._headers.deadline = None

    def handle_request(self, req: Any, conn: Any) -> Any:
        self._stop_clock()  # the headers are in: the application's time is not theirs
        return super().handle_request(req, conn)

    def handle_http2(self, conn: Any) -> Any:
        self._stop_clock()  # a long-lived connection; its frames have their own timeouts
        return super().handle_http2(conn)

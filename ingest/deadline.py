"""Deadlines on reading from a client: a request must arrive within a bound, however slowly it trickles.

    with read_deadline(sock, 10.0) as deadline:   # one watcher thread per process serves every deadline
        data = stream.read(length)                # returns short at the deadline: the socket's read side
    if deadline.expired: ...                      # was shut, so a blocked recv() returns at once

    body = read_body_within(environ, limit=4 << 20, within_s=10.0)   # a WSGI body, or SlowBody/BodyTooLarge
    application = BoundedBodies(app, limit=4 << 20, within_s=10.0)     # or 408 / 413 naming the body

A socket timeout alone bounds each recv(), not the whole read: a client sending a byte a second would
hold the thread for as long as it likes. Shutting the read side (``SHUT_RD``) ends the read once; the
response can still be written. Without a socket (``gunicorn.socket`` absent: tests, other servers)
the body is read as it comes.
"""

from __future__ import annotations

import contextlib
import heapq
import io
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import orjson

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class SlowBody(Exception):
    """The request body did not arrive within its deadline."""


class BodyTooLarge(Exception):
    """The request body is longer than the server buffers."""


class Deadline:
    """One armed deadline; ``expired`` once the watcher shut the socket's read side."""

    __slots__ = ("at", "cancelled", "expired", "sock")

    def __init__(self, sock: socket.socket, at: float) -> None:
        self.sock = sock
        self.at = at
        self.expired = False
        self.cancelled = False


class _Watcher:
    """A daemon thread that fires the earliest deadline first; arming and cancelling are O(log n)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, sock: socket.socket, seconds: float) -> Deadline:
        deadline = Deadline(sock, time.monotonic() + seconds)
        with self._wake:
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(target=self._run, name="read-deadlines", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if self._heap[0][2] is deadline:
                self._wake.notify()
        return deadline

    def cancel(self, deadline: Deadline) -> None:
        with self._wake:
            deadline.cancelled = True  # left in the heap; dropped when it comes up

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._heap and self._heap[0][2].cancelled:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                deadline = heapq.heappop(self._heap)[2]
                deadline.expired = True
            with contextlib.suppress(OSError):  # already closed
                deadline.sock.shutdown(socket.SHUT_RD)


_watcher = _Watcher()


def arm(sock: socket.socket, seconds: float) -> Deadline:
    """Shut ``sock``'s read side ``seconds`` from now unless ``cancel`` comes first."""
    return _watcher.arm(sock, seconds)


def cancel(deadline: Deadline) -> None:
    _watcher.cancel(deadline)


@contextmanager
def read_deadline(sock: socket.socket, seconds: float) -> Iterator[Deadline]:
    """Reads from ``sock`` inside the block end (short, or with an error) ``seconds`` from now."""
    deadline = arm(sock, seconds)
    try:
        yield deadline
    finally:
        cancel(deadline)


def _has_body(environ: dict[str, Any]) -> bool:
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or environ.get("CONTENT_LENGTH", "") not in {"", "0"}


def read_body_within(environ: dict[str, Any], *, limit: int, within_s: float) -> bytes | None:
    """The whole request body read within ``within_s`` seconds (None: there is none, or no socket to
    bound). Raises ``SlowBody`` when it did not arrive in time, ``BodyTooLarge`` past ``limit`` bytes."""
    sock = environ.get("gunicorn.socket")
    if not isinstance(sock, socket.socket) or not _has_body(environ):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return None  # the application names the bad header
    if length > limit:
        raise BodyTooLarge
    stream = environ["wsgi.input"]
    with read_deadline(sock, within_s) as deadline:
        try:
            body = stream.read(length if length >= 0 else limit + 1)
        except Exception:  # the server's reader on a socket shut mid-chunk
            if deadline.expired:
                raise SlowBody from None
            raise
    whole = len(body) == length if length >= 0 else not deadline.expired
    if not whole:
        raise SlowBody
    if len(body) > limit:
        raise BodyTooLarge
    return bytes(body)


def buffered(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """``environ``, changed in place (as WSGI middleware may), with ``body`` as its input, read already
    (a chunked body now has a length)."""
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return environ


class BoundedBodies:
    """WSGI middleware: a body must arrive whole within ``within_s`` before the application runs;
    408 (or 413 past ``limit`` bytes) naming the body otherwise."""

    def __init__(self, app: WSGIApp, *, limit: int, within_s: float) -> None:
        self.app = app
        self.limit = limit
        self.within_s = within_s

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            body = read_body_within(environ, limit=self.limit, within_s=self.within_s)
        except SlowBody:
            return self._refuse(
                start_response, "408 Request Timeout", f"did not arrive within {self.within_s:g} s"
            )
        except BodyTooLarge:
            return self._refuse(start_response, "413 Content Too Large", f"larger than {self.limit} bytes")
        return self.app(environ if body is None else buffered(environ, body), start_response)

    @staticmethod
    def _refuse(start_response: StartResponse, status: str, problem: str) -> list[bytes]:
        payload = orjson.dumps({"errors": {"body": [problem]}})
        # No Connection header (hop-by-hop, not the application's to send): the server closes the
        # connection because its read side was shut (408), or because the body was left unread (413).
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

"""Large uploads at the WSGI layer: the one request that carries an export (a site's imports page,
POST) reaches Django with its body unread, so Django streams the file to disk; every other request's
body is read whole and bounded first (``ingest.deadline.BoundedBodies``).

    application = StreamedUploads(bounded_app, django_app, limit=1024**3, within_s=1800)

An upload must say its length (411 otherwise), at most ``limit`` bytes (413), and arrive within
``within_s`` seconds (its socket's read side is shut then, so Django sees a cut-short body and answers
400): a slow client holds a thread for at most that long.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterable
from typing import Any

import orjson

from ingest.deadline import StartResponse, WSGIApp, read_deadline

UPLOAD_PATH = re.compile(r"^/[^/]+/settings/imports/$")
MAX_UPLOAD_BYTES = 1024**3  # 1 GiB: Plausible's exports of busy sites over years stay well below


class StreamedUploads:
    def __init__(self, bounded: WSGIApp, streamed: WSGIApp, *, limit: int, within_s: float) -> None:
        self.bounded, self.streamed = bounded, streamed
        self.limit, self.within_s = limit, within_s

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or not UPLOAD_PATH.match(environ.get("PATH_INFO", "")):
            return self.bounded(environ, start_response)
        length = environ.get("CONTENT_LENGTH") or ""
        if not length.isdigit():
            return _refuse(start_response, "411 Length Required", "an upload must send its Content-Length")
        if int(length) > self.limit:
            return _refuse(start_response, "413 Content Too Large", f"larger than {self.limit} bytes")
        sock = environ.get("gunicorn.socket")
        if not isinstance(sock, socket.socket):
            return self.streamed(environ, start_response)
        with read_deadline(sock, self.within_s):
            return self.streamed(environ, start_response)


def _refuse(start_response: StartResponse, status: str, problem: str) -> list[bytes]:
    payload = orjson.dumps({"errors": {"body": [problem]}})
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]

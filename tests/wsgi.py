"""A tiny WSGI caller for tests: run one request through an app and get status, headers and body."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Iterable
from typing import Any


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def call(
    app: Callable[..., Iterable[bytes]],
    method: str,
    path: str,
    body: bytes = b"",
    *,
    headers: dict[str, str] | None = None,
    remote_addr: str = "203.0.113.9",
    content_length: str | None = None,
) -> Response:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "REMOTE_ADDR": remote_addr,
        "CONTENT_LENGTH": str(len(body)) if content_length is None else content_length,
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = dict(response_headers)

    chunks = b"".join(app(environ, start_response))
    return Response(seen["status"], seen["headers"], chunks)

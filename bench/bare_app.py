"""The baseline: a bare WSGI app that reads the request body and answers 202 ``ok``.

gunicorn -c deploy/gunicorn.conf.py bench.bare_app:application
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

_BODY = b"ok"
_HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(_BODY)))]
_MAX_BODY = 1_000_000


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > 0:
        environ["wsgi.input"].read(min(length, _MAX_BODY))
    start_response("202 Accepted", list(_HEADERS))
    return [_BODY]

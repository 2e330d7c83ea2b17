"""The WSGI entry point for one Lantern process: ingest paths go to ``ingest``, the rest to Django.

``/healthz``, ``/readyz`` and ``/metrics`` are the ingest app's too (``ingest/ops.py``): answered
without Django's host check and https redirect, so a probe reaches them at the process's address;
``/readyz`` adds the panel's check that Django's migrations are applied (``panel/health.py``).

gunicorn -c deploy/gunicorn.conf.py panel.wsgi:application

A request's body is read whole, within ``REQUEST_BODY_TIMEOUT_S`` (default 10) of its headers, before
either application runs; a body that does not arrive in time is answered 408 and its connection
closed, so slow clients cannot keep a server thread (``ingest.deadline``). The one exception is an
export's upload (a site's imports page), which Django streams to disk: up to 1 GiB, within
``IMPORT_UPLOAD_TIMEOUT_S`` (default 1800) seconds (``panel.uploads``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

from analytics.config import body_timeout_s, env_int
from ingest.app import StartResponse
from ingest.deadline import BoundedBodies
from ingest.ops import OPS_PATHS
from ingest.runtime import make_app
from panel.health import django_migrations_check
from panel.uploads import MAX_UPLOAD_BYTES, StreamedUploads

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

django_app = get_wsgi_application()
ingest_app = make_app(extra_checks=[django_migrations_check()])


# The largest body buffered: the event endpoint's limit, with room for any form Django takes.
MAX_BODY_BYTES = 4 * 1024 * 1024


def dispatch(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/api/event" or path.startswith("/js/") or path in OPS_PATHS:
        return ingest_app(environ, start_response)
    return django_app(environ, start_response)


application = StreamedUploads(
    BoundedBodies(dispatch, limit=MAX_BODY_BYTES, within_s=body_timeout_s()),
    django_app,
    limit=MAX_UPLOAD_BYTES,
    within_s=env_int("IMPORT_UPLOAD_TIMEOUT_S", 1800, minimum=10),
)

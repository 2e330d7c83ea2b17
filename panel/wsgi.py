"""The WSGI entry point for one Lantern process: ingest paths go to ``ingest``, the rest to Django.

gunicorn -c deploy/gunicorn.conf.py panel.wsgi:application
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application

from ingest.app import StartResponse
from ingest.runtime import make_app

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")

django_app = get_wsgi_application()
ingest_app = make_app()


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/api/event" or path.startswith("/js/"):
        return ingest_app(environ, start_response)
    return django_app(environ, start_response)

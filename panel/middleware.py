"""Site-wide middleware: a Content-Security-Policy on every page (scripts, styles, images and requests
only from ourselves), and JSON errors on the JSON endpoints.

``JsonErrors`` makes every error under ``/api/`` and ``/dashboard-data/`` a JSON body
``{"error": "..."}``: an exception in a view (a damaged ClickHouse part, a lost connection) is logged
with its traceback and answered 500 with a fixed message; an HTML error page from anywhere else
(Django's 404, the CSRF failure page, a middleware's 500, the page of an ``Http404``,
``PermissionDenied`` or ``SuspiciousOperation`` a view raised, which keep their 404, 403 and 400) is
replaced by its JSON counterpart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

JSON_PREFIXES = ("/api/", "/dashboard-data/")
HANDLED = (Http404, PermissionDenied, SuspiciousOperation)  # Django answers these 404, 403 and 400
INTERNAL_ERROR = "internal error: the request could not be answered; try again later"
log = logging.getLogger("django.request")

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def content_security_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[..., HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response

    return middleware


def _json_path(request: HttpRequest) -> bool:
    return request.path.startswith(JSON_PREFIXES)


class JsonErrors:
    """JSON error bodies on the JSON endpoints, never an HTML page or a traceback."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and _json_path(request)
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            status = response.status_code
            message = INTERNAL_ERROR if status >= 500 else _reason(status)
            replaced = JsonResponse({"error": message}, status=status)
            for header in ("Allow", "Retry-After"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _json_path(request) or isinstance(exception, HANDLED):
            return None  # Django's own handling: pages, and a 404, 403 or 400 (made JSON in __call__)
        log.error("Internal Server Error: %s", request.path, exc_info=exception)
        return JsonResponse({"error": INTERNAL_ERROR}, status=500)


def _reason(status: int) -> str:
    """``404`` → ``"not found"``."""
    try:
        return HTTPStatus(status).phrase.lower()
    except ValueError:
        return "error"

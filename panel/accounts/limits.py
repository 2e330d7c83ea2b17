"""Rate limits on guessing and on mail: django-ratelimit counters in the cache (Redis in server mode).

    if wait := over_limit(request, "login", [("ip", client_ip(request)), ("account", email)],
                          rate_for_ip, rate_for_account):
        return too_many(request, "login attempts", wait)

``over_limit`` peeks; ``count`` records an attempt (a failed login, a code, a mail sent).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

from ingest.clientip import client_ip as _client_ip

# One counter: a group, what it counts by (e.g. the client's IP) and its rate ("10/15m").
Counter = tuple[str, str, str]


def client_ip(request: HttpRequest) -> str:
    """The client's address, believing X-Forwarded-For only from ``TRUSTED_PROXIES``."""
    return _client_ip(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )


def _usage(request: HttpRequest, counter: Counter, *, increment: bool) -> dict[str, int | bool] | None:
    group, value, rate = counter
    return get_usage(  # type: ignore[no-any-return]
        request, group=group, key=lambda _group, _request: value, rate=rate, increment=increment
    )


def over_limit(request: HttpRequest, counters: Sequence[Counter]) -> int:
    """Minutes to wait when any counter has used up its allowance, else 0."""
    wait = 0
    for counter in counters:
        usage = _usage(request, counter, increment=False)
        if usage is not None and int(usage["count"]) >= int(usage["limit"]):
            wait = max(wait, max(1, math.ceil(int(usage["time_left"]) / 60)))
    return wait


def count(request: HttpRequest, counters: Sequence[Counter]) -> None:
    """Record one attempt against each counter."""
    for counter in counters:
        _usage(request, counter, increment=True)


def too_many(request: HttpRequest, what: str, minutes: int) -> HttpResponse:
    """429 with a message saying how long to wait, e.g. "Too many login attempts; try again in 5 minutes"."""
    unit = "minute" if minutes == 1 else "minutes"
    message = f"Too many {what}; try again in {minutes} {unit}."
    response = render(request, "accounts/too_many.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response

"""Rate limits on guessing and on mail: fixed-window counters in the cache (Redis in server mode).

A guess (a password, a second-factor code) takes its place first and is checked only if it got one,
so concurrent guesses can never be checked more often than the allowance; a right guess gives its
place back, so only failures use the allowance up:

    counters = [("login-ip", client_ip(request), "30/15m"), ("login-account", email, "10/15m")]
    if wait := take(request, counters):
        return too_many(request, "login attempts", wait)
    if right:
        give_back(request, counters)

``over_limit`` only peeks and ``count`` records an attempt after the fact: they suit what is not a
guess (a mail sent, an invitation made). Counting is the cache's atomic ``incr``.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ingest.clientip import client_ip as _client_ip

# One counter: a group, what it counts by (e.g. the client's IP) and its rate ("10/15m").
Counter = tuple[str, str, str]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_FUDGE_S = 5  # keys outlive their window a little, so a count is never read as expired too early


def client_ip(request: HttpRequest) -> str:
    """The client's address, believing X-Forwarded-For only from ``TRUSTED_PROXIES``."""
    return _client_ip(
        request.META.get("REMOTE_ADDR", ""),
        request.META.get("HTTP_X_FORWARDED_FOR", ""),
        settings.TRUSTED_PROXIES,
    )


def split_rate(rate: str) -> tuple[int, int]:
    """``"10/15m"`` → ``(10, 900)``: the allowance and its window in seconds.

    >>> split_rate("10/15m"), split_rate("600/h"), split_rate("5/30s")
    ((10, 900), (600, 3600), (5, 30))
    """
    limit, period = rate.split("/")
    return int(limit), int(period[:-1] or "1") * _UNITS[period[-1]]


def _key(counter: Counter) -> tuple[str, int, int]:
    """The cache key of the counter's current window, its limit and the seconds the window has left."""
    group, value, rate = counter
    limit, period = split_rate(rate)
    now = int(time.time())
    window_end = now - now % period + period
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"lantern:limit:{group}:{rate}:{window_end}:{digest}", limit, window_end - now


def _add(counter: Counter, delta: int) -> tuple[int, int, int]:
    """Add ``delta`` to the counter atomically: (the count after it, the limit, seconds left)."""
    key, limit, left = _key(counter)
    cache.add(key, 0, left + _FUDGE_S)
    if delta == 0:
        return int(cache.get(key, 0)), limit, left
    try:
        return int(cache.incr(key, delta)), limit, left
    except ValueError:  # expired between add and incr: this is the new window's first count
        cache.add(key, max(delta, 0), left + _FUDGE_S)
        return max(delta, 0), limit, left


def _minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


def over_limit(request: HttpRequest, counters: Sequence[Counter]) -> int:
    """Minutes to wait when any counter has used up its allowance, else 0 (counts nothing)."""
    wait = 0
    for counter in counters:
        used, limit, left = _add(counter, 0)
        if used >= limit:
            wait = max(wait, _minutes(left))
    return wait


def count(request: HttpRequest, counters: Sequence[Counter]) -> None:
    """Record one attempt against each counter."""
    for counter in counters:
        _add(counter, 1)


def take(request: HttpRequest, counters: Sequence[Counter]) -> int:
    """Take a place for one attempt in every counter, then compare: minutes to wait when any is over
    its allowance (the attempt must not go ahead), else 0. Atomic, so concurrent attempts cannot all
    pass a check made before any of them counted."""
    wait = 0
    for counter in counters:
        used, limit, left = _add(counter, 1)
        if used > limit:
            wait = max(wait, _minutes(left))
    return wait


def give_back(request: HttpRequest, counters: Sequence[Counter]) -> None:
    """Return the places ``take`` took, for an attempt that succeeded."""
    for counter in counters:
        key, _limit, _left = _key(counter)
        try:
            if int(cache.decr(key)) < 0:
                cache.incr(key)
        except ValueError:  # the window ended meanwhile: nothing to give back
            pass


def too_many(request: HttpRequest, what: str, minutes: int) -> HttpResponse:
    """429 with a message saying how long to wait, e.g. "Too many login attempts; try again in 5 minutes"."""
    unit = "minute" if minutes == 1 else "minutes"
    message = f"Too many {what}; try again in {minutes} {unit}."
    response = render(request, "accounts/too_many.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response

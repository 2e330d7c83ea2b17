"""A few seconds' memory for reads a page repeats: the first caller of a key computes, callers arriving
meanwhile wait for its answer, later ones take it until it is ``ttl`` seconds old.

Keys name everything an answer depends on that can change quickly (``analytics.open_days`` puts the
raw days' event counts in its keys); ``scope()`` adds the store and how many writes this process made
to it, so a process never takes an answer older than its own writes (``scope(events=False)`` leaves
out its inserts of events, for an answer whose key holds the days' event counts, or that no event
changes).

    >>> remembered(("squares", 3), lambda: 9, ttl=5.0)
    9
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

from analytics import client
from analytics.config import clickhouse_url

__all__ = ["forget", "remembered", "scope"]

T = TypeVar("T")
MAX_ENTRIES = 64


@dataclasses.dataclass(frozen=True)
class _Entry:
    answer: Future[Any]
    born: float
    ttl: float


_entries: dict[Hashable, _Entry] = {}
_guard = threading.Lock()


def forget() -> None:
    """Drop every answer (the benchmark times each page load from nothing remembered)."""
    with _guard:
        _entries.clear()


def scope(*, events: bool = True) -> tuple[str, int]:
    """The store this process reads, and its writes to it so far (``client.writes``; without
    ``events``, not counting its inserts of events)."""
    return clickhouse_url(), client.writes(events=events)


def remembered(key: Hashable, compute: Callable[[], T], *, ttl: float) -> T:
    """``compute()``'s answer for ``key``, computed once while it is younger than ``ttl`` seconds."""
    now = time.monotonic()
    with _guard:
        for old in [k for k, e in _entries.items() if now - e.born > e.ttl and e.answer.done()]:
            del _entries[old]
        entry = _entries.get(key)
        if entry is not None and entry.answer.done() and now - entry.born > ttl:
            entry = None  # older than this caller takes
        mine = entry is None
        if entry is None:
            entry = _entries[key] = _Entry(Future(), now, ttl)
            while len(_entries) > MAX_ENTRIES:
                del _entries[next(iter(_entries))]
    if mine:
        try:
            entry.answer.set_result(compute())
        except BaseException as exc:
            with _guard:
                _entries.pop(key, None)
            entry.answer.set_exception(exc)
            raise
    answer: T = entry.answer.result()
    return answer

"""Work that can wait gives way: a thread doing deferred work lowers its own CPU priority.

The flusher moves events into the store seconds after the requests that brought them were answered.
In embedded mode it shares a process, and two cores, with the request threads; left at the same
priority, its engine work slows every answer. Lowered (Linux lets a thread raise its own nice value,
never lower it), it uses the CPU the requests leave, which is plenty for it: ``./dev bench`` counts
every accepted event in the store after each run. ``BACKGROUND_NICE`` (default 10, 0 to keep the
process's priority) is how much it adds to its nice value (at most 19).

    >>> lower_priority()  # doctest: +SKIP  (from inside the thread that does the deferred work)
"""

from __future__ import annotations

import contextlib
import os
import threading

from analytics.config import env_int

__all__ = ["lower_priority"]


def lower_priority() -> None:
    """Add ``BACKGROUND_NICE`` to the calling thread's nice value (the threads it starts inherit it)."""
    step = env_int("BACKGROUND_NICE", 10)
    if step == 0 or not hasattr(os, "setpriority"):
        return
    me = threading.get_native_id()
    with contextlib.suppress(OSError):  # a system that refuses it runs the work at normal priority
        os.setpriority(os.PRIO_PROCESS, me, min(os.getpriority(os.PRIO_PROCESS, me) + step, 19))

"""Moves the wall clock of every Python process in a ``./dev test --clock +365d`` run.

``./dev test --clock`` puts this folder on ``PYTHONPATH`` and the shift in ``LANTERN_TEST_CLOCK_SHIFT_S``;
Python imports ``sitecustomize`` at start-up, so the test process and every server it starts (gunicorn,
the flusher) read a clock that far ahead and still ticking. Only wall-clock readings move
(``time.time``, ``datetime.now``, ``date.today``): monotonic clocks, sleeps and timeouts keep real time.
The engine (chDB), PostgreSQL, Redis and the browser keep the real clock.
"""

from __future__ import annotations

import datetime as dt
import os

_shift = os.environ.get("LANTERN_TEST_CLOCK_SHIFT_S", "")
if _shift:
    import time_machine

    _moved = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(_shift))
    time_machine.travel(_moved, tick=True).start()

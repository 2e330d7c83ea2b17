"""How a metric moved against the comparison period, as Plausible reports it.

Rates measured in percent (bounce rate) change by their difference in points; every other metric by
its relative change in whole percent. From nothing to something is +100; nothing to nothing is 0.

    >>> change("visitors", 150, 100)
    50
    >>> change("bounce_rate", 40, 55)
    -15
    >>> change("pageviews", 3, 0)
    100

Whether a change is good news: a rise, except for metrics whose fall is good (``LOWER_IS_BETTER``,
sent to the dashboard's script too, so emails and the dashboard colour a change alike):

    >>> tone("visitors", 50), tone("bounce_rate", -8), tone("bounce_rate", 3), tone("pageviews", 0)
    ('good', 'good', 'bad', 'flat')
"""

from __future__ import annotations

import decimal

LOWER_IS_BETTER = frozenset({"bounce_rate"})
POINT_METRICS = frozenset({"bounce_rate", "scroll_depth", "percentage", "conversion_rate", "exit_rate"})


def change(metric: str, current: float, previous: float) -> int | float:
    if metric in POINT_METRICS:
        if isinstance(current, int) and isinstance(previous, int):
            return current - previous
        return round(float(current) - float(previous), 1)
    if previous == 0:
        return 100 if current else 0
    ratio = (decimal.Decimal(str(current)) - decimal.Decimal(str(previous))) / decimal.Decimal(str(previous))
    return int((ratio * 100).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def tone(metric: str, delta: float) -> str:
    """``'good'``, ``'bad'`` or ``'flat'``: how ``delta`` (a ``change()``) of ``metric`` reads."""
    if delta == 0:
        return "flat"
    return "good" if (delta < 0) == (metric in LOWER_IS_BETTER) else "bad"

"""A bar chart for email: bar heights computed here, drawn by the template as table cells.

Mail clients show tables with background colours everywhere (no image, font or script needed).

    >>> [bar.height for bar in bars([("2026-11-16", 5), ("2026-11-17", 10), ("2026-11-18", 0)], 80)]
    [40, 80, 0]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence


@dataclasses.dataclass(frozen=True)
class Bar:
    day: str  # short label under the bar
    value: int
    height: int  # pixels of bar
    gap: int  # pixels of empty space above it


def _label(day: str) -> str:
    try:
        return str(dt.date.fromisoformat(day).day)
    except ValueError:
        return day


def bars(series: Sequence[tuple[str, int]], height: int = 80) -> list[Bar]:
    top = max((value for _, value in series), default=0)
    out = []
    for day, value in series:
        px = round(value * height / top) if top else 0
        if value and not px:
            px = 1  # a day with visitors never looks empty
        out.append(Bar(_label(day), value, px, height - px))
    return out

"""A sparkline's points: counts drawn as an SVG polyline in a small box (the sites list's last 24 hours).

>>> points([0, 2, 1], width=100, height=20)
'0,19 50,1 100,10'
"""

from __future__ import annotations

from collections.abc import Sequence

WIDTH, HEIGHT = 96, 24
_MARGIN = 1  # the line's half-width: a peak or a zero is not cut by the box


def points(counts: Sequence[int], *, width: int = WIDTH, height: int = HEIGHT) -> str:
    """``counts`` spread across ``width``, scaled to the highest (all zero: a flat line at the bottom)."""
    if not counts:
        return ""
    top = max(max(counts), 1)
    step = width / max(len(counts) - 1, 1)
    span = height - 2 * _MARGIN
    return " ".join(
        f"{_number(index * step)},{_number(height - _MARGIN - count / top * span)}"
        for index, count in enumerate(counts)
    )


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")

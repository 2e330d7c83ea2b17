"""A metric's change against the comparison period, as Plausible reports it."""

import pytest

from analytics.compare import change


@pytest.mark.parametrize(
    ("metric", "current", "previous", "expected"),
    [
        ("visitors", 150, 100, 50),
        ("visitors", 100, 150, -33),
        ("pageviews", 3, 0, 100),
        ("pageviews", 0, 0, 0),
        ("visit_duration", 95, 60, 58),  # 58.33 rounds to 58
        ("views_per_visit", 2.5, 2.0, 25),
        ("bounce_rate", 40, 55, -15),  # points, not percent
        ("percentage", 12.5, 10.0, 2.5),
    ],
)
def test_change(metric: str, current: float, previous: float, expected: float) -> None:
    assert change(metric, current, previous) == expected

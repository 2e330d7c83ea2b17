"""A metric's change against the comparison period, as Plausible reports it, and the range compared
with under each mode (Plausible's rules, exact dates: leap days, month ends, weekdays)."""

import datetime as dt

import pytest

from analytics.compare import change
from analytics.comparisons import comparison_range
from analytics.periods import DateRange


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


# -- the range compared with (analytics.comparisons): the clock is injected as ``today`` ----------------


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def days(first: str, last: str) -> DateRange:
    return DateRange(day(first), day(last), "UTC")


@pytest.mark.parametrize(
    ("period", "today", "mode", "match", "expected"),
    [
        # previous_period: as many days just before
        (("2026-11-15", "2026-11-21"), "2026-11-21", "previous_period", False, ("2026-11-08", "2026-11-14")),
        # a month to date against as many days, not the 31 (Plausible's tests)
        (("2023-03-01", "2023-03-31"), "2023-03-02", "previous_period", False, ("2023-02-27", "2023-02-28")),
        (("2023-03-01", "2023-03-31"), "2023-03-01", "previous_period", False, ("2023-02-28", "2023-02-28")),
        (("2023-02-01", "2023-02-28"), "2023-03-01", "previous_period", False, ("2023-01-04", "2023-01-31")),
        (("2023-01-01", "2023-12-31"), "2023-03-01", "previous_period", False, ("2022-11-02", "2022-12-31")),
        (("2022-01-01", "2022-12-31"), "2023-03-01", "previous_period", False, ("2021-01-01", "2021-12-31")),
        # year_over_year: the same dates, and a year to date as far as the same day
        (("2023-01-01", "2023-12-31"), "2023-03-01", "year_over_year", False, ("2022-01-01", "2022-03-01")),
        (("2022-01-01", "2022-12-31"), "2023-03-01", "year_over_year", False, ("2021-01-01", "2021-12-31")),
        (("2023-01-01", "2023-01-07"), "2023-03-01", "year_over_year", False, ("2022-01-01", "2022-01-07")),
        # a leap day becomes the 28th; whole months stay whole months, however long their February
        (("2024-02-29", "2024-02-29"), "2026-01-01", "year_over_year", False, ("2023-02-28", "2023-02-28")),
        (("2024-02-28", "2024-03-01"), "2026-01-01", "year_over_year", False, ("2023-02-28", "2023-03-01")),
        (("2024-02-01", "2024-02-29"), "2026-01-01", "year_over_year", False, ("2023-02-01", "2023-02-28")),
        (("2025-02-01", "2025-02-28"), "2026-01-01", "year_over_year", False, ("2024-02-01", "2024-02-29")),
        (("2025-02-28", "2025-02-28"), "2026-01-01", "year_over_year", False, ("2024-02-28", "2024-02-28")),
        (("2025-12-01", "2026-05-31"), "2026-11-21", "year_over_year", False, ("2024-12-01", "2025-05-31")),
        # ... and a February to date on its last day is the whole February
        (("2025-02-01", "2025-02-28"), "2025-02-28", "year_over_year", False, ("2024-02-01", "2024-02-29")),
        (("2025-03-01", "2025-03-31"), "2025-03-30", "year_over_year", False, ("2024-03-01", "2024-03-30")),
        # match_day_of_week: forward to the period's first weekday (Plausible's documented example:
        # Sunday 1 January 2023 against Sunday 2 January 2022) ...
        (("2023-01-01", "2023-12-31"), "2023-03-01", "year_over_year", True, ("2022-01-02", "2022-03-02")),
        (("2024-03-01", "2024-03-31"), "2026-01-01", "year_over_year", True, ("2023-03-03", "2023-04-02")),
        (("2024-02-29", "2024-02-29"), "2026-01-01", "year_over_year", True, ("2023-03-02", "2023-03-02")),
        (("2023-02-01", "2023-02-28"), "2023-03-01", "previous_period", True, ("2023-01-04", "2023-01-31")),
        # ... or back when forward would reach into the period itself
        (("2023-03-01", "2023-03-31"), "2023-03-02", "previous_period", True, ("2023-02-22", "2023-02-23")),
        (("2023-01-01", "2023-01-31"), "2023-03-01", "previous_period", True, ("2022-11-27", "2022-12-27")),
        (("2026-10-23", "2026-11-21"), "2026-11-21", "previous_period", True, ("2026-09-18", "2026-10-17")),
    ],
)
def test_comparison_ranges_are_exact(
    period: tuple[str, str], today: str, mode: str, match: bool, expected: tuple[str, str]
) -> None:
    source = days(*period)
    other = comparison_range(source, mode, today=day(today), match_day_of_week=match)
    assert (other.first.isoformat(), other.last.isoformat()) == expected
    if match:
        assert other.first.weekday() == source.first.weekday()
        assert other.last < source.first  # never overlapping the period compared


def test_a_custom_comparison_is_taken_as_given_and_realtime_compares_exact_moments() -> None:
    custom = days("2025-12-01", "2025-12-07")
    for match in (False, True):  # as Plausible: match_day_of_week does not move a chosen range
        got = comparison_range(
            days("2026-01-07", "2026-01-13"), "custom", today=day("2026-01-20"), custom=custom
        )
        assert got == custom, match
    now = dt.datetime(2026, 3, 1, 0, 10, tzinfo=dt.UTC)
    minutes = DateRange.between(now - dt.timedelta(minutes=30), now, "UTC")
    before = comparison_range(minutes, "previous_period", today=now.date(), match_day_of_week=True)
    assert before.moments == (now - dt.timedelta(minutes=60), now - dt.timedelta(minutes=30))
    with pytest.raises(ValueError, match="custom"):
        comparison_range(minutes, "custom", today=now.date())

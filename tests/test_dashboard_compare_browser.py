"""Comparison modes and stepping through periods on the dashboard, in headless Chromium (issue 19,
"what a Plausible user misses" 3): the compare menu (off, previous period, year over year, a custom
period, match day of the week) kept in the URL, the chart's key and the changes' tooltips naming what
is compared with the dates the Stats API answered; the arrow buttons and keys stepping a day, a month,
the last 7 days and a custom range; Plausible's period list with "Last 6 months"; at 1280 and 375 px
(screenshots: dashboard-compare-*.png, dashboard-steps-*.png). Every date is built from the real clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.schema import Event
from tests.conftest import Persona, make_event, seed
from tests.test_dashboard_browser import Watched, watched_dashboard

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
NOW_VISITORS = 15  # two days ago
YEAR_BEFORE_VISITORS = 12  # the same day a year before
CUSTOM_VISITORS = 2  # 37 days ago, in the custom period compared with
WIDTHS = (1280, 375)


def _short(day: dt.date, year: bool = True) -> str:
    """As the dashboard writes a day: "Dec 7, 2026"."""
    return day.strftime("%b ") + str(day.day) + (f", {day.year}" if year else "")


def _range(first: dt.date, last: dt.date) -> str:
    """As the dashboard writes a range: "Nov 8 - Nov 14, 2026" with an en dash (the first year only when
    it differs)."""
    return f"{_short(first, first.year != last.year)} \u2013 {_short(last)}"


def _year_before(day: dt.date) -> dt.date:
    """The same date a year before; 29 February becomes the 28th (analytics.comparisons)."""
    return (
        day.replace(year=day.year - 1, day=28)
        if (day.month, day.day) == (2, 29)
        else day.replace(year=day.year - 1)
    )


def _months_back(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` before ``day``'s."""
    first = day.replace(day=1)
    for _ in range(months):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


@pytest.fixture
def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def compared(site: Persona, events_table: None, today: dt.date) -> Iterator[Watched]:
    """Visitors two days ago, on that day a year before and 37 days ago (the site is in UTC), and the
    owner's dashboard in a fresh Chromium at 1280 px."""
    sid = site.site.id
    noon = dt.datetime.combine(today - dt.timedelta(days=2), dt.time(12), dt.UTC)
    year_before = dt.datetime.combine(_year_before(noon.date()), dt.time(12), dt.UTC)
    custom = dt.datetime.combine(today - dt.timedelta(days=37), dt.time(12), dt.UTC)
    events: list[Event] = []
    for count, at, first_id in ((NOW_VISITORS, noon, 100), (YEAR_BEFORE_VISITORS, year_before, 200)):
        events += [make_event(sid, visitor_id=first_id + v, timestamp=at) for v in range(count)]
    events += [make_event(sid, visitor_id=300 + v, timestamp=custom) for v in range(CUSTOM_VISITORS)]
    seed(events)
    with watched_dashboard(site.user) as watched:
        yield watched


def _fits(watched: Watched, width: int, selector: str) -> None:
    """Nothing scrolls sideways, and ``selector`` lies within the screen."""
    page = watched.page
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.locator(selector).bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


def _change_title(watched: Watched) -> str:
    """What the unique visitors' change says it is against (the stat's own title when none is shown)."""
    page = watched.page
    change = page.locator(".stat[data-metric=visitors] .change")
    if change.is_visible():
        return change.get_attribute("title") or ""
    return page.get_attribute(".stat[data-metric=visitors]", "title") or ""


def test_the_compare_menu_picks_what_the_numbers_are_compared_with(compared: Watched, today: dt.date) -> None:
    page = compared.page
    week_first = today - dt.timedelta(days=6)
    compared.open("?period=7d")
    assert compared.text("#compare-button").startswith("vs. previous period")
    assert page.get_attribute("#chart", "data-previous-range") == ",".join(
        d.isoformat() for d in (week_first - dt.timedelta(days=7), today - dt.timedelta(days=7))
    )
    assert _change_title(compared) == "No change shown: the previous period had no visitors."

    # year over year: the same days a year before, named with the API's dates in the key and the tooltip
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.click("#compare-button")
        page.wait_for_selector("#compare-menu .compare-list", state="visible")
        _fits(compared, width, "#compare-menu .compare-list")
        page.screenshot(path=str(ARTIFACTS / f"dashboard-compare-menu-{width}.png"))
        page.keyboard.press("Escape")
        assert page.is_hidden("#compare-menu .compare-list")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#compare-button")
    page.click("#compare-menu [data-compare=year_over_year]")
    compared.ready()
    assert compared.query()["compare"] == ["year_over_year"]
    assert page.is_hidden("#compare-menu .compare-list")  # chosen: the menu closes
    assert compared.text("#compare-button").startswith("vs. a year before")
    year_first, year_last = _year_before(week_first), _year_before(today)
    words = f"vs. the same days a year before ({_range(year_first, year_last)})"
    assert page.locator("#chart .chart-key .key").all_inner_texts() == ["Unique visitors", words]
    assert page.get_attribute("#chart", "data-previous-range") == f"{year_first},{year_last}"
    assert page.get_attribute("#chart", "data-previous-total") == str(YEAR_BEFORE_VISITORS)
    assert compared.text(".stat[data-metric=visitors] .change") == "↑ 25%"  # 15 against 12
    assert _change_title(compared) == words
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.locator(".top-card").screenshot(path=str(ARTIFACTS / f"dashboard-compare-yoy-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    # matching the day of the week: the compared days start on the weekday the period starts on
    page.click("#compare-button")
    page.check("#match-day")
    compared.ready()
    assert compared.query()["match_day"] == ["1"]
    shown = page.get_attribute("#chart", "data-previous-range") or ""
    first, last = (dt.date.fromisoformat(d) for d in shown.split(","))
    assert first.weekday() == week_first.weekday() and (last - first).days == (year_last - year_first).days
    assert abs((first - year_first).days) <= 6
    assert _change_title(compared).startswith("vs. the same weekdays a year before (")
    page.keyboard.press("Escape")

    # a custom period, from the menu's two dates
    page.click("#compare-button")
    assert page.is_enabled("#match-day")
    custom_first, custom_last = today - dt.timedelta(days=40), today - dt.timedelta(days=34)
    page.fill("#compare-custom input[name=from]", custom_first.isoformat())
    page.fill("#compare-custom input[name=to]", custom_last.isoformat())
    page.click("#compare-custom button[type=submit]")
    compared.ready()
    query = compared.query()
    assert (query["compare"], query["compare_date"]) == (["custom"], [f"{custom_first},{custom_last}"])
    assert compared.text("#compare-button").startswith(f"vs. {_range(custom_first, custom_last)}")
    assert page.get_attribute("#chart", "data-previous-total") == str(CUSTOM_VISITORS)
    assert _change_title(compared) == (
        f"No change shown: the chosen period had only {CUSTOM_VISITORS} visitors, too few to compare with."
    )
    page.click("#compare-button")
    assert not page.is_enabled("#match-day")  # a chosen range is taken as it is
    page.keyboard.press("Escape")

    # off, and X turns the last comparison back on
    page.click("#compare-button")
    page.click("#compare-menu [data-compare=off]")
    compared.ready()
    assert compared.query()["compare"] == ["off"] and "compare_date" not in compared.query()
    assert compared.text("#compare-button").startswith("Compare")
    assert page.locator("#chart .chart-key .key").all_inner_texts() == ["Unique visitors"]
    assert not page.is_visible(".stat[data-metric=visitors] .change")
    page.keyboard.press("x")
    compared.ready()
    assert compared.query()["compare"] == ["custom"]
    assert page.get_attribute("#chart", "data-previous-total") == str(CUSTOM_VISITORS)

    # the whole view comes back from its URL; realtime and all time compare nothing
    url = page.url
    compared.open("?period=all")
    assert page.is_hidden("#compare-menu") and page.get_attribute("#chart", "data-previous-total") == ""
    page.goto(url)
    compared.ready()
    assert page.get_attribute("#chart", "data-previous-total") == str(CUSTOM_VISITORS)
    compared.open("?period=7d&compare=year_over_year")  # X turns off, then back on, the link's own mode
    for expected in ("off", "year_over_year"):
        page.keyboard.press("x")
        compared.ready()
        assert compared.query()["compare"] == [expected]


def test_a_bad_comparison_in_the_url_falls_back_to_the_previous_period(
    compared: Watched, today: dt.date
) -> None:
    page = compared.page
    cases = [
        ("?period=7d&compare=last_week", "“last_week” is not a comparison"),
        ("?period=7d&compare=custom&compare_date=2026-13-45,2026-01-01", "“2026-13-45” is not a date"),
        ("?period=7d&compare=custom", "it needs two dates"),
        ("?period=7d&compare=year_over_year&match_day=yes", "match_day is 1 or 0"),
    ]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url, problem in cases:
            compared.open(url)
            notice = compared.text("#url-notice")
            assert "The link's comparison could not be used" in notice and problem in notice, notice
            assert "Comparing with the previous period instead." in notice
            assert compared.query() == {"period": ["7d"]}  # corrected in place
            assert page.get_attribute("#chart", "data-previous-range") == ",".join(
                d.isoformat() for d in (today - dt.timedelta(days=13), today - dt.timedelta(days=7))
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(ARTIFACTS / f"dashboard-compare-bad-url-{width}.png"))
    assert compared.failed_requests == []  # the page never asked the API for what it refuses


def test_arrows_step_through_periods_never_past_today(compared: Watched, today: dt.date) -> None:
    page = compared.page
    yesterday = today - dt.timedelta(days=1)
    compared.open("?period=day")
    assert page.is_disabled("#period-next") and page.is_enabled("#period-prev")
    page.keyboard.press("ArrowRight")  # nothing after today
    assert "date" not in compared.query()
    page.keyboard.press("ArrowLeft")
    compared.ready()
    assert compared.query()["date"] == [yesterday.isoformat()]
    assert compared.text("#period-button").startswith("Yesterday")
    page.click("#period-prev")
    compared.ready()
    two_days_ago = today - dt.timedelta(days=2)
    assert compared.query()["date"] == [two_days_ago.isoformat()]
    assert compared.text("#period-button").startswith(_short(two_days_ago))
    assert compared.text("#stat-visitors") == str(NOW_VISITORS)
    page.click("#period-next")
    page.click("#period-next")
    compared.ready()
    assert "date" not in compared.query() and compared.text("#period-button").startswith("Today")

    # the last 7 days step by seven as a custom range, and come back to "Last 7 days"
    compared.open("?period=7d")
    page.keyboard.press("ArrowLeft")
    compared.ready()
    week_before = (today - dt.timedelta(days=13), today - dt.timedelta(days=7))
    assert compared.query()["period"] == ["custom"]
    assert compared.query()["date"] == [f"{week_before[0]},{week_before[1]}"]
    assert compared.text("#period-button").startswith(_range(*week_before))
    assert page.is_enabled("#period-next")
    page.keyboard.press("ArrowRight")
    compared.ready()
    assert compared.query()["period"] == ["7d"] and "date" not in compared.query()
    assert compared.text("#stat-visitors") == str(NOW_VISITORS)

    # a month by one, to "Last month" and back to "Month to date"
    compared.open("?period=month")
    page.keyboard.press("ArrowLeft")
    compared.ready()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert compared.query()["date"] == [last_month.isoformat()]
    assert compared.text("#period-button").startswith("Last month")
    page.keyboard.press("ArrowRight")
    compared.ready()
    assert compared.query() == {"period": ["month"]}

    # the last 6 months, in the list and by S, step by six months
    page.click("#period-button")
    labels = page.locator("#period-menu .preset span").all_inner_texts()
    assert labels == [
        "Today", "Yesterday", "Realtime", "Last 7 days", "Last 28 days", "Last 30 days", "Last 91 days",
        "Month to date", "Last month", "Year to date", "Last 6 months", "Last 12 months", "All time",
    ]  # fmt: skip
    assert page.locator("#period-menu .presets hr").count() == 4
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    compared.ready()
    assert compared.query()["period"] == ["6mo"]
    assert compared.text("#period-button").startswith("Last 6 months")
    assert page.get_attribute("#chart", "data-interval") == "month"
    assert page.get_attribute("#chart", "data-points") == "6"
    page.keyboard.press("ArrowLeft")
    compared.ready()
    six_first, six_last = _months_back(today, 11), _months_back(today, 5) - dt.timedelta(days=1)
    assert compared.query() == {"period": ["custom"], "date": [f"{six_first},{six_last}"]}
    assert page.get_attribute("#chart", "data-points") == "6"

    # realtime and all time do not step; C opens the custom range
    for period in ("realtime", "all"):
        compared.open(f"?period={period}")
        assert page.is_hidden("#period-prev") and page.is_hidden("#period-next")
        page.keyboard.press("ArrowLeft")
        assert compared.query()["period"] == [period]
    page.keyboard.press("c")
    assert page.is_visible("#period-menu")
    assert page.evaluate("document.activeElement.name") == "from"
    page.keyboard.press("Escape")

    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        compared.open("?period=day&date=" + yesterday.isoformat())
        for selector in ("#period-prev", "#period-next", "#period-button", "#compare-button"):
            _fits(compared, width, selector)
        top = {s: page.locator(s).bounding_box() for s in ("#period-prev", "#period-button", "#period-next")}
        assert len({round(box["y"]) for box in top.values() if box}) == 1  # one row: arrows around the picker
        page.screenshot(path=str(ARTIFACTS / f"dashboard-steps-{width}.png"))

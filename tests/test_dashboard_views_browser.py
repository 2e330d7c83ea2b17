"""The dashboard's date handling and what its numbers say, in headless Chromium (issue 19, defects 8, 12
and 14): a bad date in the URL falls back to the default period with a notice that names it; a change
against a nearly empty previous period is not shown; the chart's tooltip reads as a sentence; the year's
last month fits on the axis and the custom range fits in the date menu, at 1280 and 375 px."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from analytics.schema import Event
from tests.conftest import Persona, make_event, seed
from tests.test_dashboard_browser import Watched, watched_dashboard

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
TODAY_VISITORS = 15
TODAY_PAGEVIEWS = 20  # five of today's visitors see a second page
YESTERDAY_VISITORS = 12  # every one a bounce
OLD_VISITORS = 2  # ten days ago: the week before the last seven days
XSS = "<img src=x onerror=alert(1)>"


def _short(day: dt.date, year: bool = True) -> str:
    """As the dashboard writes a day: "Dec 7, 2026"."""
    return day.strftime("%b ") + str(day.day) + (f", {day.year}" if year else "")


@pytest.fixture
def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def views(site: Persona, events_table: None, today: dt.date) -> Iterator[Watched]:
    """Fifteen visitors today, twelve yesterday, two ten days ago (the site's timezone is UTC), and the
    owner's dashboard in a fresh Chromium at 1280 px."""
    now = dt.datetime.now(dt.UTC)
    midnight = dt.datetime.combine(today, dt.time(), dt.UTC)
    at = max(midnight, now - dt.timedelta(minutes=10))
    sid = site.site.id
    events: list[Event] = []
    for visitor in range(TODAY_VISITORS):
        pages = ["/", "/pricing"] if visitor < TODAY_PAGEVIEWS - TODAY_VISITORS else ["/"]
        for i, path in enumerate(pages):
            stamp = at + dt.timedelta(seconds=30 * i)
            events.append(make_event(sid, visitor_id=100 + visitor, timestamp=stamp, pathname=path))
    for visitor in range(YESTERDAY_VISITORS):
        stamp = midnight - dt.timedelta(hours=12)
        events.append(make_event(sid, visitor_id=200 + visitor, timestamp=stamp))
    for visitor in range(OLD_VISITORS):
        stamp = midnight - dt.timedelta(days=10) + dt.timedelta(hours=12)
        events.append(make_event(sid, visitor_id=300 + visitor, timestamp=stamp))
    seed(events)  # with their visits, as ingest writes them
    with watched_dashboard(site.user) as watched:
        yield watched
    assert watched.foreign == []
    assert watched.console_errors == []
    assert watched.failed_requests == []  # a bad date never reaches the Stats API
    assert watched.dialogs == []


def _visible_errors(watched: Watched) -> list[str]:
    return [e.inner_text() for e in watched.page.locator(".widget-error").all() if e.is_visible()]


BAD_URLS = [
    ("?period=custom&date=2026-13-45,2026-01-01", "“2026-13-45” is not a date (YYYY-MM-DD)"),
    (
        "?period=custom&date=2026-03-01,2026-01-01",
        "the custom range ends (2026-01-01) before it starts (2026-03-01)",
    ),
    ("?period=custom&date=soon", "a custom range needs two dates (first,last), not “soon”"),
    ("?period=fortnight", "“fortnight” is not a period"),
    (
        "?period=day&date=" + quote("<img src=x onerror=alert(1)>"),
        "“<img src=x onerror=alert(1)>” is not a date",
    ),
]


def test_a_bad_date_in_the_url_falls_back_to_the_default_period_and_says_so(views: Watched) -> None:
    page = views.page
    ARTIFACTS.mkdir(exist_ok=True)
    for query, problem in BAD_URLS:
        views.open(query + "&metric=pageviews&filters=event:page==/")
        notice = page.locator("#url-notice")
        assert notice.is_visible(), query
        text = page.inner_text("#url-notice .notice-text")
        assert problem in text, text
        assert text.endswith("Showing the last 30 days instead.")
        assert page.locator("#url-notice img").count() == 0  # the URL's text is text
        # the URL is corrected in place (the rest of the view kept), the picker and every widget agree
        assert views.query() == {"metric": ["pageviews"], "filters": ["event:page==/"]}, query
        assert views.text("#period-button .label") == "Last 30 days"
        assert "undefined" not in views.text("#period-button") and "NaN" not in views.text("#period-button")
        assert _visible_errors(views) == []
        assert views.text("#stat-visitors") == str(TODAY_VISITORS + YESTERDAY_VISITORS + OLD_VISITORS)
        assert page.get_attribute("#chart", "data-points") == "30"
    views.open(BAD_URLS[0][0])
    page.screenshot(path=str(ARTIFACTS / "d2-bad-date-notice-1280.png"))
    page.click("#url-notice .notice-close")
    assert not page.is_visible("#url-notice")
    # Back does not return to the bad URL: it was replaced, not pushed
    page.keyboard.press("w")
    views.ready()
    page.go_back()
    views.ready()
    assert "period" not in views.query() and not page.is_visible("#url-notice")

    page.set_viewport_size({"width": 375, "height": 812})
    views.open(BAD_URLS[1][0])
    assert page.is_visible("#url-notice")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "d2-bad-date-notice-375.png"))
    page.keyboard.press("e")  # picking another period clears the notice
    views.ready()
    assert not page.is_visible("#url-notice")
    assert views.text("#stat-visitors") == str(YESTERDAY_VISITORS)


def test_the_stats_api_still_refuses_a_bad_date_naming_the_field(views: Watched) -> None:
    views.open()
    for date in ("2026-13-45,2026-01-01", "2026-03-01,2026-01-01"):
        answer = views.page.evaluate(
            """async (date) => {
                const query = "site_id=example.com&period=custom&date=" + date;
                const r = await fetch("/api/v1/stats/aggregate?" + query);
                return [r.status, await r.json()];
            }""",
            date,
        )
        assert answer[0] == 400
        assert "date" in answer[1]["error"]
    views.failed_requests.clear()  # these two were asked for by the test, not the page
    views.console_errors[:] = [m for m in views.console_errors if not m.startswith("Failed to load resource")]


def test_a_change_is_shown_only_against_a_period_with_enough_visitors(views: Watched) -> None:
    page = views.page
    views.open("?period=day")
    assert views.text("#stat-visitors") == str(TODAY_VISITORS)
    assert views.text(".stat[data-metric=visitors] .change") == "↑ 25%"  # 15 against 12
    assert views.text(".stat[data-metric=pageviews] .change") == "↑ 67%"  # 20 against 12
    bounce = page.locator(".stat[data-metric=bounce_rate] .change")
    assert bounce.inner_text().startswith("↓ ") and bounce.inner_text().endswith(" pts")
    assert bounce.get_attribute("class") == "change up"  # fewer bounces: good news
    page.screenshot(path=str(ARTIFACTS / "d2-top-stats-change-1280.png"))

    views.open("?period=7d")  # 27 visitors against the 2 of the seven days before: no ↑ 1250%
    assert views.text("#stat-visitors") == str(TODAY_VISITORS + YESTERDAY_VISITORS)
    for metric in ("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"):
        assert not page.is_visible(f".stat[data-metric={metric}] .change"), metric
        title = page.get_attribute(f".stat[data-metric={metric}]", "title")
        assert title == "No change shown: the previous period had only 2 visitors, too few to compare with."
    # the chart still compares
    assert page.get_attribute("#chart", "data-previous-total") == str(OLD_VISITORS)

    ten_days_ago = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=10)).isoformat()
    views.open(f"?period=day&date={ten_days_ago}")  # 2 against nothing: none (as Plausible)
    assert views.text("#stat-visitors") == str(OLD_VISITORS)
    assert not page.is_visible(".stat[data-metric=visitors] .change")
    title = page.get_attribute(".stat[data-metric=visitors]", "title")
    assert title == "No change shown: the previous period had no visitors."


def _hover_tooltip(views: Watched, fraction: float) -> tuple[str, list[tuple[str, str]]]:
    """Move the mouse over the chart at ``fraction`` of its plotting width: the tooltip's title and rows."""
    page = views.page
    box = page.locator("#chart .u-over").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + min(box["width"] - 1, box["width"] * fraction), box["y"] + box["height"] / 2)
    page.wait_for_selector("#chart .chart-tip:not([hidden])")
    title = page.inner_text("#chart .chart-tip .tip-title")
    rows = page.locator("#chart .chart-tip .tip-row").all()
    return title, [(r.locator(".tip-label").inner_text(), r.locator(".tip-value").inner_text()) for r in rows]


def test_the_charts_tooltip_names_the_day_then_the_metric_and_the_previous_periods_value(
    views: Watched, today: dt.date
) -> None:
    page = views.page
    views.open("?period=7d")
    assert page.locator("#chart .u-legend").count() == 0  # uPlot's legend ("Date: ...") is gone
    week = dt.timedelta(days=7)
    first, last = today - 2 * week + dt.timedelta(days=1), today - week  # the API's, named by the page
    compared = f"vs. the previous period ({_short(first, first.year != last.year)} \u2013 {_short(last)})"
    assert page.locator("#chart .chart-key .key").all_inner_texts() == ["Unique visitors", compared]
    assert not page.is_visible("#chart .chart-tip")
    assert _hover_tooltip(views, 1.0) == (
        _short(today),
        [("Unique visitors", str(TODAY_VISITORS)), (_short(today - week), "0")],
    )
    three = dt.timedelta(days=3)
    assert _hover_tooltip(views, 0.5) == (
        _short(today - three),
        [("Unique visitors", "0"), (_short(today - three - week), str(OLD_VISITORS))],
    )
    page.screenshot(path=str(ARTIFACTS / "d2-chart-tooltip-1280.png"))
    page.mouse.move(5, 5)
    page.wait_for_selector("#chart .chart-tip", state="hidden")

    page.keyboard.press("x")  # not comparing: the metric alone
    views.ready()
    assert page.locator("#chart .chart-key .key").all_inner_texts() == ["Unique visitors"]
    assert _hover_tooltip(views, 1.0) == (_short(today), [("Unique visitors", str(TODAY_VISITORS))])

    page.set_viewport_size({"width": 375, "height": 812})
    views.open("?period=7d&metric=pageviews")
    title, rows = _hover_tooltip(views, 1.0)
    assert (title, rows[0]) == (_short(today), ("Total pageviews", str(TODAY_PAGEVIEWS)))
    tip = page.locator("#chart .chart-tip").bounding_box()
    assert tip is not None and tip["x"] >= 0 and tip["x"] + tip["width"] <= 375  # flipped left of the cursor
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "d2-chart-tooltip-375.png"))


# ink in the last pixel columns of the x axis' band: a label cut off by the canvas' right edge
RIGHT_EDGE_INK = """() => {
    const canvas = document.querySelector("#chart canvas");
    const band = Math.round(32 * devicePixelRatio);
    const data = canvas.getContext("2d").getImageData(canvas.width - 3, canvas.height - band, 3, band).data;
    let ink = 0;
    for (let i = 3; i < data.length; i += 4) ink += data[i] > 0 ? 1 : 0;
    return ink;
}"""


@pytest.mark.parametrize("width", [1280, 375])
def test_the_years_last_month_and_the_custom_range_fit(views: Watched, today: dt.date, width: int) -> None:
    page = views.page
    page.set_viewport_size({"width": width, "height": 900})
    views.open("?period=year")
    assert page.get_attribute("#chart", "data-interval") == "month"
    assert page.get_attribute("#chart", "data-points") == "12"
    assert page.evaluate(RIGHT_EDGE_INK) == 0
    page.locator(".top-card").screenshot(path=str(ARTIFACTS / f"d2-year-axis-{width}.png"))

    page.click("#period-button")
    menu = page.locator("#period-menu").bounding_box()
    assert menu is not None
    for name in ("from", "to"):
        box = page.locator(f"#custom-range input[name={name}]").bounding_box()
        assert box is not None
        inside = menu["x"] <= box["x"] and box["x"] + box["width"] <= menu["x"] + menu["width"]
        assert inside, (name, box, menu)
    assert page.locator("#custom-range label").all_inner_texts() == ["From", "To"]
    # the year still running: the range offered ends today, not on 31 December (past the input's max)
    assert page.input_value("#custom-range input[name=from]") == f"{today.year}-01-01"
    assert page.input_value("#custom-range input[name=to]") == today.isoformat()
    apply = page.locator("#custom-range button[type=submit]").bounding_box()
    assert apply is not None and apply["x"] + apply["width"] <= menu["x"] + menu["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(ARTIFACTS / f"d2-date-menu-{width}.png"))

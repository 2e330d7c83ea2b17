"""The dashboard in headless Chromium: seeded events and visits in chDB, a logged-in owner, every
widget filled with the seeded numbers, filtering by clicking rows, the date picker, comparison,
keyboard shortcuts, dark mode, a phone's width, no request to another host and no console error."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from playwright.sync_api import ConsoleMessage, Dialog, Error, Page, Request, Response

from analytics.schema import Event
from bench.dashboard import PAGE_LOAD, PAGE_METRICS
from bench.dashboard_render import p50, render_times_ms
from panel.dashboard.views import PROPS_METRICS
from panel.goals.models import Funnel, Goal
from tests.browser import chromium
from tests.conftest import Persona, make_event, seed, seed_dropped
from tests.dashboard_server import dashboard_server

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
XSS = "/<img src=x onerror=alert(1)>"


@dataclasses.dataclass
class Seeded:
    site: Persona
    current_visitors: int  # visitors with an event in the five minutes before seeding
    realtime_visitors: int  # ... in the 30 minutes before
    realtime_pageviews: int


def _visit(site: int, visitor: int, at: dt.datetime, pages: list[str], **fields: str) -> list[Event]:
    """One visit: a pageview per page, a minute apart, all with the visit's source, geo and device."""
    return [
        make_event(site, visitor_id=visitor, timestamp=at + dt.timedelta(minutes=i), pathname=page, **fields)
        for i, page in enumerate(pages)
    ]


@pytest.fixture
def seeded(site: Persona, events_table: None) -> Seeded:
    """Four visitors today (one of them twice as long), two yesterday, one ten days ago; drops today."""
    now = dt.datetime.now(dt.UTC)
    today = dt.datetime.combine(now.date(), dt.time(), dt.UTC)
    base = max(now - dt.timedelta(minutes=6), today + dt.timedelta(minutes=1))
    chrome_mac = {"browser": "Chrome", "browser_version": "131.0", "os": "Mac", "os_version": "10.15"}
    chrome_mac |= {"device": "Desktop", "screen_size": "Desktop"}
    firefox_win = {"browser": "Firefox", "browser_version": "128.0", "os": "Windows", "os_version": "10"}
    firefox_win |= {"device": "Desktop", "screen_size": "Laptop"}
    android = {"browser": "Chrome", "browser_version": "130.0", "os": "Android", "os_version": "14"}
    android |= {"device": "Mobile", "screen_size": "Mobile"}
    ios = {"browser": "Safari", "browser_version": "18.1", "os": "iOS", "os_version": "18.1"}
    ios |= {"device": "Mobile", "screen_size": "Mobile"}
    berlin = {"country_code": "DE", "region": "Berlin", "city": "Berlin"}
    google = {"referrer_source": "Google", "channel": "Organic Search", "referrer": "https://www.google.com/"}
    sid = site.site.id
    events = [
        *_visit(sid, 1, base, ["/", "/pricing", "/pricing"], **google, **berlin, **chrome_mac),
        *_visit(
            sid,
            2,
            base + dt.timedelta(minutes=1),
            ["/"],
            channel="Email",
            utm_source="newsletter",
            utm_medium="email",
            utm_campaign="launch",
            country_code="US",
            region="California",
            city="San Francisco",
            **firefox_win,
        ),
        *_visit(
            sid,
            3,
            base + dt.timedelta(minutes=2),
            [XSS],
            country_code="FR",
            region="Île-de-France",
            city="Paris",
            **android,
        ),
        *_visit(
            sid,
            4,
            base + dt.timedelta(minutes=3),
            ["/blog/hello"],
            referrer_source="Twitter",
            channel="Organic Social",
            **berlin,
            **ios,
        ),
        *_visit(sid, 5, today - dt.timedelta(hours=12), ["/"], **berlin, **chrome_mac),
        *_visit(sid, 6, today - dt.timedelta(hours=11), ["/pricing"], **google, **berlin, **chrome_mac),
        *_visit(sid, 7, today - dt.timedelta(days=10), ["/old"], **google, **berlin, **chrome_mac),
    ]
    # visitor 1 signs up on the pricing page (a goal, with a custom property, the end of a funnel)
    signup_at = base + dt.timedelta(minutes=2, seconds=30)
    events.append(
        make_event(
            sid,
            visitor_id=1,
            timestamp=signup_at,
            name="Signup",
            pathname="/pricing",
            **google,
            **berlin,
            **chrome_mac,
            prop_keys=("plan",),
            prop_values=("pro",),
        )
    )
    seed(events)
    seed_dropped([(sid, now.date(), "bot", 3), (sid, now.date(), "shield_ip", 2)])
    signup = Goal.objects.create(site=site.site, event_name="Signup")
    pricing = Goal.objects.create(site=site.site, page_path="/pricing")
    home = Goal.objects.create(site=site.site, page_path="/")
    Funnel.objects.create_with_steps(site.site, "Signup flow", [home, pricing, signup])

    def recent(minutes: int) -> list[Event]:
        return [e for e in events if now - dt.timedelta(minutes=minutes) < e.timestamp <= now]

    return Seeded(
        site,
        current_visitors=len({e.visitor_id for e in recent(5)}),
        realtime_visitors=len({e.visitor_id for e in recent(30)}),
        realtime_pageviews=sum(e.name == "pageview" for e in recent(30)),
    )


@dataclasses.dataclass
class Watched:
    """The dashboard's tab, and everything it did that a test may not want: requests to another host,
    console errors, refused requests, alert() dialogs (which an injected script would open)."""

    page: Page
    base: str
    foreign: list[str] = dataclasses.field(default_factory=list)
    console_errors: list[str] = dataclasses.field(default_factory=list)
    failed_requests: list[str] = dataclasses.field(default_factory=list)
    dialogs: list[str] = dataclasses.field(default_factory=list)
    requests: list[str] = dataclasses.field(default_factory=list)  # every URL of this host asked for

    def watch(self) -> None:
        self.page.on("request", self._request)
        self.page.on("console", self._console)
        self.page.on("response", self._response)
        self.page.on("pageerror", self._page_error)
        self.page.on("dialog", self._dialog)

    def _request(self, request: Request) -> None:
        if urlsplit(request.url).netloc != urlsplit(self.base).netloc:
            self.foreign.append(request.url)
        else:
            self.requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed_requests.append(response.url)

    def _page_error(self, error: Error) -> None:
        self.console_errors.append(str(error))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, query: str = "") -> None:
        self.page.goto(f"{self.base}/example.com/{query}")
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("#dashboard[data-ready=true]")

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector)

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)


@pytest.fixture
def dashboard(seeded: Seeded) -> Iterator[Watched]:
    """The owner's dashboard in a fresh Chromium, logged in with a real session cookie. (Chromium
    starts after the database work: Playwright's event loop forbids Django's ORM in this thread.)"""
    with watched_dashboard(seeded.site.user) as watched:
        yield watched
    assert watched.foreign == []
    # a request the API refused shows in the console too; only tests that expect one may have one
    http_errors = [m for m in watched.console_errors if m.startswith("Failed to load resource")]
    assert len(http_errors) == len(watched.failed_requests)
    assert [m for m in watched.console_errors if m not in http_errors] == []
    assert watched.dialogs == []


@contextlib.contextmanager
def watched_dashboard(user: Any) -> Iterator[Watched]:
    """A Chromium page logged in as ``user`` (a real session cookie) on the dashboard server, watched;
    closed after the block. Make it after the database work: Playwright's loop forbids the ORM."""
    session = Client()
    session.force_login(user)
    with dashboard_server() as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": base}])
        watched = Watched(context.new_page(), base)
        watched.watch()
        try:
            yield watched
        finally:
            context.close()


def _rows(watched: Watched, widget: str) -> list[tuple[str, str]]:
    """A list card's rows as (name, count): the first figure of each (visitors)."""
    rows = watched.page.locator(f"#list-{widget} .row").all()
    return [(row.locator(".name").inner_text(), row.locator(".count").first.inner_text()) for row in rows]


def _table(watched: Watched, widget: str) -> dict[str, list[str]]:
    """A card with several figures a row: {name: [figure, ...]}."""
    rows = watched.page.locator(f"#list-{widget} .row").all()
    return {row.locator(".name").inner_text(): row.locator(".count").all_inner_texts() for row in rows}


def _tab(watched: Watched, widget: str, tab: str) -> None:
    watched.page.click(f"#widget-{widget} .tabs [data-tab={tab}]")
    watched.ready()


def test_every_widget_shows_the_seeded_day(dashboard: Watched, seeded: Seeded) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    dashboard.open("?period=day")
    page = dashboard.page
    page.screenshot(path=str(ARTIFACTS / "dashboard-day-desktop.png"), full_page=True)
    assert dashboard.text("#stat-visitors") == "4"
    assert dashboard.text("#stat-visits") == "4"
    assert dashboard.text("#stat-pageviews") == "6"
    assert dashboard.text("#stat-views_per_visit") == "1.5"
    assert dashboard.text("#stat-bounce_rate") == "75%"
    assert dashboard.text("#stat-visit_duration") == "38s"  # (150 s + three bounces) / 4
    # 2 visitors yesterday are too few for a change (changes shown: test_dashboard_views_browser.py)
    assert not page.is_visible(".stat[data-metric=visitors] .change")
    assert not page.is_visible(".stat[data-metric=bounce_rate] .change")
    assert "only 2 visitors" in (page.get_attribute(".stat[data-metric=visitors]", "title") or "")
    assert page.get_attribute(".current", "data-count") == str(seeded.current_visitors)

    assert _rows(dashboard, "sources") == [
        ("Direct", "1"),
        ("Email", "1"),
        ("Organic Search", "1"),
        ("Organic Social", "1"),
    ]
    assert _rows(dashboard, "pages") == [("/", "2"), (XSS, "1"), ("/blog/hello", "1"), ("/pricing", "1")]
    # top pages show engagement too: time on page and scroll depth (none was sent here)
    heads = page.locator("#widget-pages .list-head span").all_inner_texts()
    assert [h.upper() for h in heads] == ["PAGE", "VISITORS", "TIME", "SCROLL"]
    assert page.locator("#widget-pages img").count() == 0  # tracked data is text, never markup
    assert _rows(dashboard, "devices") == [("Chrome", "2"), ("Firefox", "1"), ("Safari", "1")]
    assert _rows(dashboard, "locations") == [("Germany", "2"), ("France", "1"), ("United States", "1")]
    shaded = page.locator("svg.world path.has-visitors").evaluate_all("ps => ps.map(p => p.dataset.country)")
    assert sorted(shaded) == ["DE", "FR", "US"]
    assert page.locator("svg.world path").count() > 150
    assert page.get_attribute("#dropped-total", "data-total") == "5"
    assert page.locator("#dropped-table thead").inner_text().split() == [
        "DAY",
        "BOTS",
        "IP",
        "SHIELD",
        "TOTAL",
    ]

    # the chart: 24 hours of today, yesterday's beside it; click a top stat to chart it
    assert page.get_attribute("#chart", "data-points") == "24"
    assert page.get_attribute("#chart", "data-interval") == "hour"
    assert page.get_attribute("#chart", "data-previous-total") == "2"
    assert page.locator("#chart canvas").count() == 1
    page.click(".stat[data-metric=pageviews]")
    dashboard.ready()
    assert page.get_attribute("#chart", "data-metric") == "pageviews"
    assert page.get_attribute("#chart", "data-total") == "6"
    assert dashboard.query()["metric"] == ["pageviews"]

    # every tab reads its own breakdown
    _tab(dashboard, "sources", "source")
    assert _rows(dashboard, "sources") == [("Direct / None", "2"), ("Google", "1"), ("Twitter", "1")]
    _tab(dashboard, "sources", "utm_campaign")
    assert _rows(dashboard, "sources") == [("launch", "1")]
    _tab(dashboard, "sources", "utm_content")  # UTM content and term have tabs too (none sent here)
    assert dashboard.query()["sources"] == ["utm_content"] and _rows(dashboard, "sources") == []
    _tab(dashboard, "sources", "utm_term")
    assert page.inner_text("#widget-sources .list-head .name").upper() == "UTM TERM"
    _tab(dashboard, "sources", "utm_medium")
    assert _rows(dashboard, "sources") == [("email", "1")]
    _tab(dashboard, "pages", "entry")
    assert _rows(dashboard, "pages")[0] == ("/", "2")
    _tab(dashboard, "pages", "exit")
    assert ("/pricing", "1") in _rows(dashboard, "pages")
    _tab(dashboard, "locations", "region")
    assert _rows(dashboard, "locations")[0] == ("Berlin", "2")
    _tab(dashboard, "locations", "city")
    assert ("San Francisco", "1") in _rows(dashboard, "locations")
    _tab(dashboard, "devices", "os")
    assert len(_rows(dashboard, "devices")) == 4
    _tab(dashboard, "devices", "screen")
    assert _rows(dashboard, "devices")[0] == ("Mobile", "2")
    query = dashboard.query()
    assert (query["sources"], query["pages"], query["locations"], query["devices"]) == (
        ["utm_medium"],
        ["exit"],
        ["city"],
        ["screen"],
    )
    # ... and the URL brings the whole view back
    dashboard.open("?" + urlsplit(page.url).query)
    assert _rows(dashboard, "locations")[0][0] in {"Berlin", "Paris", "San Francisco"}
    assert page.get_attribute("#chart", "data-metric") == "pageviews"


def test_clicking_a_row_filters_the_whole_dashboard(dashboard: Watched) -> None:
    dashboard.open("?period=day")
    page = dashboard.page
    page.click("#list-devices .row[data-value=Firefox]")
    dashboard.ready()
    assert dashboard.query()["filters"] == ["visit:browser==Firefox"]
    assert dashboard.text("#stat-visitors") == "1"
    assert dashboard.text("#stat-pageviews") == "1"
    assert _rows(dashboard, "pages") == [("/", "1")]
    assert _rows(dashboard, "devices") == [("Firefox 128.0", "1")]  # a browser drills down to versions
    assert dashboard.text("#filter-bar .pill").split()[:3] == ["Browser", "is", "Firefox"]

    page.click("#list-locations .row[data-value=US]")
    dashboard.ready()
    assert dashboard.query()["filters"] == ["visit:browser==Firefox;visit:country==US"]
    assert dashboard.text("#stat-visitors") == "1"

    page.go_back()
    dashboard.ready()
    assert dashboard.query()["filters"] == ["visit:browser==Firefox"]
    page.go_back()
    dashboard.ready()
    assert "filters" not in dashboard.query()
    assert dashboard.text("#stat-visitors") == "4"
    page.go_forward()
    dashboard.ready()
    assert dashboard.text("#stat-visitors") == "1"

    page.click("#filter-bar .pill .remove")
    dashboard.ready()
    assert "filters" not in dashboard.query()
    assert dashboard.text("#stat-visitors") == "4"
    page.click("svg.world path[data-country=DE]")
    dashboard.ready()
    assert dashboard.query()["filters"] == ["visit:country==DE"]
    assert dashboard.text("#stat-visitors") == "2"


def test_the_filter_editor_takes_every_dimension(dashboard: Watched) -> None:
    dashboard.open("?period=day")
    page = dashboard.page
    page.click("#filter-button")
    page.select_option("#filter-dialog select[name=dimension]", "event:page")
    page.fill("#filter-dialog input[name=value]", "/pricing")
    page.click("#filter-dialog button[type=submit]")
    dashboard.ready()
    assert dashboard.query()["filters"] == ["event:page==/pricing"]
    assert dashboard.text("#stat-visitors") == "1"

    page.click("#filter-button")
    page.select_option("#filter-dialog select[name=dimension]", "event:page")
    page.select_option("#filter-dialog select[name=operator]", "is_not")
    page.fill("#filter-dialog input[name=value]", "/pricing")
    page.keyboard.press("w")  # typing in the editor is not a shortcut
    page.fill("#filter-dialog input[name=value]", "/pricing")
    page.click("#filter-dialog button[type=submit]")
    dashboard.ready()
    assert dashboard.query()["filters"] == ["event:page!=/pricing"]
    assert dashboard.query()["period"] == ["day"]
    assert dashboard.text("#stat-pageviews") == "4"  # every pageview but the two of /pricing
    assert dashboard.text("#filter-bar .pill").split()[:4] == ["Page", "is", "not", "/pricing"]

    page.click("#filter-button")
    page.select_option("#filter-dialog select[name=dimension]", "visit:source")
    page.select_option("#filter-dialog select[name=operator]", "contains")
    page.fill("#filter-dialog input[name=value]", "goo")
    page.click("#filter-dialog button[type=submit]")
    dashboard.ready()
    assert dashboard.query()["filters"] == ["event:page!=/pricing;visit:source~goo"]
    assert dashboard.text("#stat-visitors") == "1"
    assert dashboard.text("#filter-bar .pill:last-of-type").split()[:3] == ["Source", "contains", "goo"]

    page.click("#filter-button")
    page.click("#filter-dialog button[type=submit]")  # no value: the editor says so and stays open
    assert page.is_visible("#filter-dialog .error")
    page.click("#filter-dialog [data-close]")


def test_date_ranges_comparison_and_keyboard_shortcuts(dashboard: Watched) -> None:
    dashboard.open("?period=day")
    page = dashboard.page
    page.keyboard.press("w")
    dashboard.ready()
    assert dashboard.query()["period"] == ["7d"]
    assert dashboard.text("#period-button").startswith("Last 7 days")
    assert dashboard.text("#stat-visitors") == "6"
    assert page.get_attribute("#chart", "data-points") == "7"

    page.keyboard.press("x")
    dashboard.ready()
    assert dashboard.query()["compare"] == ["off"]
    assert not page.is_visible(".stat[data-metric=visitors] .change")
    # nothing compared, nothing to explain
    assert page.get_attribute(".stat[data-metric=visitors]", "title") is None
    assert page.get_attribute("#chart", "data-previous-total") == ""
    page.keyboard.press("x")
    dashboard.ready()
    assert "compare" not in dashboard.query()
    assert page.get_attribute("#chart", "data-previous-total") == "1"
    assert "only 1 visitor," in (page.get_attribute(".stat[data-metric=visitors]", "title") or "")

    page.keyboard.press("e")
    dashboard.ready()
    assert dashboard.text("#period-button").startswith("Yesterday")
    assert dashboard.text("#stat-visitors") == "2"

    page.keyboard.press("t")
    dashboard.ready()
    assert "period" not in dashboard.query()  # the default, 30 days
    assert dashboard.text("#stat-visitors") == "7"
    page.click("#intervals [data-interval=week]")
    dashboard.ready()
    assert page.get_attribute("#chart", "data-interval") == "week"
    assert dashboard.query()["interval"] == ["week"]

    # a custom range from the picker
    page.click("#period-button")
    first = page.input_value("#custom-range input[name=from]")
    page.fill("#custom-range input[name=from]", first)
    last = page.input_value("#custom-range input[name=to]")
    page.fill("#custom-range input[name=from]", last)
    page.click("#custom-range button[type=submit]")
    dashboard.ready()
    assert dashboard.query()["period"] == ["custom"]
    assert dashboard.query()["date"] == [f"{last},{last}"]
    assert dashboard.text("#stat-visitors") == "4"

    page.go_back()
    dashboard.ready()
    assert "period" not in dashboard.query()
    assert dashboard.text("#stat-visitors") == "7"


def test_an_empty_period_and_an_error_are_shown(dashboard: Watched) -> None:
    dashboard.open("?period=custom&date=2020-01-01,2020-01-31")
    assert dashboard.text("#stat-visitors") == "0"
    assert dashboard.text("#list-pages") == "No data for this period"
    assert dashboard.text("#widget-dropped .widget-body") == "Nothing was filtered out in this period."
    dashboard.open("?filters=visit:nonsense==1")
    error = dashboard.page.locator("#widget-pages .widget-error")
    assert error.is_visible()
    assert error.inner_text() == "Could not load: filters: cannot filter by 'visit:nonsense'"
    assert all("nonsense" in url for url in dashboard.failed_requests)
    assert len(dashboard.failed_requests) >= 6


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(dashboard: Watched) -> None:
    page = dashboard.page
    page.emulate_media(color_scheme="dark")
    dashboard.open("?period=day")
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(19, 19, 22)"
    page.screenshot(path=str(ARTIFACTS / "dashboard-dark.png"), full_page=True)
    page.click("#theme-toggle")
    assert page.evaluate(background) == "rgb(247, 247, 248)"
    assert page.evaluate("localStorage.getItem('lantern-theme')") == "light"
    dashboard.open("?period=day")
    assert page.evaluate(background) == "rgb(247, 247, 248)"
    page.click("#theme-toggle")
    assert page.evaluate(background) == "rgb(19, 19, 22)"


def test_a_phone_sees_everything_without_scrolling_sideways(dashboard: Watched) -> None:
    page = dashboard.page
    page.set_viewport_size({"width": 800, "height": 1000})
    dashboard.open("?period=7d")
    assert page.evaluate("document.documentElement.scrollWidth") <= 800
    page.screenshot(path=str(ARTIFACTS / "dashboard-tablet.png"), full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    dashboard.open("?period=day")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)
    page.click("#period-button")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(ARTIFACTS / "dashboard-phone-menu.png"))
    page.keyboard.press("Escape")
    dashboard.open("?period=day&filters=event:page==" + XSS.replace("<", "%3C").replace(">", "%3E"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert dashboard.text("#stat-visitors") == "1"


def test_the_render_benchmark_hook_times_each_run_to_every_widget(seeded: Seeded) -> None:
    with dashboard_server() as base:
        times = render_times_ms(
            base, "example.com", login=("owner@example.com", "a long enough passphrase"), runs=2
        )
    assert len(times) == 2
    assert all(t > 0 for t in times)
    assert p50(times) == round(sorted(times)[0] + (sorted(times)[1] - sorted(times)[0]) / 2)


def test_goals_properties_and_funnels(dashboard: Watched, seeded: Seeded) -> None:
    dashboard.open("?period=day")
    page = dashboard.page
    assert _table(dashboard, "goals") == {  # uniques, total, conversion rate (of 4 visitors)
        "Visit /": ["2", "2", "50%"],
        "Signup": ["1", "1", "25%"],
        "Visit /pricing": ["1", "2", "25%"],
    }
    assert _table(dashboard, "props") == {"(none)": ["4", "6"], "pro": ["1", "1"]}  # visitors, events
    assert page.inner_text("#widget-props .tabs [data-tab=plan]") == "plan"
    steps = page.locator("#funnel-steps .step").evaluate_all("ss => ss.map(s => s.dataset.visitors)")
    assert steps == ["2", "1", "1"]
    assert "Signup flow" in page.inner_text("#funnel-select")

    page.click("#list-goals .row[data-value=Signup]")
    dashboard.ready()
    assert dashboard.query()["filters"] == ["event:goal==Signup"]
    # Under a goal filter the top stats are conversions (as Plausible); no revenue: Signup has no currency.
    assert _stats(dashboard) == {
        "Unique conversions": "1",
        "Total conversions": "1",
        "Conversion rate": "25%",  # 1 of the day's 4 visitors
    }
    # ... and the funnel is that of the visits that signed up, walked over all their events
    steps = page.locator("#funnel-steps .step").evaluate_all("ss => ss.map(s => s.dataset.visitors)")
    assert steps == ["1", "1", "1"]
    page.click(".stat[data-metric=events]")
    dashboard.ready()
    assert dashboard.query()["metric"] == ["events"]
    assert page.get_attribute("#chart", "data-metric") == "events"
    assert page.get_attribute("#chart", "data-total") == "1"
    page.click("#filter-bar .remove")  # no goal filter: the visits' six again, the chart on visitors
    dashboard.ready()
    assert list(_stats(dashboard)) == [label for _, label in TOP_STAT_LABELS]
    assert page.get_attribute("#chart", "data-metric") == "visitors"


TOP_STAT_LABELS = (
    ("visitors", "Unique visitors"),
    ("visits", "Total visits"),
    ("pageviews", "Total pageviews"),
    ("views_per_visit", "Views per visit"),
    ("bounce_rate", "Bounce rate"),
    ("visit_duration", "Visit duration"),
)


def _stats(watched: Watched) -> dict[str, str]:
    """The top stats shown: label -> value."""
    return dict(
        watched.page.locator(".stat:not([hidden])").evaluate_all(
            "ss => ss.map(s => [s.querySelector('.label').textContent,"
            " s.querySelector('.value').textContent])"
        )
    )


@pytest.fixture
def revenue_dashboard(seeded: Seeded) -> Iterator[Watched]:
    """The dashboard of a site whose Signup goal counts revenue in euros."""
    Goal.objects.filter(site=seeded.site.site, event_name="Signup").update(currency="EUR")
    with watched_dashboard(seeded.site.user) as watched:
        yield watched


def test_a_revenue_goal_filter_shows_revenue(revenue_dashboard: Watched) -> None:
    revenue_dashboard.open("?period=day&filters=event:goal==Signup")
    stats = _stats(revenue_dashboard)
    assert list(stats) == [
        "Unique conversions",
        "Total conversions",
        "Conversion rate",
        "Average revenue",
        "Total revenue",
    ]
    assert stats["Total revenue"].startswith("€")
    heads = revenue_dashboard.page.locator("#widget-goals .list-head span").all_inner_texts()
    assert [h.upper() for h in heads] == ["GOAL", "UNIQUES", "TOTAL", "CR", "REVENUE", "AVERAGE"]
    assert _table(revenue_dashboard, "goals")["Signup"][3].startswith("€")  # its revenue, in euros
    page = revenue_dashboard.page
    for width in (1280, 375):  # looked at: the five stats wrap on a phone, nothing runs off the screen
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(".top-card").screenshot(path=str(ARTIFACTS / f"dashboard-goal-stats-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    # a goal filter naming a goal without a currency too: no revenue (it would add up nothing)
    revenue_dashboard.open("?period=day&filters=event:goal==Signup|Visit /")
    assert "Total revenue" not in _stats(revenue_dashboard)


def test_the_realtime_view_shows_the_last_30_minutes(dashboard: Watched, seeded: Seeded) -> None:
    dashboard.open("?period=day")
    page = dashboard.page
    page.keyboard.press("r")
    dashboard.ready()
    assert dashboard.query()["period"] == ["realtime"]
    assert dashboard.text("#period-button").startswith("Realtime")
    assert page.text_content(".stat[data-metric=visitors] .label") == "Visitors (30 min)"
    assert dashboard.text("#stat-visitors") == str(seeded.realtime_visitors)
    assert not page.is_visible(".stat[data-metric=bounce_rate]")
    assert not page.is_visible("#compare-menu")
    assert page.get_attribute("#chart", "data-points") == "30"
    assert page.get_attribute("#chart", "data-interval") == "minute"
    page.click(".stat[data-metric=pageviews]")
    dashboard.ready()
    assert page.get_attribute("#chart", "data-total") == str(seeded.realtime_pageviews)
    page.screenshot(path=str(ARTIFACTS / "dashboard-realtime.png"), full_page=True)


def test_export_links_follow_the_view_and_download_its_numbers(dashboard: Watched) -> None:
    dashboard.open("?period=day")
    page = dashboard.page
    page.click("#list-devices .row[data-value=Firefox]")  # a filter, and the browser drilled to versions
    dashboard.ready()
    zip_href = page.get_attribute("#export-link", "href") or ""
    assert zip_href.startswith("/example.com/export.zip?")
    assert parse_qs(urlsplit(zip_href).query)["filters"] == ["visit:browser==Firefox"]
    devices_href = page.get_attribute("#widget-devices .csv-link", "href") or ""
    assert devices_href.startswith("/example.com/export/browser_versions.csv?")
    with page.expect_download() as download:
        page.click("#widget-devices .csv-link")
    body = Path(download.value.path()).read_text()
    lines = body.strip().splitlines()
    assert "Firefox" in lines[1] and "128.0" in lines[1]
    assert len(lines) == 2  # the header and the one browser version of the filtered view
    _tab(dashboard, "pages", "entry")
    assert (page.get_attribute("#widget-pages .csv-link", "href") or "").startswith(
        "/example.com/export/entry_pages.csv?"
    )


def test_the_goals_and_properties_cards_export_what_they_show(dashboard: Watched) -> None:
    dashboard.open("?period=day")
    page = dashboard.page
    assert (page.get_attribute("#widget-goals .csv-link", "href") or "").startswith(
        "/example.com/export/goals.csv?"
    )
    props_href = page.get_attribute("#widget-props .csv-link", "href") or ""
    assert parse_qs(urlsplit(props_href).query)["property"] == ["event:props:plan"]
    with page.expect_download() as download:
        page.click("#widget-props .csv-link")
    rows = Path(download.value.path()).read_text().strip().splitlines()
    assert [row.split(",")[:2] for row in rows[1:]] == [["plan", "(none)"], ["plan", "pro"]]


def _data_request(url: str) -> tuple[str, str, int] | None:
    """A Stats API or dashboard-data request as ``bench.dashboard.PAGE_LOAD`` lists them, else None."""
    parts = urlsplit(url)
    for prefix in ("/api/v1/stats/", "/dashboard-data/"):
        if parts.path.startswith(prefix):
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            prop = query.get("property", "")
            prop = "event:props:" if prop.startswith("event:props:") else prop
            return parts.path.removeprefix(prefix), prop, int(query.get("limit", 0))
    return None


def test_the_dashboard_bench_times_the_requests_the_page_makes(dashboard: Watched) -> None:
    """``./dev bench`` times ``PAGE_LOAD`` as the dashboard's queries: it must be what the page asks for
    when it opens (besides the site's funnels, which the bench site has none of)."""
    dashboard.open()
    made = [found for url in dashboard.requests if (found := _data_request(url)) is not None]
    funnels = [("funnel", "", 0), ("funnels", "", 0)]
    assert sorted(r for r in made if r not in funnels) == sorted(PAGE_LOAD)
    assert sorted(r for r in made if r in funnels) == funnels
    assert PAGE_METRICS["event:props:"] == PROPS_METRICS  # the props card's request, as the bench times it
    for url in dashboard.requests:  # and each breakdown with the metrics the bench asks for
        query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
        if urlsplit(url).path.endswith("/breakdown"):
            prop = "event:props:" if query["property"].startswith("event:props:") else query["property"]
            assert query["metrics"] == PAGE_METRICS.get(prop, "visitors"), prop


def _page_tokens(dashboard: Watched) -> set[str]:
    """The ``snapshot`` tokens the data requests made so far carried ("" for one without)."""
    made = [url for url in dashboard.requests if _data_request(url) is not None]
    return {parse_qs(urlsplit(url).query).get("snapshot", [""])[0] for url in made}


def test_the_requests_of_one_page_load_carry_one_token(dashboard: Watched) -> None:
    """Each load of the page sends one ``snapshot`` token with all its requests, so the server reads
    the days' counts once for its cards (``analytics.one_page``); a click loads it again, with another."""
    dashboard.open("?period=day")
    first = _page_tokens(dashboard)
    dashboard.requests.clear()
    dashboard.page.click("#list-devices .row[data-value=Firefox]")
    dashboard.ready()
    second = _page_tokens(dashboard)
    assert len(first) == len(second) == 1
    assert "" not in first | second
    assert first != second
    assert not dashboard.failed_requests

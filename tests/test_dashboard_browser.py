"""The dashboard in headless Chromium: seeded events and sessions in chDB, a logged-in owner, every
widget filled with the seeded numbers, filtering by clicking rows, the date picker, comparison,
keyboard shortcuts, dark mode, a phone's width, no request to another host and no console error."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Page

from analytics import sessions
from analytics.schema import Event
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
    seed(events)
    sessions.update([event.to_json() for event in events])
    seed_dropped([(sid, now.date(), "bot", 3), (sid, now.date(), "shield_ip", 2)])
    recent = {e.visitor_id for e in events if now - dt.timedelta(minutes=5) < e.timestamp <= now}
    return Seeded(site, len(recent))


@dataclasses.dataclass
class Watched:
    page: Page
    base: str
    foreign: list[str]
    console_errors: list[str]
    dialogs: list[str]

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
    session = Client()
    session.force_login(seeded.site.user)
    with dashboard_server() as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        host = urlsplit(base).netloc
        context.add_cookies([{"name": "sessionid", "value": session.cookies["sessionid"].value, "url": base}])
        page = context.new_page()
        watched = Watched(page, base, [], [], [])
        page.on("request", lambda r: urlsplit(r.url).netloc == host or watched.foreign.append(r.url))
        page.on("console", lambda m: watched.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: watched.console_errors.append(str(exc)))
        page.on("dialog", lambda d: (watched.dialogs.append(d.message), d.dismiss()))
        try:
            yield watched
        finally:
            context.close()
    assert watched.foreign == []
    assert watched.console_errors == []
    assert watched.dialogs == []


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
    assert dashboard.text("#stat-visit_duration") == "30s"
    assert page.inner_text(".stat[data-metric=visitors] .change") == "↑ 100%"
    assert page.get_attribute(".current", "data-count") == str(seeded.current_visitors)

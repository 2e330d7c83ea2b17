"""Lantern's pages in headless Chromium: every page a signed-in owner reaches (and the signed-out ones)
fits a 375 px phone with no horizontal scroll, the goals card and the API keys page included; the
error pages are styled at 1280 and 375 px; destructive actions ask first, Cancel keeps the thing and
confirming removes it. No request to another host, no console error (a CSP refusal is one)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page

from panel.accounts.models import Membership, Role
from panel.accounts.tokens import email_change_token
from panel.apikeys.models import ApiKey
from panel.goals.models import Funnel, Goal
from panel.reports.models import AlertSettings
from panel.sharing.models import SharedLink
from tests.accounts_helpers import fresh_counters, member_of, org_of  # noqa: F401  # autouse fixture
from tests.browser import chromium
from tests.conftest import Persona, make_event, seed
from tests.dashboard_server import dashboard_server

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
LONG_EVENT = "Newsletter Signup Completed From Footer"
LONG_PATH = "/pricing/enterprise/contact-sales"


@dataclasses.dataclass
class World:
    """An owner's organisation with something on every page, and session cookies to browse it."""

    owner: Persona
    org_id: int
    member_id: int
    owner_cookie: str
    viewer_cookie: str


def _cookie(user: object) -> str:
    session = Client()
    session.force_login(user)  # type: ignore[arg-type]
    return session.cookies["sessionid"].value


@pytest.fixture
def world(site: Persona, events_table: None) -> World:
    return make_world(site)


def make_world(site: Persona) -> World:
    """Goals with long names (and their conversions today), a funnel, a shared link, API keys with long
    names and every scope, traffic alerts with a webhook (its secret is shown), a teammate and a viewer."""
    org = org_of(site)
    now = dt.datetime.now(dt.UTC)
    at = max(now - dt.timedelta(minutes=5), dt.datetime.combine(now.date(), dt.time(), dt.UTC))
    sid = site.site.id
    events = [make_event(sid, visitor_id=v, timestamp=at, pathname=LONG_PATH) for v in (1, 2, 3)]
    events += [make_event(sid, visitor_id=v, timestamp=at, name=LONG_EVENT) for v in (1, 2)]
    events += [make_event(sid, visitor_id=4, timestamp=at, pathname="/")]
    seed(events)  # with their visits, as ingest writes them
    signup = Goal.objects.create(site=site.site, event_name=LONG_EVENT)
    pricing = Goal.objects.create(site=site.site, page_path=LONG_PATH)
    Goal.objects.create(site=site.site, event_name="Purchase", currency="EUR")
    Funnel.objects.create_with_steps(site.site, "Footer newsletter to enterprise sales", [pricing, signup])
    SharedLink.objects.create_for(site.site, name="Board meeting dashboard")
    AlertSettings.objects.create(
        site=site.site, spike_visitors=500, webhook_url="https://1.1.1.1/lantern-hook"
    )
    ApiKey.objects.issue(
        site.user,
        organisation=org,
        name="Nightly export to the data warehouse",
        scopes=["stats:read", "events:write", "sites:write"],
    )
    teammate = member_of(org, "a.rather.long.address@teammates.example.com", Role.ADMIN)
    viewer = member_of(org, "viewer@example.com", Role.VIEWER)
    member_id = Membership.objects.get(user=teammate, organisation=org).pk
    return World(site, org.pk, member_id, _cookie(site.user), _cookie(viewer))


@dataclasses.dataclass
class Tab:
    page: Page
    base: str
    foreign: list[str] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    def go(self, path: str) -> int:
        response = self.page.goto(self.base + path)
        assert response is not None
        if self.page.locator("#dashboard").count():
            self.page.wait_for_selector("#dashboard[data-ready=true]")
        return response.status

    def width(self) -> int:
        width: int = self.page.evaluate("document.documentElement.scrollWidth")
        return width

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@dataclasses.dataclass
class Session:
    """Chromium and the test server; ``tab(cookie, viewport)`` opens a watched tab, signed in or not."""

    browser: Browser
    base: str
    tabs: list[Tab] = dataclasses.field(default_factory=list)
    contexts: list[BrowserContext] = dataclasses.field(default_factory=list)

    def tab(self, cookie: str = "", viewport: dict[str, int] = PHONE) -> Tab:
        context = self.browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        if cookie:
            context.add_cookies([{"name": "sessionid", "value": cookie, "url": self.base}])
        self.contexts.append(context)
        tab = Tab(context.new_page(), self.base)
        host = urlsplit(self.base).netloc
        tab.page.on(
            "request", lambda r: tab.foreign.append(r.url) if urlsplit(r.url).netloc != host else None
        )
        tab.page.on("console", lambda m: tab.errors.append(m.text) if m.type == "error" else None)
        tab.page.on("pageerror", lambda e: tab.errors.append(str(e)))
        self.tabs.append(tab)
        return tab


@pytest.fixture
def chrome(world: World) -> Iterator[Session]:
    with browsing() as session:
        yield session


@contextlib.contextmanager
def browsing() -> Iterator[Session]:
    """Chromium and the test server, for tabs; after the block, no tab asked another host or logged an
    error. Start it after the database work: Playwright's event loop forbids Django's ORM here."""
    with dashboard_server() as base, chromium() as browser:
        session = Session(browser, base)
        try:
            yield session
        finally:
            for context in session.contexts:
                context.close()
    for tab in session.tabs:
        assert tab.foreign == []
        # the error pages answer 403 and 404 on purpose, which the console reports; nothing else
        assert [e for e in tab.errors if not e.startswith("Failed to load resource")] == []


def owner_pages(world: World) -> list[str]:
    org = world.org_id
    return [
        "/sites/",
        "/sites/new/",
        "/example.com/",
        "/example.com/snippet/",
        "/example.com/settings/",
        "/example.com/settings/shields/",
        "/example.com/settings/snippet/",
        "/example.com/settings/links/",
        "/example.com/settings/goals/",
        "/example.com/settings/funnels/",
        "/example.com/settings/export/",
        "/example.com/settings/danger/",
        "/example.com/notifications/",
        f"/orgs/{org}/",
        f"/orgs/{org}/keys/",
        "/orgs/",
        "/account/",
        "/account/two-factor/",
        f"/orgs/{org}/members/{world.member_id}/remove/",  # a confirmation page
        "/api/docs/",
        "/account/delete/",  # the owner shares the organisation: it asks for a transfer first
        f"/account/email/{email_change_token(world.owner.user, 'owner.new@example.org')}/",
    ]


def viewer_pages(world: World) -> list[str]:
    return ["/sites/", "/example.com/", "/example.com/notifications/", f"/orgs/{world.org_id}/", "/account/"]


SIGNED_OUT = ["/login/", "/register/", "/password-reset/", "/api/docs/"]


def _slug(path: str) -> str:
    """``/orgs/12/keys/`` → ``orgs-n-keys``, ``/account/email/<signed token>/`` → ``account-email-token``:
    a stable artifact name."""
    path = re.sub(r"[^/]{40,}", "token", path)
    return re.sub(r"\d+", "n", path.strip("/").replace("/", "-").replace(".", "-")) or "root"


def test_every_page_fits_a_phone(world: World, chrome: Session) -> None:
    """``document.documentElement.scrollWidth <= 375`` on each page, the owner's, a viewer's and the
    signed-out ones (screenshots: page-<path>.png, page-viewer-<path>.png); the notifications page
    shows its webhook secret."""
    too_wide: dict[str, int] = {}
    owner = chrome.tab(world.owner_cookie)
    for path in owner_pages(world):
        assert owner.go(path) == 200, path
        if owner.width() > PHONE["width"]:
            too_wide[path] = owner.width()
        owner.shot(f"page-{_slug(path)}")
    viewer = chrome.tab(world.viewer_cookie)
    for path in viewer_pages(world):
        assert viewer.go(path) == 200, path
        if viewer.width() > PHONE["width"]:
            too_wide[f"viewer {path}"] = viewer.width()
        viewer.shot(f"page-viewer-{_slug(path)}")
    visitor = chrome.tab()
    for path in SIGNED_OUT:
        assert visitor.go(path) == 200, path
        if visitor.width() > PHONE["width"]:
            too_wide[path] = visitor.width()
        visitor.shot(f"page-{_slug(path)}")
    assert too_wide == {}


def test_goal_names_and_api_keys_read_on_a_phone(world: World, chrome: Session) -> None:
    """The goals card gives a goal's name room for whole words; every API key's revoke link is on screen."""
    owner = chrome.tab(world.owner_cookie)
    owner.go("/example.com/?period=day")
    owner.page.wait_for_selector("#list-goals .row")
    owner.page.locator("#widget-goals").screenshot(path=str(ARTIFACTS / "goals-card-phone.png"))
    names = owner.page.locator("#list-goals .row .name")
    assert names.all_inner_texts() == [f"Visit {LONG_PATH}", LONG_EVENT]
    for index in range(names.count()):
        box = names.nth(index).bounding_box()
        assert box is not None and box["width"] >= 120, box  # "Newsletter" on one line, not l-e-t-t-e-r-s
    heads = owner.page.locator("#widget-goals .list-head span")
    boxes = [heads.nth(i).bounding_box() for i in range(heads.count())]
    shown = [box for box in boxes if box is not None]  # the revenue columns stay off a phone
    assert len(shown) == 4, boxes  # the goal, uniques, total, conversion rate
    for left, right in itertools.pairwise(shown):  # the column headings do not run into each other
        assert left["x"] + left["width"] <= right["x"], boxes
    owner.go(f"/orgs/{world.org_id}/keys/")
    assert owner.width() <= PHONE["width"]
    links = owner.page.locator("table.keys a", has_text="revoke")
    assert links.count() == 2
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    owner.shot("api-keys-phone")
    wide = chrome.tab(world.owner_cookie, DESKTOP)
    wide.go(f"/orgs/{world.org_id}/keys/")
    wide.shot("api-keys-desktop")
    wide.go("/example.com/?period=day")
    wide.page.locator("#widget-goals").screenshot(path=str(ARTIFACTS / "goals-card-desktop.png"))


def test_error_pages_are_styled(world: World, chrome: Session) -> None:
    for viewport, size in ((PHONE, "phone"), (DESKTOP, "desktop")):
        owner = chrome.tab(world.owner_cookie, viewport)
        assert owner.go("/no-such-site.example/") == 404
        assert owner.page.inner_text("h1") == "Page not found"
        assert owner.page.get_attribute(".error-actions a", "href") == "/sites/"
        assert owner.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(247, 247, 248)"
        assert owner.width() <= viewport["width"]
        owner.shot(f"error-404-{size}")
        viewer = chrome.tab(world.viewer_cookie, viewport)
        assert viewer.go("/example.com/settings/") == 403
        assert viewer.page.inner_text("h1") == "Not allowed"
        assert viewer.width() <= viewport["width"]
        viewer.shot(f"error-403-{size}")
        visitor = chrome.tab(viewport=viewport)
        assert visitor.go("/share/example.com?auth=wrong") == 404
        visitor.page.click(".error-actions a")
        visitor.page.wait_for_url("**/login/")


@pytest.mark.parametrize(
    ("listing", "link", "item"),
    [
        ("/orgs/{org}/keys/", "revoke", "Nightly export to the data warehouse"),
        ("/example.com/settings/goals/", "Delete", "Purchase"),
        ("/example.com/settings/funnels/", "Delete", "Footer newsletter to enterprise sales"),
        ("/example.com/settings/links/", "Revoke", "Board meeting dashboard"),
        ("/orgs/{org}/", "remove", "a.rather.long.address@teammates.example.com"),
    ],
)
def test_a_destructive_click_asks_first(
    world: World, chrome: Session, listing: str, link: str, item: str
) -> None:
    """The list's link opens the question naming the thing; Cancel keeps it, the button removes it."""
    owner = chrome.tab(world.owner_cookie)
    listing = listing.format(org=world.org_id)
    owner.go(listing)
    assert item in owner.page.inner_text("main")
    row = owner.page.locator("main tr", has_text=item)
    row.get_by_role("link", name=link, exact=True).click()
    owner.page.wait_for_selector("#confirm-question")
    assert item in owner.page.inner_text("#confirm-question")
    assert owner.width() <= PHONE["width"]
    owner.shot(f"confirm-{_slug(listing)}-phone")
    owner.page.click("#confirm-cancel")
    owner.page.wait_for_url(f"**{listing}")
    assert item in owner.page.inner_text("main")  # cancelled: still there

    row.get_by_role("link", name=link, exact=True).click()
    owner.page.wait_for_selector("#confirm-question")
    owner.page.click("#confirm-action")
    owner.page.wait_for_url(f"**{listing}")
    main = owner.page.inner_text("main")
    assert item not in main.replace(owner.page.inner_text(".message"), "")  # gone; the message names it
    if listing.endswith("/goals/"):
        desktop = chrome.tab(world.owner_cookie, DESKTOP)
        desktop.go(listing)
        desktop.page.locator("main tr", has_text="Visit").get_by_role("link", name=link).click()
        desktop.page.wait_for_selector("#confirm-question")
        desktop.shot("confirm-goal-desktop")

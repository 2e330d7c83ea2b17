"""Around the dashboard, in Chromium at 1280 and 375 px (issue 19, navigation): the domain opens a site
switcher listing the sites of the site's organisation (not those of the member's other organisations),
the site's settings are one click away for owners and admins, and a viewer's menu holds only what
answers 200 (screenshots: dashboard-site-menu-*.png, dashboard-nav-viewer-*.png)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Dialog

from panel.accounts.models import Membership, Organisation, Role
from panel.sharing.models import SharedLink
from panel.sites.models import Site
from tests.accounts_helpers import fresh_counters, org_of  # noqa: F401  # autouse fixture
from tests.conftest import Persona
from tests.test_pages_browser import ARTIFACTS, DESKTOP, PHONE, Session, Tab, World, browsing, make_world

pytestmark = pytest.mark.browser
XSS_ORG = "Acme <img src=x onerror=alert(1)>"
TEAM_SITES = ["blog.example.com", "example.com", "shop-with-a-rather-long-name.example.com"]


@pytest.fixture
def world(site: Persona, events_table: None) -> World:
    """make_world's site in an organisation named with markup, two more sites there, and another
    organisation of the owner's with a site the switcher must not list."""
    world = make_world(site)
    Organisation.objects.filter(pk=world.org_id).update(name=XSS_ORG)
    for domain in ("blog.example.com", "shop-with-a-rather-long-name.example.com"):
        Site.objects.create(organisation_id=world.org_id, domain=domain)
    side = Organisation.objects.create(name="Side project")
    Membership.objects.create(user=site.user, organisation=side, role=Role.OWNER)
    Site.objects.create(organisation=side, domain="side-project.example.org")
    return world


@pytest.fixture
def chrome(world: World) -> Iterator[Session]:
    with browsing() as session:
        yield session


def _refuse(dialog: Dialog, seen: list[str]) -> None:
    seen.append(dialog.message)
    dialog.dismiss()


def _open_menu(tab: Tab) -> list[str]:
    tab.page.click("#site-menu > summary")
    tab.page.wait_for_selector("#site-menu .site-menu-list", state="visible")
    return tab.page.locator("#site-menu .menu-item.site").all_inner_texts()


def test_the_switcher_lists_the_organisations_sites(world: World, chrome: Session) -> None:
    alerts: list[str] = []  # an injected script would open one
    for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
        owner = chrome.tab(world.owner_cookie, viewport)
        owner.page.on("dialog", lambda dialog: _refuse(dialog, alerts))
        owner.go("/example.com/")
        assert owner.page.is_hidden("#site-menu .site-menu-list")
        assert _open_menu(owner) == TEAM_SITES  # not side-project.example.org, another organisation's
        assert owner.page.inner_text("#site-menu .menu-heading") == f"Sites of {XSS_ORG}"  # text, not markup
        assert owner.page.inner_text("#site-menu [aria-current=page]") == "example.com"
        menu = owner.page.locator("#site-menu .site-menu-list").bounding_box()
        assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= viewport["width"], menu
        assert owner.width() <= viewport["width"]
        owner.page.screenshot(path=str(ARTIFACTS / f"dashboard-site-menu-{size}.png"))  # the screen only
        owner.page.keyboard.press("Escape")
        assert owner.page.is_hidden("#site-menu .site-menu-list")
        _open_menu(owner)
        owner.page.click(".footer-note")  # a click elsewhere closes it too
        assert owner.page.is_hidden("#site-menu .site-menu-list")
        _open_menu(owner)
        with owner.page.expect_navigation():
            owner.page.click("#site-menu a.site >> text=shop-with-a-rather-long-name.example.com")
        owner.page.wait_for_selector("#dashboard[data-ready=true]")
        assert owner.page.inner_text("#site-menu h1") == "shop-with-a-rather-long-name.example.com"
        assert owner.width() <= viewport["width"]
    assert alerts == []


def test_switching_sites_keeps_the_period_and_comparison_not_filters(world: World, chrome: Session) -> None:
    owner = chrome.tab(world.owner_cookie, DESKTOP)
    owner.go(
        "/example.com/?period=91d&filters=event:page%3D%3D/pricing&compare=year_over_year&metric=pageviews"
    )
    owner.page.wait_for_selector("#dashboard[data-ready=true]")
    assert owner.page.locator("#filter-bar .pill").count() == 1
    _open_menu(owner)
    with owner.page.expect_navigation():
        owner.page.click("#site-menu a.site >> text=blog.example.com")
    owner.page.wait_for_selector("#dashboard[data-ready=true]")
    assert owner.page.url.endswith("/blog.example.com/?period=91d&compare=year_over_year")
    assert owner.page.inner_text("#period-button .label") == "Last 91 days"
    assert owner.page.locator("#filter-bar .pill").count() == 0  # /pricing was example.com's
    owner.page.keyboard.press("w")  # another period: the links follow it
    owner.page.wait_for_url("**/blog.example.com/?period=7d&compare=year_over_year")
    hrefs = owner.page.eval_on_selector_all("#site-menu a.site", "links => links.map(a => a.href)")
    assert hrefs and all(h.endswith("/?period=7d&compare=year_over_year") for h in hrefs), hrefs


def test_settings_are_one_click_from_the_dashboard(world: World, chrome: Session) -> None:
    owner = chrome.tab(world.owner_cookie, DESKTOP)
    owner.go("/example.com/")
    with owner.page.expect_navigation():
        owner.page.click("#settings-link")
    assert owner.page.url.endswith("/example.com/settings/")
    assert owner.page.inner_text(".settings-tabs [aria-current=page]") == "General"
    owner.go("/example.com/")
    _open_menu(owner)
    assert owner.page.locator("#site-menu .menu-item:not(.site)").all_inner_texts() == [
        "Site settings",
        "Reports and alerts",
        "All your sites",
    ]
    with owner.page.expect_navigation():
        owner.page.click("#menu-notifications")
    assert owner.page.inner_text(".settings-tabs [aria-current=page]") == "Notifications"


def test_a_viewer_sees_only_what_they_may_open(world: World, chrome: Session) -> None:
    for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
        viewer = chrome.tab(world.viewer_cookie, viewport)
        viewer.go("/example.com/")
        assert viewer.page.locator("#settings-link, #menu-settings").count() == 0
        assert _open_menu(viewer) == TEAM_SITES
        assert viewer.page.inner_text("#menu-notifications") == "Email reports"
        viewer.page.screenshot(path=str(ARTIFACTS / f"dashboard-nav-viewer-{size}.png"))
        links = viewer.page.eval_on_selector_all("#site-menu a", "links => links.map(a => a.pathname)")
        assert "/example.com/notifications/" in links
        for path in links:  # nothing in the menu answers 403
            assert viewer.go(path) == 200, path


@pytest.fixture
def slug(world: World) -> str:
    """The slug of make_world's shared link."""
    return SharedLink.objects.get(site=world.owner.site).slug


def test_a_shared_link_has_no_switcher(world: World, slug: str, chrome: Session) -> None:
    visitor = chrome.tab(viewport=DESKTOP)
    assert visitor.go(f"/share/example.com?auth={slug}") == 200
    assert visitor.page.inner_text("#dashboard h1") == "example.com"
    assert visitor.page.locator("#site-menu, #settings-link").count() == 0

"""Saved segments in headless Chromium (issue 19): the owner saves the current filters under a name,
applies the segment later, renames it and deletes it (asked first); a viewer and a shared link's
holder see the segments and apply them, and cannot save one. The menu is looked at in light, dark and
at a phone's width (``tests/artifacts/``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from panel.accounts.models import Role
from panel.dashboard.models import Segment
from panel.sharing.models import SharedLink
from tests.accounts_helpers import member_of
from tests.browser import chromium
from tests.dashboard_server import dashboard_server
from tests.test_dashboard_browser import (  # noqa: F401  # dashboard, seeded: fixtures used by name
    XSS,
    Seeded,
    Watched,
    dashboard,
    seeded,
    watched_dashboard,
)

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
MENU = "#segments-menu"


@pytest.fixture
def board(dashboard: Watched) -> Watched:  # noqa: F811  # the imported fixture, by name
    """The owner's dashboard over test_dashboard_browser's seeded day, watched for errors."""
    return dashboard


@contextlib.contextmanager
def _watched(user: Any) -> Iterator[Watched]:
    """``watched_dashboard`` for ``user``, or logged out (None); then no foreign request, no script
    error, no dialog, and no console error but for the requests a test had refused."""
    with contextlib.ExitStack() as stack:
        if user is not None:
            watched = stack.enter_context(watched_dashboard(user))
        else:
            base = stack.enter_context(dashboard_server())
            browser = stack.enter_context(chromium())
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            stack.callback(context.close)
            watched = Watched(context.new_page(), base)
            watched.watch()
        yield watched
        assert watched.foreign == [] and watched.dialogs == []
        http_errors = [m for m in watched.console_errors if m.startswith("Failed to load resource")]
        assert len(http_errors) == len(watched.failed_requests)
        assert [m for m in watched.console_errors if m not in http_errors] == []


def _open_menu(watched: Watched) -> None:
    watched.page.click("#segments-button")
    watched.page.wait_for_selector(f"{MENU} .segments-list[data-loaded=true]")


def _names(watched: Watched) -> list[str]:
    return watched.page.locator(f"{MENU} .segment-apply").all_inner_texts()


def _says(watched: Watched, message: str) -> None:
    """Wait until the menu, read again, says ``message`` (what the last save, rename or deletion did)."""
    watched.page.wait_for_selector(f"{MENU} .segments-list[data-loaded=true]")
    expect(watched.page.locator(f"{MENU} .segments-status")).to_have_text(message)


def test_the_owner_saves_applies_renames_and_deletes_a_segment(board: Watched) -> None:
    board.open("?period=day&filters=visit:source==Google|Twitter")
    page = board.page
    _open_menu(board)
    assert page.inner_text(f"{MENU} .segments-empty") == "No segments yet."
    page.fill("#segment-name", "Search and social")
    page.click(f"{MENU} .segment-save button[type=submit]")
    _says(board, "Saved “Search and social”.")
    assert _names(board) == ["Search and social"]
    assert page.get_attribute(f"{MENU} .segment-apply", "aria-current") == "true"  # the view's filters
    assert page.get_attribute(f"{MENU} .segment-apply", "title") == "Source is Google or Twitter"

    page.fill("#segment-name", "Search and social")  # a name is the site's once
    page.click(f"{MENU} .segment-save button[type=submit]")
    _says(board, "name: this site already has a segment called 'Search and social'")

    page.keyboard.press("Escape")
    page.click("#filter-bar .pill .remove")
    board.ready()
    assert board.text("#stat-visitors") == "4"
    _open_menu(board)
    assert page.get_attribute(f"{MENU} .segment-apply", "aria-current") is None
    assert page.is_disabled(f"{MENU} .segment-save button[type=submit]")  # no filter, nothing to save
    page.click(f"{MENU} .segment-apply")
    board.ready()
    assert board.query()["filters"] == ["visit:source==Google|Twitter"]
    assert board.text("#stat-visitors") == "2"
    assert not page.is_visible(f"{MENU} .segments-list")  # applying closes the menu

    _open_menu(board)  # renamed to a hostile name: text, never markup
    page.click(f"{MENU} .segment-rename-button")
    page.fill(f"{MENU} .segment-rename input", XSS)
    page.click(f"{MENU} .segment-rename button[type=submit]")
    _says(board, f"Renamed to “{XSS}”.")
    assert _names(board) == [XSS]
    assert page.locator(f"{MENU} img").count() == 0

    page.click(f"{MENU} .segment-delete")  # asked first; Cancel keeps it
    assert page.is_visible("#segment-confirm")
    assert page.inner_text("#segment-confirm-title") == f"Delete the segment “{XSS}”?"
    assert "Source is Google or Twitter" in page.inner_text("#segment-confirm")
    page.click("#segment-confirm [data-close]")
    _open_menu(board)
    assert _names(board) == [XSS]
    page.click(f"{MENU} .segment-delete")
    page.click("#segment-confirm button[type=submit]")
    _says(board, f"Deleted “{XSS}”.")
    assert _names(board) == []
    assert board.query()["filters"] == ["visit:source==Google|Twitter"]  # the view keeps its filters


@pytest.fixture
def viewer_board(seeded: Seeded) -> Iterator[Watched]:  # noqa: F811  # the imported fixture, by name
    """A viewer of the site's organisation on its dashboard, with a segment the owner saved."""
    site = seeded.site.site
    Segment.objects.create(site=site, name="Campaign", filters="visit:utm_campaign==launch")
    viewer = member_of(seeded.site.user.primary_organisation(), "viewer@example.com", Role.VIEWER)
    with _watched(viewer) as watched:
        yield watched


def test_a_viewer_applies_segments_and_cannot_save_one(viewer_board: Watched) -> None:
    viewer_board.open("?period=day&filters=event:page==/")
    page = viewer_board.page
    _open_menu(viewer_board)
    assert _names(viewer_board) == ["Campaign"]
    assert (
        page.locator(f"{MENU} .segment-save, {MENU} .segment-delete, {MENU} .segment-rename-button").count()
        == 0
    )
    assert "owners and admins save segments" in page.inner_text(f"{MENU} .segments-note")
    # nor can the page write behind the menu's back: the endpoint refuses the viewer
    answer = page.evaluate(
        """() => fetch('/dashboard-data/example.com/segments', {
             method: 'POST', credentials: 'same-origin', body: '{"name": "Mine", "filters": "event:page==/"}',
             headers: {'X-CSRFToken': document.cookie.match(/csrftoken=([^;]+)/)[1]},
           }).then(r => r.status)"""
    )
    assert answer == 403
    page.click(f"{MENU} .segment-apply")
    viewer_board.ready()
    assert viewer_board.query()["filters"] == ["visit:utm_campaign==launch"]
    assert viewer_board.text("#stat-visitors") == "1"


@pytest.fixture
def shared_board(seeded: Seeded) -> Iterator[tuple[Watched, str]]:  # noqa: F811  # the imported fixture
    """A logged-out browser holding a shared link of the site, which has a segment."""
    site = seeded.site.site
    Segment.objects.create(site=site, name="Campaign", filters="visit:utm_campaign==launch")
    link = SharedLink.objects.create_for(site, name="Public")
    with _watched(None) as watched:
        yield watched, link.path()


def test_a_shared_link_applies_segments_read_only(shared_board: tuple[Watched, str]) -> None:
    watched, path = shared_board
    page = watched.page
    page.goto(watched.base + path + "&period=day")
    watched.ready()
    _open_menu(watched)
    assert _names(watched) == ["Campaign"]
    assert page.locator(f"{MENU} .segment-save, {MENU} .segment-delete").count() == 0
    page.click(f"{MENU} .segment-apply")
    watched.ready()
    assert watched.query()["filters"] == ["visit:utm_campaign==launch"]
    assert watched.text("#stat-visitors") == "1"


def test_the_segments_menu_at_1280_and_375_px_light_and_dark(board: Watched) -> None:
    """Looked at: the menu with two segments and the save form, and the delete question, fit a phone."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = board.page
    board.open("?period=day&filters=visit:source==Google|Twitter")
    for name in ("Search and social", "A segment whose name is long enough to need a second line"):
        _open_menu(board)
        page.fill("#segment-name", name)
        page.click(f"{MENU} .segment-save button[type=submit]")
        _says(board, f"Saved “{name}”.")
        page.keyboard.press("Escape")
    for width, scheme in ((1280, "light"), (375, "light"), (375, "dark"), (1280, "dark")):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        page.set_viewport_size({"width": width, "height": 800})
        board.open("?period=day&filters=visit:source==Google|Twitter")
        _open_menu(board)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        box = page.locator(f"{MENU} .segments-list").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.screenshot(path=str(ARTIFACTS / f"segments-menu-{width}-{scheme}.png"))
        page.click(f"{MENU} .segment-delete >> nth=0")
        page.screenshot(path=str(ARTIFACTS / f"segments-delete-{width}-{scheme}.png"))
        page.click("#segment-confirm [data-close]")

"""The notifications page in Chromium: found from the settings tabs, each label above its input, the
webhook secret inside a 375 px phone, and saving says what is now on; a viewer sees only their reports
(screenshots: notifications-*.png)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from panel.reports.models import AlertSettings
from tests.accounts_helpers import fresh_counters  # noqa: F401  # autouse fixture
from tests.conftest import Persona
from tests.test_pages_browser import ARTIFACTS, DESKTOP, PHONE, Session, World, browsing, make_world

pytestmark = pytest.mark.browser
PAGE = "/example.com/notifications/"


@pytest.fixture
def world(site: Persona, events_table: None) -> World:
    return make_world(site)


@pytest.fixture
def chrome(world: World) -> Iterator[Session]:
    with browsing() as session:
        yield session


@pytest.fixture
def alerts(world: World) -> str:
    """The webhook secret of the alerts the world saved (a spike threshold and a webhook)."""
    return AlertSettings.objects.get(site=world.owner.site).webhook_secret


def _below(page: Page, label: str, field: str) -> None:
    """The label sits above its input (they ran together on one line before)."""
    above = page.locator(f"label[for={field}]").bounding_box()
    below = page.locator(f"#{field}").bounding_box()
    assert above is not None and below is not None
    assert above["y"] + above["height"] <= below["y"] + 1, (label, above, below)
    assert page.locator(f"label[for={field}]").inner_text().startswith(label)


def test_the_settings_tabs_lead_to_notifications(world: World, alerts: str, chrome: Session) -> None:
    for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
        owner = chrome.tab(world.owner_cookie, viewport)
        owner.go("/example.com/settings/")
        owner.page.get_by_role("link", name="Notifications", exact=True).click()
        owner.page.wait_for_url(f"**{PAGE}")
        current = owner.page.locator(".settings-tabs [aria-current=page]")
        assert current.inner_text() == "Notifications"
        _below(owner.page, "Spike: visitors in the last hour above", "id_spike_visitors")
        _below(owner.page, "Drop: visitors in the last hour below", "id_drop_percent")
        _below(owner.page, "Webhook URL", "id_webhook_url")
        secret = owner.page.locator("#webhook-secret")
        assert secret.inner_text() == alerts
        box = secret.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"], box
        assert owner.width() <= viewport["width"]  # 513 px at 375 before
        owner.shot(f"notifications-{size}")


def test_saving_says_what_is_on(world: World, alerts: str, chrome: Session) -> None:
    owner = chrome.tab(world.owner_cookie)
    owner.go(PAGE)
    owner.page.check("#id_weekly")
    owner.page.uncheck("#id_monthly")
    with owner.page.expect_navigation():
        owner.page.click("#reports-form button[type=submit]")
    assert owner.page.inner_text(".message") == (
        "Saved: you get the weekly report of example.com at owner@example.com."
    )
    assert owner.page.is_checked("#id_weekly") and not owner.page.is_checked("#id_monthly")
    owner.page.fill("#id_spike_visitors", "2500")
    owner.page.fill("#id_drop_percent", "20")
    with owner.page.expect_navigation():
        owner.page.click("#alerts-form button[type=submit]")
    assert owner.page.inner_text(".message") == (
        "Saved: a spike alert above 2,500 visitors in an hour and a drop alert below 20% of the usual "
        "hour. Alerts are also POSTed to the webhook."
    )
    assert owner.page.input_value("#id_spike_visitors") == "2500"
    assert owner.width() <= PHONE["width"]
    owner.shot("notifications-saved-phone")


def test_a_viewer_sees_only_their_reports(world: World, alerts: str, chrome: Session) -> None:
    for viewport, size in ((DESKTOP, "desktop"), (PHONE, "phone")):
        viewer = chrome.tab(world.viewer_cookie, viewport)
        assert viewer.go(PAGE) == 200
        assert viewer.page.locator(".settings-tabs").count() == 0  # every other tab would answer 403
        assert viewer.page.locator("#alerts-form, #webhook-secret").count() == 0
        viewer.page.check("#id_monthly")
        with viewer.page.expect_navigation():
            viewer.page.click("#reports-form button[type=submit]")
        assert "you get the monthly report of example.com" in viewer.page.inner_text(".message")
        assert viewer.width() <= viewport["width"]
        viewer.shot(f"notifications-viewer-{size}")
    assert ARTIFACTS.joinpath("notifications-viewer-phone.png").exists()

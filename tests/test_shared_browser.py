"""A shared link in headless Chromium, logged out: the dashboard page and its Stats API calls, the
password form, and embed mode inside an iframe on another site (and no other page may be framed)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page

from panel.sharing.models import SharedLink
from tests.browser import chromium
from tests.conftest import Persona, clear_events, make_event, seed
from tests.dashboard_server import dashboard_server
from tests.test_e2e_browser import FixtureSite

pytestmark = pytest.mark.browser


@pytest.fixture
def framing() -> Iterator[FixtureSite]:
    """Another origin, whose page frames Lantern's."""
    site = FixtureSite()
    yield site
    site.close()


@pytest.fixture
def seeded(site: Persona, clickhouse: None) -> None:

    clear_events()
    now = dt.datetime.now(dt.UTC)
    events = [make_event(site.site.id, timestamp=now, visitor_id=v, pathname=f"/p{v}") for v in (1, 2, 3)]
    events.append(make_event(site.site.id + 1000, timestamp=now, visitor_id=9, pathname="/other"))
    seed(events)


def api(page: Page, query: str) -> Any:
    return page.evaluate(
        "q => fetch('/api/v1/stats/' + q).then(r => r.json().then(body => ({status: r.status, body})))", query
    )


def test_a_shared_link_works_logged_out(live_server: Any, site: Persona, seeded: None) -> None:
    link = SharedLink.objects.create_for(site.site, name="Public")
    with chromium() as browser:
        page = browser.new_page()
        response = page.goto(live_server.url + link.path())
        assert response is not None and response.status == 200
        assert page.get_attribute("#dashboard", "data-site") == "example.com"
        assert page.inner_text(".topbar").find("Log in") >= 0  # a visitor, not a member
        answer = api(
            page, f"aggregate?site_id=example.com&period=day&metrics=visitors,pageviews&auth={link.slug}"
        )
        assert answer == {
            "status": 200,
            "body": {"results": {"visitors": {"value": 3}, "pageviews": {"value": 3}}},
        }
        pages = api(page, f"breakdown?site_id=example.com&period=day&property=event:page&auth={link.slug}")
        assert [row["page"] for row in pages["body"]["results"]] == ["/p1", "/p2", "/p3"]
        assert api(page, "aggregate?site_id=example.com&period=day")["status"] == 401
        assert page.context.cookies() == []  # nothing stored for a link without a password


def test_a_password_protected_link_in_the_browser(live_server: Any, site: Persona, seeded: None) -> None:
    link = SharedLink.objects.create_for(site.site, name="Board", password="open sesame please")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(live_server.url + link.path())
        assert page.query_selector("#dashboard") is None
        page.fill("input[name=password]", "wrong guess")
        page.click("main button[type=submit]")
        assert "not right" in page.inner_text("main")
        assert api(page, f"aggregate?site_id=example.com&period=day&auth={link.slug}")["status"] == 404
        page.fill("input[name=password]", "open sesame please")
        page.click("main button[type=submit]")
        page.wait_for_selector("#dashboard")
        answer = api(page, f"aggregate?site_id=example.com&period=day&auth={link.slug}")
        assert answer == {"status": 200, "body": {"results": {"visitors": {"value": 3}}}}


def test_only_the_embed_view_can_be_framed(live_server: Any, site: Persona, framing: FixtureSite) -> None:
    link = SharedLink.objects.create_for(site.site, name="Embed")
    base = live_server.url.replace("localhost", "127.0.0.1")
    framing.html = (
        f'<iframe id="embed" src="{base}{link.path(embed=True)}"></iframe>'
        f'<iframe id="plain" src="{base}{link.path()}"></iframe>'
        f'<iframe id="login" src="{base}/login/"></iframe>'
    )
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"http://localhost:{framing.port}/")
        page.wait_for_load_state("load")
        embedded = next(f for f in page.frames if "embed=true" in f.url)
        embedded.wait_for_selector("#dashboard")
        assert embedded.query_selector(".topbar") is None
        for element_id in ("plain", "login"):  # refused by the browser: an error page instead
            element = page.query_selector(f"#{element_id}")
            content = element.content_frame() if element else None
            assert content is not None and content.url.startswith("chrome-error://"), element_id


def test_the_shared_dashboard_fills_its_widgets(site: Persona, seeded: None) -> None:
    link = SharedLink.objects.create_for(site.site, name="Public")
    errors: list[str] = []
    with dashboard_server() as base, chromium() as browser:
        page = browser.new_page()
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(base + link.path() + "&period=day")
        page.wait_for_selector("#dashboard[data-ready=true]", timeout=30_000)
        assert page.inner_text("#stat-visitors") == "3"
        assert page.inner_text("#stat-pageviews") == "3"
    assert errors == []

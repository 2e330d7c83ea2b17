"""The API reference in headless Chromium, signed out, at 1280 and 375 px, light and dark: no horizontal
scroll (a long example call scrolls inside its own box), the contents and type links land on what they
name, the dark theme applies, nothing comes from another host and the console stays clean.
Screenshots: apidocs-<width>-<theme>[-query|-curl|-schema].png."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.accounts_helpers import fresh_counters  # noqa: F401  # autouse fixture
from tests.test_pages_browser import ARTIFACTS, DESKTOP, PHONE, Session
from tests.watched_browser import watched_session

pytestmark = pytest.mark.browser
BACKGROUND = {"light": "rgb(247, 247, 248)", "dark": "rgb(19, 19, 22)"}


@pytest.fixture
def browse(db: None) -> Iterator[Session]:
    """Signed out: the page needs no database."""
    with watched_session() as session:
        yield session


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_reference_reads_at_every_width(browse: Session, viewport: dict[str, int], theme: str) -> None:
    tab = browse.tab(viewport=viewport)
    tab.page.emulate_media(color_scheme=theme)  # type: ignore[arg-type]
    assert tab.go("/api/docs/") == 200
    name = f"apidocs-{viewport['width']}-{theme}"
    assert tab.page.inner_text("h1") == "Lantern API reference"
    assert tab.page.evaluate("getComputedStyle(document.body).backgroundColor") == BACKGROUND[theme]
    assert tab.width() <= viewport["width"]
    tab.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    examples = tab.page.locator("pre.curl")
    assert examples.count() == tab.page.locator("article.op:not(.schema)").count() >= 20
    for index in range(examples.count()):
        box = examples.nth(index).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box

    tab.page.click('.doc-toc a[href="#op-query"]')
    tab.page.wait_for_url("**#op-query")
    top = tab.page.evaluate("document.getElementById('op-query').getBoundingClientRect().top")
    assert 0 <= top < 40, top  # scrolled to the v2 query
    assert "Authorization: Bearer $LANTERN_API_KEY" in tab.page.inner_text("#op-query pre.curl")
    tab.page.screenshot(path=str(ARTIFACTS / f"{name}-query.png"))
    tab.page.locator("#op-query pre.curl").screenshot(path=str(ARTIFACTS / f"{name}-curl.png"))

    tab.page.locator("#op-query").get_by_role("link", name="array of Metric").first.click()
    tab.page.wait_for_url("**#schema-Metric")
    assert tab.page.locator("#schema-Metric code", has_text="bounce_rate").is_visible()
    tab.page.screenshot(path=str(ARTIFACTS / f"{name}-schema.png"))

"""How long the dashboard takes to show everything: from navigation until every widget has rendered
(``#dashboard[data-ready=true]``, the moment the page marks as ``lantern:ready``), in headless Chromium.

A hook for the query-layer benchmark, which owns the large data set and calls it against a running
Lantern with an account that can read the site:

    >>> times = render_times_ms("http://127.0.0.1:8000", "example.com",
    ...                         login=("owner@example.com", "passphrase"), runs=10)  # doctest: +SKIP
    >>> {"page_render_p50_ms_10m": p50(times)}  # doctest: +SKIP

Each run is a fresh navigation in a logged-in tab (the browser's cache warm after the first, as a
customer's would be); the figure is the page's own clock, navigation start to the mark.
"""

from __future__ import annotations

import statistics

from playwright.sync_api import Page

from bench.common import BenchError
from tests.browser import chromium

READY = "#dashboard[data-ready=true]"
MARK = "performance.getEntriesByName('lantern:ready')[0]?.startTime ?? null"
FAILED = ".widget-error:not([hidden])"
VISITORS = ".stat[data-metric=visitors]"


def _log_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/login/" in page.url:
        raise BenchError(f"could not log in to {base_url} as {email}")


def check_filled(page: Page) -> None:
    """``BenchError`` unless the ready page shows its numbers: no widget failed (the page marks a
    failed widget done too) and the top stats count some visitors (an empty period measures nothing)."""
    failures = [text for text in page.locator(FAILED).all_inner_texts() if text.strip()]
    if failures:
        raise BenchError(f"{len(failures)} widget(s) failed to load: {failures[0]}")
    visitors = page.get_attribute(VISITORS, "data-value")
    if not visitors or float(visitors) <= 0:
        raise BenchError(f"the dashboard rendered no visitors (top stat: {visitors!r})")


def render_times_ms(
    base_url: str,
    domain: str,
    *,
    login: tuple[str, str] | None = None,
    session_id: str | None = None,
    query: str = "?period=30d",
    runs: int = 5,
    warmup: int = 1,
    timeout_ms: float = 60_000,
) -> list[float]:
    """Milliseconds from navigation to a fully rendered dashboard, one figure per run after ``warmup``;
    ``BenchError`` when a run's page is ready without its numbers (``check_filled``).

    Authenticate with ``login=(email, password)`` or an existing ``session_id`` cookie value.
    """
    if (login is None) == (session_id is None):
        raise ValueError("pass exactly one of login or session_id")
    times: list[float] = []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        if session_id is not None:
            context.add_cookies([{"name": "sessionid", "value": session_id, "url": base_url}])
        page = context.new_page()
        if login is not None:
            _log_in(page, base_url, *login)
        for run in range(warmup + runs):
            page.goto(f"{base_url}/{domain}/{query}")
            page.wait_for_selector(READY, timeout=timeout_ms)
            check_filled(page)
            elapsed = page.evaluate(MARK)
            if elapsed is None:
                raise BenchError("the dashboard rendered without its lantern:ready mark")
            if run >= warmup:
                times.append(float(elapsed))
        context.close()
    return times


def p50(times: list[float]) -> float:
    """The median, rounded to a whole millisecond as the bench's JSON line carries it."""
    if not times:
        raise BenchError("no render times were measured")
    return round(statistics.median(times))

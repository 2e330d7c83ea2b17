"""Headless Chromium for tests: Debian's /usr/bin/chromium driven by Playwright (no browser download)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-blink-features=AutomationControlled",  # a tracker ignores navigator.webdriver visits
]


@contextmanager
def chromium(extra_flags: Sequence[str] = ()) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*FLAGS, *extra_flags]
        )
        try:
            yield browser
        finally:
            browser.close()

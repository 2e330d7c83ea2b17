"""In real Chromium: turning on two-factor authentication by the QR code page, then logging in with a
code. The QR code is inline SVG that draws under the strict Content-Security-Policy, nothing is loaded
from another host and the console stays free of errors."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pyotp
import pytest

from tests.accounts_helpers import PASSWORD, fresh_counters  # noqa: F401  # autouse fixture
from tests.browser import chromium
from tests.conftest import Persona

pytestmark = pytest.mark.browser


def test_enrolling_and_logging_in_with_a_code(live_server: Any, site: Persona) -> None:
    host = urlsplit(live_server.url).netloc
    foreign: list[str] = []
    errors: list[str] = []
    failed: list[str] = []
    with chromium() as browser:
        tab = browser.new_page()
        tab.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc != host else None)
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("response", lambda r: failed.append(urlsplit(r.url).path) if r.status >= 400 else None)

        def log_in() -> None:
            tab.goto(live_server.url + "/login/")
            tab.fill("#id_username", site.user.email)
            tab.fill("#id_password", PASSWORD)
            tab.click("main button[type=submit]")

        log_in()
        tab.wait_for_url("**/sites/")
        tab.goto(live_server.url + "/account/two-factor/")
        qr = tab.locator("#qr svg")
        box = qr.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 100
        authenticator = pyotp.TOTP(tab.inner_text("#secret"))
        tab.fill("#id_code", authenticator.now())
        tab.click("main button[type=submit]")
        tab.wait_for_selector("#recovery-codes")  # the answer to the form, not the setup page still
        codes = tab.locator("#recovery-codes li").all_inner_texts()
        assert len(codes) == 10

        tab.click("form.inline button")  # log out
        tab.wait_for_url("**/login/")
        log_in()
        tab.wait_for_url("**/login/code/")
        tab.fill("#id_code", authenticator.at(time.time() + 30))  # the next step's code: not used yet
        tab.click("main button[type=submit]")
        tab.wait_for_url("**/sites/")
    assert foreign == []
    # The test server finds static files by their plain names, not the hashed ones the pages link to
    # (./dev serve and the e2e test serve those): those misses aside, no error, no CSP refusal.
    assert all(path.startswith("/static/") for path in failed), failed
    assert [e for e in errors if not e.startswith("Failed to load resource")] == []

"""A new user's whole journey in headless Chromium against an embedded Lantern (as ``./dev serve`` runs it):
sign up, add a site, paste the snippet into a page, visit it, and see the visit on the dashboard."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.accounts_helpers import verification_link_on_disk
from tests.browser import chromium
from tests.embedded_server import EmbeddedServer, embedded_server
from tests.services import free_port

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    with embedded_server(tmp_path_factory.mktemp("embedded") / "var") as running:
        yield running


class FixtureSite:
    """The customer's own website: serves one HTML page, as http://example.com/ through a host mapping."""

    def __init__(self) -> None:
        self.html = ""
        self.port = free_port()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(site.html.encode())

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _note_if(condition: bool, seen: list[str], what: str) -> None:
    if condition:
        seen.append(what)


def test_a_visit_to_a_page_with_the_snippet_shows_on_the_dashboard(server: EmbeddedServer) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    site = FixtureSite()
    lantern_host = urlsplit(server.url).netloc
    foreign: list[str] = []
    console_errors: list[str] = []
    try:
        with chromium([f"--host-resolver-rules=MAP example.com 127.0.0.1:{site.port}"]) as browser:
            owner = browser.new_page()
            owner.on("request", lambda r: _note_if(urlsplit(r.url).netloc != lantern_host, foreign, r.url))
            owner.on("console", lambda m: _note_if(m.type == "error", console_errors, m.text))

            # 1. sign up, 2. add a site, copy the snippet
            owner.goto(server.url + "/register/")
            owner.fill("input[name=email]", "founder@example.com")
            owner.fill("input[name=password]", "a long enough passphrase")
            owner.click("main button[type=submit]")
            owner.wait_for_url("**/register/sent/")
            owner.goto(verification_link_on_disk(server.data_dir / "mail"))  # the link mailed on sign-up
            owner.wait_for_url(re.compile(r"/login/\?next=/sites/new/$"))  # confirmed; now log in
            owner.fill("input[name=username]", "founder@example.com")
            owner.fill("input[name=password]", "a long enough passphrase")
            owner.click("main button[type=submit]")
            owner.wait_for_url("**/sites/new/")
            owner.fill("input[name=domain]", "example.com")
            owner.select_option("select[name=timezone]", "Europe/London")
            owner.click("main button[type=submit]")
            owner.wait_for_url("**/example.com/snippet/")
            snippet = owner.inner_text("#snippet")
            assert snippet == (
                f'<script defer data-domain="example.com" src="{server.url}/js/script.js"></script>'
            )

            # 3. the customer's page carries the snippet; a visitor opens it
            site.html = (
                f"<!doctype html><html><head><title>Home</title>{snippet}</head><body>Hi</body></html>"
            )
            visitor = browser.new_context(user_agent=CHROME).new_page()
            with visitor.expect_response(re.compile(r".*/api/event$")) as sent:
                visitor.goto("http://example.com/")
            assert (sent.value.request.method, sent.value.status) == ("POST", 202)
            assert sent.value.url == f"{server.url}/api/event"
            with visitor.expect_response(re.compile(r".*/api/event$")):
                visitor.evaluate("history.pushState({}, '', '/pricing')")

            # ... and soon the dashboard shows both pageviews and their visit (once the flusher has stored
            # the events; on a busy machine that can take a few seconds)
            for _attempt in range(40):
                owner.goto(server.url + "/example.com/?period=day")
                owner.wait_for_selector("#dashboard[data-ready=true]")
                shown = (owner.inner_text("#stat-pageviews"), owner.inner_text("#stat-visits"))
                if shown == ("2", "1") and owner.locator("#list-sources .row").count():
                    break
                owner.wait_for_timeout(500)
            assert owner.inner_text("#stat-pageviews") == "2"
            assert owner.inner_text("#stat-visitors") == "1"
            # each page: visitors, then time on page and scroll depth (the tracker sends engagement
            # when a page is left; the first page's may arrive later than this test looks)
            pages = owner.locator("#list-pages .row").all()
            assert [
                (r.locator(".name").inner_text(), r.locator(".count").first.inner_text()) for r in pages
            ] == [
                ("/", "1"),
                ("/pricing", "1"),
            ]
            assert owner.inner_text("#list-sources").split() == ["Direct", "1"]
            assert owner.inner_text("#list-devices").split() == ["Chrome", "1"]
            assert owner.get_attribute("#chart", "data-total") == "1"
            owner.screenshot(path=str(ARTIFACTS / "dashboard-desktop.png"), full_page=True)
            owner.set_viewport_size({"width": 375, "height": 800})
            owner.screenshot(path=str(ARTIFACTS / "dashboard-phone.png"), full_page=True)

            for preset, period in (("7d", "7d"), ("30d", None)):
                owner.click("#period-button")
                owner.click(f".preset[data-preset='{preset}']")
                owner.wait_for_selector("#dashboard[data-ready=true]")
                assert owner.inner_text("#stat-visitors") == "1"
                assert (f"period={period}" in owner.url) if period else ("period=" not in owner.url)
    finally:
        site.close()
    assert foreign == []
    assert console_errors == []

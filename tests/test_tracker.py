"""The tracker in headless Chromium, one spec per feature: a fixture page on the customer's site
(``tests/fixtures/tracker``) loads the built script from Lantern, the page acts, and each spec checks
the requests the page sent, what the ingest app answered, and the rows that then land in ClickHouse.

The customer's site, another site and Lantern's ingest app are served over real HTTP by
``tests.ingest_server.TrackerServer``; the pipeline, accounts (PostgreSQL), spool buffer, flusher and
ClickHouse engine are the real ones.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Request

from analytics import client
from ingest.accounts import AccountsDB
from ingest.app import IngestApp, TrackerFiles
from ingest.buffer import SpoolBuffer
from ingest.flusher import Flusher
from tests.browser import chromium
from tests.conftest import Persona, pipeline_for
from tests.ingest_server import LANTERN_HOST, OTHER_HOST, Received, TrackerServer

pytestmark = pytest.mark.browser

FIXTURES = Path(__file__).parent / "fixtures" / "tracker"
DIST = Path(__file__).resolve().parent.parent / "tracker-js" / "dist"
CHROME = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
WIDTH, HEIGHT = 1280, 720


@pytest.fixture(scope="module")
def server() -> Iterator[TrackerServer]:
    missing = [name for name in ("script.js", "script.all.js") if not (DIST / name).is_file()]
    if missing:
        pytest.fail(f"tracker-js/dist lacks {missing}: build it with ./dev tracker (./dev test does)")
    with TrackerServer(FIXTURES) as running:
        yield running


@pytest.fixture(scope="module")
def browser(server: TrackerServer) -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread, so Django (the accounts fixtures and
    # their teardown) would refuse to run beside it; its documented switch for such callers:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        # The flag as well as the context's user_agent: beacons sent as a page unloads leave with the
        # browser's own agent, and headless Chromium's says HeadlessChrome, which ingest drops as a bot.
        with chromium(
            [f"--host-resolver-rules={server.resolver_rules}", f"--user-agent={CHROME}"]
        ) as running:
            yield running


@dataclasses.dataclass
class Lantern:
    """Lantern for one test: the ingest app behind ``server``, its spool, and the customer's site."""

    server: TrackerServer
    buffer: SpoolBuffer
    site_id: int

    def events(self, count: int) -> list[Received]:
        """The events Lantern received, once ``count`` have arrived and no more follow."""
        return self.server.wait_for(count)

    def stored(self) -> list[dict[str, Any]]:
        """Move what is buffered into ClickHouse, then the site's rows there, oldest first."""
        flusher = Flusher(self.buffer)
        while flusher.flush_once(wait_s=0):
            pass
        return client.execute(
            "SELECT * FROM events WHERE site_id = {site:UInt64} ORDER BY timestamp, name",
            {"site": self.site_id},
        ).dicts()


@pytest.fixture
def lantern(
    server: TrackerServer, accounts: AccountsDB, site: Persona, events_table: None, tmp_path: Path
) -> Iterator[Lantern]:
    from panel.sites.models import Site

    customer = Site.objects.create(
        organisation=site.user.primary_organisation(), domain="site.test", timezone="UTC"
    )
    buffer = SpoolBuffer(tmp_path / "spool")
    server.reset()
    server.ingest = IngestApp(pipeline_for(accounts), buffer, (), TrackerFiles(DIST))
    yield Lantern(server, buffer, customer.id)
    server.ingest = None
    buffer.close()


@dataclasses.dataclass
class Visit:
    """One visitor's browser context and first tab, and what its pages did."""

    context: BrowserContext
    page: Page
    requests: list[Request] = dataclasses.field(default_factory=list)
    console_errors: list[str] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)

    def sent(self) -> list[dict[str, Any]]:
        """The event bodies the pages posted to Lantern, in the order the browser sent them.

        A beacon sent while its page goes away (pagehide) reaches Lantern but not always this log:
        check those on what the server received.
        """
        return [
            json.loads(request.post_data or "null")
            for request in self.requests
            if urlsplit(request.url).hostname == LANTERN_HOST and urlsplit(request.url).path == "/api/event"
        ]


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(user_agent=CHROME, viewport={"width": WIDTH, "height": HEIGHT})
    seen = Visit(context, context.new_page())
    context.on("request", lambda r: seen.requests.append(r))
    context.on("console", lambda m: _keep_errors(m, seen.console_errors))
    context.on("weberror", lambda e: seen.page_errors.append(str(e.error)))
    yield seen
    context.close()
    assert seen.page_errors == [], "a page threw"


def _keep_errors(message: ConsoleMessage, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(message.text)


def only(events: list[Received], name: str) -> list[Received]:
    return [event for event in events if event.name == name]


def props(row: dict[str, Any]) -> dict[str, str]:
    return dict(zip(row["prop_keys"], row["prop_values"], strict=True))


def test_it_counts_a_pageview_on_load_in_plausibles_short_keys(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    url = server.site("/pageview.html")
    with visit.page.expect_response(server.origin(LANTERN_HOST) + "/api/event") as sent:
        visit.page.goto(url, referer="http://news.ycombinator.com/item?id=1")
    assert (sent.value.request.method, sent.value.status) == ("POST", 202)

    [pageview] = lantern.events(1)
    assert pageview.body == {
        "n": "pageview",
        "u": url,
        "d": "site.test",
        "r": "http://news.ycombinator.com/item?id=1",
        "w": WIDTH,
    }
    assert pageview.content_type.startswith("text/plain")  # a simple request: no CORS preflight
    assert (pageview.status, pageview.dropped) == (202, None)

    [row] = lantern.stored()
    assert (row["name"], row["hostname"], row["pathname"]) == ("pageview", "site.test", "/pageview.html")
    assert (row["referrer_source"], row["screen_size"], row["browser"]) == ("Hacker News", "Laptop", "Chrome")
    assert row["interactive"] is True


def test_it_counts_single_page_app_navigation_once_per_path(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/spa.html"))
    lantern.events(1)
    page.evaluate("history.pushState({}, '', '/spa/pricing')")
    page.evaluate("history.pushState({}, '', '/spa/pricing?tab=2')")  # the same path: not a new page
    page.evaluate("history.replaceState({}, '', '/spa/about')")
    page.evaluate("history.back()")  # popstate, back to /spa/pricing
    page.wait_for_function("location.pathname == '/spa/pricing'")
    page.evaluate("location.hash = '#faq'")  # without data-hash a hash is not a page
    page.wait_for_function("location.hash == '#faq'")

    events = lantern.events(4)
    paths = ["/spa.html", "/spa/pricing", "/spa/about", "/spa/pricing"]
    assert [urlsplit(body["u"]).path for body in visit.sent()] == paths
    assert {event.name for event in events} == {"pageview"} and len(events) == 4
    assert all("h" not in event.body for event in events)

    rows = lantern.stored()
    assert sorted(row["pathname"] for row in rows) == sorted(paths)


def test_with_data_hash_each_hash_is_a_page(lantern: Lantern, visit: Visit, server: TrackerServer) -> None:
    page = visit.page
    page.goto(server.site("/hash.html#/home"))
    lantern.events(1)
    page.evaluate("location.hash = '#/pricing'")
    page.wait_for_function("location.hash == '#/pricing'")
    page.evaluate("history.pushState({}, '', '#/pricing')")  # the same page again: not counted
    page.evaluate("location.hash = '#/docs'")

    events = lantern.events(3)
    assert [body["u"] for body in visit.sent()] == [
        server.site("/hash.html#/home"),
        server.site("/hash.html#/pricing"),
        server.site("/hash.html#/docs"),
    ]
    assert all(event.body["h"] == 1 and event.name == "pageview" for event in events)
    assert sorted(row["pathname"] for row in lantern.stored()) == [
        "/hash.html#/docs",
        "/hash.html#/home",
        "/hash.html#/pricing",
    ]


def test_it_sends_custom_events_with_props_revenue_and_the_interactive_flag(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/custom.html"))
    lantern.events(1)
    page.click("#autoplay")
    page.wait_for_function("document.title == 'called back'")
    page.click("#signup")  # its callback leaves for /plain.html
    page.wait_for_url(server.site("/plain.html"))

    events = lantern.events(3)
    [autoplay] = only(events, "Video Autoplay")
    [signup] = only(events, "Signup")
    base = {"u": server.site("/custom.html"), "d": "site.test", "r": None, "w": WIDTH}
    assert autoplay.body == {**base, "n": "Video Autoplay", "i": False}
    assert signup.body == {
        **base,
        "n": "Signup",
        "p": {"plan": "pro"},
        "$": {"amount": 15.99, "currency": "USD"},
    }
    assert all(event.status == 202 and event.dropped is None for event in events)

    rows = {row["name"]: row for row in lantern.stored()}
    assert set(rows) == {"pageview", "Video Autoplay", "Signup"}
    assert (props(rows["Signup"]), rows["Signup"]["interactive"]) == ({"plan": "pro"}, True)
    assert (rows["Signup"]["revenue_amount"], rows["Signup"]["revenue_currency"]) == (Decimal("15.99"), "USD")
    assert (rows["Video Autoplay"]["interactive"], rows["Video Autoplay"]["revenue_amount"]) == (False, None)
    assert rows["pageview"]["pathname"] == rows["Signup"]["pathname"] == "/custom.html"


def test_without_sendbeacon_it_posts_with_fetch_keepalive_and_no_preflight(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/fetch.html"))
    assert page.evaluate("'sendBeacon' in navigator") is False
    lantern.events(1)
    page.click("#signup")

    events = lantern.events(2)
    assert [(event.name, event.status) for event in events] == [("pageview", 202), ("Signup", 202)]
    assert all(event.content_type.startswith("text/plain") for event in events)
    assert all(event.origin == server.origin("site.test") for event in events)  # a CORS request...
    assert ("OPTIONS", "/api/event") not in server.lantern_requests  # ...yet a simple one
    posts = [request for request in visit.requests if request.url.endswith("/api/event")]
    assert [request.resource_type for request in posts] == ["fetch", "fetch"]
    assert sorted(row["name"] for row in lantern.stored()) == ["Signup", "pageview"]


def test_calls_made_before_the_script_loads_are_replayed_in_order(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/queue.html"))
    events = lantern.events(4)

    assert page.evaluate("window.queuedBeforeLoad") == 2  # the stub held them: the script came later
    assert page.evaluate("window.calledBack") is True
    assert page.evaluate("typeof lantern.q") == "undefined"  # the stub has made way for the tracker
    assert [(body["n"], body.get("p")) for body in visit.sent()] == [
        ("pageview", None),
        ("First", {"step": 1}),
        ("Second", {"step": 2}),
        ("Third", {"step": 3}),
    ]
    assert all(event.status == 202 for event in events)
    assert sorted((row["name"], tuple(row["prop_values"])) for row in lantern.stored()) == [
        ("First", ("1",)),
        ("Second", ("2",)),
        ("Third", ("3",)),
        ("pageview", ()),
    ]


def test_outbound_link_clicks_are_counted_and_still_navigate(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/outbound.html"))
    lantern.events(1)
    target = server.origin(OTHER_HOST) + "/landing?ref=site"

    with visit.context.expect_page() as middle:
        page.click("#partner", button="middle")  # a new tab; this page stays
    with visit.context.expect_page() as ctrl:
        page.click("#partner", modifiers=["ControlOrMeta"])
    assert page.url == server.site("/outbound.html")
    for tab in (middle.value, ctrl.value):
        tab.wait_for_url(target)
    lantern.events(3)
    page.click("#partner")
    page.wait_for_url(target)  # the plain click is not held up

    events = lantern.events(5)
    clicks = only(events, "Outbound Link: Click")
    assert [event.body["p"] for event in clicks] == [{"url": target}] * 3
    assert {event.body["u"] for event in clicks} == {server.site("/outbound.html")}
    assert events[-1].name == "engagement"  # the page was left
    rows = lantern.stored()
    assert sorted(row["name"] for row in rows) == ["Outbound Link: Click"] * 3 + ["engagement", "pageview"]
    assert [props(row) for row in rows if row["name"] == "Outbound Link: Click"] == [{"url": target}] * 3


def test_file_downloads_are_counted_by_extension_without_the_query(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/download.html"))
    lantern.events(1)
    for link in ("#report", "#sheet", "#book", "#kindle", "#lookalike", "#code", "#archive"):
        with page.expect_download():
            page.click(link)
    page.click("#page")  # a link within the page: no event

    events = lantern.events(7)
    downloads = [body["p"]["url"] for body in visit.sent() if body["n"] == "File Download"]
    assert downloads == [
        server.site("/files/report.pdf"),  # ?token=secret is not sent
        server.site("/files/NUMBERS.XLSX"),
        server.site("/files/book.epub"),  # data-file-types="epub, .mobi, c++, tar.zst" adds to the list
        server.site("/files/book.mobi"),
        server.site("/files/main.c++"),  # taken as written: "+" is no pattern sign (it broke the script)
        server.site("/files/site.tar.zst"),  # not notatar.zst
    ]
    assert len(only(events, "File Download")) == 6 and len(events) == 7
    rows = [row for row in lantern.stored() if row["name"] == "File Download"]
    assert sorted(props(row)["url"] for row in rows) == sorted(downloads)
    assert {row["pathname"] for row in rows} == {"/download.html"}


def test_tagged_links_buttons_and_forms_send_their_event(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/tagged.html"))
    lantern.events(1)
    page.click("#signup")
    page.click("#play-label")  # inside the tagged button
    page.click("#untagged")
    page.click("#play", button="middle")  # does nothing in a browser: counts nothing
    page.click("#card-link")  # a link within the page, inside a tagged card
    with visit.context.expect_page():
        page.click("#partner", modifiers=["ControlOrMeta"])  # tagged wins over "Outbound Link: Click"
    lantern.events(5)
    page.click("#subscribe")  # submits the tagged form, and leaves
    page.wait_for_url("**/plain.html?email=*")

    events = lantern.events(7)
    assert [(body["n"], body.get("p")) for body in visit.sent()[:6]] == [
        ("pageview", None),
        ("Signup", {"plan": "pro"}),
        ("Play Video", {"video": "Intro Tour"}),  # "+" stands for a space
        ("Card Click", {"card": "pricing"}),
        ("Partner Click", {}),
        ("Newsletter", {"list": "weekly"}),
    ]
    assert sorted(event.name for event in events[5:]) == ["Newsletter", "engagement"]
    assert all(event.status == 202 for event in events)
    rows = {row["name"]: props(row) for row in lantern.stored()}
    assert rows == {
        "pageview": {},
        "Signup": {"plan": "pro"},
        "Play Video": {"video": "Intro Tour"},
        "Card Click": {"card": "pricing"},
        "Partner Click": {},
        "Newsletter": {"list": "weekly"},
        "engagement": {},
    }


def test_a_page_marked_data_404_sends_a_404_event_with_its_path(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    response = visit.page.goto(server.site("/no/such-page?from=old-link"))
    assert response is not None and response.status == 404

    events = lantern.events(2)
    assert [(body["n"], body.get("p")) for body in visit.sent()] == [
        ("pageview", None),
        ("404", {"path": "/no/such-page"}),
    ]
    assert all(event.status == 202 for event in events)
    rows = {row["name"]: row for row in lantern.stored()}
    assert props(rows["404"]) == {"path": "/no/such-page"}
    assert rows["404"]["pathname"] == rows["pageview"]["pathname"] == "/no/such-page"


def test_engagement_reports_time_on_page_and_scroll_depth_when_a_page_is_left(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    loaded = time.monotonic()
    page.goto(server.site("/engagement.html"))  # 4000 px tall
    lantern.events(1)
    page.wait_for_timeout(1000)
    page.evaluate(f"scrollTo(0, {2000 - HEIGHT})")  # the window's bottom at 2000 px: half the page
    page.wait_for_timeout(100)
    moved = time.monotonic()
    page.evaluate("history.pushState({}, '', '/engagement/part-2')")  # an SPA moves on
    first_ms = (time.monotonic() - loaded) * 1000
    lantern.events(3)

    page.wait_for_timeout(600)
    page.goto(server.origin(OTHER_HOST) + "/")  # the visitor leaves (pagehide)
    second_ms = (time.monotonic() - moved) * 1000
    lantern.events(4)

    closing = visit.context.new_page()
    closing.goto(server.site("/engagement.html"))
    lantern.events(5)
    closing.wait_for_timeout(300)
    closing.close(run_before_unload=True)  # the tab is closed (hidden, then gone)

    events = lantern.events(6)
    # The page's own requests give the order around the SPA's move; a beacon sent as a page goes away
    # reaches the server but not always Playwright's request log, so the rest is what the server got.
    assert [(urlsplit(body["u"]).path, body["n"]) for body in visit.sent()[:3]] == [
        ("/engagement.html", "pageview"),
        ("/engagement.html", "engagement"),  # reported before the next page's pageview
        ("/engagement/part-2", "pageview"),
    ]
    assert [(urlsplit(event.body["u"]).path, event.name) for event in events[3:]] == [
        ("/engagement/part-2", "engagement"),
        ("/engagement.html", "pageview"),
        ("/engagement.html", "engagement"),
    ]
    first, second, third = (event.body for event in only(events, "engagement"))
    # Each stretch the tracker timed lies within the stretch the test timed around it.
    assert 1100 <= first["e"] <= first_ms and first["sd"] == 50
    assert 600 <= second["e"] <= second_ms and second["sd"] == 50
    assert 200 <= third["e"] < 5000 and third["sd"] == 18  # never scrolled: 720 of 4000 px seen
    assert set(first) == {"n", "u", "d", "r", "w", "e", "sd"}

    rows = [row for row in lantern.stored() if row["name"] == "engagement"]
    assert sorted((row["pathname"], row["scroll_depth"]) for row in rows) == [
        ("/engagement.html", 18),
        ("/engagement.html", 50),
        ("/engagement/part-2", 50),
    ]
    assert sorted(row["engagement_time"] for row in rows) == sorted(e["e"] for e in (first, second, third))
    assert all(row["engagement_time"] > 0 for row in rows)


def test_it_sets_no_cookie_stores_nothing_and_talks_to_no_other_host(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    page.goto(server.site("/privacy.html"))
    lantern.events(1)
    page.evaluate("scrollTo(0, 1000)")
    page.click("#tagged")
    page.click("#custom")
    with page.expect_download():
        page.click("#download")
    page.evaluate("history.pushState({}, '', '/privacy/next')")

    assert visit.context.cookies() == []
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("Object.keys(localStorage)") == ["theme"]  # the page's own, nothing more
    assert page.evaluate("sessionStorage.length") == 0
    page.close(run_before_unload=True)

    events = lantern.events(7)
    assert sorted(event.name for event in events) == sorted(
        ["pageview", "Signup", "Custom", "File Download", "engagement", "pageview", "engagement"]
    )
    assert all(event.status == 202 and event.dropped is None for event in events)
    assert all(event.content_type.startswith("text/plain") for event in events)
    assert {urlsplit(request.url).netloc for request in visit.requests} == server.hosts
    assert ("OPTIONS", "/api/event") not in server.lantern_requests  # no CORS preflight
    assert visit.console_errors == []
    assert len(lantern.stored()) == 7


def test_it_skips_localhost_unless_asked_and_honours_lantern_ignore(
    lantern: Lantern, visit: Visit, server: TrackerServer
) -> None:
    page = visit.page
    local = f"http://localhost:{server.port}"
    page.goto(local + "/pageview.html")
    page.wait_for_function("typeof lantern == 'function'")
    page.goto(local + "/local.html")  # data-local: counted
    [counted] = lantern.events(1)
    assert counted.body["u"] == local + "/local.html"

    page.goto(server.site("/custom.html"))
    lantern.events(2)
    page.evaluate("localStorage.lantern_ignore = 'true'")  # the owner's own browser
    page.reload()
    page.wait_for_function("typeof lantern == 'function'")
    page.click("#signup")  # not counted, yet its callback still runs and leaves
    page.wait_for_url(server.site("/plain.html"))

    events = lantern.events(2)
    assert [(event.name, urlsplit(event.body["u"]).path) for event in events] == [
        ("pageview", "/local.html"),
        ("pageview", "/custom.html"),
    ]
    assert sorted((row["hostname"], row["pathname"]) for row in lantern.stored()) == [
        ("localhost", "/local.html"),
        ("site.test", "/custom.html"),
    ]

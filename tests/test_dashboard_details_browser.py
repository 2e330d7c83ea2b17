"""A card's Details view in headless Chromium: the whole list in a dialog, searched, sorted and paged by
the Stats API, in the URL (a reload, the back button and a shared link reopen or close it), its CSV
the rows it shows; at a phone's width and in dark mode, tracked values shown as text."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from panel.goals.models import Goal
from panel.sharing.models import SharedLink
from tests.browser import chromium
from tests.conftest import Persona, make_event, seed
from tests.dashboard_server import dashboard_server
from tests.test_dashboard_browser import Watched, watched_dashboard

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots-details")
PAGES = 130  # more than a page of the Details view (100 rows)
XSS = "/<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","x")'
SOURCES = ("Google", "Bing", "DuckDuckGo", "Twitter")


def _visitors(index: int) -> int:
    return 1 + index % 3


@pytest.fixture
def seeded(site: Persona, events_table: None) -> Persona:
    """``/p/000`` … ``/p/129``, each seen by 1 to 3 visitors (some of whom go on to ``/next``), from
    four sources; two hostile paths; three signups with revenue in euros."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=40)
    sid = site.site.id
    events = []
    visitor = 0
    for index in range(PAGES):
        for seen in range(_visitors(index)):
            visitor += 1
            at = now + dt.timedelta(milliseconds=visitor)
            source = SOURCES[index % len(SOURCES)]
            first = make_event(
                sid, visitor_id=visitor, timestamp=at, pathname=f"/p/{index:03d}", referrer_source=source
            )
            events.append(first)
            if seen == 0 and index % 2 == 0:  # a visit of two pages, a minute long
                later = at + dt.timedelta(minutes=1)
                events.append(
                    make_event(
                        sid, visitor_id=visitor, timestamp=later, pathname="/next", referrer_source=source
                    )
                )
    for path in (XSS, FORMULA):
        visitor += 1
        events.append(make_event(sid, visitor_id=visitor, timestamp=now, pathname=path, referrer_source=path))
    for amount, buyer in (("10", 1), ("25.5", 2), ("4.5", 3)):
        at = now + dt.timedelta(seconds=30)
        signup = make_event(sid, visitor_id=buyer, timestamp=at, name="Signup", pathname="/p/000")
        events.append(dataclasses.replace(signup, revenue_amount=amount, revenue_currency="EUR"))
    seed(events)
    Goal.objects.create(site=site.site, event_name="Signup", currency="EUR")
    Goal.objects.create(site=site.site, page_path="/next")
    return site


@pytest.fixture
def dashboard(seeded: Persona) -> Iterator[Watched]:
    with watched_dashboard(seeded.user) as watched:
        yield watched
    assert watched.foreign == []
    assert [m for m in watched.console_errors if not m.startswith("Failed to load resource")] == []
    assert watched.failed_requests == []
    assert watched.dialogs == []  # no injected script ran


def _values(watched: Watched) -> list[str]:
    """The values the Details table lists, in order."""
    rows = watched.page.locator("#details-table tbody tr[data-value]")
    return [str(value) for value in rows.evaluate_all("rows => rows.map(r => r.dataset.value)")]


def _figures(watched: Watched, metric: str) -> list[str]:
    cells = watched.page.locator(f"#details-table tbody td[data-metric={metric}]")
    return [str(text) for text in cells.evaluate_all("cells => cells.map(c => c.title || c.textContent)")]


def _headings(watched: Watched) -> list[str]:
    return [h.upper() for h in watched.page.locator("#details-table thead .sort").all_inner_texts()]


def _csv(watched: Watched) -> list[list[str]]:
    """The Details view's CSV, fetched as its link would download it."""
    href = watched.page.get_attribute("#details .details-csv", "href") or ""
    assert href.startswith("/example.com/export/details.csv?")
    text = watched.page.evaluate("url => fetch(url).then(r => r.text())", href)
    return list(csv.reader(io.StringIO(text)))


def _search(watched: Watched, text: str) -> None:
    """Type a search and press Enter (which sends it at once, not after the typing pause)."""
    watched.page.fill("#details-search", text)
    watched.page.press("#details-search", "Enter")
    watched.ready()


def _screens(watched: Watched, name: str) -> None:
    """Screenshots at 1280 and 375 px, light and dark; never wider than the screen."""
    SHOTS.mkdir(exist_ok=True)
    page = watched.page
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        for width in (1280, 375):
            page.set_viewport_size({"width": width, "height": 900 if width > 400 else 812})
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            box = page.locator("#details").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            page.screenshot(path=str(SHOTS / f"{name}-{width}-{scheme}.png"))
    page.emulate_media(color_scheme="light")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_details_lists_searches_sorts_pages_and_keeps_its_url(dashboard: Watched) -> None:
    dashboard.open("?period=7d")
    page = dashboard.page
    assert page.locator("#list-pages .row").count() == 9  # the card: the top nine
    page.click("#widget-pages .details-link")
    dashboard.ready()
    assert page.is_visible("#details")
    assert dashboard.query()["details"] == ["event:page"]
    assert page.inner_text("#details-title") == "Top pages"
    assert _headings(dashboard) == [
        "PAGE",
        "VISITORS ↓",
        "PAGEVIEWS",
        "BOUNCE RATE",
        "TIME ON PAGE",
        "SCROLL DEPTH",
    ]
    first = _values(dashboard)
    assert len(first) == 100 and page.is_visible("#details-more")
    assert first[0] == "/next"  # 65 visitors, then the pages seen by three
    assert page.locator("#details-table img").count() == 0  # tracked data is text, never markup

    # paging: the next hundred (here the last 33), then no more
    page.click("#details-more")
    dashboard.ready()
    everything = _values(dashboard)
    assert everything[:100] == first and len(everything) == PAGES + 3
    assert set(everything) == {"/next", XSS, FORMULA, *(f"/p/{i:03d}" for i in range(PAGES))}
    assert not page.is_visible("#details-more")
    assert dashboard.query()["details_pages"] == ["2"]
    assert page.inner_text("#details .details-count") == "133 rows"

    # search: a contains filter on the page, sent to the API with the view's own filters
    page.fill("#details-search", "P/01")
    dashboard.ready()
    page.wait_for_selector("#details-table[data-rows='10']")
    dashboard.ready()
    assert _values(dashboard) == [f"/p/01{i}" for i in (1, 4, 7, 0, 3, 6, 9, 2, 5, 8)]  # 3, 2, 1 visitors
    assert dashboard.query()["details_search"] == ["P/01"]
    assert "details_pages" not in dashboard.query()
    asked = [
        parse_qs(urlsplit(u).query) for u in dashboard.requests if urlsplit(u).path.endswith("/breakdown")
    ]
    assert asked[-1]["filters"] == ["event:page~P/01"] and asked[-1]["limit"] == ["100"]

    # sort: by the page, then the other way, then by bounce rate
    page.click("#details-table th[data-sort=name] .sort")
    dashboard.ready()
    assert _values(dashboard) == [f"/p/01{i}" for i in range(10)]
    assert page.get_attribute("#details-table th[data-sort=name]", "aria-sort") == "ascending"
    page.click("#details-table th[data-sort=name] .sort")
    dashboard.ready()
    assert _values(dashboard) == [f"/p/01{i}" for i in reversed(range(10))]
    assert dashboard.query()["details_sort"] == ["name:desc"]
    page.click("#details-table th[data-sort=bounce_rate] .sort")
    dashboard.ready()
    rates = [
        int(r.rstrip("%"))
        for r in page.locator("#details-table td[data-metric=bounce_rate]").all_inner_texts()
    ]
    assert rates == sorted(rates, reverse=True) and rates[-1] < rates[0]
    order = _values(dashboard)

    # the CSV: the same columns, the same rows in the same order
    rows = _csv(dashboard)
    assert rows[0] == ["page", "visitors", "pageviews", "bounce_rate", "time_on_page", "scroll_depth"]
    assert [row[0] for row in rows[1:]] == order
    assert [row[1] for row in rows[1:]] == _figures(dashboard, "visitors")
    assert [row[3] + "%" for row in rows[1:]] == page.locator("td[data-metric=bounce_rate]").all_inner_texts()

    # a reload brings the same view back
    url = page.url
    dashboard.open("?" + urlsplit(url).query)
    assert page.is_visible("#details")
    assert _values(dashboard) == order
    assert page.input_value("#details-search") == "P/01"
    assert page.get_attribute("#details-table th[data-sort=bounce_rate]", "aria-sort") == "descending"

    # Escape closes it; back opens it again, forward closes it
    page.keyboard.press("Escape")
    dashboard.ready()
    assert not page.is_visible("#details") and "details" not in dashboard.query()
    page.go_back()
    dashboard.ready()
    assert page.is_visible("#details") and _values(dashboard) == order
    page.go_forward()
    dashboard.ready()
    assert not page.is_visible("#details")

    # the back button from a Details view opened on the page closes it; so does its close button
    page.click("#widget-sources .details-link")
    dashboard.ready()
    assert page.inner_text("#details-title") == "Channels"
    page.go_back()
    dashboard.ready()
    assert not page.is_visible("#details") and "details" not in dashboard.query()
    page.click("#widget-sources .tabs [data-tab=source]")
    dashboard.ready()
    page.click("#widget-sources .details-link")
    dashboard.ready()
    assert page.inner_text("#details-title") == "Sources"
    page.click("#details .details-close")
    dashboard.ready()
    assert not page.is_visible("#details")
    page.click("#widget-sources .details-link")
    dashboard.ready()
    box = page.locator("#details").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 4, box["y"] + box["height"] - 4)  # its own padding: it stays open
    assert page.is_visible("#details")
    page.mouse.click(box["x"] / 2, 10)  # the page around it: it closes
    dashboard.ready()
    assert not page.is_visible("#details") and "details" not in dashboard.query()


def test_each_kind_of_card_has_plausibles_columns_and_a_value_filters(dashboard: Watched) -> None:
    dashboard.open("?period=7d&sources=source")
    page = dashboard.page
    page.click("#widget-sources .details-link")
    dashboard.ready()
    assert _headings(dashboard) == ["SOURCE", "VISITORS ↓", "VISITS", "BOUNCE RATE", "VISIT DURATION"]
    assert set(_values(dashboard)) == {*SOURCES, XSS, FORMULA}
    # a search for a value with a pipe and an operator in it is one contains filter, never markup
    _search(dashboard, "<img src=x")
    assert _values(dashboard) == [XSS]
    rows = _csv(dashboard)
    assert rows[0] == ["source", "visitors", "visits", "bounce_rate", "visit_duration"]
    assert rows[1][0] == XSS
    _search(dashboard, "=HYPER")
    assert _csv(dashboard)[1][0] == "'" + FORMULA  # a spreadsheet never runs it
    _search(dashboard, "a;b")
    assert page.inner_text("#details .details-note") == "A search cannot contain ;"

    # goals: conversions, conversion rate and revenue (the goal has a currency)
    page.click("#details .details-close")
    dashboard.ready()
    page.click("#widget-goals .details-link")
    dashboard.ready()
    assert _headings(dashboard) == ["GOAL", "UNIQUES ↓", "TOTAL", "CR", "REVENUE", "AVERAGE"]
    assert _values(dashboard) == ["Visit /next", "Signup"]
    signup = page.locator("#details-table tr[data-value=Signup] td[data-metric=total_revenue]")
    assert signup.inner_text() == "€40.00"
    rows = _csv(dashboard)
    assert rows[0] == [
        "goal",
        "visitors",
        "events",
        "conversion_rate",
        "total_revenue",
        "average_revenue",
        "currency",
    ]
    assert rows[2][0] == "Signup" and rows[2][4:] == ["40.0", "13.33", "EUR"]

    # clicking a value filters the dashboard by it and closes the view
    page.click("#details-table tr[data-value=Signup] .value")
    dashboard.ready()
    assert not page.is_visible("#details")
    assert dashboard.query()["filters"] == ["event:goal==Signup"]
    # under a goal filter a page's Details are its conversions
    page.click("#widget-pages .details-link")
    dashboard.ready()
    assert _headings(dashboard) == ["PAGE", "CONVERSIONS ↓", "TOTAL", "CR"]
    assert _values(dashboard) == ["/p/000"]


def test_details_at_a_phones_width_and_in_the_dark(dashboard: Watched) -> None:
    dashboard.open("?period=7d&details=event:page&details_sort=name:asc")
    assert dashboard.page.is_visible("#details")
    _screens(dashboard, "pages")
    dashboard.open("?period=7d&sources=source&details=visit:source")
    _screens(dashboard, "sources")
    dashboard.open("?period=7d&details=event:goal")
    _screens(dashboard, "goals")
    dashboard.page.click("#details .details-close")
    dashboard.ready()
    dashboard.page.set_viewport_size({"width": 375, "height": 812})
    dashboard.page.screenshot(path=str(SHOTS / "cards-375-light.png"), full_page=True)


def test_a_shared_link_opens_details_read_only_and_keeps_its_auth(seeded: Persona) -> None:
    link = SharedLink.objects.create_for(seeded.site, name="Public")
    errors: list[str] = []
    with dashboard_server() as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 375, "height": 812})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(base + link.path() + "&period=7d")
        page.wait_for_selector("#dashboard[data-ready=true]")
        page.click("#widget-pages .details-link")
        page.wait_for_selector("#dashboard[data-ready=true]")
        query = parse_qs(urlsplit(page.url).query)
        assert query["auth"] == [link.slug] and query["details"] == ["event:page"]
        page.fill("#details-search", "p/12")
        page.wait_for_selector("#details-table[data-rows='10']")
        page.reload()
        page.wait_for_selector("#dashboard[data-ready=true]")
        assert page.is_visible("#details")
        assert page.locator("#details-table tbody tr[data-value]").count() == 10
        href = page.get_attribute("#details .details-csv", "href") or ""
        assert parse_qs(urlsplit(href).query)["auth"] == [link.slug]
        text = page.evaluate("url => fetch(url).then(r => r.text())", href)
        assert [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]] == page.locator(
            "#details-table tbody tr[data-value]"
        ).evaluate_all("rows => rows.map(r => r.dataset.value)")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "shared-375.png"))
        assert quote(link.slug) in page.url
    assert errors == []

"""The dashboard's filters in headless Chromium (issue 19): a filter holding several values ("Source is
Google or Twitter"), edited from its chip; a goal or a custom property chosen in "+ Filter"; the
sources card drilled down to one source's referrers. The editor is looked at in light, dark and at a
phone's width (``tests/artifacts/``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.conftest import Persona, make_event, seed
from tests.test_dashboard_browser import (  # noqa: F401  # dashboard, seeded: fixtures used by name
    XSS,
    Watched,
    _rows,
    _stats,
    dashboard,
    seeded,
)

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
DIALOG = "#filter-dialog"


@pytest.fixture
def board(dashboard: Watched) -> Watched:  # noqa: F811  # the imported fixture, by name
    """The owner's dashboard over test_dashboard_browser's seeded day, watched for errors."""
    return dashboard


def _add_values(watched: Watched, dimension: str, values: list[str]) -> None:
    """Open "+ Filter", choose ``dimension`` and type each value, Enter after each."""
    page = watched.page
    page.click("#filter-button")
    page.select_option(f"{DIALOG} select[name=dimension]", dimension)
    for value in values:
        page.fill(f"{DIALOG} input[name=value]", value)
        page.press(f"{DIALOG} input[name=value]", "Enter")


def _pills(watched: Watched) -> list[str]:
    """The filter chips' words, as read: "Source is Google or Twitter"."""
    texts = watched.page.locator("#filter-bar .pill .pill-edit").all_text_contents()
    return [" ".join(text.split()) for text in texts]


def _chips(watched: Watched) -> list[str]:
    values = watched.page.locator(f"{DIALOG} .value-chip").evaluate_all("cs => cs.map(c => c.dataset.value)")
    return [str(value) for value in values]


def test_a_filter_holds_several_values_and_is_edited_from_its_chip(board: Watched) -> None:
    board.open("?period=day")
    page = board.page
    _add_values(board, "visit:source", ["Google", "Twitter", "Google"])  # a repeat is added once
    assert _chips(board) == ["Google", "Twitter"]
    assert page.is_visible(DIALOG)  # Enter adds a value; it does not apply the filter
    page.click(f"{DIALOG} button[type=submit]")
    board.ready()
    assert board.query()["filters"] == ["visit:source==Google|Twitter"]
    assert board.text("#stat-visitors") == "2"  # visitor 1 (Google) and visitor 4 (Twitter)
    assert _pills(board) == ["Source is Google or Twitter"]

    # the chip opens the editor on the filter: its values, its operator; one removed, one typed
    page.click("#filter-bar .pill .pill-edit")
    assert page.inner_text("#filter-title") == "Edit the Source filter"
    assert _chips(board) == ["Google", "Twitter"]
    assert page.input_value(f"{DIALOG} select[name=dimension]") == "visit:source"
    page.click(f"{DIALOG} .value-chip[data-value=Twitter] .remove")
    page.select_option(f"{DIALOG} select[name=operator]", "is_not")
    page.fill(f"{DIALOG} input[name=value]", "Bing")  # typed, not yet added: applying adds it
    page.click(f"{DIALOG} button[type=submit]")
    board.ready()
    assert board.query()["filters"] == ["visit:source!=Google|Bing"]
    assert board.text("#stat-visitors") == "3"

    # a click on a row of the filtered dimension replaces the filter, as before
    page.click("#filter-bar .pill .pill-edit")
    page.select_option(f"{DIALOG} select[name=operator]", "is")
    page.fill(f"{DIALOG} input[name=value]", "Twitter")
    page.press(f"{DIALOG} input[name=value]", "Enter")
    page.click(f"{DIALOG} .value-chip[data-value=Bing] .remove")
    page.click(f"{DIALOG} button[type=submit]")
    board.ready()
    assert board.query()["filters"] == ["visit:source==Google|Twitter"]
    page.click("#widget-sources .tabs [data-tab=source]")
    board.ready()
    assert _rows(board, "sources") == [("Google", "1"), ("Twitter", "1")]  # two values: no drill-down
    page.click("#list-sources .row[data-value=Twitter]")
    board.ready()
    assert board.query()["filters"] == ["visit:source==Twitter"]


def test_values_are_text_and_bad_ones_are_refused(board: Watched) -> None:
    board.open("?period=day")
    page = board.page
    _add_values(board, "event:page", [XSS, "a;b"])
    assert _chips(board) == [XSS]
    assert page.inner_text(f"{DIALOG} .error") == "A value cannot contain ; or |."
    page.fill(f"{DIALOG} input[name=value]", "/")
    page.press(f"{DIALOG} input[name=value]", "Enter")
    page.click(f"{DIALOG} button[type=submit]")
    board.ready()
    assert board.text("#stat-visitors") == "3"  # visitors 1, 2 (/) and 3 (the hostile page)
    assert XSS in board.text("#filter-bar .pill strong")
    assert page.locator("#filter-bar img, #filter-dialog img").count() == 0

    page.click("#filter-button")  # a new filter: nothing typed, nothing ticked
    page.select_option(f"{DIALOG} select[name=dimension]", "event:goal")
    page.click(f"{DIALOG} button[type=submit]")
    assert page.inner_text(f"{DIALOG} .error") == "Tick at least one goal."
    page.select_option(f"{DIALOG} select[name=dimension]", "property")
    page.click(f"{DIALOG} button[type=submit]")
    assert page.inner_text(f"{DIALOG} .error") == "Choose or type a property."
    page.click(f"{DIALOG} [data-close]")


def test_goals_and_custom_properties_from_the_filter_editor(board: Watched) -> None:
    board.open("?period=day")
    page = board.page
    page.click("#filter-button")
    page.select_option(f"{DIALOG} select[name=dimension]", "event:goal")
    boxes = page.locator(f"{DIALOG} #filter-goals input[name=goal]")
    goals = boxes.evaluate_all("bs => bs.map(b => b.value)")
    assert goals == ["Signup", "Visit /", "Visit /pricing"]  # the site's goals
    assert not page.is_visible(f"{DIALOG} input[name=value]")
    # a goal is or is not completed: no "contains"
    operators = page.locator(f"{DIALOG} select[name=operator] option:not([disabled])").all_inner_texts()
    assert operators == ["is", "is not"]
    page.check(f"{DIALOG} #filter-goals input[value=Signup]")
    page.check(f"{DIALOG} #filter-goals input[value='Visit /pricing']")
    page.click(f"{DIALOG} button[type=submit]")
    board.ready()
    assert board.query()["filters"] == ["event:goal==Signup|Visit /pricing"]
    assert _stats(board)["Unique conversions"] == "1"  # visitor 1 did both
    page.click("#filter-bar .pill .pill-edit")  # the boxes come back ticked
    ticked = page.locator(f"{DIALOG} #filter-goals input:checked").evaluate_all("bs => bs.map(b => b.value)")
    assert ticked == ["Signup", "Visit /pricing"]
    page.uncheck(f"{DIALOG} #filter-goals input[value=Signup]")
    page.click(f"{DIALOG} button[type=submit]")
    board.ready()
    assert board.query()["filters"] == ["event:goal==Visit /pricing"]

    # a custom property: its key from the site's keys (typed here), then its values
    page.click("#filter-bar .pill .remove")
    board.ready()
    page.click("#filter-button")
    page.select_option(f"{DIALOG} select[name=dimension]", "property")
    page.locator("#filter-prop-keys option").first.wait_for(state="attached")
    keys = page.locator("#filter-prop-keys option").evaluate_all("os => os.map(o => o.value)")
    assert keys == ["plan"]
    page.fill(f"{DIALOG} input[name=prop_key]", "plan")
    page.dispatch_event(f"{DIALOG} input[name=prop_key]", "change")
    page.locator("#filter-suggestions option[value=pro]").wait_for(state="attached")
    page.fill(f"{DIALOG} input[name=value]", "pro")
    page.click(f"{DIALOG} button[type=submit]")
    board.ready()
    assert board.query()["filters"] == ["event:props:plan==pro"]
    assert board.text("#stat-visitors") == "1"
    assert _pills(board) == ["Property plan is pro"]
    page.click("#filter-bar .pill .pill-edit")
    assert page.input_value(f"{DIALOG} select[name=dimension]") == "property"
    assert page.input_value(f"{DIALOG} input[name=prop_key]") == "plan"
    assert _chips(board) == ["pro"]
    page.click(f"{DIALOG} [data-close]")


def test_one_source_filtered_lists_its_referrers(board: Watched, site: Persona) -> None:
    """As Plausible: the sources card drills down to the referrers of the one source filtered."""
    sid = site.site.id
    at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    hostile = "https://evil.example/" + XSS
    google = {"referrer_source": "Google", "channel": "Organic Search"}
    seed(
        [
            make_event(sid, visitor_id=8, timestamp=at, referrer="https://www.google.de/search", **google),
            make_event(sid, visitor_id=9, timestamp=at, referrer="https://www.google.de/search", **google),
            make_event(sid, visitor_id=10, timestamp=at, referrer=hostile, **google),
        ]
    )
    board.open("?period=day&sources=source")
    page = board.page
    page.click("#list-sources .row[data-value=Google]")
    board.ready()
    assert board.query()["filters"] == ["visit:source==Google"]
    assert page.inner_text("#widget-sources .list-head .name").upper() == "REFERRER"
    assert _rows(board, "sources") == [
        ("www.google.de/search", "2"),
        ("evil.example/" + XSS, "1"),
        ("www.google.com/", "1"),
    ]
    assert page.locator("#widget-sources img").count() == 0
    csv = page.get_attribute("#widget-sources .csv-link", "href") or ""
    assert csv.startswith("/example.com/export/referrers.csv?")

    page.click("#list-sources .row[data-value='https://www.google.de/search']")
    board.ready()
    assert board.query()["filters"] == ["visit:source==Google;visit:referrer==https://www.google.de/search"]
    assert board.text("#stat-visitors") == "2"
    assert _rows(board, "sources") == [("www.google.de/search", "2")]
    # two sources filtered: the sources themselves again
    board.open("?period=day&sources=source&filters=visit:source==Google|Twitter")
    assert page.inner_text("#widget-sources .list-head .name").upper() == "SOURCE"
    assert _rows(board, "sources") == [("Google", "4"), ("Twitter", "1")]


def test_the_filter_editor_at_1280_and_375_px_light_and_dark(board: Watched) -> None:
    """Looked at: the editor with two values chosen fits a phone, in light and in dark."""
    ARTIFACTS.mkdir(exist_ok=True)
    page = board.page
    for width, scheme in ((1280, "light"), (375, "light"), (375, "dark"), (1280, "dark")):
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        page.set_viewport_size({"width": width, "height": 800})
        board.open("?period=day&filters=visit:source==Google|Twitter")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.click("#filter-bar .pill .pill-edit")
        page.fill(f"{DIALOG} input[name=value]", "a rather long value that has to wrap somewhere")
        page.press(f"{DIALOG} input[name=value]", "Enter")
        box = page.locator(DIALOG).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        page.screenshot(path=str(ARTIFACTS / f"filter-editor-{width}-{scheme}.png"))
        page.click(f"{DIALOG} [data-close]")

"""The tracker's two builds (``tracker-js/build.mjs``): within their gzip budgets, and the small one
without the extras that only ``script.all.js`` carries. Their behaviour is in test_tracker.py."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

TRACKER = Path(__file__).resolve().parent.parent / "tracker-js"
BUDGET = {"script.js": 1000, "script.all.js": 2000}
EXTRAS = ("engagement", "Outbound Link: Click", "File Download", "lantern-event-", "file-types", "404")


def built(name: str) -> str:
    path = TRACKER / "dist" / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: build it with ./dev tracker (./dev test does)")
    return path.read_text()


@pytest.mark.parametrize("name", sorted(BUDGET))
def test_each_build_is_within_its_gzip_budget(name: str) -> None:
    code = built(name).rstrip("\n").encode()
    assert len(gzip.compress(code, compresslevel=9, mtime=0)) <= BUDGET[name]


def test_the_small_build_has_the_core_and_none_of_the_extras() -> None:
    small, full = built("script.js"), built("script.all.js")
    for core in (
        "pageview",
        "pushState",
        "replaceState",
        "popstate",
        "hashchange",
        "sendBeacon",
        "keepalive",
    ):
        assert core in small and core in full
    assert [extra for extra in EXTRAS if extra in small] == []
    assert [extra for extra in EXTRAS if extra not in full] == []


def test_the_source_documents_the_queue_stub_at_the_top() -> None:
    head = (TRACKER / "src" / "script.js").read_text()[:1200]
    stub = "window.lantern=window.lantern||function(){(lantern.q=lantern.q||[]).push(arguments)}"
    assert f"<script>{stub}</script>" in head


def test_the_tracker_sets_no_cookie_and_keeps_no_identifier_in_storage() -> None:
    source = (TRACKER / "src" / "script.js").read_text()
    code = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("//"))
    assert "document.cookie" not in code and "doc.cookie" not in code
    assert "setItem" not in code and "sessionStorage" not in code and "indexedDB" not in code

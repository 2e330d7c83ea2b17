"""The tracker snippet built from the features a site's owner chooses (a pure function)."""

from __future__ import annotations

from typing import Any

import pytest

from panel.sites.snippet import QUEUE_STUB, SnippetOptions, build

BASE = "https://lantern.example"


def test_the_default_is_the_small_script() -> None:
    snippet = build("example.com", BASE, SnippetOptions())
    assert (
        snippet.main
        == '<script defer data-domain="example.com" src="https://lantern.example/js/script.js"></script>'
    )
    assert snippet.not_found_page == ""


@pytest.mark.parametrize(
    "feature", ["outbound_links", "file_downloads", "tagged_events", "engagement", "not_found"]
)
def test_any_extended_feature_picks_the_all_features_script(feature: str) -> None:
    chosen: dict[str, Any] = {feature: True}
    snippet = build("example.com", BASE, SnippetOptions(**chosen))
    assert 'src="https://lantern.example/js/script.all.js"' in snippet.main


def test_attributes_for_hash_routing_localhost_and_file_types() -> None:
    options = SnippetOptions(
        hash_routing=True, localhost=True, file_downloads=True, file_types=("epub", "svg")
    )
    assert build("example.com", BASE, options).main == (
        '<script defer data-domain="example.com" data-hash data-local data-file-types="epub,svg" '
        'src="https://lantern.example/js/script.all.js"></script>'
    )


def test_file_types_need_file_downloads() -> None:
    assert "data-file-types" not in build("example.com", BASE, SnippetOptions(file_types=("epub",))).main


def test_custom_events_add_the_queue_stub_first() -> None:
    main = build("example.com", BASE, SnippetOptions(custom_events=True)).main
    assert main.startswith(QUEUE_STUB + "\n<script defer")


def test_a_404_page_gets_a_tag_of_its_own() -> None:
    snippet = build("example.com", BASE, SnippetOptions(not_found=True))
    assert "data-404" not in snippet.main
    assert snippet.not_found_page == (
        '<script defer data-domain="example.com" data-404 src="https://lantern.example/js/script.all.js"></script>'
    )

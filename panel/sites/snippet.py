"""The ``<script>`` tag a site's owner pastes into their pages, built from the features they choose.

    >>> print(build("example.com", "https://lantern.example", SnippetOptions(hash_routing=True)).main)
    <script defer data-domain="example.com" data-hash src="https://lantern.example/js/script.js"></script>

``script.js`` counts pageviews (with SPA navigation) and custom events; ``script.all.js`` adds outbound
link clicks, file downloads, tagged elements, engagement (time and scroll depth) and the 404 event, all
together: choosing any of those picks it.
"""

from __future__ import annotations

import dataclasses

QUEUE_STUB = (
    "<script>window.lantern=window.lantern||function(){(lantern.q=lantern.q||[]).push(arguments)}</script>"
)


@dataclasses.dataclass(frozen=True)
class SnippetOptions:
    outbound_links: bool = False
    file_downloads: bool = False
    tagged_events: bool = False
    engagement: bool = False
    not_found: bool = False  # a "404" event from the 404 page, whose tag carries data-404
    hash_routing: bool = False  # data-hash: each #/route is a page
    custom_events: bool = False  # the queue stub, so lantern(...) calls made before the script loads count
    localhost: bool = False  # data-local: count visits on localhost too
    file_types: tuple[str, ...] = ()  # more download extensions than the built-in list

    @property
    def all_features(self) -> bool:
        return (
            self.outbound_links
            or self.file_downloads
            or self.tagged_events
            or self.engagement
            or self.not_found
        )


@dataclasses.dataclass(frozen=True)
class Snippet:
    main: str  # for every page
    not_found_page: str  # for the 404 page ("" unless asked for)


def build(domain: str, base_url: str, options: SnippetOptions) -> Snippet:
    script = "script.all.js" if options.all_features else "script.js"
    attrs = [f'data-domain="{domain}"']
    if options.hash_routing:
        attrs.append("data-hash")
    if options.localhost:
        attrs.append("data-local")
    if options.file_types and options.file_downloads:
        attrs.append(f'data-file-types="{",".join(options.file_types)}"')
    src = f'src="{base_url}/js/{script}"'
    tag = f"<script defer {' '.join(attrs)} {src}></script>"
    stub = f"{QUEUE_STUB}\n" if options.custom_events else ""
    not_found = f"{stub}<script defer {' '.join(attrs)} data-404 {src}></script>" if options.not_found else ""
    return Snippet(main=stub + tag, not_found_page=not_found)

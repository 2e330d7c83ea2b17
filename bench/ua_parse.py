"""User-Agent parsing on one core: stock ``user_agents.parse`` against ``ingest.useragent.classify``
(ua-parser's Rust backend, then ``user-agents``' own device rules, plus the bot check), without and
with its LRU cache, over the same realistic stream of headers.

    python -m bench.ua_parse [--quick]

The stream: the 1,298 real browsers of tests/data/useragents/browsers.txt in a fixed random order,
drawn with Zipf weights (the 1st string twice as often as the 2nd, ten times the 10th: a few
browser versions make most of a site's traffic, then a long tail), and one request in ten from the
2,264 bots of bots.txt, drawn evenly. ``ua_parse_stock_per_s`` and ``ua_parse_uncached_per_s``
parse every header of it (stock ``user_agent_parser.Parse`` keeps its own 200-entry cache, as in
production); ``ua_parse_per_s`` is what the hot path does: ``classify`` with its cache, cleared first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import user_agents

from bench.common import Figures, Settings, progress
from ingest.useragent import classify

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "useragents"
BOT_SHARE = 0.1
SEED = 20261121
LABELS = {
    "ua_parse_stock_per_s": "user agents parsed per second, stock user_agents.parse (one core)",
    "ua_parse_uncached_per_s": "user agents classified per second, classify without its cache",
    "ua_parse_per_s": "user agents classified per second, classify with its LRU cache (the hot path)",
    "ua_parse_ratio": "classify with cache / stock",
    "ua_parse_uncached_ratio": "classify without cache / stock",
    "ua_parse_cache_hit_share": "share of the stream answered from classify's cache",
    "ua_parse_requests": "headers in the stream",
    "ua_parse_distinct": "distinct headers in the stream",
}


def agents(name: str) -> list[str]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def stream(count: int, seed: int = SEED) -> list[str]:
    """``count`` User-Agent headers: Zipf-weighted browsers, and ``BOT_SHARE`` of them bots."""
    rng = random.Random(seed)
    browsers = agents("browsers.txt")
    rng.shuffle(browsers)
    bots = agents("bots.txt")
    weights = [1 / rank for rank in range(1, len(browsers) + 1)]
    drawn = rng.choices(browsers, weights, k=count)
    return [rng.choice(bots) if rng.random() < BOT_SHARE else agent for agent in drawn]


def per_second(parse: Callable[[str], object], headers: Sequence[str]) -> float:
    started = time.perf_counter()
    for header in headers:
        parse(header)
    return len(headers) / (time.perf_counter() - started)


@contextlib.contextmanager
def one_core() -> Iterator[None]:
    """Pin this process to one CPU while measuring (Linux), so the figures are per core."""
    if not hasattr(os, "sched_getaffinity"):
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def ua_parsing(settings: Settings) -> Figures:
    """The benchmark as ``bench.run`` calls it."""
    return dict(run(settings.quick))


def run(quick: bool) -> dict[str, float]:
    """Parses per second: stock, ours without cache, ours with cache; the ratios; the cache's share."""
    headers = stream(4_000 if quick else 20_000)
    with one_core():
        user_agents.parse(headers[0])  # warm: the stock regexes compile on first use
        classify.__wrapped__(headers[0])  # warm: the Rust regex set is built on first use
        progress(f"ua_parse: stock user_agents.parse over {len(headers):,} headers")
        stock = per_second(user_agents.parse, headers)
        progress("ua_parse: classify without its cache")
        uncached = per_second(classify.__wrapped__, headers)
        progress("ua_parse: classify with its cache (cleared first)")
        classify.cache_clear()
        cached = per_second(classify, headers)
        hits = classify.cache_info().hits
    return {
        "ua_parse_stock_per_s": round(stock),
        "ua_parse_uncached_per_s": round(uncached),
        "ua_parse_per_s": round(cached),
        "ua_parse_ratio": round(cached / stock, 1),
        "ua_parse_uncached_ratio": round(uncached / stock, 1),
        "ua_parse_cache_hit_share": round(hits / len(headers), 3),
        "ua_parse_requests": len(headers),
        "ua_parse_distinct": len(set(headers)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ua_parse", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a shorter stream")
    figures = run(parser.parse_args(argv).quick)
    for key, value in figures.items():
        print(f"{key:<26} {value:>12,}  {LABELS[key]}")
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()

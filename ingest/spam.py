"""Referrer spam: host names known to fake visits to advertise themselves (CC0 list in ``data/``).

A referrer is spam when its host, or any domain above it, is on the list.

    >>> is_spam("https://best-seo-offer.0-0.fr/page")
    True
    >>> is_spam("https://news.ycombinator.com/")
    False
"""

from __future__ import annotations

import functools
import urllib.parse
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "spammers.txt"


@functools.cache
def spammers() -> frozenset[str]:
    lines = (line.strip().lower() for line in _DATA.read_text().splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


@functools.lru_cache(maxsize=8192)
def is_spam(referrer: str) -> bool:
    if not referrer:
        return False
    try:
        host = (urllib.parse.urlsplit(referrer).hostname or "").rstrip(".")
    except ValueError:
        return False
    listed = spammers()
    labels = host.split(".")
    return any(".".join(labels[i:]) in listed for i in range(len(labels) - 1))

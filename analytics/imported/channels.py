"""The channel of an imported source row, by the rules ingest applies to a visit's first touch.

Plausible's export has no channel column; its source, referrer and UTM tags decide it here.

    >>> channel(source="Newsletter", referrer="", utm_source="newsletter", utm_medium="email")
    'Email'
    >>> channel(source="Google", referrer="google.com", utm_source="", utm_medium="")
    'Organic Search'
"""

from __future__ import annotations

import functools
import urllib.parse

from ingest.referrer import attribute

__all__ = ["channel"]


@functools.lru_cache(maxsize=8192)
def channel(*, source: str, referrer: str, utm_source: str, utm_medium: str) -> str:
    url = referrer if "://" in referrer or not referrer else f"https://{referrer}"
    tags = urllib.parse.urlencode(
        {k: v for k, v in (("utm_source", utm_source), ("utm_medium", utm_medium)) if v}
    )
    found = attribute(referrer=url, query=tags, own_host="").channel
    if found == "Direct" and source and source != "Direct / None":
        return attribute(referrer=f"https://{source.lower()}", query=tags, own_host="").channel
    return found

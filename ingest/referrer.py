"""Referrer and landing-page query -> traffic source name, channel and UTM tags.

Source names come from CC0 lists of search engines, social networks and AI assistants
(``data/referrers.json``); UTM tags from the page URL. Pure functions:

    >>> attribute(referrer="https://www.google.com/search?q=x", query="", own_host="example.com").source
    'Google'
    >>> attribute(referrer="", query="utm_source=newsletter&utm_medium=email", own_host="example.com").channel
    'Email'
"""

from __future__ import annotations

import dataclasses
import functools
import json
import urllib.parse
from pathlib import Path

_DATA = Path(__file__).parent / "data" / "referrers.json"

CHANNELS = ("Direct", "Organic Search", "Paid", "Social", "Email", "AI Assistants", "Referral")
_KIND_CHANNEL = {"search": "Organic Search", "social": "Social", "ai": "AI Assistants"}
_PAID_MEDIUMS = {
    "cpc",
    "ppc",
    "paid",
    "paidsearch",
    "paid_search",
    "paid-search",
    "cpm",
    "cpv",
    "display",
    "ads",
}
_CLICK_IDS = ("gclid", "gbraid", "wbraid", "msclkid", "fbclid", "ttclid", "twclid", "li_fat_id", "dclid")
_EMAIL_WORDS = ("email", "e-mail", "e_mail", "newsletter", "mail")
_WEBMAIL = ("mail.google.com", "outlook.live.com", "mail.yahoo.com", "mail.proton.me")


@dataclasses.dataclass(frozen=True, slots=True)
class Attribution:
    referrer: str = ""
    source: str = ""
    channel: str = "Direct"
    utm_medium: str = ""
    utm_source: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""


@functools.cache
def _lists() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    data = json.loads(_DATA.read_text())
    hosts = {host: (name, kind) for host, (name, kind) in data["hosts"].items()}
    wildcards = {host: (name, kind) for host, (name, kind) in data["wildcards"].items()}
    return hosts, wildcards


# Short names campaigns use for a known source (utm_source=fb).
_ALIASES = {"fb": "Facebook", "ig": "Instagram", "yt": "YouTube", "li": "LinkedIn", "hn": "Hacker News"}


@functools.cache
def _names() -> dict[str, tuple[str, str]]:
    """Known sources by their name in lower case (and a few aliases): utm_source=google is Google."""
    hosts, wildcards = _lists()
    named: dict[str, tuple[str, str]] = {}
    for name, kind in sorted({*hosts.values(), *wildcards.values()}):
        named.setdefault(name.lower(), (name, kind))
    for alias, name in _ALIASES.items():
        named[alias] = named[name.lower()]
    return named


def named_source(utm_source: str) -> tuple[str, str] | None:
    """(name, kind) of the known source a campaign's utm_source names: by its name in any case
    ("google", "REDDIT"), an alias ("fb"), a host ("facebook.com") or a host's name ("duckduckgo")."""
    text = utm_source.strip().lower()
    if not text:
        return None
    found = _names().get(text) or known_source(text.removeprefix("www."))
    if found is None and "." not in text:
        hosts, wildcards = _lists()
        found = wildcards.get(text) or hosts.get(f"{text}.com")
    return found


def known_source(host: str) -> tuple[str, str] | None:
    """(name, kind) for a referrer host, trying parent domains and ``name.{any TLD}`` patterns."""
    hosts, wildcards = _lists()
    labels = host.split(".")
    for start in range(len(labels) - 1):
        candidate = labels[start:]
        found = hosts.get(".".join(candidate))
        if found:
            return found
        for cut in range(1, len(candidate)):
            if len(candidate) - cut <= 2 and ".".join(candidate[:cut]) in wildcards:
                return wildcards[".".join(candidate[:cut])]
    return None


def _host_of(url: str) -> str:
    try:
        host = urllib.parse.urlsplit(url.strip()).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".").removeprefix("www.")


@functools.lru_cache(maxsize=8192)  # referrers and landing queries repeat: most events are a hit
def attribute(*, referrer: str, query: str, own_host: str) -> Attribution:
    params = {k.lower(): v for k, v in urllib.parse.parse_qsl(query, keep_blank_values=False)[:100]}
    utm_source = params.get("utm_source") or params.get("source") or params.get("ref") or ""
    utm_medium = params.get("utm_medium", "")
    ref_host = _host_of(referrer)
    if ref_host and (ref_host == own_host or ref_host.endswith("." + own_host)):
        ref_host, referrer = "", ""  # a visitor moving within the site is not a source
    known = known_source(ref_host) if ref_host else None
    named = named_source(utm_source) if utm_source else None
    # A campaign's source wins over the referrer, under the known name it gives (google: Google), so
    # the two make one row; an unknown one keeps its spelling.
    source = (named[0] if named else utm_source) if utm_source else (known[0] if known else ref_host)
    if known is None:
        known = named  # utm_source=facebook.com still counts as Social
    kind = known[1] if known else ""
    return Attribution(
        referrer=referrer[:2000] if ref_host else "",
        source=source[:300],
        channel=_channel(params, utm_medium, utm_source, ref_host, kind),
        utm_medium=utm_medium[:300],
        utm_source=utm_source[:300],
        utm_campaign=params.get("utm_campaign", "")[:300],
        utm_content=params.get("utm_content", "")[:300],
        utm_term=params.get("utm_term", "")[:300],
    )


def _channel(params: dict[str, str], medium: str, utm_source: str, ref_host: str, kind: str) -> str:
    medium_l, source_l = medium.lower(), utm_source.lower()
    if (
        medium_l in _PAID_MEDIUMS
        or medium_l.startswith(("cp", "ppc", "paid"))
        or any(c in params for c in _CLICK_IDS)
    ):
        return "Paid"
    if any(word in medium_l or word in source_l for word in _EMAIL_WORDS) or ref_host in _WEBMAIL:
        return "Email"
    if kind in _KIND_CHANNEL:
        return _KIND_CHANNEL[kind]
    if medium_l in {"social", "social-network", "social-media", "sm"}:
        return "Social"
    if medium_l == "organic":
        return "Organic Search"
    if ref_host or utm_source:
        return "Referral"
    return "Direct"

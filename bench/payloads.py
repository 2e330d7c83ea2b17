"""Realistic Plausible-style event bodies, each with a real desktop or mobile browser User-Agent.

>>> requests = event_requests(count=10)
>>> requests[0].body.startswith('{"n":')
True
"""

from __future__ import annotations

import dataclasses
import json
import random

DOMAIN = "bench.example"
OWNER = "bench@bench.example"
PATH = "/api/event"

DESKTOP_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
)
MOBILE_AGENTS: tuple[str, ...] = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.6778.81 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
)
USER_AGENTS: tuple[str, ...] = DESKTOP_AGENTS + MOBILE_AGENTS

_SECTIONS = ("blog", "docs", "pricing", "features", "changelog", "about", "careers", "guides")
_SLUGS = (
    "getting-started",
    "privacy-first-analytics",
    "cookie-banners",
    "self-hosting",
    "api",
    "goals-and-funnels",
    "team-plan",
    "gdpr",
    "weekly-reports",
    "custom-events",
    "utm-tags",
    "faq",
)
_REFERRERS: tuple[str | None, ...] = (
    None,
    None,
    None,
    "https://www.google.com/",
    "https://duckduckgo.com/",
    "https://www.bing.com/",
    "https://news.ycombinator.com/",
    "https://t.co/a1b2c3",
    "https://www.reddit.com/r/selfhosted/",
    f"https://{DOMAIN}/blog",
)
_CAMPAIGNS = (
    "?utm_source=newsletter&utm_medium=email&utm_campaign=launch",
    "?utm_source=x&utm_medium=social",
    "?ref=producthunt",
)
_DESKTOP_WIDTHS = (1280, 1366, 1440, 1536, 1920, 2560)
_MOBILE_WIDTHS = (360, 390, 393, 412, 430)


@dataclasses.dataclass(frozen=True)
class EventRequest:
    """One request the load generator sends: a browser's User-Agent, its JSON body, and the visitor's
    address as a trusted proxy forwards it (``X-Forwarded-For``)."""

    user_agent: str
    body: str
    client_ip: str = "198.51.100.1"


def _url(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        path = "/"
    elif roll < 0.25:
        path = f"/{rng.choice(_SECTIONS)}"
    else:
        path = f"/{rng.choice(_SECTIONS)}/{rng.choice(_SLUGS)}"
    query = rng.choice(_CAMPAIGNS) if rng.random() < 0.15 else ""
    return f"https://{DOMAIN}{path}{query}"


def _body(rng: random.Random, mobile: bool) -> dict[str, object]:
    body: dict[str, object] = {
        "n": "pageview",
        "u": _url(rng),
        "d": DOMAIN,
        "r": rng.choice(_REFERRERS),
        "w": rng.choice(_MOBILE_WIDTHS if mobile else _DESKTOP_WIDTHS),
    }
    if rng.random() < 0.08:
        body["n"] = rng.choice(("Signup", "Download", "Outbound Link: Click"))
        body["p"] = {"plan": rng.choice(("free", "pro", "team")), "position": rng.choice(("hero", "footer"))}
    return body


def event_requests(count: int = 6_000, seed: int = 20_241_121) -> list[EventRequest]:
    """``count`` varied requests from ``count / 3`` visitors, the same ones on every run (a fixed seed).

    The load generator cycles through them, so at 2,000 events/s each visitor sends one event a second:
    busy, but under the per-client rate limit, as real visitors are.
    """
    rng = random.Random(seed)
    visitors = [_public_ip(rng) for _ in range(max(1, count // 3))]  # ~3 events a visitor
    requests = []
    for _ in range(count):
        agent = rng.choice(USER_AGENTS)
        body = _body(rng, mobile=agent in MOBILE_AGENTS)
        requests.append(EventRequest(agent, json.dumps(body, separators=(",", ":")), rng.choice(visitors)))
    return requests


def _public_ip(rng: random.Random) -> str:
    while True:
        first = rng.randint(1, 223)
        if first not in (10, 100, 127, 169, 172, 192, 198, 203):
            return f"{first}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def one_per_agent(requests: list[EventRequest]) -> list[EventRequest]:
    """The first request for each distinct User-Agent: probes that every agent is accepted and kept."""
    seen: dict[str, EventRequest] = {}
    for request in requests:
        seen.setdefault(request.user_agent, request)
    return list(seen.values())

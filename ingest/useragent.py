"""User agent string -> browser, OS and device class, through ``user-agents`` on ua-parser's Rust
backend, cached.

The string itself is never kept: only what it resolves to.

    >>> ua = classify("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
    >>> (ua.browser, ua.os, ua.device, ua.is_bot)
    ('Firefox', 'Linux', 'Desktop', False)

``user_agents.parse`` resolves through ua-parser's legacy API, a loop over some 1,000 Python
regexes (about 1,500 strings a second on one core). Here the same regexes (``ua_parser_builtins``)
run in ua-parser-rs, ua-parser 1.0's ``regex`` resolver, and the result feeds ``user-agents``' own
``UserAgent`` class, so mobile, tablet and desktop are decided exactly as ``user_agents.parse``
decides them. ``is_bot`` is ``ingest.bots.is_bot`` alone: ua-parser's "Spider" device caught no
bot of ``tests/data/useragents/bots.txt`` that it misses, and flags the odd smart TV. An LRU cache in
front answers repeat visitors, which are most of real traffic.
"""

from __future__ import annotations

import dataclasses
import functools

import ua_parser
import user_agents.parsers
from ua_parser import Domain
from ua_parser.regex import Resolver as RustResolver

from ingest.bots import is_bot

__all__ = ["UserAgentInfo", "classify"]


@dataclasses.dataclass(frozen=True, slots=True)
class UserAgentInfo:
    browser: str
    browser_version: str
    os: str
    os_version: str
    device: str
    is_bot: bool


class _UserAgent(user_agents.parsers.UserAgent):  # type: ignore[misc]  # user-agents has no type hints
    """``user_agents.parsers.UserAgent`` (is_mobile, is_tablet, is_pc, ...) built from a ua-parser 1.0
    result instead of the legacy ``user_agent_parser.Parse``; the fields are the same."""

    def __init__(self, user_agent: str, parsed: ua_parser.DefaultedResult) -> None:
        browser, os_, device = parsed.user_agent, parsed.os, parsed.device
        self.ua_string = user_agent
        self.browser = user_agents.parsers.parse_browser(
            browser.family, browser.major, browser.minor, browser.patch
        )
        self.os = user_agents.parsers.parse_operating_system(os_.family, os_.major, os_.minor, os_.patch)
        self.device = user_agents.parsers.parse_device(device.family, device.brand, device.model)


@functools.cache
def _resolver() -> RustResolver:
    """Built on first use (about 0.1 s: the regexes are compiled into one Rust regex set)."""
    return RustResolver(ua_parser.load_lazy_builtins())


def _parse(user_agent: str) -> _UserAgent:
    return _UserAgent(user_agent, _resolver()(user_agent, Domain.ALL).complete().with_defaults())


def _version(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts[:2])


@functools.lru_cache(maxsize=8192)
def classify(user_agent: str) -> UserAgentInfo:
    """Browser, OS and device class of a User-Agent header; cached, so repeat visitors cost nothing.

    ``classify.__wrapped__`` is the same without the cache (benchmarks use it).
    """
    if not user_agent.strip():
        return UserAgentInfo("", "", "", "", "", is_bot=True)
    parsed = _parse(user_agent)
    device = "Mobile" if parsed.is_mobile else "Tablet" if parsed.is_tablet else "Desktop"
    browser: str = "" if parsed.browser.family == "Other" else parsed.browser.family
    os_name: str = "" if parsed.os.family == "Other" else parsed.os.family
    return UserAgentInfo(
        browser=browser,
        browser_version=_version(parsed.browser.version) if browser else "",
        os=os_name,
        os_version=_version(parsed.os.version) if os_name else "",
        device=device,
        is_bot=is_bot(user_agent),
    )

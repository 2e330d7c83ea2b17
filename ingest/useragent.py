"""User agent string -> browser, OS and device class, through ``user-agents``, cached.

The string itself is never kept: only what it resolves to.

    >>> ua = classify("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
    >>> (ua.browser, ua.os, ua.device)
    ('Firefox', 'Linux', 'Desktop')
"""

from __future__ import annotations

import dataclasses
import functools

import user_agents


@dataclasses.dataclass(frozen=True, slots=True)
class UserAgentInfo:
    browser: str
    browser_version: str
    os: str
    os_version: str
    device: str
    is_bot: bool


def _version(parts: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in parts[:2])


@functools.lru_cache(maxsize=8192)
def classify(user_agent: str) -> UserAgentInfo:
    if not user_agent.strip():
        return UserAgentInfo("", "", "", "", "", is_bot=True)
    parsed = user_agents.parse(user_agent)
    device = "Mobile" if parsed.is_mobile else "Tablet" if parsed.is_tablet else "Desktop"
    browser = "" if parsed.browser.family == "Other" else parsed.browser.family
    os_name = "" if parsed.os.family == "Other" else parsed.os.family
    return UserAgentInfo(
        browser=browser,
        browser_version=_version(parsed.browser.version) if browser else "",
        os=os_name,
        os_version=_version(parsed.os.version) if os_name else "",
        device=device,
        is_bot=bool(parsed.is_bot),
    )

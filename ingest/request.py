"""Parse an Events API body into a frozen ``EventRequest``, or raise ``PayloadError`` naming the field.

Accepts Plausible's documented body in long and short keys::

    {"name": "pageview", "url": "https://example.com/a", "domain": "example.com",
     "referrer": "https://google.com/", "props": {"plan": "pro"}}
    {"n": "pageview", "u": "https://example.com/a", "d": "example.com", "r": null, "p": "{}"}
"""

from __future__ import annotations

import dataclasses
import json
import urllib.parse
from typing import Any

from ingest.errors import PayloadError

MAX_BODY_BYTES = 1_000_000
MAX_NAME = 120
MAX_URL = 2_000
MAX_PROPS = 30
MAX_PROP_KEY = 300
MAX_PROP_VALUE = 2_000

_ALIASES = {"name": "n", "url": "u", "domain": "d", "referrer": "r", "props": "p", "screen_width": "w"}


@dataclasses.dataclass(frozen=True, slots=True)
class EventRequest:
    """What a visitor's browser (or a backend) asked us to record, before any enrichment."""

    name: str
    url: str
    hostname: str
    pathname: str
    query: str
    domains: tuple[str, ...]
    referrer: str
    props: tuple[tuple[str, str], ...]
    screen_width: int | None
    interactive: bool
    ip: str
    user_agent: str


def _field(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    short = _ALIASES.get(name)
    if value is None and short is not None:
        value = body.get(short)
    return value


def parse_body(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadError("body", f"larger than {MAX_BODY_BYTES} bytes", status=413)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("body", "is not valid JSON") from None
    if not isinstance(body, dict):
        raise PayloadError("body", "must be a JSON object")
    return body


def parse_request(raw: bytes, *, ip: str, user_agent: str) -> EventRequest:
    body = parse_body(raw)
    name = _required_text(body, "name", MAX_NAME)
    url = _required_text(body, "url", MAX_URL)
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in {"http", "https", "app"} or not parsed.hostname:
        raise PayloadError("url", "must be an absolute http(s) URL")
    return EventRequest(
        name=name,
        url=url,
        hostname=normalize_host(parsed.hostname),
        pathname=urllib.parse.unquote(parsed.path) or "/",
        query=parsed.query,
        domains=_domains(body),
        referrer=_optional_text(body, "referrer", MAX_URL),
        props=_props(body),
        screen_width=_screen_width(body),
        interactive=_interactive(body),
        ip=ip,
        user_agent=user_agent[:1024],
    )


def normalize_host(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("www.")


def _required_text(body: dict[str, Any], name: str, limit: int) -> str:
    value = _field(body, name)
    if value is None or value == "":
        raise PayloadError(name, "is required")
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    if len(value) > limit:
        raise PayloadError(name, f"must be at most {limit} characters")
    return value


def _optional_text(body: dict[str, Any], name: str, limit: int) -> str:
    value = _field(body, name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    return value[:limit]


def _domains(body: dict[str, Any]) -> tuple[str, ...]:
    raw = _required_text(body, "domain", MAX_URL)
    domains = tuple(dict.fromkeys(normalize_host(d) for d in raw.split(",") if d.strip()))
    if not domains:
        raise PayloadError("domain", "is required")
    return domains


def _props(body: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    value = _field(body, "props")
    if value is None:
        value = body.get("meta", body.get("m"))
    if value is None:
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise PayloadError("props", "must be a JSON object") from None
    if not isinstance(value, dict):
        raise PayloadError("props", "must be an object of key: value")
    if len(value) > MAX_PROPS:
        raise PayloadError("props", f"at most {MAX_PROPS} properties")
    props = []
    for key, item in value.items():
        if not key or len(key) > MAX_PROP_KEY:
            raise PayloadError("props", f"keys must be 1 to {MAX_PROP_KEY} characters")
        if item is None or item == "":
            continue
        if isinstance(item, dict | list):
            raise PayloadError("props", f"{key}: values must be strings, numbers or booleans")
        text = json.dumps(item) if isinstance(item, bool) else str(item)
        if len(text) > MAX_PROP_VALUE:
            raise PayloadError("props", f"{key}: values must be at most {MAX_PROP_VALUE} characters")
        props.append((key, text))
    return tuple(props)


def _screen_width(body: dict[str, Any]) -> int | None:
    value = _field(body, "screen_width")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError("screen_width", "must be a number")
    return int(value) if 0 <= value < 100_000 else None


def _interactive(body: dict[str, Any]) -> bool:
    value = body.get("interactive", body.get("i", True))
    if not isinstance(value, bool):
        raise PayloadError("interactive", "must be true or false")
    return value

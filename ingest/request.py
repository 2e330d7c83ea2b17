"""Parse an Events API body into a frozen ``EventRequest``, or raise ``PayloadError`` naming the field.

Accepts Plausible's documented body in long and short keys::

    {"name": "pageview", "url": "https://example.com/a", "domain": "example.com",
     "referrer": "https://google.com/", "props": {"plan": "pro"},
     "revenue": {"amount": 15.99, "currency": "USD"}, "interactive": false, "hashMode": 1}
    {"n": "engagement", "u": "https://example.com/a", "d": "example.com", "sd": 80, "e": 12500}

Server-side senders (an API key with ``events:write``) may also give the visitor's ``ip`` and
``user_agent`` and the event's ``timestamp``; ``server_fields`` names the ones given, so the caller can
refuse them without such a key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import ipaddress
import json
import re
import urllib.parse
from typing import Any

import orjson

from ingest.errors import PayloadError

MAX_BODY_BYTES = 1_000_000
MAX_NAME = 120
MAX_URL = 2_000
MAX_PROPS = 30
MAX_PROP_KEY = 300
MAX_PROP_VALUE = 2_000
MAX_USER_AGENT = 1_024
MAX_FUTURE = dt.timedelta(minutes=1)  # clock skew allowed for a server-side ``timestamp``
SERVER_FIELDS = ("ip", "user_agent", "timestamp")

_ALIASES = {
    "name": "n",
    "url": "u",
    "domain": "d",
    "referrer": "r",
    "props": "p",
    "screen_width": "w",
    "revenue": "$",
    "interactive": "i",
    "hashMode": "h",
    "scroll_depth": "sd",
    "engagement_time": "e",
}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_MAX_AMOUNT = decimal.Decimal("1e12")
_CENTS_OF_CENTS = decimal.Decimal("0.000001")


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
    revenue_amount: str | None = None
    revenue_currency: str = ""
    engagement_time: int = 0
    scroll_depth: int = 0
    timestamp: dt.datetime | None = None
    server_fields: tuple[str, ...] = ()


_LONG = {short: long for long, short in _ALIASES.items()}


def _canonical(body: dict[str, Any]) -> dict[str, Any]:
    """The body with short keys under their long names; a long key given with a value wins."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        long = _LONG.get(key)
        if long is None:
            if value is not None or key not in out:
                out[key] = value
        elif out.get(long) is None:
            out[long] = value
    return out


def parse_body(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadError("body", f"larger than {MAX_BODY_BYTES} bytes", status=413)
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = _lenient_json(raw)  # e.g. a lone surrogate escape, which orjson refuses
    if not isinstance(body, dict):
        raise PayloadError("body", "must be a JSON object")
    return body


def _lenient_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise PayloadError("body", "is nested too deeply") from None
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("body", "is not valid JSON") from None


def parse_request(raw: bytes, *, ip: str, user_agent: str, now: dt.datetime | None = None) -> EventRequest:
    body = _canonical(parse_body(raw))
    name = _required_text(body, "name", MAX_NAME)
    url = _required_text(body, "url", MAX_URL)
    parsed, hostname = _split_url(url)
    pathname = urllib.parse.unquote(parsed.path) or "/"
    if _flag(body, "hashMode") and parsed.fragment:
        pathname += "#" + urllib.parse.unquote(parsed.fragment)
    amount, currency = _revenue(body)
    server_fields = tuple(field for field in SERVER_FIELDS if body.get(field) is not None)
    return EventRequest(
        name=name,
        url=url,
        hostname=normalize_host(hostname),
        pathname=pathname,
        query=parsed.query,
        domains=_domains(body),
        referrer=_optional_text(body, "referrer", MAX_URL),
        props=_props(body),
        screen_width=_screen_width(body),
        interactive=_interactive(body),
        ip=_ip(body) if "ip" in server_fields else ip,
        user_agent=(_optional_text(body, "user_agent", MAX_USER_AGENT) or user_agent)[:MAX_USER_AGENT],
        revenue_amount=amount,
        revenue_currency=currency,
        engagement_time=_bounded_int(body, "engagement_time", 2**32 - 1),
        scroll_depth=min(_bounded_int(body, "scroll_depth", 2**31), 100),
        timestamp=_timestamp(body, now or dt.datetime.now(dt.UTC)) if "timestamp" in server_fields else None,
        server_fields=server_fields,
    )


def _split_url(url: str) -> tuple[urllib.parse.SplitResult, str]:
    """The page URL's parts and host; a malformed host (``http://[::1/x``) is the sender's error."""
    try:
        parsed = urllib.parse.urlsplit(url)
        hostname = parsed.hostname
    except ValueError:
        raise PayloadError("url", "is not a valid URL") from None
    if parsed.scheme not in {"http", "https", "app"} or not hostname:
        raise PayloadError("url", "must be an absolute http(s) URL")
    return parsed, hostname


def _clean(value: Any) -> Any:
    """A string without lone surrogates (JSON may escape them; ClickHouse refuses them)."""
    if isinstance(value, str) and not value.isascii():
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def normalize_host(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("www.")


def _required_text(body: dict[str, Any], name: str, limit: int) -> str:
    value = _clean(body.get(name))
    if value is None or value == "":
        raise PayloadError(name, "is required")
    if not isinstance(value, str):
        raise PayloadError(name, "must be a string")
    if len(value) > limit:
        raise PayloadError(name, f"must be at most {limit} characters")
    return value


def _optional_text(body: dict[str, Any], name: str, limit: int) -> str:
    value = _clean(body.get(name))
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
    value = body.get("props")
    if value is None:
        value = body.get("meta", body.get("m"))
    if value is None:
        return ()
    value = _object(value, "props")
    if len(value) > MAX_PROPS:
        raise PayloadError("props", f"at most {MAX_PROPS} properties")
    props = []
    for raw_key, item in value.items():
        key = _clean(raw_key)
        if not key or len(key) > MAX_PROP_KEY:
            raise PayloadError("props", f"keys must be 1 to {MAX_PROP_KEY} characters")
        if item is None or item == "":
            continue
        if isinstance(item, dict | list):
            raise PayloadError("props", f"{key}: values must be strings, numbers or booleans")
        text = json.dumps(item) if isinstance(item, bool) else _clean(str(item))
        if len(text) > MAX_PROP_VALUE:
            raise PayloadError("props", f"{key}: values must be at most {MAX_PROP_VALUE} characters")
        props.append((key, text))
    return tuple(props)


def _screen_width(body: dict[str, Any]) -> int | None:
    value = body.get("screen_width")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError("screen_width", "must be a number")
    return int(value) if 0 <= value < 100_000 else None


def _object(value: Any, field: str) -> dict[str, Any]:
    """A JSON object, given as one or as a string holding one (the tracker's short form)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except RecursionError:
            raise PayloadError(field, "is nested too deeply") from None
        except ValueError:
            raise PayloadError(field, "must be a JSON object") from None
    if not isinstance(value, dict):
        raise PayloadError(field, "must be an object of key: value")
    return value


def _interactive(body: dict[str, Any]) -> bool:
    value = body.get("interactive")
    if value is None:
        return True
    if not isinstance(value, bool):
        raise PayloadError("interactive", "must be true or false")
    return value


def _flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if value in (None, 0, False):
        return False
    if value in (1, True):
        return True
    raise PayloadError(name, "must be 0 or 1")


def _revenue(body: dict[str, Any]) -> tuple[str | None, str]:
    value = body.get("revenue")
    if value is None:
        return None, ""
    value = _object(value, "revenue")
    currency = value.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency.upper()):
        raise PayloadError("revenue", "currency must be a three-letter ISO 4217 code such as USD")
    amount = value.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int | float | str):
        raise PayloadError("revenue", "amount must be a number")
    return _amount(amount), currency.upper()


def _amount(amount: int | float | str) -> str:
    """A revenue amount to six places. ``copy_abs`` and the comparison use no context, so an exponent far
    past the context's range (``1e999999999``) cannot overflow; a number below 10^12 quantized to six
    places has at most 18 digits, within the context's 28."""
    try:
        number = decimal.Decimal(str(amount).strip())
    except decimal.InvalidOperation:
        raise PayloadError("revenue", "amount must be a number") from None
    if not number.is_finite() or number.copy_abs() >= _MAX_AMOUNT:
        raise PayloadError("revenue", "amount must be a finite number below 10^12")
    return str(number.quantize(_CENTS_OF_CENTS, rounding=decimal.ROUND_HALF_EVEN))


def _bounded_int(body: dict[str, Any], name: str, limit: int) -> int:
    value = body.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise PayloadError(name, "must be a number")
    return int(max(0, min(value, limit)))


def _ip(body: dict[str, Any]) -> str:
    value = body.get("ip")
    try:
        return str(ipaddress.ip_address(value if isinstance(value, str) else ""))
    except ValueError:
        raise PayloadError("ip", "must be an IPv4 or IPv6 address") from None


def _timestamp(body: dict[str, Any], now: dt.datetime) -> dt.datetime:
    value = body.get("timestamp")
    if not isinstance(value, str):
        raise PayloadError("timestamp", "must be an ISO 8601 date and time")
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PayloadError("timestamp", "must be an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise PayloadError("timestamp", "must name its UTC offset, e.g. 2026-11-21T09:30:00Z")
    try:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC: datetime cannot hold it
        moment = moment.astimezone(dt.UTC)
    except OverflowError:
        raise PayloadError("timestamp", "is out of range") from None
    if moment > now + MAX_FUTURE:
        raise PayloadError("timestamp", "must not be in the future")
    return moment

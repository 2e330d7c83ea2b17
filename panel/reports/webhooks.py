"""Webhooks for traffic alerts: where they may point, and posting JSON signed with HMAC-SHA256.

A webhook URL must be https and its host must resolve only to public addresses (no loopback, private,
link-local or reserved ones), so an alert cannot be aimed at Lantern's own network.
``ALERT_WEBHOOKS_ALLOW_LOCAL=1`` lifts both rules (local testing only). Redirects are not followed;
a failure is logged and never raised, so the alert job goes on.

    >>> signature(b'{"a":1}', "secret")
    'sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494'
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import logging
import socket
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import SplitResult, urlsplit

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError

log = logging.getLogger(__name__)

TIMEOUT_S = 5
SIGNATURE_HEADER = "X-Lantern-Signature"


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_global and not ip.is_multicast


def parse(url: str, *, allow_local: bool) -> SplitResult:
    """The URL's parts, or ValidationError: the one parser for saving a webhook and for sending to it,
    so what the form accepts is what is sent. No user name or password, no backslash, space or
    control character (parsers disagree on where such a URL's host is), a numeric port."""
    if "\\" in url or not url.isprintable() or any(c.isspace() for c in url):
        raise ValidationError("the webhook URL holds a character a URL cannot hold", code="invalid")
    parts = urlsplit(url)
    if parts.scheme not in ({"https", "http"} if allow_local else {"https"}):
        raise ValidationError("the webhook URL must start with https://", code="scheme")
    if "@" in parts.netloc:
        raise ValidationError("the webhook URL must not hold a user name or password", code="userinfo")
    if not parts.hostname:
        raise ValidationError("the webhook URL needs a host", code="host")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or parts.netloc.endswith(":"):
        raise ValidationError("the webhook URL's port must be a number from 1 to 65535", code="port")
    return parts


def check_url(url: str, *, allow_local: bool | None = None) -> None:
    """Raise ValidationError (naming the problem) unless ``url`` is a webhook we may call."""
    allow_local = settings.ALERT_WEBHOOKS_ALLOW_LOCAL if allow_local is None else allow_local
    parts = parse(url, allow_local=allow_local)
    if allow_local:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ValidationError(f"the host {parts.hostname!r} does not resolve", code="host") from None
    if not infos or not all(_public(str(info[4][0])) for info in infos):
        raise ValidationError("the webhook URL must point to a public address", code="private")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def post(url: str, secret: str, payload: dict[str, Any]) -> bool:
    """POST ``payload`` as JSON with its signature; True on a 2xx answer. Never raises."""
    body = orjson.dumps(payload)
    try:
        check_url(url)  # again at send time: the name may resolve elsewhere by now
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Lantern-Alerts",
                SIGNATURE_HEADER: signature(body, secret),
            },
        )
        with _opener.open(request, timeout=TIMEOUT_S) as response:
            status = int(response.status)
    except (ValidationError, urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        log.warning("alert webhook %s failed: %s", urlsplit(url).hostname, exc)
        return False
    if not 200 <= status < 300:
        log.warning("alert webhook %s answered %s", urlsplit(url).hostname, status)
        return False
    return True

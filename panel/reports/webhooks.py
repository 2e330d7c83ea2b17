"""Webhooks for traffic alerts: where they may point, and posting JSON signed with HMAC-SHA256.

A webhook URL must be https and its host must resolve only to public addresses (no loopback, private,
link-local or reserved ones, nor an IPv6 form that leads to one: IPv4-mapped or -compatible, NAT64,
6to4, Teredo), so an alert cannot be aimed at Lantern's own network. The host is resolved once per
send and the connection goes to the address checked (``resolve`` then ``send``), with the URL's host
in Host and TLS SNI. ``ALERT_WEBHOOKS_ALLOW_LOCAL=1`` lifts both rules (local testing only).
Redirects are not followed; a failure is logged and never raised, so the alert job goes on.

    >>> signature(b'{"a":1}', "secret")
    'sha256=aa9e2e3575f5d7098b6caccd790888c36d5fdb63342a73bada2d6a51747a8494'
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import http.client
import ipaddress
import logging
import socket
import ssl
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


# IPv6 prefixes that carry an IPv4 address in their low 32 bits: NAT64 (RFC 6052; the local-use
# 64:ff9b:1::/48 of RFC 8215 is refused outright) and the deprecated IPv4-compatible ::/96.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: IPv4-mapped, IPv4-compatible, NAT64, 6to4 and
    Teredo (server and client) forms.

    >>> [str(a) for a in embedded_ipv4(ipaddress.IPv6Address("64:ff9b::7f00:1"))]
    ['127.0.0.1']
    """
    found: list[ipaddress.IPv4Address] = []
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
        found.append(low32)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def public(address: str) -> bool:
    """Whether an address (as getaddrinfo gives it) is a public unicast one, judging an IPv6 address
    that embeds IPv4 by the IPv4 it leads to.

    >>> public("93.184.215.14"), public("10.0.0.1"), public("::ffff:10.0.0.1"), public("2002:7f00:1::")
    (True, False, False, False)
    """
    ip = ipaddress.ip_address(address.split("%")[0])
    if ip.is_multicast or not ip.is_global:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        return all(v4.is_global and not v4.is_multicast for v4 in embedded_ipv4(ip))
    return True


@dataclasses.dataclass(frozen=True)
class Target:
    """Where a webhook goes: the URL's host (for the Host header and TLS SNI), port and path, and the
    one address that was resolved and checked, which the request connects to (no second lookup, so a
    name cannot resolve somewhere else between the check and the send)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


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


def resolve(url: str, *, allow_local: bool | None = None) -> Target:
    """Parse ``url``, resolve its host once and check every address: the target to send to, or
    ValidationError naming the problem."""
    allow_local = settings.ALERT_WEBHOOKS_ALLOW_LOCAL if allow_local is None else allow_local
    parts = parse(url, allow_local=allow_local)
    host = str(parts.hostname)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise ValidationError(f"the host {host!r} does not resolve", code="host") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses or not (allow_local or all(public(address) for address in addresses)):
        raise ValidationError("the webhook URL must point to a public address", code="private")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses[0])


def check_url(url: str, *, allow_local: bool | None = None) -> None:
    """Raise ValidationError (naming the problem) unless ``url`` is a webhook we may call."""
    resolve(url, allow_local=allow_local)


class _PinnedHTTP(http.client.HTTPConnection):
    """Plain HTTP (local testing only) to the checked address; Host names the URL's host."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_S)
        self.address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), TIMEOUT_S)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to the checked address, verifying the certificate for the URL's host (SNI and Host too)."""

    def __init__(self, target: Target) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=TIMEOUT_S, context=self.tls)
        self.address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), TIMEOUT_S)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def send(target: Target, secret: str, payload: dict[str, Any]) -> int:
    """POST ``payload`` as JSON with its signature to a checked target: the answer's status (raises
    OSError or http.client errors; redirects are answers, never followed)."""
    body = orjson.dumps(payload)
    connection = _PinnedHTTPS(target) if target.scheme == "https" else _PinnedHTTP(target)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Lantern-Alerts",
                SIGNATURE_HEADER: signature(body, secret),
            },
        )
        return int(connection.getresponse().status)
    finally:
        connection.close()


def post(url: str, secret: str, payload: dict[str, Any]) -> bool:
    """POST ``payload`` as JSON with its signature; True on a 2xx answer. Never raises."""
    try:
        status = send(resolve(url), secret, payload)  # checked at send time: the name may have moved
    except (ValidationError, http.client.HTTPException, OSError, ValueError) as exc:
        log.warning("alert webhook %s failed: %s", urlsplit(url).hostname, exc)
        return False
    if not 200 <= status < 300:
        log.warning("alert webhook %s answered %s", urlsplit(url).hostname, status)
        return False
    return True

"""A site's shields: the visitors and pages its owner excludes, and the hostnames it allows.

Each shield is stored as text, one entry a line (``Site.excluded_ips`` and friends). The ``parse_*``
functions turn that text into values or raise ``ShieldError`` naming the bad line; the settings form
uses them to validate, ingest to build a ``Shields`` it checks every event against.

    >>> shields = Shields.from_text(ips="10.0.0.0/8", pages="/admin/**", countries="", hostnames="")
    >>> shields.check(ip="10.1.2.3", pathname="/", country="", hostname="example.com")
    <DropReason.SHIELD_IP: 'shield_ip'>
    >>> shields.check(ip="192.0.2.1", pathname="/admin/users/7", country="", hostname="example.com")
    <DropReason.SHIELD_PAGE: 'shield_page'>

Page globs are matched by RE2, which never backtracks: a match takes time linear in the path whatever
the glob (Python's ``re`` took seconds on ``/**a**a**a**a**a**a**a**b``). Each glob is its own small
automaton, so RE2 keeps to its DFA, and ``parse_pages`` bounds a glob's length and wildcards.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import re2

from analytics.filters import wildcard_regex
from ingest.drops import DropReason

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
T = TypeVar("T")

MAX_ENTRIES = 500
MAX_GLOB_LENGTH = 300
MAX_GLOB_WILDCARDS = 16
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_STARS = re.compile(r"\*+")
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class ShieldError(ValueError):
    """An entry that is not what its shield holds; the message names the line."""


def _entries(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines()]
    entries = [line for line in lines if line and not line.startswith("#")]
    if len(entries) > MAX_ENTRIES:
        raise ShieldError(f"at most {MAX_ENTRIES} entries")
    return entries


def parse_networks(text: str) -> tuple[Network, ...]:
    """IP addresses and CIDR ranges, e.g. ``203.0.113.7`` or ``2001:db8::/32``."""
    networks = []
    for entry in _entries(text):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ShieldError(f"{entry!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def _glob_error(entry: str) -> str | None:
    """Why ``entry`` is not a page glob we accept, or None."""
    if not entry.startswith("/"):
        return "must start with /"
    if len(entry) > MAX_GLOB_LENGTH:
        return f"must be at most {MAX_GLOB_LENGTH} characters"
    if _wildcards(entry) > MAX_GLOB_WILDCARDS:
        return f"may hold at most {MAX_GLOB_WILDCARDS} wildcards (* or **)"
    return None


def _wildcards(entry: str) -> int:
    """How many wildcards a glob holds: each run of ``*`` (``*``, ``**``) is one."""
    return len(_STARS.findall(entry))


def _short(entry: str) -> str:
    return entry if len(entry) <= 60 else entry[:60] + "…"


@dataclasses.dataclass(frozen=True, slots=True)
class PageGlobs:
    """Compiled page globs; ``matches`` is linear in the path's length (RE2 automata, one per glob)."""

    globs: tuple[str, ...]
    compiled: tuple[Any, ...] = dataclasses.field(repr=False, compare=False)

    def matches(self, pathname: str) -> bool:
        """True when one of the globs matches the whole path."""
        return any(pattern.fullmatch(pathname) is not None for pattern in self.compiled)


_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False


def parse_pages(text: str) -> PageGlobs | None:
    """Path patterns: ``*`` stands for any characters but ``/``, ``**`` for any characters at all."""
    entries = _entries(text)
    for entry in entries:
        error = _glob_error(entry)
        if error is not None:
            raise ShieldError(f"{_short(entry)!r} {error}")
    if not entries:
        return None
    globs = tuple(dict.fromkeys(entries))
    return PageGlobs(globs, tuple(re2.compile(wildcard_regex([glob]), _RE2_OPTIONS) for glob in globs))


def parse_countries(text: str) -> frozenset[str]:
    """Two-letter ISO 3166 country codes, e.g. ``DE``."""
    codes = set()
    for entry in _entries(text):
        if not _COUNTRY.match(entry.upper()):
            raise ShieldError(f"{entry!r} is not a two-letter country code")
        codes.add(entry.upper())
    return frozenset(codes)


def parse_hostnames(text: str) -> tuple[str, ...]:
    """Host names to accept events from, e.g. ``example.com`` or ``*.example.com``; empty allows all."""
    hosts = []
    for entry in _entries(text):
        host = entry.lower().rstrip(".").removeprefix("www.")
        if not _HOST.match(host):
            raise ShieldError(f"{entry!r} is not a host name (a leading *. is allowed)")
        hosts.append(host)
    return tuple(hosts)


def _lenient(parse: Callable[[str], T], text: str, empty: T, what: str) -> T:
    """Ingest never fails on a stored shield: a bad one is logged and ignored."""
    try:
        return parse(text)
    except ShieldError as exc:
        log.warning("ignoring a stored %s shield: %s", what, exc)
        return empty


@dataclasses.dataclass(frozen=True, slots=True)
class Shields:
    networks: tuple[Network, ...] = ()
    pages: PageGlobs | None = None
    countries: frozenset[str] = frozenset()
    hostnames: tuple[str, ...] = ()

    @classmethod
    def from_text(cls, *, ips: str, pages: str, countries: str, hostnames: str) -> Shields:
        return cls(
            networks=_lenient(parse_networks, ips, (), "IP"),
            pages=_lenient(parse_pages, pages, None, "page"),
            countries=_lenient(parse_countries, countries, frozenset(), "country"),
            hostnames=_lenient(parse_hostnames, hostnames, (), "hostname"),
        )

    def blocks_ip(self, ip: str) -> bool:
        if not self.networks:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def blocks_host(self, hostname: str) -> bool:
        if not self.hostnames:
            return False
        for allowed in self.hostnames:
            if allowed.startswith("*."):
                if hostname.endswith(allowed[1:]):
                    return False
            elif hostname == allowed:
                return False
        return True

    def check(self, *, ip: str, pathname: str, country: str, hostname: str) -> DropReason | None:
        """The drop reason for an event these shields exclude, or None."""
        if self.blocks_ip(ip):
            return DropReason.SHIELD_IP
        if self.blocks_host(hostname):
            return DropReason.SHIELD_HOSTNAME
        if self.pages is not None and self.pages.matches(pathname):
            return DropReason.SHIELD_PAGE
        if country and country in self.countries:
            return DropReason.SHIELD_COUNTRY
        return None


NO_SHIELDS = Shields()

"""The visiting client's IP: the peer address, or X-Forwarded-For when the peer is a trusted proxy.

>>> import ipaddress
>>> trusted = (ipaddress.ip_network("10.0.0.0/8"),)
>>> client_ip("10.0.0.5", "203.0.113.9, 10.0.0.7", trusted)
'203.0.113.9'
>>> client_ip("198.51.100.1", "203.0.113.9", trusted)   # an untrusted peer cannot spoof
'198.51.100.1'
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


@functools.lru_cache(maxsize=256)
def _trusted_peer(peer: str, networks: tuple[Network, ...]) -> bool:
    """Whether the connecting peer is a trusted proxy; cached, as the peers are the few proxies."""
    return _trusted(peer, networks)


def client_ip(peer: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """Walk X-Forwarded-For from the right while hops are trusted; the first untrusted hop is the client."""
    if not trusted or not _trusted_peer(peer, tuple(trusted)):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    if len(hops) == 1:
        return hops[0]  # trusted or not, the one hop is the client (the loop below would say so too)
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer

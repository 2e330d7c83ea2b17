"""API keys as ingest sees them: hashed like the panel stores them, looked up rarely, cached until revoked.

A server-side sender authenticates with ``Authorization: Bearer <key>``; a key of scope
``events:write`` may send events for the sites of its owner's organisations, with the visitor's IP,
user agent and the event time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable

from ingest.accounts import KeyGrant
from ingest.revocations import Generation, Revocations, shared

KEY_PREFIX = "lk_"
MAX_KEY_LENGTH = 200


def hash_key(raw: str) -> str:
    """The stored form of a key: SHA-256 of its text (keys are long random strings, so no stretching)."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def bearer(header: str) -> str | None:
    """The key in an ``Authorization: Bearer <key>`` header, or None when there is no such header."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip()


def looks_like_key(raw: str) -> bool:
    """Whether ``raw`` has the shape of one of our keys (checked before any lookup)."""
    return raw.startswith(KEY_PREFIX) and len(raw) <= MAX_KEY_LENGTH


class KeyRing:
    """Grants by key, from ``load(key_hash)``, cached for ``ttl`` seconds or until the revocation
    generation moves (``ingest/revocations.py``): a revoked key, or a member removed or demoted, is
    refused from the next request on; the TTL bounds what a missed generation could leave behind."""

    def __init__(
        self,
        load: Callable[[str], KeyGrant | None],
        *,
        ttl: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        revocations: Revocations | None = None,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._clock = clock
        self._revocations = revocations or shared()
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, Generation, KeyGrant | None]] = {}

    def grant(self, raw: str) -> KeyGrant | None:
        if not looks_like_key(raw):
            return None
        digest = hash_key(raw)
        now = self._clock()
        generation = self._revocations.generation()  # read before a load, so a later bump reloads
        cached = self._cache.get(digest)
        if cached is not None and now - cached[0] < self._ttl and cached[1] == generation:
            return cached[2]
        grant = self._load(digest)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now, generation, grant)
        return grant

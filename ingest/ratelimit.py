"""Token buckets that keep one client or one site from flooding ingest: over the limit is a 429.

``Limits`` keeps the buckets in this process's memory (embedded mode: the one process). ``SharedLimits``
keeps them in Redis (server mode), so every web process draws on one budget per client and per site:
one Lua script takes the tokens atomically, for the checks of many concurrent requests at once (they
are grouped as pushes are, ``ingest/groupcommit.py``). Either way a key is kept only as a keyed hash (no
IP address in clear, in memory or in Redis) and is forgotten once its bucket has refilled (a Redis key
expires then). While Redis is unreachable, ``SharedLimits`` checks against its in-process ``Limits``:
per process again, but never an error.

    >>> per_client = RateLimiter(rate_per_s=1, burst=2, clock=lambda: 0.0)
    >>> limits = Limits(per_client, per_site=RateLimiter(rate_per_s=0, burst=0))
    >>> [limits.check("203.0.113.9", sites=["1"]) for _ in range(3)]
    [None, None, 'client']
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ingest.groupcommit import Grouped

log = logging.getLogger(__name__)

MAX_BUCKETS = 200_000
CLIENT = "client"  # what ``check`` returns when the client's bucket is empty (else the site's key)


class Limiter(Protocol):
    def check(self, client: str, sites: Sequence[str]) -> str | None:
        """Take a token for one event; None if it is within the limits, else ``CLIENT`` or the key of
        the first site over its limit (the buckets checked before it keep their token taken)."""
        ...


class RateLimiter:
    """One kind of bucket (per client, or per site) in this process's memory."""

    def __init__(
        self, *, rate_per_s: float, burst: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate_per_s
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # key -> (tokens, at)

    def allow(self, key: str) -> bool:
        """Take one token from ``key``'s bucket; False when it is empty. A rate of 0 means no limit."""
        if self.rate <= 0:
            return True
        digest = hash(key)  # per-process keyed SipHash: the key itself is not kept
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(digest, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens < 1:
                self._buckets[digest] = (tokens, now)
                return False
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            self._buckets[digest] = (tokens - 1, now)
            return True

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled: they hold nothing a fresh bucket would not."""
        refill_s = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < refill_s}


@dataclasses.dataclass(frozen=True)
class Limits:
    """The per-client and per-site buckets of this process."""

    per_client: RateLimiter
    per_site: RateLimiter

    def check(self, client: str, sites: Sequence[str]) -> str | None:
        if not self.per_client.allow(client):
            return CLIENT
        return next((site for site in sites if not self.per_site.allow(site)), None)


NO_LIMITS = Limits(RateLimiter(rate_per_s=0, burst=0), RateLimiter(rate_per_s=0, burst=0))

# KEYS: the bucket keys of every check in turn: its client's (if that limit is on), then its sites' (if
# that one is). ARGV: client rate/s, client burst, site rate/s, site burst, then each check's number of
# sites. Returns per check 0 (within the limits), -1 (the client's bucket was empty) or i (the i-th
# site's was). A bucket is "<tokens> <at>" in Redis time, and expires once it would be full again.
_TAKE = """
redis.set_repl(redis.REPL_NONE)  -- buckets need no disk write nor replica: a restart refills them
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local function take(key, rate, burst)
  local tokens, at = burst, now
  local bucket = redis.call('GET', key)
  if bucket then
    local held, since = string.match(bucket, '^(%S+) (%S+)$')
    tokens, at = tonumber(held), tonumber(since)
  end
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
  local taken = tokens >= 1
  if taken then tokens = tokens - 1 end
  local ttl = math.ceil((burst - tokens) / rate * 1000) + 1
  redis.call('SET', key, string.format('%.6f %.6f', tokens, now), 'PX', ttl)
  return taken
end
local client_rate, client_burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local site_rate, site_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local k, verdicts = 1, {}
for c = 5, #ARGV do
  local verdict = 0
  if client_rate > 0 then
    if not take(KEYS[k], client_rate, client_burst) then verdict = -1 end
    k = k + 1
  end
  if site_rate > 0 then
    for i = 1, tonumber(ARGV[c]) do
      if verdict == 0 and not take(KEYS[k], site_rate, site_burst) then verdict = i end
      k = k + 1
    end
  end
  verdicts[#verdicts + 1] = verdict
end
return verdicts
"""

_Check = tuple[str, tuple[str, ...]]  # (client, sites)


class SharedLimits:
    """Server mode: the buckets of ``local``'s rates, shared by every process through Redis.

    ``secret`` keys the hash that stands for a client or site in Redis (Lantern's daily salt: the
    keys change at midnight, which starts every bucket full once). ``local`` is used while Redis is out,
    and for ``retry_after_s`` after each failure.
    """

    def __init__(
        self,
        url: str,
        local: Limits,
        *,
        secret: Callable[[], bytes],
        prefix: str = "lantern:rate:",
        retry_after_s: float = 1.0,
    ) -> None:
        # A check is a small script: a Redis that takes longer than this is treated as out (checks in
        # the queue behind a stalled one wait with it), and the one quick retry covers a restart.
        self.redis = redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 1)
        )
        self.local = local
        self.prefix = prefix
        self._secret = secret
        self._retry_after_s = retry_after_s
        self._redis_retry_at = 0.0
        self._script = self.redis.register_script(_TAKE)
        self._grouped: Grouped[_Check, str | None] = Grouped(self._check_group, max_size=500)

    def check(self, client: str, sites: Sequence[str]) -> str | None:
        client_rate, site_rate = self.local.per_client.rate, self.local.per_site.rate
        if client_rate <= 0 and site_rate <= 0:
            return None
        if time.monotonic() >= self._redis_retry_at:
            try:
                return self._grouped.call((client, tuple(sites)))
            except redis.RedisError as exc:
                log.warning("rate limits in this process only until Redis answers again: %s", exc)
                self._redis_retry_at = time.monotonic() + self._retry_after_s
        return self.local.check(client, sites)

    def _check_group(self, checks: list[_Check]) -> list[str | None]:
        per_client, per_site = self.local.per_client, self.local.per_site
        secret = self._secret()
        keys: list[str] = []
        for client, sites in checks:
            if per_client.rate > 0:
                keys.append(self._key(secret, "client", client))
            if per_site.rate > 0:
                keys += [self._key(secret, "site", site) for site in sites]
        args: list[Any] = [per_client.rate, per_client.burst, per_site.rate, per_site.burst]
        args += [len(sites) for _, sites in checks]
        verdicts: Any = self._script(keys=keys, args=args)
        return [
            None if verdict == 0 else CLIENT if verdict < 0 else sites[verdict - 1]
            for (_, sites), verdict in zip(checks, verdicts, strict=True)
        ]

    def _key(self, secret: bytes, kind: str, key: str) -> str:
        digest = hashlib.blake2b(f"{kind}\x00{key}".encode(), key=secret[:64], digest_size=16)
        return self.prefix + digest.hexdigest()

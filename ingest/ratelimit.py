"""Token buckets that keep one client or one site from flooding ingest: over the limit is a 429.

``Limits`` keeps the buckets in this process's memory (embedded mode: the one process). ``SharedLimits``
names them in Redis (server mode), so every web process draws on one budget per client and per site.
There the buffer push takes the tokens: the script that adds a group of pushes' records to the stream
first takes each push's tokens and adds the records of the pushes within the limits only, so limits
cost no round trip of their own (``ingest/buffer.py``). Either way a key is kept only as a keyed hash
(no IP address in clear, in memory or in Redis) and is forgotten once its bucket has refilled (a Redis
key expires then). While Redis is unreachable, the fallback buffer checks its pushes against the
in-process ``Limits``: per process again, but never an error.

    >>> per_client = RateLimiter(rate_per_s=1, burst=2, clock=lambda: 0.0)
    >>> limits = Limits(per_client, per_site=RateLimiter(rate_per_s=0, burst=0))
    >>> [limits.check("203.0.113.9", sites=["1"]) for _ in range(3)]
    [None, None, 'client']
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from collections.abc import Callable, Sequence

MAX_BUCKETS = 200_000
CLIENT = "client"  # what ``check`` returns when the client's bucket is empty (else the site's key)


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
        """Take a token for one event; None if it is within the limits, else ``CLIENT`` or the key of
        the first site over its limit (the buckets checked before it keep their token taken)."""
        if not self.per_client.allow(client):
            return CLIENT
        return next((site for site in sites if not self.per_site.allow(site)), None)


NO_LIMITS = Limits(RateLimiter(rate_per_s=0, burst=0), RateLimiter(rate_per_s=0, burst=0))

# The token bucket as the push script of ``ingest/buffer.py`` runs it, before it adds any record:
# ``take(key, rate, burst)`` takes a token from the bucket ``key`` ("<tokens> <at>" in Redis time),
# false when it is empty. The bucket expires once it would be full again. Its writes go to neither the
# AOF nor replicas (``set_repl``): a restart refills the buckets, which costs nothing.
TAKE_LUA = """
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local function take(key, rate, burst)
  redis.set_repl(redis.REPL_NONE)
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
  redis.set_repl(redis.REPL_ALL)
  return taken
end
"""


class SharedLimits:
    """Server mode: the buckets of ``local``'s rates, shared by every process through Redis.

    The buffer's push takes the tokens (``RedisStreamBuffer(url, limits=...)``): this names the keys
    and rates. ``secret`` keys the hash that stands for a client or site in Redis (Lantern's daily salt:
    the keys change at midnight, which starts every bucket full once). ``local`` is what the fallback
    buffer checks while Redis is out.
    """

    def __init__(self, local: Limits, *, secret: Callable[[], bytes], prefix: str = "lantern:rate:") -> None:
        self.local = local
        self.prefix = prefix
        self._secret = secret

    def rates(self) -> list[float]:
        """Client rate/s, client burst, site rate/s, site burst (a rate of 0: that limit is off)."""
        client, site = self.local.per_client, self.local.per_site
        return [client.rate, client.burst, site.rate, site.burst]

    def keys(self, client: str, sites: Sequence[str]) -> tuple[int, list[str]]:
        """Whether the client's bucket is checked (1 or 0), and the bucket keys: the client's, the sites'."""
        secret = self._secret()
        keys: list[str] = []
        has_client = int(self.local.per_client.rate > 0)
        if has_client:
            keys.append(self._key(secret, "client", client))
        if self.local.per_site.rate > 0:
            keys += [self._key(secret, "site", site) for site in sites]
        return has_client, keys

    @staticmethod
    def verdict(code: int, sites: Sequence[str]) -> str | None:
        """The script's code for one push (0, -1 for the client, i for the i-th site) as ``check`` says it."""
        return None if code == 0 else CLIENT if code < 0 else sites[code - 1]

    def _key(self, secret: bytes, kind: str, key: str) -> str:
        digest = hashlib.blake2b(f"{kind}\x00{key}".encode(), key=secret[:64], digest_size=16)
        return self.prefix + digest.hexdigest()

"""What every ingest process builds once from the environment: the accounts database, the salts, the
rate limits and the event buffer (the web process's app and workers: ``ingest/runtime.py``; the
flusher process: ``python -m ingest.flusher``).
"""

from __future__ import annotations

import functools
from pathlib import Path

from analytics.config import data_dir, database_url, env_int, env_str, redis_url
from ingest.accounts import AccountsDB
from ingest.buffer import Buffer, FallbackBuffer, RedisStreamBuffer, SpoolBuffer
from ingest.groupcommit import GroupCommit
from ingest.ratelimit import Limits, RateLimiter, SharedLimits
from ingest.visitor import SaltStore


@functools.cache
def accounts() -> AccountsDB:
    return AccountsDB(database_url())


@functools.cache
def make_buffer() -> Buffer:
    """The process's one buffer: the Redis stream with a local fallback spool, or the embedded spool.

    Concurrent pushes to Redis share round trips (``GroupCommit``), which also take the rate-limit
    tokens and decide the visits (``ingest/buffer.py``); a spool push is a memory copy, with nothing to
    share (the app decides the visits in embedded mode)."""
    url = redis_url()
    if not url:
        return SpoolBuffer(spool_dir())
    stream = RedisStreamBuffer(url, limits=SharedLimits(local_limits(), secret=salts().today))
    return GroupCommit(FallbackBuffer(stream, fallback_spool_dir()))


@functools.cache
def salts() -> SaltStore:
    db = accounts()
    return SaltStore(db.salt, db.delete_salts_before)


def fallback_buffer() -> FallbackBuffer | None:
    """Server mode's fallback buffer behind the group commit, or None in embedded mode."""
    buffer = make_buffer()
    inner = buffer.inner if isinstance(buffer, GroupCommit) else buffer
    return inner if isinstance(inner, FallbackBuffer) else None


def spool_dir() -> Path:
    """Where embedded mode's buffer keeps accepted events until the flusher has stored them."""
    return data_dir() / "spool"


def fallback_spool_dir() -> Path:
    """Where a web process spools events while Redis is unreachable (``LANTERN_FALLBACK_SPOOL``)."""
    return Path(env_str("LANTERN_FALLBACK_SPOOL") or data_dir() / "fallback-spool").resolve()


def local_limits() -> Limits:
    """Events per second (and burst) per client and per site; ``0`` turns a limit off.

    The pipeline's in embedded mode. In server mode the buffer push takes them from buckets shared by
    every web process through Redis (``make_buffer``), and from these while Redis is out.
    """
    client_rate = env_int("INGEST_RATE_PER_CLIENT", 20)
    site_rate = env_int("INGEST_RATE_PER_SITE", 10_000)
    local = Limits(
        per_client=RateLimiter(rate_per_s=client_rate, burst=client_rate * 5),
        per_site=RateLimiter(rate_per_s=site_rate, burst=site_rate * 5),
    )
    return local

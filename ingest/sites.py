"""The cached registry of sites, by domain, that ingest consults on every request.

Refreshed from the accounts database at most every ``ttl`` seconds, and on an unknown domain at most
once per ``miss_interval``, by whichever request notices first; other requests keep the old map
meanwhile, so a slow database never stalls ingest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from ingest.accounts import SiteInfo

log = logging.getLogger(__name__)


class RegistryUnavailable(RuntimeError):
    """The sites could never be loaded: ingest answers 503 rather than dropping events as unknown."""


class SiteRegistry:
    def __init__(
        self,
        load: Callable[[], Iterable[SiteInfo]],
        *,
        ttl: float = 10.0,
        miss_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._ttl = ttl
        self._miss_interval = miss_interval
        self._clock = clock
        self._refreshing = threading.Lock()
        self._sites: dict[str, SiteInfo] = {}
        self._loaded_at = float("-inf")

    def get(self, domain: str) -> SiteInfo | None:
        now = self._clock()
        site = self._sites.get(domain)
        stale = now - self._loaded_at > self._ttl
        if stale or (site is None and now - self._loaded_at > self._miss_interval):
            self._refresh(now)
            site = self._sites.get(domain)
        return site

    def _refresh(self, now: float) -> None:
        if not self._refreshing.acquire(blocking=self._loaded_at == float("-inf")):
            return
        try:
            self._sites = {site.domain: site for site in self._load()}
            self._loaded_at = now
        except Exception as exc:
            log.warning("site registry refresh failed: %s", exc)
            if self._loaded_at == float("-inf"):
                raise RegistryUnavailable("the sites cannot be loaded from the accounts database") from exc
            self._loaded_at = now - self._ttl + self._miss_interval  # keep the old map, retry soon
        finally:
            self._refreshing.release()

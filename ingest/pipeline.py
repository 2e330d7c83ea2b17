"""The ingestion pipeline: named steps that enrich an ``EventRequest`` into stored ``Event`` rows or
drop it with a reason from the fixed ``DropReason`` set.

Order: resolve the site(s), refuse server-side fields without a key, filter (prefetch, bots,
referrer spam, the site's shields), and only then enrich; each event then waits for its visit
(``Outcome.pendings``, decided by ``ingest/visits.py`` where the buffer pushes it). Rate limits come
last, so only events to be stored take tokens (a crawler gets its ``bot`` drop, never a 429): the app
takes them right before the push (``Pipeline.limits`` in embedded mode; in server mode the push
itself, shared by every web process through Redis in the same round trip that decides the visits)
and hands the verdict to ``refuse``.

    >>> outcome = pipeline.process(request, context)  # doctest: +SKIP
    >>> outcome.dropped  # doctest: +SKIP
    <DropReason.BOT: 'bot'>
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
import uuid
from collections.abc import Callable, Sequence

from analytics.schema import Event
from ingest.accounts import KeyGrant, SiteInfo
from ingest.drops import DropCounter, DropReason
from ingest.errors import PayloadError
from ingest.geo import UNKNOWN, GeoLocator, Location
from ingest.ratelimit import CLIENT, NO_LIMITS, Limits
from ingest.referrer import attribute
from ingest.request import EventRequest
from ingest.sites import SiteRegistry
from ingest.spam import is_spam
from ingest.useragent import UserAgentInfo, classify
from ingest.visitor import SaltStore, visitor_id
from ingest.visits import Pending, carries, pending

__all__ = [
    "Context",
    "DropReason",
    "Outcome",
    "Pipeline",
    "RateLimited",
    "screen_class",
]


_ids = random.Random()  # seeded from os.urandom; uuid4() costs a getrandom() call per event
os.register_at_fork(after_in_child=_ids.seed)


def new_event_id() -> uuid.UUID:
    """A random (version 4) UUID: unique, not secret, so a seeded generator is enough."""
    return uuid.UUID(int=_ids.getrandbits(128), version=4)


def screen_class(width: int | None) -> str:
    if width is None:
        return ""
    if width < 576:
        return "Mobile"
    if width < 992:
        return "Tablet"
    if width < 1440:
        return "Laptop"
    return "Desktop"


class RateLimited(Exception):
    """Too many events from one client or for one site: the app answers 429."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclasses.dataclass(frozen=True)
class Context:
    """What the transport knows beyond the body: the API key's grant and prefetch headers."""

    grant: KeyGrant | None = None
    prefetch: bool = False


@dataclasses.dataclass(frozen=True)
class Outcome:
    events: tuple[Event, ...]  # with today's visitor id, before their visits are decided
    dropped: DropReason | None = None
    sites: tuple[SiteInfo, ...] = ()  # the sites the events are for
    pendings: tuple[Pending, ...] = ()  # the events waiting for their visits (``ingest/visits.py``)


class Pipeline:
    def __init__(
        self,
        sites: SiteRegistry,
        salts: SaltStore,
        geo: GeoLocator | None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        *,
        limits: Limits = NO_LIMITS,
        drops: DropCounter | None = None,
    ) -> None:
        self._sites = sites
        self._salts = salts
        self._geo = geo
        self._clock = clock
        self.limits = limits
        self.drops = drops or DropCounter()

    def process(self, request: EventRequest, context: Context = Context()) -> Outcome:
        now = self._clock()
        sites = self._resolve_sites(request)
        if not sites:
            return Outcome((), DropReason.UNKNOWN_SITE)
        self._authorize(request, sites, context.grant)
        timestamp = request.timestamp or now
        self._check_age(timestamp, sites, now)
        agent = classify(request.user_agent)
        reason = self._screen(request, agent, context)
        where = UNKNOWN if reason or not self._geo else self._geo.locate(request.ip)
        reason = reason or self._shield(request, sites, where)
        if reason is not None:
            self._count_drop(sites, reason, now)
            return Outcome((), reason)
        events = tuple(
            self._enrich(
                request, site, agent, where, timestamp, self._visitor(request, site.id, timestamp.date())
            )
            for site in sites
        )
        return Outcome(events, sites=tuple(sites), pendings=tuple(self._pending(request, e) for e in events))

    def _visitor(self, request: EventRequest, site_id: int, day: dt.date) -> int:
        return visitor_id(self._salts.for_day(day), site_id, request.ip, request.user_agent)

    def _pending(self, request: EventRequest, event: Event) -> Pending:
        """The event waiting for its visit. Before 03:00 UTC it may continue a visit begun the day
        before, under that day's visitor id (computed only then)."""
        day = event.timestamp.astimezone(dt.UTC).date()
        at_ms = int(event.timestamp.timestamp() * 1000)
        carried = (
            self._visitor(request, event.site_id, day - dt.timedelta(days=1)) if carries(at_ms) else None
        )
        return pending(event, carried)

    def _resolve_sites(self, request: EventRequest) -> list[SiteInfo]:
        found = (self._sites.get(domain) for domain in request.domains)
        return [site for site in found if site is not None]

    @staticmethod
    def _authorize(request: EventRequest, sites: list[SiteInfo], grant: KeyGrant | None) -> None:
        if grant is not None and not all(site.id in grant.site_ids for site in sites):
            raise PayloadError("domain", "is not a site this API key can send events to", status=403)
        if request.server_fields and (grant is None or "events:write" not in grant.scopes):
            fields = ", ".join(request.server_fields)
            raise PayloadError(
                request.server_fields[0],
                f"{fields} may only be sent with an API key of scope events:write",
                status=401,
            )

    @staticmethod
    def _check_age(timestamp: dt.datetime, sites: list[SiteInfo], now: dt.datetime) -> None:
        oldest = min(site.retention_days for site in sites)
        if timestamp < now - dt.timedelta(days=oldest):
            raise PayloadError("timestamp", f"is older than the site's data retention of {oldest} days")

    def _count_drop(self, sites: Sequence[SiteInfo], reason: DropReason, now: dt.datetime) -> None:
        for site in sites:
            self.drops.add(site.id, reason, now.date())

    def refuse(self, sites: Sequence[SiteInfo], refused: str | None, now: dt.datetime | None = None) -> None:
        """Count and raise ``RateLimited`` for a limiter's verdict ``refused`` (the buffer's, in server
        mode: its push takes the tokens); nothing for None."""
        if refused is None:
            return
        now = now or self._clock()
        if refused == CLIENT:
            self._count_drop(sites, DropReason.RATE_LIMITED, now)
            raise RateLimited("client", "too many events from this client, slow down")
        for site in sites:
            if str(site.id) == refused:
                self._count_drop([site], DropReason.RATE_LIMITED, now)
                raise RateLimited("domain", f"too many events for {site.domain}, slow down")

    @staticmethod
    def _screen(request: EventRequest, agent: UserAgentInfo, context: Context) -> DropReason | None:
        """The filters that need no lookup: prefetch, bots, referrer spam."""
        if context.prefetch:
            return DropReason.PREFETCH
        if agent.is_bot:
            return DropReason.BOT
        if is_spam(request.referrer):
            return DropReason.SPAM
        return None

    @staticmethod
    def _shield(request: EventRequest, sites: list[SiteInfo], where: Location) -> DropReason | None:
        """The first of the sites' shields that excludes this event."""
        for site in sites:
            reason = site.shields.check(
                ip=request.ip,
                pathname=request.pathname,
                country=where.country_code,
                hostname=request.hostname,
            )
            if reason is not None:
                return reason
        return None

    def _enrich(
        self,
        request: EventRequest,
        site: SiteInfo,
        ua: UserAgentInfo,
        where: Location,
        timestamp: dt.datetime,
        visitor: int,
    ) -> Event:
        source = attribute(referrer=request.referrer, query=request.query, own_host=request.hostname)
        return Event(
            site_id=site.id,
            timestamp=timestamp,
            event_id=new_event_id(),
            name=request.name,
            visitor_id=visitor,
            hostname=request.hostname,
            pathname=request.pathname,
            referrer=source.referrer,
            referrer_source=source.source,
            channel=source.channel,
            utm_medium=source.utm_medium,
            utm_source=source.utm_source,
            utm_campaign=source.utm_campaign,
            utm_content=source.utm_content,
            utm_term=source.utm_term,
            country_code=where.country_code,
            region=where.region,
            city=where.city,
            browser=ua.browser,
            browser_version=ua.browser_version,
            os=ua.os,
            os_version=ua.os_version,
            device=ua.device,
            screen_size=screen_class(request.screen_width),
            prop_keys=tuple(key for key, _ in request.props),
            prop_values=tuple(value for _, value in request.props),
            revenue_amount=request.revenue_amount,
            revenue_currency=request.revenue_currency,
            interactive=request.interactive,
            engagement_time=request.engagement_time,
            scroll_depth=request.scroll_depth,
        )

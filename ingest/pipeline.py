"""The ingestion pipeline: named steps that enrich an ``EventRequest`` into stored ``Event`` rows or
drop it with a reason from the fixed ``DropReason`` set.

    >>> events, dropped = pipeline.process(request)  # doctest: +SKIP
    >>> dropped  # doctest: +SKIP
    <DropReason.BOT: 'bot'>
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid
from collections.abc import Callable

from analytics.schema import Event
from ingest.accounts import SiteInfo
from ingest.geo import UNKNOWN, GeoLocator
from ingest.referrer import attribute
from ingest.request import EventRequest
from ingest.sites import SiteRegistry
from ingest.useragent import UserAgentInfo, classify
from ingest.visitor import SaltStore, visitor_id


class DropReason(enum.StrEnum):
    UNKNOWN_SITE = "unknown_site"
    BOT = "bot"


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


@dataclasses.dataclass(frozen=True)
class Outcome:
    events: tuple[Event, ...]
    dropped: DropReason | None = None


class Pipeline:
    def __init__(
        self,
        sites: SiteRegistry,
        salts: SaltStore,
        geo: GeoLocator | None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._sites = sites
        self._salts = salts
        self._geo = geo
        self._clock = clock

    def process(self, request: EventRequest) -> Outcome:
        sites = self._resolve_sites(request)
        if not sites:
            return Outcome((), DropReason.UNKNOWN_SITE)
        agent = classify(request.user_agent)
        if agent.is_bot:
            return Outcome((), DropReason.BOT)
        return Outcome(tuple(self._enrich(request, site, agent) for site in sites))

    def _resolve_sites(self, request: EventRequest) -> list[SiteInfo]:
        found = (self._sites.get(domain) for domain in request.domains)
        return [site for site in found if site is not None]

    def _enrich(self, request: EventRequest, site: SiteInfo, ua: UserAgentInfo) -> Event:
        where = self._geo.locate(request.ip) if self._geo else UNKNOWN
        source = attribute(referrer=request.referrer, query=request.query, own_host=request.hostname)
        return Event(
            site_id=site.id,
            timestamp=self._clock(),
            event_id=uuid.uuid4(),
            name=request.name,
            visitor_id=visitor_id(self._salts.today(), site.id, request.ip, request.user_agent),
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
            interactive=request.interactive,
        )

"""The ClickHouse ``events`` row as Python sees it: one frozen record, its columns and their types.

An event carries its visit: the visit's id and start, and the visit's first-touch attributes in the
columns named by ``FIRST_TOUCH`` (equal for every event of a visit, as in Plausible's events table).

``EVENT_COLUMNS`` must match ``DESCRIBE TABLE events`` (a test checks), so the ingest side and the
DDL in ``clickhouse/migrations`` cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

import orjson

EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_id", "UInt64"),
    ("timestamp", "DateTime64(3, 'UTC')"),
    ("event_id", "UUID"),
    ("name", "LowCardinality(String)"),
    ("visitor_id", "UInt64"),
    ("hostname", "LowCardinality(String)"),
    ("pathname", "LowCardinality(String)"),
    ("referrer", "String"),
    ("referrer_source", "LowCardinality(String)"),
    ("channel", "LowCardinality(String)"),
    ("utm_medium", "LowCardinality(String)"),
    ("utm_source", "LowCardinality(String)"),
    ("utm_campaign", "String"),
    ("utm_content", "String"),
    ("utm_term", "String"),
    ("country_code", "LowCardinality(String)"),
    ("region", "LowCardinality(String)"),
    ("city", "LowCardinality(String)"),
    ("browser", "LowCardinality(String)"),
    ("browser_version", "LowCardinality(String)"),
    ("os", "LowCardinality(String)"),
    ("os_version", "LowCardinality(String)"),
    ("device", "LowCardinality(String)"),
    ("screen_size", "LowCardinality(String)"),
    ("prop_keys", "Array(String)"),
    ("prop_values", "Array(String)"),
    ("revenue_amount", "Nullable(Decimal(18, 6))"),
    ("revenue_currency", "LowCardinality(String)"),
    ("interactive", "Bool"),
    ("engagement_time", "UInt32"),
    ("scroll_depth", "UInt8"),
    ("visit_id", "UInt64"),
    ("visit_start", "DateTime64(3, 'UTC')"),
)
EVENT_COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENT_COLUMNS)

# What every event of a visit shares, decided when the visit's first event is ingested
# (``ingest/visits.py``): the visitor and visit ids, when the visit began, and its first touch.
FIRST_TOUCH: tuple[str, ...] = (
    "referrer",
    "referrer_source",
    "channel",
    "utm_medium",
    "utm_source",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "country_code",
    "region",
    "city",
    "browser",
    "browser_version",
    "os",
    "os_version",
    "device",
    "screen_size",
)
VISIT_COLUMNS: tuple[str, ...] = ("visitor_id", "visit_id", "visit_start", *FIRST_TOUCH)

# The visit rule's constants (``ingest/visits.py`` states the rule, ``analytics/rederive.py`` applies it
# in SQL): a gap longer than GAP_MS ends a visit, and a visit ends before CARRY_MS into the day after it
# began.
GAP_MS = 30 * 60 * 1000
DAY_MS = 24 * 60 * 60 * 1000
CARRY_MS = 3 * 60 * 60 * 1000


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    """One stored event. Never holds an IP address or a user-agent string: only what they resolve to."""

    site_id: int
    timestamp: dt.datetime
    event_id: uuid.UUID
    name: str
    visitor_id: int
    hostname: str
    pathname: str
    referrer: str = ""
    referrer_source: str = ""
    channel: str = "Direct"
    utm_medium: str = ""
    utm_source: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    country_code: str = ""
    region: str = ""
    city: str = ""
    browser: str = ""
    browser_version: str = ""
    os: str = ""
    os_version: str = ""
    device: str = ""
    screen_size: str = ""
    prop_keys: tuple[str, ...] = ()
    prop_values: tuple[str, ...] = ()
    revenue_amount: str | None = None
    revenue_currency: str = ""
    interactive: bool = True
    engagement_time: int = 0
    scroll_depth: int = 0
    visit_id: int = 0  # 0 until ingest decides the visit (``ingest/visits.py``)
    visit_start: dt.datetime | None = None

    def to_json(self) -> bytes:
        """One ``JSONEachRow`` line for the events table, as the buffer carries it to the flusher.

        ClickHouse parses these lines itself, so the flusher never decodes them in Python.
        """
        return orjson.dumps(self)  # fields are named as the columns; the timestamp as RFC 3339

"""The ClickHouse ``events`` row as Python sees it: one frozen record, its columns and their types.

``EVENT_COLUMNS`` must match ``DESCRIBE TABLE events`` (a test checks), so the ingest side and the
DDL in ``clickhouse/migrations`` cannot drift apart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_id", "UInt64"),
    ("timestamp", "DateTime64(3, 'UTC')"),
    ("event_id", "UUID"),
    ("name", "LowCardinality(String)"),
    ("visitor_id", "UInt64"),
    ("hostname", "LowCardinality(String)"),
    ("pathname", "String"),
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
)
EVENT_COLUMN_NAMES: tuple[str, ...] = tuple(name for name, _ in EVENT_COLUMNS)


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

    def to_wire(self) -> dict[str, Any]:
        """A JSON-ready dict, as the buffer carries it between ingest and the flusher."""
        wire = dataclasses.asdict(self)
        wire["timestamp"] = self.timestamp.isoformat()
        wire["event_id"] = str(self.event_id)
        wire["prop_keys"] = list(self.prop_keys)
        wire["prop_values"] = list(self.prop_values)
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Event:
        fields = dict(wire)
        fields["timestamp"] = dt.datetime.fromisoformat(fields["timestamp"])
        fields["event_id"] = uuid.UUID(fields["event_id"])
        fields["prop_keys"] = tuple(fields.get("prop_keys", ()))
        fields["prop_values"] = tuple(fields.get("prop_values", ()))
        return cls(**fields)


def to_columns(events: Iterable[Event]) -> list[Sequence[Any]]:
    """Column-oriented data for ``client.insert(..., column_oriented=True)`` in EVENT_COLUMN_NAMES order."""
    rows = [dataclasses.astuple(event) for event in events]
    columns: list[Sequence[Any]] = [list(column) for column in zip(*rows, strict=True)] if rows else []
    return columns or [[] for _ in EVENT_COLUMN_NAMES]

"""The imported tables: one per file of Plausible's CSV export, with the export's columns and types.

    >>> TABLES["imported_devices"].columns[:2]
    (Column(name='device', kind='String'), Column(name='visitors', kind='UInt64'))
    >>> parse_file_name("imported_devices_20230101_20241231.csv")
    ('imported_devices', datetime.date(2023, 1, 1), datetime.date(2024, 12, 31))

A file is named ``imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv`` (or without ``imported_``), its first
line names its columns, in any order. Every table has ``date`` first (the site's local day). A column
``OPTIONAL`` in an older or newer export may be absent (it loads as 0); columns older exports carried
that Lantern does not keep (``IGNORED``) are accepted and skipped. Anything else is an error.
``DERIVED`` columns are not in the files: they are computed when loading (a source's channel, a
location's region and city names).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

__all__ = ["DERIVED", "TABLES", "Column", "Table", "parse_file_name"]


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "Date", "String", "UInt64" or "UInt32": the ClickHouse type, which the parser checks


@dataclasses.dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]  # after ``date``, in the export's order
    optional: frozenset[str] = frozenset()
    ignored: frozenset[str] = frozenset()

    @property
    def stored(self) -> tuple[str, ...]:
        """The columns written to ClickHouse, in order (after site_id, import_id)."""
        return ("date", *(c.name for c in self.columns), *DERIVED.get(self.name, ()))

    @property
    def kinds(self) -> dict[str, str]:
        return {"date": "Date", **{c.name: c.kind for c in self.columns}}


def _columns(spec: str) -> tuple[Column, ...]:
    pairs = (part.split() for part in spec.split(","))
    return tuple(Column(name, kind) for name, kind in pairs)


_SESSION = "visitors UInt64, visits UInt64, visit_duration UInt64, bounces UInt32, pageviews UInt64"
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "imported_visitors",
            _columns(
                "visitors UInt64, pageviews UInt64, bounces UInt64, visits UInt64, visit_duration UInt64"
            ),
        ),
        Table(
            "imported_sources",
            _columns(
                "source String, referrer String, utm_source String, utm_medium String, utm_campaign String,"
                " utm_content String, utm_term String, pageviews UInt64, visitors UInt64, visits UInt64,"
                " visit_duration UInt64, bounces UInt32"
            ),
        ),
        Table(
            "imported_pages",
            _columns(
                "hostname String, page String, visits UInt64, visitors UInt64, pageviews UInt64,"
                " exits UInt64, total_scroll_depth UInt64, total_scroll_depth_visits UInt64,"
                " total_time_on_page UInt64, total_time_on_page_visits UInt64"
            ),
            optional=frozenset(
                {
                    "visits",
                    "exits",
                    "total_scroll_depth",
                    "total_scroll_depth_visits",
                    "total_time_on_page",
                    "total_time_on_page_visits",
                }
            ),
            ignored=frozenset({"time_on_page", "scroll_depth", "pageleave_visitors", "active_visitors"}),
        ),
        Table(
            "imported_entry_pages",
            _columns(
                "entry_page String, visitors UInt64, entrances UInt64, visit_duration UInt64, bounces UInt32,"
                " pageviews UInt64"
            ),
        ),
        Table(
            "imported_exit_pages",
            _columns(
                "exit_page String, visitors UInt64, visit_duration UInt64, exits UInt64, bounces UInt32,"
                " pageviews UInt64"
            ),
            optional=frozenset({"visit_duration", "bounces", "pageviews"}),
        ),
        Table(
            "imported_custom_events",
            _columns("name String, link_url String, path String, visitors UInt64, events UInt64"),
        ),
        Table(
            "imported_locations",
            _columns(f"country String, region String, city UInt64, {_SESSION}"),
        ),
        Table("imported_devices", _columns(f"device String, {_SESSION}")),
        Table("imported_browsers", _columns(f"browser String, browser_version String, {_SESSION}")),
        Table(
            "imported_operating_systems",
            _columns(f"operating_system String, operating_system_version String, {_SESSION}"),
        ),
    )
}
DERIVED: dict[str, tuple[str, ...]] = {
    "imported_sources": ("channel",),
    "imported_locations": ("region_name", "city_name"),
}

_FILE = re.compile(r"^(?:imported_)?(?P<table>[a-z_]+?)_(?P<first>\d{8})_(?P<last>\d{8})\.csv$")


def parse_file_name(name: str) -> tuple[str, dt.date, dt.date] | None:
    """(table, first day, last day) of an export file's name (any folder dropped), or None."""
    match = _FILE.match(name.rsplit("/", 1)[-1])
    if match is None or f"imported_{match['table']}" not in TABLES:
        return None
    try:
        first = dt.datetime.strptime(match["first"], "%Y%m%d").date()
        last = dt.datetime.strptime(match["last"], "%Y%m%d").date()
    except ValueError:
        return None
    return f"imported_{match['table']}", first, last

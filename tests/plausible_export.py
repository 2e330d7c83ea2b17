"""Zips in the format of Plausible's CSV export (Settings → Imports & Exports), written for tests.

The columns, their order and types are those Plausible documents for its CSV import: one file per
table named ``imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv``, a header line, then one row per day and
value, the day as ``YYYY-MM-DD`` in the site's timezone, counts as whole numbers, ``visit_duration``
as total seconds, ``region`` an ISO 3166-2 code and ``city`` a GeoNames id.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

HEADERS: dict[str, tuple[str, ...]] = {
    "imported_visitors": ("date", "visitors", "pageviews", "bounces", "visits", "visit_duration"),
    "imported_sources": (
        "date", "source", "referrer", "utm_source", "utm_medium", "utm_campaign", "utm_content",
        "utm_term", "pageviews", "visitors", "visits", "visit_duration", "bounces",
    ),
    "imported_pages": (
        "date", "hostname", "page", "visits", "visitors", "pageviews", "total_scroll_depth",
        "total_scroll_depth_visits", "total_time_on_page", "total_time_on_page_visits",
    ),
    "imported_entry_pages": (
        "date", "entry_page", "visitors", "entrances", "visit_duration", "bounces", "pageviews",
    ),
    "imported_exit_pages": (
        "date", "exit_page", "visitors", "visit_duration", "exits", "bounces", "pageviews",
    ),
    "imported_custom_events": ("date", "name", "link_url", "path", "visitors", "events"),
    "imported_locations": (
        "date", "country", "region", "city", "visitors", "visits", "visit_duration", "bounces", "pageviews",
    ),
    "imported_devices": ("date", "device", "visitors", "visits", "visit_duration", "bounces", "pageviews"),
    "imported_browsers": (
        "date", "browser", "browser_version", "visitors", "visits", "visit_duration", "bounces", "pageviews",
    ),
    "imported_operating_systems": (
        "date", "operating_system", "operating_system_version", "visitors", "visits", "visit_duration",
        "bounces", "pageviews",
    ),
}  # fmt: skip


def file_name(table: str, first: dt.date, last: dt.date) -> str:
    return f"{table}_{first:%Y%m%d}_{last:%Y%m%d}.csv"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_export(
    path: Path,
    rows: Mapping[str, Sequence[Sequence[Any]]],
    first: dt.date,
    last: dt.date,
    *,
    texts: dict[str, str] | None = None,
) -> Path:
    """A zip holding each table's rows under its documented header (``texts``: files as given)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, table_rows in rows.items():
            archive.writestr(file_name(table, first, last), csv_text(HEADERS[table], table_rows))
        for name, text in (texts or {}).items():
            archive.writestr(name, text)
    return path


def sample(first: dt.date) -> dict[str, list[Sequence[Any]]]:
    """Two days of a small site, every table, consistent with each other."""
    d1, d2 = first.isoformat(), (first + dt.timedelta(days=1)).isoformat()
    return {
        "imported_visitors": [[d1, 10, 30, 4, 12, 600], [d2, 5, 10, 1, 5, 250]],
        "imported_sources": [
            [d1, "Google", "google.com", "", "", "", "", "", 20, 7, 8, 400, 2],
            [d1, "", "", "", "", "", "", "", 10, 3, 4, 200, 2],
            [d2, "Newsletter", "", "newsletter", "email", "spring", "", "", 10, 5, 5, 250, 1],
        ],
        "imported_pages": [
            [d1, "example.com", "/", 9, 8, 20, 0, 0, 0, 0],
            [d1, "example.com", "/blog", 4, 3, 10, 0, 0, 0, 0],
            [d2, "example.com", "/", 5, 5, 10, 0, 0, 0, 0],
        ],
        "imported_entry_pages": [
            [d1, "/", 8, 9, 500, 3, 25], [d1, "/blog", 3, 3, 100, 1, 5], [d2, "/", 5, 5, 250, 1, 10],
        ],
        "imported_exit_pages": [
            [d1, "/", 7, 400, 8, 3, 20], [d1, "/blog", 4, 200, 4, 1, 10], [d2, "/", 5, 250, 5, 1, 10],
        ],
        "imported_custom_events": [
            [d1, "Signup", "", "", 2, 3],
            [d1, "Outbound Link: Click", "https://elsewhere.org/", "", 1, 1],
            [d2, "Signup", "", "", 1, 1],
        ],
        "imported_locations": [
            [d1, "DE", "DE-BE", 2950159, 6, 7, 300, 2, 20],
            [d1, "US", "US-CA", 5391959, 4, 5, 300, 2, 10],
            [d2, "DE", "DE-BE", 2950159, 5, 5, 250, 1, 10],
        ],
        "imported_devices": [
            [d1, "Desktop", 7, 8, 400, 3, 20],
            [d1, "Mobile", 3, 4, 200, 1, 10],
            [d2, "Desktop", 5, 5, 250, 1, 10],
        ],
        "imported_browsers": [
            [d1, "Firefox", "120.0", 6, 7, 300, 2, 18],
            [d1, "Chrome", "121.0", 4, 5, 300, 2, 12],
            [d2, "Firefox", "120.0", 5, 5, 250, 1, 10],
        ],
        "imported_operating_systems": [
            [d1, "GNU/Linux", "", 7, 8, 400, 3, 20],
            [d1, "Android", "14", 3, 4, 200, 1, 10],
            [d2, "GNU/Linux", "", 5, 5, 250, 1, 10],
        ],
    }  # fmt: skip


UNKNOWN_REGION, UNKNOWN_CITY = "DE-XX", 999_999_999  # no subdivision has the code, no city the id


def places(first: dt.date) -> list[Sequence[Any]]:
    """imported_locations rows of a day in Berlin, Paris and a place no library knows."""
    day = first.isoformat()
    return [
        [day, "DE", "DE-BE", 2950159, 6, 7, 300, 2, 20],  # Berlin, Berlin
        [day, "FR", "FR-IDF", 2988507, 4, 4, 200, 1, 8],  # Île-de-France, Paris
        [day, "DE", UNKNOWN_REGION, UNKNOWN_CITY, 2, 2, 100, 1, 4],
    ]

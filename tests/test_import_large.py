"""A multi-year export of over a million rows imports (streamed in, in bounded memory) and adds up;
the time it takes is printed."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import ActiveImport, Query, client, decide_imports, import_kept_days, load_plausible, run_query
from analytics.imported.tables import TABLES
from analytics.periods import DateRange
from tests.plausible_export import HEADERS, csv_text, file_name

SITE = 903
LAST = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=30)
FIRST = LAST - dt.timedelta(days=4 * 365)  # four years
PAGES_A_DAY = 700  # 1,461 days x 700 pages: over a million rows


@pytest.fixture
def clean(clickhouse: None) -> Iterator[None]:
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")
    yield
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")


def days() -> Iterator[dt.date]:
    day = FIRST
    while day <= LAST:
        yield day
        day += dt.timedelta(days=1)


def write_large(path: Path) -> int:
    """The export's pages file written a day at a time into the zip (never whole in memory); its rows."""
    rows = 0
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        visitors = [[day, 100, 300, 40, 120, 6000] for day in days()]
        archive.writestr(
            file_name("imported_visitors", FIRST, LAST), csv_text(HEADERS["imported_visitors"], visitors)
        )
        with archive.open(file_name("imported_pages", FIRST, LAST), "w", force_zip64=True) as out:
            out.write((",".join(HEADERS["imported_pages"]) + "\n").encode())
            for day in days():
                lines = [f"{day},example.com,/page/{n},2,2,{1 + n % 3},0,0,0,0\n" for n in range(PAGES_A_DAY)]
                out.write("".join(lines).encode())
                rows += PAGES_A_DAY
    return rows + len(visitors)


def test_a_million_rows_over_four_years_import(
    clean: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "large.zip"
    rows = write_large(path)
    assert rows > 1_000_000
    started = time.perf_counter()
    loaded = load_plausible(path, SITE, 77, import_kept_days(None, None))
    seconds = time.perf_counter() - started
    with capsys.disabled():  # shown in every run: the figure the issue asks for
        print(f"\nimported {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB zipped) in {seconds:.1f} s")
    assert sum(loaded.rows.values()) == rows and (loaded.first, loaded.last) == (FIRST, LAST)
    query = Query(site_id=SITE, date_range=DateRange(FIRST, LAST, "UTC"), metrics=("visitors", "pageviews"))
    decision = decide_imports(query, ActiveImport(77, FIRST, LAST))
    n_days = (LAST - FIRST).days + 1
    assert run_query(decision.query) == [{"visitors": 100 * n_days, "pageviews": 300 * n_days}]
    pages = dataclasses.replace(decision.query, dimensions=("event:page",), limit=1000)
    per_day = sum(1 + n % 3 for n in range(PAGES_A_DAY))
    assert sum(row["pageviews"] for row in run_query(pages)) == per_day * n_days

"""Bad export files: the error names the file, line and column, and nothing is left imported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import ImportFileError, client, import_kept_days, load_plausible
from analytics.imported.store import table_rows
from analytics.imported.tables import TABLES
from tests.plausible_export import HEADERS, csv_text, file_name, sample, write_export

SITE = 902
FIRST = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=500)
LAST = FIRST + dt.timedelta(days=1)
VISITORS = file_name("imported_visitors", FIRST, LAST)


@pytest.fixture
def clean(clickhouse: None) -> Iterator[None]:
    for table in TABLES:
        client.command(f"TRUNCATE TABLE {table}")
    yield


def load_failing(path: Path) -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        load_plausible(path, SITE, 11, import_kept_days(None, None))
    assert set(table_rows(SITE, 11).values()) == {0}, "a failed import leaves nothing behind"
    return caught.value


def with_file(tmp_path: Path, table: str, text: str) -> Path:
    """The sample export with one table's file replaced by ``text``; that table is loaded last."""
    rows = {name: value for name, value in sample(FIRST).items() if name != table}
    return write_export(
        tmp_path / "export.zip", rows, FIRST, LAST, texts={file_name(table, FIRST, LAST): text}
    )


def test_a_wrong_header_names_the_column(clean: None, tmp_path: Path) -> None:
    header = ("date", "visitors", "page_views", "bounces", "visits", "visit_duration")
    error = load_failing(with_file(tmp_path, "imported_visitors", csv_text(header, [])))
    assert (
        str(error)
        == f"{VISITORS}, line 1, column 3 (page_views): unknown column 'page_views' for imported_visitors"
    )
    missing = ("date", "visitors", "bounces", "visits", "visit_duration")
    error = load_failing(with_file(tmp_path, "imported_visitors", csv_text(missing, [])))
    assert "line 1" in str(error) and "lacks the column 'pageviews'" in str(error)


def test_a_bad_date_names_its_line(clean: None, tmp_path: Path) -> None:
    good = sample(FIRST)["imported_devices"]
    text = csv_text(HEADERS["imported_devices"], [*good, ["2021-02-30", "Desktop", 1, 1, 0, 0, 1]])
    error = load_failing(with_file(tmp_path, "imported_devices", text))
    name = file_name("imported_devices", FIRST, LAST)
    assert str(error) == f"{name}, line 5, column 1 (date): '2021-02-30' is not a date (YYYY-MM-DD)"


def test_a_non_number_names_its_cell(clean: None, tmp_path: Path) -> None:
    rows = [[FIRST.isoformat(), "Google", "", "", "", "", "", "", 3, "many", 1, 0, 0]]
    error = load_failing(with_file(tmp_path, "imported_sources", csv_text(HEADERS["imported_sources"], rows)))
    assert (error.line, error.column) == (2, "10 (visitors)")
    assert "'many' is not a whole number" in error.message
    negative = [[FIRST.isoformat(), 1, 1, -1, 1, 0]]
    error = load_failing(
        with_file(tmp_path, "imported_visitors", csv_text(HEADERS["imported_visitors"], negative))
    )
    assert (error.line, error.column) == (2, "4 (bounces)")


def test_a_short_row_and_a_broken_file(clean: None, tmp_path: Path) -> None:
    text = csv_text(HEADERS["imported_visitors"], [[FIRST.isoformat(), 1, 2]])
    assert "line 2: 3 cells where the header has 6" in str(
        load_failing(with_file(tmp_path, "imported_visitors", text))
    )
    (tmp_path / "not.zip").write_bytes(b"this is no zip")
    assert "not a zip file" in str(load_failing(tmp_path / "not.zip"))
    latin = "date,device,visitors,visits,visit_duration,bounces,pageviews\n2020-01-01,T\xe9l\xe9,1,1,0,0,1\n"
    path = tmp_path / "latin.zip"
    write_export(path, {"imported_visitors": []}, FIRST, LAST)
    import zipfile

    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(file_name("imported_devices", FIRST, LAST), latin.encode("latin-1"))
    assert str(load_failing(path)) == f"{file_name('imported_devices', FIRST, LAST)}, line 2: not UTF-8 text"


def test_a_missing_or_unknown_file(clean: None, tmp_path: Path) -> None:
    rows = {name: value for name, value in sample(FIRST).items() if name != "imported_visitors"}
    error = load_failing(write_export(tmp_path / "a.zip", rows, FIRST, LAST))
    assert str(error) == "the zip: has no imported_visitors_<YYYYMMDD>_<YYYYMMDD>.csv file"
    error = load_failing(
        write_export(tmp_path / "b.zip", sample(FIRST), FIRST, LAST, texts={"notes.txt": "hi"})
    )
    assert error.file == "notes.txt" and "not a file of Plausible's CSV export" in error.message


def test_a_good_export_loads_every_table(clean: None, tmp_path: Path) -> None:
    loaded = load_plausible(
        write_export(tmp_path / "export.zip", sample(FIRST), FIRST, LAST),
        SITE,
        12,
        import_kept_days(None, None),
    )
    assert loaded.rows == {name: len(rows) for name, rows in sample(FIRST).items()}
    assert table_rows(SITE, 12) == loaded.rows
    # Without the imported_ prefix (Plausible reads both) and with older exports' page columns.
    old_pages = ("date", "hostname", "page", "visits", "visitors", "pageviews", "exits", "time_on_page")
    texts = {
        f"visitors_{FIRST:%Y%m%d}_{LAST:%Y%m%d}.csv": csv_text(
            HEADERS["imported_visitors"], [[FIRST, 1, 1, 0, 1, 0]]
        ),
        f"imported_pages_{FIRST:%Y%m%d}_{LAST:%Y%m%d}.csv": csv_text(
            old_pages, [[FIRST, "example.com", "/", 1, 1, 1, 1, 30]]
        ),
    }
    older = load_plausible(
        write_export(tmp_path / "old.zip", {}, FIRST, LAST, texts=texts),
        SITE,
        13,
        import_kept_days(None, None),
    )
    assert (older.rows["imported_visitors"], older.rows["imported_pages"]) == (1, 1)

"""A large Plausible export imported (issue 20: "a 200 MB export must import"), against reading it.

A zip of three years of page rows with random paths (so it does not compress away: about 207 MB with
``--quick`` off, 30 MB with it) is written a day at a time, then, in a child process of its own with a
fresh chDB directory, read twice: once only unzipped and split into CSV rows (the baseline), once
imported by ``analytics.load_plausible`` (every cell typed, inserted in batches with tokens). The ratio
says what validating and storing cost over reading; the memory figures say the file is streamed.

    python -m bench.import_large 4900   # rows a day: one JSON line of figures
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from bench.common import BenchError, Figures, Settings, progress

FIRST, LAST = dt.date(2021, 1, 1), dt.date(2023, 12, 31)
SITE_ID = 1
FULL_ROWS_A_DAY, QUICK_ROWS_A_DAY = 4900, 700

LABELS = {
    "import_zip_mb": "size of the Plausible export imported (zipped)",
    "import_rows": "rows in it",
    "import_s": "seconds the import took",
    "import_rows_per_s": "rows/s imported: typed, checked and stored",
    "import_read_rows_per_s": "rows/s only unzipped and split into CSV rows (the baseline)",
    "import_ratio": "imported / read, same file, same run",
    "import_rss_growth_mb": "memory the import added to its process (the file is streamed, not held)",
}


def write_export(path: Path, rows_a_day: int) -> int:
    """The export's visitors and pages files, written a day at a time; its rows."""
    from tests.plausible_export import HEADERS, csv_text, file_name

    days = [FIRST + dt.timedelta(days=n) for n in range((LAST - FIRST).days + 1)]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        visitors = [[day, 100, 300, 40, 120, 6000] for day in days]
        archive.writestr(
            file_name("imported_visitors", FIRST, LAST), csv_text(HEADERS["imported_visitors"], visitors)
        )
        with archive.open(file_name("imported_pages", FIRST, LAST), "w", force_zip64=True) as out:
            out.write((",".join(HEADERS["imported_pages"]) + "\n").encode())
            for day in days:
                paths = (base64.urlsafe_b64encode(os.urandom(36)).decode() for _ in range(rows_a_day))
                out.write("".join(f"{day},example.com,/p/{p},2,2,1,0,0,0,0\n" for p in paths).encode())
    return len(days) * (rows_a_day + 1)


def read_only(path: Path) -> int:
    """Every member unzipped and split into CSV rows, nothing else; how many rows."""
    rows = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as raw:
                rows += sum(1 for _ in csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline=""))) - 1
    return rows


def measure(rows_a_day: int) -> Figures:
    """In this process (which owns the CLICKHOUSE_URL directory): write, read, import."""
    from analytics import import_kept_days, load_plausible
    from clickhouse.migrate import migrate

    migrate()
    with tempfile.TemporaryDirectory(prefix="lantern-bench-import-") as tmp:
        path = Path(tmp) / "export.zip"
        rows = write_export(path, rows_a_day)
        started = time.perf_counter()
        if read_only(path) != rows:
            raise BenchError("the export's rows were not read back")
        read_s = time.perf_counter() - started
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        loaded = load_plausible(path, SITE_ID, 1, import_kept_days(None, None))
        import_s = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if sum(loaded.rows.values()) != rows:
            raise BenchError(f"imported {sum(loaded.rows.values())} rows of {rows}")
        return {
            "import_zip_mb": round(path.stat().st_size / 1e6, 1),
            "import_rows": rows,
            "import_s": round(import_s, 2),
            "import_rows_per_s": round(rows / import_s),
            "import_read_rows_per_s": round(rows / read_s),
            "import_ratio": round(read_s / import_s, 3),
            "import_rss_growth_mb": round(after - before, 1),
        }


def import_vs_read(settings: Settings) -> Figures:
    """The benchmark: ``measure`` in a fresh process and data directory."""
    rows_a_day = QUICK_ROWS_A_DAY if settings.quick else FULL_ROWS_A_DAY
    progress(f"import: a Plausible export of {rows_a_day:,} page rows a day over three years")
    with tempfile.TemporaryDirectory(prefix="lantern-bench-import-") as tmp:
        env = {**os.environ, "CLICKHOUSE_URL": f"chdb://{Path(tmp) / 'clickhouse'}", "LANTERN_DATA_DIR": tmp}
        command = [sys.executable, "-m", "bench.import_large", str(rows_a_day)]
        done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise BenchError(f"the import benchmark failed (exit {done.returncode})")
    figures: Figures = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]))))

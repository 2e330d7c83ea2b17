"""CSV that is safe to open in a spreadsheet: the one place Lantern writes CSV.

Tracked data (pages, referrers, props) is attacker-controlled. A cell beginning with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return) would run as a formula in Excel, LibreOffice or Google
Sheets, so such a cell is written with a ``'`` in front (OWASP's rule for CSV injection).

Files meant to be read back (the full export, which another Lantern imports) use ``exact_cell``: it
also puts a ``'`` before a value that itself begins with ``'``, so the reader recovers every value by
taking one leading ``'`` off (``analytics.imported.rows.unquote``).

    >>> safe_cell('=HYPERLINK("http://evil")')
    '\\'=HYPERLINK("http://evil")'
    >>> write_csv([{"page": "/", "visitors": 3}], ["page", "visitors"])
    b'page,visitors\\r\\n/,3\\r\\n'
    >>> write_csv([{"page": "/"}], ["page", "visitors"], header=False)
    b'/,\\r\\n'
    >>> exact_cell("'quoted"), exact_cell("-1"), exact_cell("/")
    ("''quoted", "'-1", '/')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as text, with a ``'`` in front when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def exact_cell(value: object) -> str:
    """``safe_cell``, reversibly: a value beginning with ``'`` gets one more in front too, so taking one
    leading ``'`` off any cell gives the value back exactly."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) or text.startswith("'") else text


def write_csv(
    rows: Iterable[Mapping[str, object]],
    columns: Sequence[str],
    *,
    header: bool = True,
    cell: Callable[[object], str] = safe_cell,
) -> bytes:
    """A header of ``columns``, then each row's values for them (missing ones empty), as UTF-8.

    ``header=False`` leaves the header out: the next piece of a file written a batch at a time;
    ``cell`` writes each value (``exact_cell`` for files read back).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow([cell(column) for column in columns])
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
    return out.getvalue().encode("utf-8")

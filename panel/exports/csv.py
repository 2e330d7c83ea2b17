"""CSV that is safe to open in a spreadsheet: the one place Lantern writes CSV.

Tracked data (pages, referrers, props) is attacker-controlled. A cell beginning with ``=``, ``+``,
``-`` or ``@`` (or a tab or carriage return) would run as a formula in Excel, LibreOffice or Google
Sheets, so such a cell is written with a ``'`` in front (OWASP's rule for CSV injection).

    >>> safe_cell('=HYPERLINK("http://evil")')
    '\\'=HYPERLINK("http://evil")'
    >>> write_csv([{"page": "/", "visitors": 3}], ["page", "visitors"])
    b'page,visitors\\r\\n/,3\\r\\n'
    >>> write_csv([{"page": "/"}], ["page", "visitors"], header=False)
    b'/,\\r\\n'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as text, with a ``'`` in front when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(rows: Iterable[Mapping[str, object]], columns: Sequence[str], *, header: bool = True) -> bytes:
    """A header of ``columns``, then each row's values for them (missing ones empty), as UTF-8.

    ``header=False`` leaves the header out: the next piece of a file written a batch at a time.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow([safe_cell(column) for column in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(column)) for column in columns])
    return out.getvalue().encode("utf-8")

"""CSV writing: cells a spreadsheet would run as formulas are prefixed with a quote."""

from __future__ import annotations

import csv
import io

import pytest

from panel.exports.csv import safe_cell, write_csv


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("/blog", "/blog"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (1.5, "1.5"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def test_write_csv_quotes_and_prefixes() -> None:
    rows: list[dict[str, object]] = [
        {"page": "=1+1", "visitors": 3},
        {"page": '/a,"b"\nc', "visitors": 1},
        {"page": "/missing"},
    ]
    data = write_csv(rows, ["page", "visitors"])
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert parsed == [["page", "visitors"], ["'=1+1", "3"], ['/a,"b"\nc', "1"], ["/missing", ""]]


def test_header_cells_are_safe_too() -> None:
    assert write_csv([], ["-x"]) == b"'-x\r\n"


def test_pieces_written_without_a_header_join_into_one_file() -> None:
    first = write_csv([{"page": "=a"}], ["page", "visitors"])
    rest = write_csv([{"page": "/b", "visitors": 2}], ["page", "visitors"], header=False)
    assert rest == b"/b,2\r\n"
    parsed = list(csv.reader(io.StringIO((first + rest).decode("utf-8"))))
    assert parsed == [["page", "visitors"], ["'=a", ""], ["/b", "2"]]

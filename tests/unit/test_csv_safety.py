"""CSV downloads stay one row per record and never hand a spreadsheet a formula, in cells or in headers."""

from __future__ import annotations

import csv
import io

import openpyxl
import pandas as pd

from dashboard import downloads

PROVENANCE = ["Equity Atlas", "Filters applied:", "No filters: all practices in England"]


def rows(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    body = text.split("\r\n\r\n", 1)[1]  # after the provenance block and its blank line
    return list(csv.reader(io.StringIO(body, newline="")))


def test_lines_end_with_crlf_and_a_bare_cr_is_quoted():
    frame = pd.DataFrame({"name": ["Carriage\rreturn", "Line\nfeed", "plain"], "value": [1, 2, 3]})
    data = downloads.table_csv(frame, PROVENANCE)
    text = data.decode("utf-8-sig")
    assert text.startswith("# Equity Atlas\r\n")
    assert '"Carriage\rreturn"' in text and '"Line\nfeed"' in text
    stripped = text.replace('"Carriage\rreturn"', "").replace('"Line\nfeed"', "")
    assert "\r" not in stripped.replace("\r\n", "") and "\n" not in stripped.replace("\r\n", "")
    assert rows(data) == [["name", "value"], ["Carriage\rreturn", "1"], ["Line\nfeed", "2"], ["plain", "3"]]


def test_formula_headers_are_defused_like_values():
    """The pack's trend CSV names a column after the area: a crafted name must not run in Excel."""
    trend = pd.DataFrame({"year": ["2022-23"], "=HYPERLINK(\"http://x\")": [1.5], "@SUM(A1)": [2.0],
                          "England (reference)": [1.0]})
    table = rows(downloads.table_csv(trend, PROVENANCE))
    assert table[0] == ["year", "'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "England (reference)"]
    practices = pd.DataFrame({"code": ["A1"], "name": ["+cmd|' /C calc'!A0"]})
    table = rows(downloads.practices_csv(practices, [("code", "-Code"), ("name", "Name")], PROVENANCE))
    assert table == [["'-Code", "Name"], ["A1", "'+cmd|' /C calc'!A0"]]


def test_workbook_headers_are_text_not_formulas():
    frame = pd.DataFrame({"=1+1": [1.0], "name": ["=2+2"]})
    book = openpyxl.load_workbook(io.BytesIO(downloads.workbook_xlsx({"Trend": frame}, PROVENANCE)))
    header, value = book["Trend"]["A1"], book["Trend"]["B2"]
    assert header.value == "=1+1" and header.data_type == "s"
    assert value.value == "=2+2" and value.data_type == "s"

"""The practice table's server side: search, column filters, sorting and blocks."""

from __future__ import annotations

import pandas as pd

from dashboard.components.table_rows import MAX_BLOCK, block

TABLE = pd.DataFrame({
    "practice_code": ["A1", "B2", "C3", "D4"],
    "practice_name": ["Alpha Surgery", "Beta Practice", "Gamma Health", "Delta Surgery"],
    "postcode": ["CV1 1AA", "CV2 2BB", "LU1 1AA", "LU2 9ZZ"],
    "registered_patients": [1000.0, 5000.0, None, 3000.0],
})


def test_search_by_name_code_and_postcode():
    assert [r["practice_code"] for r in block(TABLE, {}, "surgery")["rowData"]] == ["A1", "D4"]
    assert block(TABLE, {}, "c3")["rowCount"] == 1
    assert block(TABLE, {}, "lu29zz")["rowData"][0]["practice_code"] == "D4"


def test_sort_filter_and_block_bounds():
    request = {"startRow": 0, "endRow": 2, "sortModel": [{"colId": "registered_patients", "sort": "desc"}],
               "filterModel": {"registered_patients": {"filterType": "number", "type": "greaterThan", "filter": 500}}}
    response = block(TABLE, request, "")
    assert response["rowCount"] == 3
    assert [r["practice_code"] for r in response["rowData"]] == ["B2", "D4"]
    assert block(TABLE, {"startRow": 0, "endRow": 10 ** 9}, "")["rowCount"] == 4
    assert len(block(pd.concat([TABLE] * 300), {"startRow": 0, "endRow": 10 ** 9}, "")["rowData"]) == MAX_BLOCK


def test_missing_values_become_null_and_bad_requests_are_harmless():
    rows = block(TABLE, {"startRow": "x", "filterModel": {"nope": {}}, "sortModel": [{"colId": "nope"}]}, None)
    assert rows["rowCount"] == 4 and rows["rowData"][2]["registered_patients"] is None

"""Serve the practice table a block at a time: sort, filter and search on the server, send only ~50 rows.

Sending every practice in England to the browser on each interaction would cost megabytes; the grid
asks for the rows it is about to show instead (AG Grid's infinite row model).
"""

from __future__ import annotations

import pandas as pd

SEARCHED = ("practice_name", "practice_code", "postcode")
MAX_BLOCK = 500


def search(table: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """Name, code or postcode containing the text (case and spaces ignored)."""
    words = (text or "").strip().lower()
    if not words:
        return table
    compact = words.replace(" ", "")
    mask = table["practice_name"].astype(str).str.lower().str.contains(words, regex=False)
    for column in ("practice_code", "postcode"):
        mask |= table[column].astype(str).str.lower().str.replace(" ", "", regex=False).str.contains(
            compact, regex=False)
    return table[mask]


def apply_filter_model(table: pd.DataFrame, model: dict | None) -> pd.DataFrame:
    """AG Grid column filters (text contains/equals, number comparisons); unknown kinds are ignored."""
    for column, spec in (model or {}).items():
        if column not in table.columns or not isinstance(spec, dict):
            continue
        conditions = spec.get("conditions") or [spec]
        masks = [condition_mask(table[column], c) for c in conditions if isinstance(c, dict)]
        masks = [m for m in masks if m is not None]
        if not masks:
            continue
        combined = masks[0]
        for mask in masks[1:]:
            combined = (combined | mask) if spec.get("operator") == "OR" else (combined & mask)
        table = table[combined]
    return table


def condition_mask(values: pd.Series, condition: dict):
    kind, value = condition.get("type"), condition.get("filter")
    if condition.get("filterType") == "number":
        numbers = pd.to_numeric(values, errors="coerce")
        try:
            value = float(value)
        except (TypeError, ValueError):
            return None
        ops = {"equals": numbers == value, "notEqual": numbers != value, "lessThan": numbers < value,
               "lessThanOrEqual": numbers <= value, "greaterThan": numbers > value,
               "greaterThanOrEqual": numbers >= value}
        if kind == "inRange":
            try:
                return numbers.between(value, float(condition.get("filterTo")))
            except (TypeError, ValueError):
                return None
        return ops.get(kind)
    text = values.astype(str).str.lower()
    needle = str(value or "").lower()
    ops = {"contains": text.str.contains(needle, regex=False), "notContains": ~text.str.contains(needle, regex=False),
           "equals": text == needle, "notEqual": text != needle, "startsWith": text.str.startswith(needle),
           "endsWith": text.str.endswith(needle)}
    return ops.get(kind)


def apply_sort_model(table: pd.DataFrame, model: list | None) -> pd.DataFrame:
    keys = [(m.get("colId"), m.get("sort") == "asc") for m in (model or []) if isinstance(m, dict)
            and m.get("colId") in table.columns]
    if not keys:
        return table
    return table.sort_values([k for k, _ in keys], ascending=[a for _, a in keys], na_position="last", kind="stable")


def block(table: pd.DataFrame, request: dict | None, text: str | None) -> dict:
    """The rows the grid asked for, and how many rows the whole (filtered) table has."""
    request = request or {}
    rows = apply_sort_model(apply_filter_model(search(table, text), request.get("filterModel")),
                            request.get("sortModel"))
    try:
        start = max(int(request.get("startRow", 0)), 0)
        end = min(max(int(request.get("endRow", start + 100)), start), start + MAX_BLOCK)
    except (TypeError, ValueError):
        start, end = 0, 100
    records = rows.iloc[start:end].to_dict("records")
    return {"rowData": [{k: _json_value(v) for k, v in r.items()} for r in records], "rowCount": int(len(rows))}


def _json_value(value):
    """Missing values (NaN, NA, NaT) as null; replacing them in the frame costs more than the rest (categories)."""
    try:
        return None if pd.isna(value) else value
    except (TypeError, ValueError):  # lists and other containers
        return value

"""Files people take away: every CSV and workbook carries where its numbers came from.

Pure functions (no Dash): frames and manifest in, bytes out, so they are easy to test and the same
provenance block heads every download. Per-patient columns use the registry's definitions, so a
number in a download is the number on the screen.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from datetime import date, datetime

import numpy as np
import pandas as pd

from dashboard import config
from dashboard.data import aggregates
from dashboard.data.query import Filters
from dashboard.dimensions import FILTERS

TITLE = "Equity Atlas"
METHODS_PATH = "/about"
ENCODING = "utf-8-sig"  # the BOM makes Excel read UTF-8, so "£" and "ö" survive

PRACTICE_COLUMNS: list[tuple[str, str]] = [
    ("practice_code", "Practice code"),
    ("practice_name", "Practice name"),
    ("postcode", "Postcode"),
    ("la_name", "Local authority"),
    ("icb_name", "Integrated Care Board"),
    ("sicbl_name", "Sub-ICB location"),
    ("region_name", "NHS region"),
    ("pcn_code", "Primary care network (PCN) code, from 2019-20"),
    ("pcn_name", "Primary care network (PCN) name"),
    ("dispensing", "Dispensing practice"),
    ("contract_type", "Contract type"),
    ("rurality", "Rurality"),
    ("registered_patients", "Registered patients"),
    ("weighted_patients", "Weighted patients"),
    ("total_payments", "Total payments (£)"),
    ("payments_per_registered_patient", "Payments per registered patient (£)"),
    ("payments_per_weighted_patient", "Payments per weighted patient (£)"),
    ("pay_prescribing_dispensing", "Prescribing and dispensing payments (£)"),
    ("imd_score", "IMD score"),
    ("imd_edition", "IMD edition"),
    ("imd_quintile", "IMD fifth (1 = most deprived)"),
    ("life_expectancy_female", "Life expectancy, female (years)"),
    ("life_expectancy_male", "Life expectancy, male (years)"),
    ("location_quality", "Location accuracy (exact, sector or district centroid, none)"),
]
# Kept beside the table columns so the explorer can mark a chosen practice on the map.
EXTRA_COLUMNS = ["lon", "lat"]
PER_PATIENT = {"payments_per_registered_patient": "registered", "payments_per_weighted_patient": "weighted"}
AREA_NAMES = {"la_name": "la_code", "icb_name": "icb_code", "sicbl_name": "sicbl_code", "region_name": "region_code"}

NO_FILTERS = "No filters: all practices in England"
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_NEWLINE = "\r\n"


# --- what the file says about itself ---------------------------------------------------------------------
def describe_filters(filters: Filters, area_names: dict[str, str]) -> list[str]:
    """Human-readable filter lines, so a file read months later says what it covers."""
    lines = [f"Year: {filters.year}" if filters.year else "Year: latest available"]
    restricted = False
    for flt in FILTERS:  # in the order the filter panel shows them
        values = getattr(filters, flt.key) or []
        if not values:
            continue
        restricted = True
        if flt.kind == "area":
            shown = [area_names.get(v, v) for v in values]
        elif flt.kind == "marmot":
            shown = [area_names.get(f"marmot:{v}", v) for v in values]
        elif flt.integer:  # numbered bands: the label says which end is which
            shown = [str(v) for v in values]
        else:
            shown = [flt.choice_label(v) for v in values]
        lines.append(f"{flt.download_label or flt.label}: {', '.join(shown)}")
    if not restricted:
        lines.append(NO_FILTERS)
    return lines


def provenance_lines(filters_description: list[str], made_at: datetime, manifest: dict, *,
                     methods_url: str = METHODS_PATH) -> list[str]:
    """The header of every download: what, which selection, when, from which sources, under which licence."""
    made = f"{made_at.day} {made_at:%B %Y at %H:%M}"
    if made_at.tzinfo is not None:
        made += f" {made_at.tzname()}"
    lines = [TITLE, "NHS money for general practice in England, against deprivation and life expectancy.",
             "Filters applied:", *filters_description, f"Made: {made}"]
    built = str(manifest.get("built_at", ""))[:10]
    if built:
        lines.append(f"Data built: {built}")
    lines.append("Data sources:")
    seen = set()
    for item in manifest.get("inputs", []):
        key = tuple(item.get(k, "") for k in ("title", "publisher", "vintage", "licence"))
        if key in seen:
            continue  # one line per source, not one per yearly file
        seen.add(key)
        title, publisher, vintage, licence = key
        lines.append(f"{title}. {publisher}; {vintage}. Licence: {licence}.")
    lines += [config.OGL_ATTRIBUTION, f"Definitions, methods and caveats: {methods_url}"]
    return [_one_line(line) for line in lines]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


# --- tables --------------------------------------------------------------------------------------------
def practice_table(atlas, practices: pd.DataFrame) -> pd.DataFrame:
    """One row per practice with area names and per-patient money (registry definitions, NaN with no patients)."""
    names = atlas.area_names
    wanted = [c for c, _ in PRACTICE_COLUMNS if c in practices.columns] + [
        c for c in EXTRA_COLUMNS if c in practices.columns]
    table = practices[wanted].copy()
    for column, code_column in AREA_NAMES.items():
        if code_column in practices.columns:
            codes = practices[code_column]
            # A categorical column maps each of its few hundred codes once, not each of thousands of rows.
            table[column] = (codes.map(names) if isinstance(codes.dtype, pd.CategoricalDtype)
                             else codes.astype(object).map(names)).astype(object)
    for column in PER_PATIENT:
        table[column] = aggregates.practice_values(practices, column).astype(float)
    for column in ("year", "dispensing", "contract_type", "rurality", "la_code", "icb_code", "sicbl_code",
                   "region_code", "pcn_code", "pcn_name"):
        if column in table.columns and isinstance(table[column].dtype, pd.CategoricalDtype):
            table[column] = table[column].astype(object)
    order = [c for c, _ in PRACTICE_COLUMNS if c in table.columns]
    order += [c for c in table.columns if c not in order]
    return table[order].reset_index(drop=True)


def _with_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep a named index (e.g. a band) as a column; drop an unnamed row number."""
    if all(name is None for name in frame.index.names):
        return frame
    return frame.reset_index()


def _header_block(provenance: list[str]) -> str:
    return "".join(f"# {_one_line(line)}{CSV_NEWLINE}" for line in provenance) + CSV_NEWLINE


def defuse_text(value):
    """A string a spreadsheet would run as a formula gets a leading apostrophe; anything else is unchanged."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def _defuse(frame: pd.DataFrame) -> pd.DataFrame:
    """Cells and column headers alike: an area's name becomes a header (the pack's trend), so both are data."""
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(defuse_text)
    frame.columns = [defuse_text(c) for c in frame.columns]
    return frame


def practices_csv(frame: pd.DataFrame, columns: list[tuple[str, str]], provenance: list[str]) -> bytes:
    """The practice table as CSV: a '# ' provenance block, a blank line, then the named columns."""
    present = [(c, h) for c, h in columns if c in frame.columns]
    table = frame[[c for c, _ in present]].rename(columns=dict(present))
    return table_csv(table, provenance)


def table_csv(frame: pd.DataFrame, provenance: list[str]) -> bytes:
    """Any table (e.g. a chart's data) as CSV with the same provenance block."""
    # RFC 4180 line ends: the csv writer quotes any value holding a character of the terminator, so with
    # "\r\n" a bare CR inside a name is quoted too (with "\n" alone it was written raw, splitting the row).
    frame = _with_index(frame)
    places = frame.attrs.get("decimals", {})
    if places:
        frame = frame.copy()
        for column, count in places.items():
            if column in frame.columns:
                frame[column] = [f"{v:.{count}f}" if isinstance(v, float) and math.isfinite(v) else ""
                                 for v in frame[column].astype(float)]
    body = _defuse(frame).to_csv(index=False, lineterminator=CSV_NEWLINE)
    return (_header_block(provenance) + body).encode(ENCODING)


def unit_words(unit: str) -> str:
    """What goes in a column header's brackets: the unit a reader needs to use the number."""
    return {"£ per patient": "£", "count": "number", "score": "score"}.get(unit, unit)


def shown_decimals(unit: str, decimals: int) -> int:
    """The decimals metrics.format_value writes for a unit, so a download rounds as the page shows."""
    if unit == "£ per patient":
        return 2
    if unit in ("%", "years"):
        return max(decimals, 1)
    if unit in ("£", "count"):
        return 0
    return decimals


def measure_header(metric_id: str, note: str = "") -> tuple[str, int]:
    """A measure's column header with its unit, "Payments per weighted patient (£)", and the decimals the
    page shows it with: a download never has a bare "value" column."""
    from dashboard.metrics import REGISTRY

    metric = REGISTRY[metric_id]
    return (f"{metric.label} ({unit_words(metric.unit)}{', ' + note if note else ''})",
            shown_decimals(metric.unit, metric.decimals))


def labelled(frame: pd.DataFrame, columns: list[tuple[str, str, int | str | None]]) -> pd.DataFrame:
    """A table a reader can use without the code: named columns with units, counts as whole numbers,
    values rounded to what the page shows. Each column is (source, header, rule): rule "count" gives
    whole numbers (blank when missing), an int rounds to that many decimals, None copies the value.
    """
    out = pd.DataFrame(index=frame.index)
    decimals = {}
    for source, header, rule in columns:
        values = frame[source]
        if rule == "count":
            values = pd.to_numeric(values, errors="coerce").round(0).astype("Int64")
        elif isinstance(rule, int):
            values = pd.to_numeric(values, errors="coerce").astype(float).round(rule)
            decimals[header] = rule
        out[header] = values
    out = out.reset_index(drop=True)
    out.attrs["decimals"] = decimals  # so CSV writes "159.00", not "159.0", and Excel shows two places
    return out


# --- workbook ------------------------------------------------------------------------------------------
def sheet_name(name: str, taken: set[str]) -> str:
    """Excel's rules: ≤ 31 characters, none of []:*?/\\, not blank, unique (case-insensitive)."""
    clean = SHEET_FORBIDDEN.sub(" ", str(name))
    clean = " ".join(clean.split()).strip("'") or "Sheet"
    clean = clean[:31].rstrip()
    candidate, number = clean, 2
    while candidate.lower() in taken:
        suffix = f" ({number})"
        candidate = clean[: 31 - len(suffix)].rstrip() + suffix
        number += 1
    taken.add(candidate.lower())
    return candidate


def _cell_value(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def workbook_xlsx(sheets: dict[str, pd.DataFrame], provenance: list[str]) -> bytes:
    """An Excel workbook: 'About' (the provenance) first, then one formatted sheet per table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    about = book.active
    about.title = "About"
    taken = {"about"}
    for row, line in enumerate(provenance, start=1):
        cell = about.cell(row=row, column=1, value=_one_line(line))
        cell.data_type = "s"  # never a formula, whatever the text starts with
        if row == 1:
            cell.font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 120

    for name, frame in sheets.items():
        sheet = book.create_sheet(sheet_name(name, taken))
        frame = _with_index(frame)
        headers = [str(c) for c in frame.columns]
        sheet.append(headers)
        for cell in sheet[1]:
            cell.data_type = "s"  # a header such as an area named "=x" stays text, never a formula
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for values in frame.itertuples(index=False, name=None):
            sheet.append([_cell_value(v) for v in values])
        sheet.freeze_panes = "A2"
        places = frame.attrs.get("decimals", {})
        for index, header in enumerate(headers, start=1):
            letter = get_column_letter(index)
            sample = frame.iloc[:500, index - 1]
            longest = max([len(str(v)) for v in sample if _cell_value(v) is not None] + [0])
            money = "£" in header
            if money:
                longest = max(longest, 12)
            sheet.column_dimensions[letter].width = min(max(len(header) * 0.8, longest + 2, 8), 50)
            if header in places and not money:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "#,##0" + ("." + "0" * places[header] if places[header] else "")
            if money or not pd.api.types.is_numeric_dtype(frame[frame.columns[index - 1]]):
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    if money and isinstance(cell.value, int | float):
                        cell.number_format = '"£"#,##0' + ("." + "0" * places.get(header, 2) if places.get(header, 2)
                                                           else "")
                    elif cell.data_type == "f":
                        cell.data_type = "s"  # text such as "=x" stays text, never a formula
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- file names ----------------------------------------------------------------------------------------
def safe_filename(stem: str, ext: str, today: date | None = None) -> str:
    """ASCII, lowercase, no path separators or dots in the stem, dated: 'equity-atlas-london-2025-01-31.csv'."""
    text = unicodedata.normalize("NFKD", str(stem)).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].strip("-") or "equity-atlas"
    extension = re.sub(r"[^a-z0-9]", "", str(ext).lower())[:8] or "txt"
    return f"{text}-{(today or date.today()).isoformat()}.{extension}"

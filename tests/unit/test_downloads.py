"""Downloads carry their provenance, parse back to the table, and use the registry's definitions."""

from __future__ import annotations

import io
from datetime import datetime
from types import SimpleNamespace

import numpy as np
import openpyxl
import pandas as pd
import pytest

from dashboard import config, downloads
from dashboard.data.query import Filters, load_atlas

MANIFEST = {
    "built_at": "2026-11-22T21:18:23Z",
    "inputs": [
        {"path": "a/2021.csv", "title": "NHS Payments to General Practice, England", "publisher": "NHS England",
         "vintage": "2014-15 onwards", "licence": "Open Government Licence v3.0", "caveat": "", "rows": 3},
        {"path": "a/2022.csv", "title": "NHS Payments to General Practice, England", "publisher": "NHS England",
         "vintage": "2014-15 onwards", "licence": "Open Government Licence v3.0", "caveat": "", "rows": 3},
        {"path": "b.csv", "title": "Code-Point Open", "publisher": "Ordnance Survey", "vintage": "August 2014",
         "licence": "OS OpenData", "caveat": "", "rows": 9},
    ],
}
NAMES = {"E40000003": "London", "E54000030": "NHS South West London ICB", "marmot:coventry": "Coventry"}
FILTERS = Filters(year="2022-23", region=["E40000003"], dispensing=["Yes"], marmot=["coventry"],
                  quintile=[1, 2], size=["lt5k"])


@pytest.fixture()
def provenance() -> list[str]:
    lines = downloads.describe_filters(FILTERS, NAMES)
    return downloads.provenance_lines(lines, datetime(2025, 1, 31, 14, 5), MANIFEST)


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "practice_code": ["A1", "B2", "C3"],
        "practice_name": ["Surgery, with comma", "=HYPERLINK(1)", "Café Practice"],
        "total_payments": [1000.0, 250.5, np.nan],
        "registered_patients": [10.0, 0.0, 5.0],
    })


COLUMNS = [("practice_code", "Practice code"), ("practice_name", "Practice name"),
           ("total_payments", "Total payments (£)"), ("registered_patients", "Registered patients")]


def test_describe_filters_texts():
    lines = downloads.describe_filters(FILTERS, NAMES)
    assert lines == ["Year: 2022-23", "NHS region: London", "Marmot Place: Coventry", "Dispensing status: Yes",
                     "Deprivation fifth (1 = most deprived): 1, 2",
                     "Practice size (registered patients): Under 5,000"]
    assert downloads.describe_filters(Filters(year="2019-20"), NAMES) == [
        "Year: 2019-20", "No filters: all practices in England"]
    # an unknown code is shown as itself rather than dropped
    assert "Integrated Care Board: E54999999" in downloads.describe_filters(Filters(icb=["E54999999"]), NAMES)


def test_provenance_lines(provenance):
    assert provenance[0] == "Equity Atlas"
    assert "Made: 31 January 2025 at 14:05" in provenance
    assert config.OGL_ATTRIBUTION in provenance
    assert any("/about" in line for line in provenance)
    sources = [line for line in provenance if line.startswith("NHS Payments to General Practice")]
    assert len(sources) == 1  # one line per source, not per yearly file
    assert "NHS England" in sources[0] and "Open Government Licence v3.0" in sources[0]
    assert any(line.startswith("Code-Point Open. Ordnance Survey; August 2014") for line in provenance)


def test_practices_csv_has_header_block_and_parses(frame, provenance):
    data = downloads.practices_csv(frame, COLUMNS, provenance)
    assert data.startswith(b"\xef\xbb\xbf# Equity Atlas\r\n")
    text = data.decode("utf-8-sig")
    assert config.OGL_ATTRIBUTION in text
    for line in downloads.describe_filters(FILTERS, NAMES):
        assert f"# {line}\r\n" in text
    header_lines = len(provenance) + 1
    assert text.splitlines()[len(provenance)] == ""
    parsed = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", skiprows=header_lines)
    assert list(parsed.columns) == [h for _, h in COLUMNS]
    assert parsed["Practice code"].tolist() == ["A1", "B2", "C3"]
    assert parsed["Practice name"].tolist() == ["Surgery, with comma", "'=HYPERLINK(1)", "Café Practice"]
    assert parsed["Total payments (£)"].iloc[1] == 250.5
    assert pd.isna(parsed["Total payments (£)"].iloc[2])
    assert len(pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", comment="#")) == 3


def test_table_csv_keeps_a_meaningful_index(provenance):
    table = pd.DataFrame({"value": [1.5, 2.5]}, index=pd.Index([1, 2], name="band"))
    data = downloads.table_csv(table, provenance + ["Chart: test"])
    assert data.startswith(b"\xef\xbb\xbf# Equity Atlas")
    assert b"# Chart: test\r\n" in data
    parsed = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", comment="#")
    assert list(parsed.columns) == ["band", "value"]
    assert parsed["band"].tolist() == [1, 2]


def test_workbook_has_about_first_and_practices(frame, provenance):
    sheets = {"Practices": frame.rename(columns=dict(COLUMNS)),
              "A chart name that is far too long for Excel: [x]": pd.DataFrame({"a": [pd.NA, 1]})}
    book = openpyxl.load_workbook(io.BytesIO(downloads.workbook_xlsx(sheets, provenance)))
    assert book.sheetnames[0] == "About"
    about = [row[0] for row in book["About"].iter_rows(values_only=True)]
    assert about[0] == "Equity Atlas" and book["About"]["A1"].font.bold
    assert config.OGL_ATTRIBUTION in about
    practices = book["Practices"]
    assert practices.max_row == len(frame) + 1
    assert [c.value for c in practices[1]] == [h for _, h in COLUMNS]
    assert practices["A1"].font.bold and practices.freeze_panes == "A2"
    assert practices["B3"].value == "=HYPERLINK(1)" and practices["B3"].data_type == "s"
    assert "£" in practices["C2"].number_format and practices["C4"].value is None
    other = book.sheetnames[2]
    assert len(other) <= 31 and not set("[]:*?/\\") & set(other)


def test_sheet_names_are_unique_and_short():
    taken = {"about"}
    assert downloads.sheet_name("About", taken) == "About (2)"
    assert downloads.sheet_name("x" * 40, taken) == "x" * 31
    assert downloads.sheet_name("x" * 40, taken) == "x" * 27 + " (2)"


def test_practice_table_per_patient_values():
    practices = pd.DataFrame({
        "practice_code": ["P1", "P2", "P3"], "practice_name": ["One", "Two", "Three"],
        "la_code": ["E1", "E2", None], "icb_code": ["I1", "I1", "I1"], "region_code": ["R1", "R1", "R1"],
        "dispensing": ["Yes", "No", "Unknown"],
        "registered_patients": [1000.0, 0.0, 400.0], "weighted_patients": [800.0, 50.0, 500.0],
        "total_payments": [150_000.0, 20_000.0, 60_000.0],
    })
    for column in ("total_incl_covid_pcn", "pay_prescribing_dispensing", "pay_dispensing_fee", "pay_core", "pay_qof", "pay_enhanced",
                   "pay_premises", "pay_other", "pay_covid", "pay_pcn"):
        practices[column] = 0.0
    for column in ("imd_score", "life_expectancy_female", "life_expectancy_male"):
        practices[column] = np.nan
    areas = pd.DataFrame({"code": ["E1", "E2", "I1", "R1"], "name": ["Ayton", "Beeton", "Board", "North"]})
    table = downloads.practice_table(SimpleNamespace(areas=areas, area_names=areas.set_index("code")["name"]),
                                     practices)
    assert table["payments_per_registered_patient"].iloc[0] == pytest.approx(150.0)
    assert table["payments_per_weighted_patient"].iloc[0] == pytest.approx(187.5)
    assert np.isnan(table["payments_per_registered_patient"].iloc[1])  # no registered patients
    assert np.isnan(table["payments_per_weighted_patient"].iloc[1])
    assert table["payments_per_weighted_patient"].iloc[2] == pytest.approx(120.0)
    assert table["la_name"].tolist()[:2] == ["Ayton", "Beeton"] and pd.isna(table["la_name"].iloc[2])
    assert set(table["icb_name"]) == {"Board"} and set(table["region_name"]) == {"North"}


def test_practice_table_on_real_data_matches_registry(processed_dir):
    atlas = load_atlas(str(processed_dir))
    practices = atlas.year_practices().head(50)
    table = downloads.practice_table(atlas, practices)
    assert len(table) == 50
    assert [c for c, _ in downloads.PRACTICE_COLUMNS if c not in table.columns] == []
    listed = practices["registered_patients"].to_numpy() > 0
    expected = np.where(listed, practices["total_payments"] / practices["registered_patients"].where(listed),
                        np.nan)
    np.testing.assert_allclose(table["payments_per_registered_patient"].to_numpy(), expected)
    one = atlas.metric_value(practices.iloc[[0]], "payments_per_weighted_patient")
    assert table["payments_per_weighted_patient"].iloc[0] == pytest.approx(one)


@pytest.mark.parametrize("stem", ["../../etc/passwd", "..\\windows", "a/b\\c", "Brighton & Hove, ÅLESUND"])
def test_safe_filename(stem):
    name = downloads.safe_filename(stem, "csv")
    assert "../" not in name and "/" not in name and "\\" not in name and ".." not in name
    assert name.isascii() and name.endswith(".csv") and name.count(".") == 1
    assert not name.startswith(("-", "."))
    assert datetime.now().strftime("%Y-%m-%d") in name


def test_safe_filename_is_readable():
    assert downloads.safe_filename("Equity Atlas – London 2022-23", "xlsx", today=datetime(2025, 1, 31).date()) \
        == "equity-atlas-london-2022-23-2025-01-31.xlsx"
    assert downloads.safe_filename("../", "csv").startswith("equity-atlas-")

"""What people take away stands on its own: files name their columns with units, round as the page does,
say where they came from, and pictures carry their title, place, year and licence."""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
import pytest

from dashboard import config, downloads, exports
from dashboard.data.query import load_atlas
from dashboard.figures import print_charts
from dashboard.state import ViewState

BARE = {"y", "value", "band", "group", "area", "england", "amount"}


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


@pytest.fixture(scope="module")
def explorer_tables(atlas):
    from dashboard.pages.explorer import downloads as explorer_downloads
    from dashboard.pages.explorer.view import selection

    state = ViewState(year=atlas.latest_year, region=["E40000003"])
    return explorer_downloads.chart_data(atlas, state, selection(atlas, state))


def test_workbook_has_one_readable_sheet_per_chart_plus_practices(atlas, explorer_tables):
    """The trend used to overwrite the deprivation sheet (both titles cut to the same 31 characters)."""
    from dashboard.pages.explorer import downloads as explorer_downloads
    from dashboard.pages.explorer import ids

    sheets = {"Practices": pd.DataFrame({"Practice code": ["A1"]})}
    sheets.update({explorer_downloads.SHEETS[c]: f for c, f in explorer_tables.items()})
    book = openpyxl.load_workbook(io.BytesIO(downloads.workbook_xlsx(sheets, ["Equity Atlas"])))
    names = book.sheetnames
    assert len(names) == 1 + 1 + len(ids.CHARTS), names  # About, Practices, one per chart
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(n) <= 31 and "(" not in n for n in names), names  # no "(2)" from a clash
    trend = book[explorer_downloads.SHEETS["chart-trend"]]
    assert trend.cell(1, 1).value == "Year"


def test_chart_data_columns_have_units_whole_counts_and_shown_rounding(explorer_tables):
    for chart_id, frame in explorer_tables.items():
        assert not BARE & set(frame.columns), (chart_id, list(frame.columns))
        assert not any("quintile" in c.lower() for c in frame.columns), (chart_id, list(frame.columns))
        for column in frame.columns:
            if column in ("Practices", "Registered patients") or column.startswith("Deprivation "):
                assert str(frame[column].dtype) == "Int64", (chart_id, column, frame[column].dtype)
    pay = explorer_tables["chart-scatter-pay"]
    shown = "Payments per weighted patient (£)"
    assert shown in pay.columns and "Payments per weighted patient (£, unrounded)" in pay.columns
    assert (pay[shown] == pay[shown].round(2)).all()
    assert (pay["Payments per weighted patient (£, unrounded)"] != pay[shown]).any()  # the pennies kept there
    le = explorer_tables["chart-scatter-le"]
    years = [c for c in le.columns if "(years)" in c]
    assert len(years) == 1 and (le[years[0]] == le[years[0]].round(1)).all()
    assert not any("unrounded" in c for c in le.columns)  # only where a reader would want it


def test_csv_writes_values_with_the_decimals_shown(explorer_tables):
    text = downloads.table_csv(explorer_tables["chart-trend"], ["Equity Atlas"]).decode("utf-8-sig")
    rows = text.split("\r\n\r\n", 1)[1].split("\r\n")
    assert rows[0].startswith("Year,Deprivation fifth (1 = most deprived),")
    values = [row.split(",")[2] for row in rows[1:] if row]
    assert values and all(re.fullmatch(r"\d+\.\d\d", v) for v in values if v), values[:5]


def test_practice_columns_say_fifth_not_quintile():
    headers = [h for _, h in downloads.PRACTICE_COLUMNS]
    assert "IMD fifth (1 = most deprived)" in headers
    assert not any("quintile" in h.lower() for h in headers)


def svg_text(svg: bytes) -> str:
    """The words in a matplotlib SVG (its text is drawn as glyph paths, with the string kept in comments)."""
    return " ".join(re.findall(r"<!-- (.*?) -->", svg.decode("utf-8")))


def test_pack_charts_carry_title_subtitle_and_source(atlas):
    materials = exports.briefing_materials(atlas, "E08000026", atlas.latest_year)
    for name, (png, svg) in materials["charts"].items():
        words = svg_text(svg)
        assert "Coventry" in words and atlas.latest_year in words or name == "trend", (name, words[:300])
        assert "Open Government Licence v3.0" in words, name
        assert "Source: NHS Payments to General Practice" in words, name
        assert png.startswith(b"\x89PNG")
    map_words = svg_text(materials["charts"]["map"][1])
    for label in ("Dispensing", "Non-dispensing", "10,000 patients"):
        assert label in map_words, label  # the printed map says what its dots mean
    life = svg_text(materials["charts"]["life-expectancy-by-deprivation"][1])
    assert "not zero" in life  # bars of years start where the differences show, and say so


def test_pack_csvs_label_their_columns(atlas):
    materials = exports.briefing_materials(atlas, "E08000026", atlas.latest_year)
    for name in ("payments-by-deprivation.csv", "life-expectancy-by-deprivation.csv", "trend.csv"):
        text = materials["csvs"][name].decode("utf-8-sig")
        assert config.OGL_ATTRIBUTION in text
        header = text.split("\r\n\r\n", 1)[1].split("\r\n")[0]
        assert not BARE & set(header.split(",")), (name, header)
        assert "(£" in header or "(years" in header, header


def test_print_chart_bytes_stay_deterministic():
    table = pd.DataFrame({"year": ["2021-22", "2022-23"], "area": [1.0, 2.0], "england": [1.5, 1.5]})
    first = print_charts.trend_lines(table, "X", "payments_per_weighted_patient", "T", "X, 2022-23")
    assert first == print_charts.trend_lines(table, "X", "payments_per_weighted_patient", "T", "X, 2022-23")


def test_compare_download_is_the_table_with_provenance(atlas):
    from dashboard.pages import compare

    table = compare.comparison_table(atlas, ["E08000026", "E06000032"], atlas.latest_year)
    assert list(table.columns[:2]) == ["Measure", "Unit"] and "England" in table.columns
    assert any(c.startswith("Coventry (E08000026)") for c in table.columns)
    assert table["Measure"].str.contains("every|Payments per weighted patient, 20", regex=True).any()
    money = table[table["Unit"] == "£"].drop(columns=["Measure", "Unit"])
    assert ((money.astype(float) * 100).round(6) % 1 == 0).all().all()  # pence at most


def test_marmot_downloads(atlas):
    from dashboard.pages import marmot

    places = marmot.places_table(atlas)
    assert len(places) == len(atlas.marmot_places)
    assert {"Place", "Joined", "Member authorities", "Source"} <= set(places.columns)
    together = marmot.together_download(atlas)
    assert together.columns[0] == "Year" and len(together) == len(atlas.years)
    assert "Marmot Places: Payments per weighted patient (£)" in together.columns


def test_whatif_download_and_signed_money(atlas):
    from dashboard.pages import whatif

    table = whatif.change_table(atlas, "deprivation_uplift", 10, atlas.latest_year, "region")
    assert len(table) == 7 and "Change per weighted patient (£)" in table.columns
    assert abs(table["Change (£)"].sum()) < 1e3 * len(table)  # the rule conserves the total, give or take rounding
    assert whatif.signed(42.1, "£ per patient") == "+£42.10"
    assert whatif.signed(-3.049, "£ per patient") == "−£3.05"
    assert whatif.signed(-0.001, "£ per patient") == "£0.00"  # no sign on a rounded zero
    assert whatif.signed(-2.5e6, "£") == "−£2.5m"


def test_marmot_place_opens_on_the_map_with_the_place(atlas):
    from dashboard.pages.area import map_link
    from dashboard.state import parse_query

    link = map_link(atlas, "marmot:coventry")
    state, notices = parse_query(link.split("?", 1)[1], atlas)
    assert state.marmot == ["coventry"] and not notices
    assert map_link(atlas, "E08000026") == "/?area=E08000026"


def test_explorer_chart_caption_names_the_selection(atlas):
    from dashboard.pages.explorer import downloads as explorer_downloads

    caption = explorer_downloads.chart_caption(atlas, ViewState(year="2022-23", dispensing=["Yes"]))
    assert caption["subtitle"] == "Filtered practices, 2022-23"
    assert "Dispensing" in caption["filters"]
    assert config.OGL_ATTRIBUTION in caption["source"]

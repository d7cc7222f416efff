"""Area statistics on the explorer's map: IMD 2025 or 2019 as the `imd` key says (never mixed), the change
between them, and Census 2021 ethnic groups; what each describes is said under the map, and the charts and
table below it do not move."""

from __future__ import annotations

import pytest

from dashboard import area_metrics
from dashboard.data.query import load_atlas
from dashboard.metrics import format_value
from dashboard.pages.explorer import maps, view
from dashboard.state import parse_query, to_query

# IoD2025 File 10 (tests/data/test_area_lenses.py pins the same figures in the processed tables).
FILE_10_2025 = {"E09000028": 23.328, "E09000022": 23.041, "E08000026": 27.528}


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def shown(atlas, query: str):
    state, notices = parse_query(query, atlas)
    assert notices == []
    figure, values, names = maps.first_map(atlas, state)
    return state, figure, values


def test_the_imd_key_switches_every_number_and_label_and_2025_is_file_10(atlas):
    state, figure, values = shown(atlas, "?metric=area:imd_score")
    assert state.imd == "2025" and to_query(state, atlas.latest_year).endswith("metric=area:imd_score")
    for code, published in FILE_10_2025.items():
        assert values[code] == pytest.approx(published, abs=0.001)
    assert maps.map_title(state) == "Area deprivation: IMD average score, by local authority, IMD 2025"
    assert figure.data[0].colorbar.title.text.endswith("IMD 2025")
    old_state, old_figure, old = shown(atlas, "?metric=area:imd_score&imd=2019")
    assert to_query(old_state, atlas.latest_year).endswith("&imd=2019")
    expected_2019 = atlas.area_measure("imd_score", "la", "2019")
    assert old["E09000028"] == pytest.approx(expected_2019["E09000028"]) != values["E09000028"]
    assert maps.map_title(old_state).endswith("IMD 2019") and "IMD 2025" not in old_figure.layout.meta["alt"]
    assert len(values) == len(old) == 296


def test_a_bad_edition_says_so_and_keeps_2025(atlas):
    state, notices = parse_query("?metric=area:imd_score&imd=2031", atlas)
    assert state.imd == "2025" and notices and "2031" in notices[0]


def test_residents_shares_reach_sub_icb_locations_and_say_they_are_residents(atlas):
    state, figure, values = shown(atlas, "?metric=area:eth_black&level=sicbl")
    assert len(values) == 106 and values.between(0, 100).all()
    assert maps.when(state) == "Census 2021"
    note = maps.map_note(state)
    assert "not the patients of its practices" in note and "disclosure-control noise" in note
    assert format_value(values.iloc[0], "%", 1).endswith("%")


def test_what_an_edition_or_level_does_not_publish_leaves_the_map_empty_and_says_why(atlas):
    state, _figure, values = shown(atlas, "?metric=area:imd_score&imd=2019&level=sicbl")
    assert values.empty and "does not give this measure for Sub-ICB locations" in maps.map_note(state)
    state, _figure, values = shown(atlas, "?metric=area:imd_local_concentration&imd=2019")
    assert values.empty and "not published in the IMD 2019 edition" in maps.map_note(state)


def test_the_change_between_editions_is_centred_and_signed(atlas):
    state, figure, values = shown(atlas, "?metric=area:imd_rank:change&level=icb")
    assert figure.data[0].zmid == 0 and figure.data[0].zmin == -figure.data[0].zmax
    assert maps.when(state) == "IMD 2019 to IMD 2025"
    assert format_value(3, "rank change") == "+3 places" and format_value(-2.0, "score change", 1) == "−2.0"
    assert len(values) == 42


def test_practice_filters_do_not_narrow_an_area_statistic_and_the_charts_ignore_the_edition(atlas):
    _state, _figure, everywhere = shown(atlas, "?metric=area:eth_minority")
    _state, _figure, rural = shown(atlas, "?metric=area:eth_minority&rurality=Rural")
    assert everywhere.equals(rural)
    a, _ = parse_query("?metric=area:imd_score&imd=2019", atlas)
    b, _ = parse_query("?metric=area:imd_score", atlas)
    assert view.selection_part(a) == view.selection_part(b)  # nothing below the map recomputes
    assert "residents" in view.chart_note(a.metric)


def test_every_area_option_resolves_in_some_edition_and_is_a_valid_link(atlas):
    options = area_metrics.map_options()
    assert len(options) == len({o["value"] for o in options}) > 20
    for option in options:
        assert any(area_metrics.option_measure(option["value"], e) for e in area_metrics.IMD_EDITIONS), option
        state, notices = parse_query(f"?metric={option['value']}", atlas)
        assert notices == [] and state.metric == option["value"]


def test_the_workbooks_map_sheet_holds_the_maps_values_with_their_edition_and_note(atlas):
    from dashboard.pages.explorer.downloads import map_table

    state, _ = parse_query("?metric=area:eth_black", atlas)
    frame = map_table(atlas, state)
    header = [c for c in frame.columns if c.startswith("Residents")][0]
    assert len(frame) == 296 and "Census 2021" in header and "%" in header
    assert frame.loc[frame["Area code"] == "E09000028", header].iloc[0] == pytest.approx(
        atlas.area_measure("eth_black", "la", "2021")["E09000028"], abs=0.01)
    assert "residents" in frame["Note"].iloc[0].lower()
    practice_state, _ = parse_query("", atlas)
    assert "Note" not in map_table(atlas, practice_state).columns

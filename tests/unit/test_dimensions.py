"""The declared dimensions are what every part reads: a filter or level that some part ignores fails here."""

from __future__ import annotations

from dataclasses import fields

import pytest

from dashboard import dimensions
from dashboard.data.query import REQUIRED_FILES, Filters, load_atlas
from dashboard.state import parse_query


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def test_every_filter_is_a_field_of_a_selection_and_of_the_view():
    from dashboard.state import ViewState

    selection = {f.name for f in fields(Filters)} - {"year"}
    view = {f.name for f in fields(ViewState)}
    for flt in dimensions.FILTERS:
        assert flt.key in selection and flt.key in view, flt.key
    assert selection == {f.key for f in dimensions.FILTERS}


def test_pcn_filter_selects_by_the_publishers_pcn_and_accepts_only_known_codes(atlas):
    flt = dimensions.FILTER["pcn"]
    latest = atlas.year_practices()
    code = latest["pcn_code"].dropna().astype(str).value_counts().index[0]
    chosen = atlas.select(Filters(pcn=[code]))
    assert len(chosen) > 1 and (chosen["pcn_code"].astype(str) == code).all()
    assert len(chosen) == int((latest["pcn_code"].astype(str) == code).sum())
    allowed = flt.allowed(atlas)
    assert allowed(code) and not allowed("NOT-A-PCN") and not allowed("E08000026")
    assert "no official PCN boundaries" in flt.description
    assert not any(level.id == "pcn" for level in dimensions.LEVELS)  # a filter, never a drawn area
    from dashboard.downloads import PRACTICE_COLUMNS, practice_table

    table = practice_table(atlas, chosen)
    assert (table["pcn_code"] == code).all() and table["pcn_name"].notna().all()
    assert table["sicbl_name"].notna().all()
    assert {"pcn_code", "pcn_name", "sicbl_name"} <= {c for c, _ in PRACTICE_COLUMNS}
    from dashboard.pages.area import practice_grid

    grid = practice_grid(atlas, chosen)
    assert "pcn_name" in [c["field"] for c in grid.columnDefs] and grid.rowData[0]["pcn_name"]


def test_sub_icb_level_selects_the_practices_inside_it(atlas):
    level = dimensions.LEVEL["sicbl"]
    assert level.has_geo and level.filter_key == "sicbl"
    areas = atlas.areas_at("sicbl")
    assert len(areas) == 106 and areas["name"].str.len().gt(0).all() and areas["icb_code"].notna().all()
    code = areas["code"].iloc[0]
    practices = atlas.select(atlas.area_filters(code))
    assert len(practices) > 0 and (practices["sicbl_code"].astype(str) == code).all()
    # every practice in an ICB's Sub-ICB locations is that ICB's, bar the few placed near a border
    icb = areas["icb_code"].iloc[0]
    in_icb = atlas.select(Filters(sicbl=areas.loc[areas["icb_code"] == icb, "code"].tolist()))
    assert (in_icb["icb_code"].astype(str) == icb).mean() > 0.97


@pytest.mark.parametrize("flt", [f for f in dimensions.FILTERS if f.choices], ids=lambda f: f.key)
def test_a_choice_in_a_link_selects_exactly_the_practices_that_have_it(atlas, flt):
    value, label = flt.choices[0]
    state, notices = parse_query(f"?{flt.key}={value}", atlas)
    assert notices == [] and getattr(state, flt.key) == [value]
    chosen = atlas.select(state.filters())
    stored = label if flt.stored_as_label else value
    assert len(chosen) > 0 and (chosen[flt.column].astype(object) == stored).all()
    others = atlas.year_practices()
    assert len(chosen) < len(others)


@pytest.mark.parametrize("flt", [f for f in dimensions.FILTERS if f.kind == "area"], ids=lambda f: f.key)
def test_an_area_filter_accepts_codes_of_its_level_only(atlas, flt):
    code = atlas.areas_at(flt.level)["code"].iloc[0]
    other = next(level for level in dimensions.MAP_LEVELS if level != flt.level)
    wrong = atlas.areas_at(other)["code"].iloc[0]
    allowed = flt.allowed(atlas)
    assert allowed(code) and not allowed(wrong)
    assert (atlas.select(Filters(**{flt.key: [code]}))[flt.column].astype(object) == code).all()


def test_every_level_with_boundaries_is_built_and_required(atlas):
    for level in dimensions.GEO_LEVELS:
        assert f"geo/{level}.geojson" in REQUIRED_FILES
        assert (atlas.folder / "geo" / f"{level}.geojson").is_file()
    for level in dimensions.LEVELS:
        if level.code_column:
            assert level.code_column in atlas.practices.columns, level.id
        assert level.plural and level.name and level.title[0].isupper()

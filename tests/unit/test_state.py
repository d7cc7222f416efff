"""The view round-trips through the URL, and bad links fall back to defaults with a notice."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.data.query import load_atlas
from dashboard.state import ViewState, default_state, parse_query, to_query


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def test_round_trip(atlas):
    state = ViewState(year=atlas.years[0], level="icb", area="E54000030", metric="life_expectancy_male",
                      band="decile", region=["E40000003"], dispensing=["Yes", "No"], quintile=[1, 5],
                      size=["lt5k"], rurality=["Rural"], contract=["GMS"])
    query = to_query(state, atlas.latest_year)
    assert "area=E54000030" in query and "metric=life_expectancy_male" in query
    parsed, notices = parse_query(query, atlas)
    assert notices == []
    assert parsed == state


def test_default_link_is_short(atlas):
    assert to_query(default_state(atlas.latest_year), atlas.latest_year) == f"?year={atlas.latest_year}"


def test_marmot_area_and_filters(atlas):
    slug = atlas.marmot_places.loc[atlas.marmot_places["mapped"], "slug"].iloc[0]
    state, notices = parse_query(f"?area=marmot:{slug}&marmot={slug}", atlas)
    assert notices == [] and state.area == f"marmot:{slug}" and state.marmot == [slug]


@pytest.mark.parametrize("query, fragment", [
    ("?year=1999-00", "no data for the year"),
    ("?level=ward", "not a map level"),
    ("?metric=nonsense", "not a measure"),
    ("?area=E99999999", "could not find an area"),
    ("?dispensing=Maybe", "Ignored unknown dispensing"),
    ("?quintile=7", "Ignored unknown quintile"),
    ("?colour=red", "Ignored unknown setting"),
])
def test_bad_values_give_a_notice_and_the_default(atlas, query, fragment):
    state, notices = parse_query(query, atlas)
    assert any(fragment in n for n in notices)
    default = default_state(atlas.latest_year)
    assert state.year == default.year and state.level in ("la", "icb", "region")


def test_long_values_are_cut_before_they_are_echoed(atlas):
    _state, notices = parse_query("?area=" + "x" * 300 + "&la=" + "y" * 5000, atlas)
    assert notices and max(len(n) for n in notices) < 200


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_query_string_parses(atlas, text):
    state, notices = parse_query(text, atlas)
    assert state.year in atlas.years
    assert isinstance(notices, list)

"""Every way the explorer's view can change, decided without a server (pages/explorer/view.py)."""

from __future__ import annotations

import pytest
from dash import no_update

from dashboard.components.controls import CONTROL_FIELDS
from dashboard.pages.explorer import ids
from dashboard.pages.explorer.view import Request, control_values, decide, selection, selection_name
from dashboard.state import ViewState, default_state


@pytest.fixture(scope="module")
def atlas(processed_dir):
    from dashboard.data.query import load_atlas

    return load_atlas(str(processed_dir))


def test_a_link_sets_every_control_and_the_view(atlas):
    decision = decide(Request(trigger=ids.URL, search="?level=icb&quintile=1,2&dispensing=Yes"), atlas)
    assert decision.url is no_update  # the URL is already what the view says
    assert decision.view["level"] == "icb" and decision.view["quintile"] == [1, 2]
    assert set(decision.controls) == set(CONTROL_FIELDS.values())
    assert decision.controls["dispensing"] == ["Yes"] and decision.notice is None


def test_a_bad_link_keeps_the_default_and_says_why(atlas):
    decision = decide(Request(trigger=ids.URL, search="?level=moon"), atlas)
    assert decision.view["level"] == "la" and "moon" in decision.notice[0]


def test_a_control_writes_the_url_and_a_cleared_control_goes_back_to_its_default(atlas):
    stored = default_state(atlas.latest_year).as_dict()
    controls = control_values(default_state(atlas.latest_year)) | {"level": "region", "metric": None}
    decision = decide(Request(trigger="f-level", controls=controls, stored=stored), atlas)
    assert decision.url == "?year=" + atlas.latest_year + "&level=region"
    assert decision.view["metric"] == stored["metric"] and decision.controls is None


def test_clicking_an_area_selects_it_and_clicking_again_clears_it(atlas):
    stored = default_state(atlas.latest_year).as_dict()
    click = {"points": [{"location": "E08000026"}]}
    first = decide(Request(trigger=ids.MAP, click=click, stored=stored), atlas)
    assert first.view["area"] == "E08000026" and "area=E08000026" in first.url
    second = decide(Request(trigger=ids.MAP, click=click, stored=first.view), atlas)
    assert second.view["area"] == ""
    assert decide(Request(trigger=ids.MAP, click={"points": []}, stored=stored), atlas).view is no_update


def test_changing_level_drops_an_area_of_another_level_but_keeps_a_marmot_place(atlas):
    for area, kept in (("E08000026", ""), ("marmot:coventry", "marmot:coventry")):
        stored = ViewState(year=atlas.latest_year, area=area).as_dict()
        controls = control_values(ViewState(**stored)) | {"level": "icb"}
        assert decide(Request(trigger="f-level", controls=controls, stored=stored), atlas).view["area"] == kept


def test_reset_and_other_pages(atlas):
    stored = ViewState(year=atlas.latest_year, level="icb", dispensing=["Yes"]).as_dict()
    reset = decide(Request(trigger=ids.RESET, stored=stored), atlas)
    assert reset.view == default_state(atlas.latest_year).as_dict() and reset.url == f"?year={atlas.latest_year}"
    assert decide(Request(trigger=ids.URL, search="?level=icb", pathname="/about"), atlas).view is no_update


def test_selection_is_the_filters_then_the_area(atlas):
    state = ViewState(year=atlas.latest_year, area="E08000026", dispensing=["No"])
    chosen = selection(atlas, state)
    assert len(chosen) > 0 and (chosen["la_code"].astype(object) == "E08000026").all()
    assert (chosen["dispensing"].astype(object) == "No").all()
    assert selection_name(atlas, state) == "Coventry"
    assert selection_name(atlas, ViewState(year=atlas.latest_year, rurality=["Rural"])) == "Filtered practices"
    assert selection_name(atlas, ViewState(year=atlas.latest_year)) == "England"


@pytest.mark.parametrize("settings", [dict(area="E08000026"), dict(area="marmot:coventry", dispensing=["No"]),
                                      dict(area="E54000030", quintile=[1, 2]), dict(area="E92000001")])
def test_narrowing_to_an_area_is_the_filters_and_the_area_together(atlas, settings):
    """selection() narrows within the filtered rows: the same practices as both selections intersected."""
    state = ViewState(year=atlas.years[-3], **settings)
    narrowing = atlas.area_filters(state.area, state.year)
    for all_years in (False, True):
        filtered = atlas.select(state.filters(), all_years=all_years)
        both = filtered[filtered.index.isin(atlas.select(narrowing, all_years=all_years).index)]
        assert selection(atlas, state, all_years=all_years).index.equals(both.index)
        assert len(both) > 0

"""The explorer's answers: which fifths and which measure it states, in the engine's words, the same as the area
page and the PDF; the `fifths` URL key; no fitted line through a handful of practices; definitions beside values."""

from __future__ import annotations

import json

import pytest

from dashboard import boundary, inequality, metrics
from dashboard.data import profiles
from dashboard.data.query import load_atlas
from dashboard.pages.explorer import charts, view
from dashboard.pages.explorer.stores import SELECTION_STORE, TREND_STORE
from dashboard.state import ViewState, default_state, field_rules, parse_query, to_query

SOUTHWARK, COVENTRY = "E09000028", "E08000026"


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def text_of(node) -> str:
    """Every string inside a Dash component tree, in order."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list | tuple):
        return " ".join(text_of(child) for child in node)
    return text_of(getattr(node, "children", None))


def by_id(node, wanted):
    if getattr(node, "id", None) == wanted:
        return node
    children = node if isinstance(node, list) else getattr(node, "children", None)
    for child in children if isinstance(children, list) else [children]:
        if child is not None and not isinstance(child, str) and (hit := by_id(child, wanted)) is not None:
            return hit
    return None


def explorer_sentences(atlas, query: str) -> list[str]:
    state, notices = parse_query(query, atlas)
    assert notices == []
    stored = view.selection_part(state)
    _cards, sentences = charts.headline_for.uncached(json.dumps(stored, sort_keys=True))
    return [text_of(p) for p in sentences if getattr(p, "id", None) in ("ex-gap-england", "ex-gap-area")]


# --- the URL key --------------------------------------------------------------------------------------------
def test_fifths_is_read_from_a_link_and_written_back_only_when_not_the_default(atlas):
    state, notices = parse_query("?fifths=practices&band=decile", atlas)
    assert notices == [] and state.fifths == "practices" and state.band == "decile"
    query = to_query(state, atlas.latest_year)
    assert "fifths=practices" in query
    assert parse_query(query, atlas)[0] == state
    assert default_state(atlas.latest_year).fifths == "patients"
    assert "fifths" not in to_query(default_state(atlas.latest_year), atlas.latest_year)


@pytest.mark.parametrize("value", ["households", "PRACTICES", "practices,patients"])
def test_a_bad_fifths_value_gives_a_notice_and_fifths_of_patients(atlas, value):
    state, notices = parse_query(f"?fifths={value}", atlas)
    assert state.fifths == "patients"
    assert any("not a way of forming deprivation fifths" in n for n in notices)


def test_the_field_rule_checks_type_and_value(atlas):
    rule = field_rules(atlas)["fifths"]
    assert rule("patients") and rule("practices")
    assert not rule(["practices"]) and not rule(1) and not rule("deciles")


# --- what depends on what -----------------------------------------------------------------------------------
def test_the_selection_follows_the_charts_measure_not_the_maps(atlas):
    base = default_state(atlas.latest_year)
    life = ViewState(**{**base.as_dict(), "metric": "life_expectancy_male"})
    score = ViewState(**{**base.as_dict(), "metric": "practice_imd_score"})
    trimmed = ViewState(**{**base.as_dict(), "metric": "payments_per_weighted_patient_excl_prescribing"})
    # two measures the charts do not follow: nothing below the map changes
    assert view.selection_part(life) == view.selection_part(score) == view.selection_part(base)
    assert view.trend_part(life) == view.trend_part(base)
    # a money measure the charts do follow: the selection and the trend change, and the stores accept both
    assert view.selection_part(trimmed) != view.selection_part(base)
    assert view.trend_part(trimmed)["metric"] == "payments_per_weighted_patient_excl_prescribing"
    fifths = ViewState(**{**base.as_dict(), "fifths": "practices"})
    assert view.trend_part(fifths) != view.trend_part(base)
    for state in (base, trimmed, fifths):
        SELECTION_STORE(view.selection_part(state))
        TREND_STORE(view.trend_part(state))
    with pytest.raises(boundary.Refused):
        SELECTION_STORE({**view.selection_part(base), "fifths": "households"})


def test_charts_fall_back_to_payments_per_weighted_patient_and_say_so(atlas):
    assert view.chart_metric("payments_per_registered_patient") == "payments_per_registered_patient"
    assert view.chart_metric("life_expectancy_female") == "payments_per_weighted_patient"
    assert view.chart_metric("total_payments") == "payments_per_weighted_patient"
    assert view.chart_note("payments_per_registered_patient") == ""
    assert "these charts show payments per weighted patient" in view.chart_note("total_payments")


# --- the sentences ------------------------------------------------------------------------------------------
def test_coventry_names_its_empty_fifth_instead_of_not_enough_practices(atlas):
    england, local = explorer_sentences(atlas, f"?area={COVENTRY}")
    assert "England-wide fifths of patients" in england
    assert "none of Coventry's practices is in the least deprived fifth" in england
    assert "not enough practices" not in england + local
    assert "fifths of patients within Coventry" in local


@pytest.mark.parametrize("fifths", ["patients", "practices"])
def test_southwark_in_the_explorer_says_what_its_page_and_briefing_say(atlas, fifths):
    from dashboard.briefing import briefing_sentences
    from dashboard.pages import area

    year = atlas.latest_year
    query = f"?area={SOUTHWARK}" + ("&fifths=practices" if fifths == "practices" else "")
    _england, explorer = explorer_sentences(atlas, query)
    page = text_of(by_id(area.cached_body.__wrapped__(atlas, SOUTHWARK, year, fifths), "area-gap"))
    data = profiles.profile(atlas, SOUTHWARK, year)
    practices = profiles.area_practices(atlas, SOUTHWARK, year)
    gap = profiles.payment_gap(practices, data["name"], fifths)
    pdf = briefing_sentences(data["name"], year, data["values"], data["england"], gap)
    assert explorer == page == inequality.sentence(gap)
    assert explorer in pdf
    assert f"fifths of {fifths} within Southwark" in explorer


def test_fifths_of_practices_change_the_sentence_chart_data_and_title(atlas):
    patients, _ = parse_query("", atlas)
    practices, _ = parse_query("?fifths=practices", atlas)
    tables = {s.fifths: charts.deprivation_table(atlas, s, view.selection(atlas, s)) for s in (patients, practices)}
    counts = {k: t.query("group == 'All practices'")["practices"].tolist() for k, t in tables.items()}
    # fifths of practices hold (nearly) equal numbers of practices; fifths of patients do not
    assert max(counts["practices"]) - min(counts["practices"]) <= 2
    assert counts["patients"] != counts["practices"]
    said = {s.fifths: explorer_sentences(atlas, to_query(s, atlas.latest_year))[0] for s in (patients, practices)}
    assert said["patients"].startswith("Using England-wide fifths of patients")
    assert said["practices"].startswith("Using England-wide fifths of practices")
    assert charts.chart_title("chart-deprivation", practices).endswith("by England-wide fifths of practices")
    assert charts.chart_title("chart-trend", practices) != charts.chart_title("chart-trend", patients)
    # the sentence's end values are the bars' end values
    gap = charts.gap_comparisons(atlas, practices, view.selection(atlas, practices), "England")[0]
    bars = tables["practices"].query("group == 'All practices'").set_index("band")["value"]
    assert [g.value for g in gap.groups] == pytest.approx([bars[1], bars[5]])


def test_the_charts_follow_a_money_measure_and_name_it(atlas):
    state, _ = parse_query("?metric=payments_per_registered_patient_excl_prescribing", atlas)
    stored = json.dumps(view.selection_part(state), sort_keys=True)
    figure, alt, title = charts.chart_for.uncached("chart-deprivation", stored)
    assert title.startswith("Payments per registered patient, excluding prescribing and dispensing")
    assert "payments per registered patient, excluding prescribing and dispensing" in alt.lower()
    england = explorer_sentences(atlas, "?metric=payments_per_registered_patient_excl_prescribing")[0]
    assert "per registered patient (excluding prescribing and dispensing)" in england


# --- the fitted line ----------------------------------------------------------------------------------------
def test_two_practices_get_no_fitted_line_and_no_r_squared_and_the_chart_says_why(atlas):
    year = atlas.latest_year
    practices = atlas.year_practices(year)
    dispensing = practices[(practices["dispensing"].astype(str) == "Yes") & (practices["registered_patients"] > 0)]
    counts = dispensing.groupby(dispensing["la_code"].astype(str)).size()
    code = counts[counts == 2].index[0]  # an authority with exactly two dispensing practices
    state = ViewState(year=year, area=code, dispensing=["Yes"])
    assert len(view.selection(atlas, state)) == 2
    figure, alt, _title = charts.chart_for.uncached("chart-scatter-pay",
                                                   json.dumps(view.selection_part(state), sort_keys=True))
    names = [trace.get("name") for trace in figure["data"]]
    notes = " ".join(a["text"] for a in figure["layout"].get("annotations", []))
    assert not any("Fitted line" in str(n) for n in names)
    assert "R²" not in notes and "R²" not in alt
    assert "No line is fitted: 2 practices with data, and a line needs at least 10." in notes
    assert "No line is fitted" in alt


# --- definitions and provenance -----------------------------------------------------------------------------
def test_a_weighted_patient_is_defined_from_the_registry_beside_its_values(atlas):
    definition = metrics.DENOMINATORS["weighted"].definition
    assert "no direct deprivation term" in definition
    stored = json.dumps(view.selection_part(default_state(atlas.latest_year)), sort_keys=True)
    cards, sentences = charts.headline_for.uncached(stored)
    assert definition in text_of(cards) and definition in text_of(sentences)
    subtitle = charts.chart_subtitle("chart-deprivation", default_state(atlas.latest_year), "Bar chart.")
    assert definition in text_of(subtitle)
    from dashboard.pages import compare

    assert definition in text_of(compare.compare_body(atlas, [SOUTHWARK, COVENTRY]))


def test_downloads_say_which_fifths_and_measure_the_charts_used(atlas):
    state, _ = parse_query("?fifths=practices&band=decile&metric=total_payments", atlas)
    lines = charts.chart_settings(state)
    assert "England-wide tenths of practices" in lines[0] and "England-wide fifths of practices" in lines[0]
    assert "always England-wide fifths of patients" in lines[0]
    assert lines[1] == "Measure in charts: Payments per weighted patient"
    assert "these charts show payments per weighted patient" in lines[2]
    from dashboard.pages.explorer.downloads import chart_data

    practices = view.selection(atlas, state)
    shown = chart_data(atlas, state, practices)["chart-deprivation"]  # the chart's own table, labelled
    drawn = charts.deprivation_table(atlas, state, practices)
    assert shown.columns[0] == "Deprivation tenth (1 = most deprived)" and shown.iloc[:, 0].tolist() == drawn["band"].tolist()
    assert shown["Payments per weighted patient (£)"].tolist() == drawn["value"].round(2).tolist()


def test_the_exclusion_of_prescribing_and_dispensing_heads_the_measure_list():
    from dashboard.components.controls import measure_options

    labels = [o["label"] for o in measure_options()]
    assert all("excluding prescribing and dispensing" in label for label in labels[:4])
    assert sorted(o["value"] for o in measure_options()) == sorted(metrics.REGISTRY)


# --- the area page's own key --------------------------------------------------------------------------------
def test_the_area_page_reads_fifths_and_complains_about_a_bad_value(atlas):
    from dashboard.pages import area

    assert area.requested_fifths("?year=2022-23&fifths=practices") == ("practices", None)
    fifths, problem = area.requested_fifths("?fifths=people")
    assert fifths == "patients" and "not a way of forming deprivation fifths" in problem
    body = area.cached_body.__wrapped__(atlas, SOUTHWARK, atlas.latest_year, "practices")
    assert "fifths of practices within Southwark" in text_of(by_id(body, "area-gap"))
    assert "fifths of practices within Southwark" in text_of(by_id(body, "area-fifths-hint"))
    assert area.page_query("2021-22", "practices") == "?year=2021-22&fifths=practices"


def test_compare_reads_fifths_and_states_each_gap_as_the_areas_page_does(atlas):
    from dashboard.pages import compare

    codes = [SOUTHWARK, COVENTRY]
    assert compare.compare_query(codes, "2025", "practices") == f"?areas={SOUTHWARK},{COVENTRY}&fifths=practices"
    assert compare.compare_query(codes, "2025", "patients") == f"?areas={SOUTHWARK},{COVENTRY}"
    assert compare.requested_fifths("?fifths=practices") == ("practices", None)
    sentences = {}
    for fifths in ("patients", "practices"):
        text = text_of(compare.compare_body(atlas, codes, "2025", fifths))
        assert f"fifths of {fifths} within the area" in text
        for code in codes:
            practices = profiles.area_practices(atlas, code, atlas.latest_year)
            said = inequality.sentence(profiles.payment_gap(practices, atlas.area(code)["name"], fifths_of=fifths))
            assert said in text
            sentences[fifths, code] = said
    assert sentences["patients", SOUTHWARK] != sentences["practices", SOUTHWARK]

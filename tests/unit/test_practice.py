"""A practice's page, checked against one real practice of the shipped data worked out by hand.

G85013 (Dr RS Durston's practice, SE5 7AF, Southwark E09000028, NHS South East London ICB). Its 2022-23 row in
data/processed/practices.parquet: total payments £1,549,647.46 (excluding COVID and PCN), 8,953.00 registered
and 9,597.86 weighted patients, IMD 2019 score 28.19 (national fifth 2, tenth 3), life expectancy 86.07 (female)
and 79.45 (male) for 2020, urban, non-dispensing. So £1,549,647.46 / 8,953.00 = £173.09 per registered
patient and £1,549,647.46 / 9,597.86 = £161.46 per weighted patient. The group figures are recomputed below
with plain pandas (sum of payments over sum of patients, practices with patients only), not with the
registry, so the test fails if the page's comparison drifts from the definition.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime

import pandas as pd
import pytest
from dash import dcc, html

from dashboard import config, inequality
from dashboard.data import practice_profile as profile
from dashboard.data.aggregates import COMPONENTS
from dashboard.data.query import load_atlas

CODE, YEAR, LA, ICB = "G85013", "2022-23", "E09000028", "E54000030"
NAME = "DR RS DURSTON'S PRACTICE"


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


@pytest.fixture(scope="module")
def rows(atlas):
    return profile.rows(atlas, CODE)


def by_hand(frame: pd.DataFrame, patients: str) -> float:
    """Payments per patient of a group, written out: Σ payments ÷ Σ patients over practices with patients."""
    listed = frame[frame["registered_patients"] > 0]
    return float(listed["total_payments"].sum() / listed[patients].sum())


# --- which practices exist -----------------------------------------------------------------------------------
def test_codes_are_found_in_any_case_and_unknown_ones_are_not(atlas):
    assert profile.exists(atlas, CODE) and profile.exists(atlas, "g85013 ")
    assert profile.exists(atlas, "G85112")  # closed after 2018-19: its page still exists
    for code in ("NOPE1", "", None, "E09000028", "G8501"):
        assert not profile.exists(atlas, code)
    assert profile.rows(atlas, "NOPE1").empty


@pytest.mark.parametrize("postcode, expected", [("SE5 8HL", ("SE5", "SE5 8")), ("se57af", ("SE5", "SE5 7")),
                                                ("EC1A 1BB", ("EC1A", "EC1A 1")), ("W1A 0AX", ("W1A", "W1A 0")),
                                                ("", ("", "")), ("SE5", ("", "")), ("ABCDEF", ("", ""))])
def test_district_and_sector_of_a_postcode(postcode, expected):
    assert profile.district_and_sector(postcode) == expected


# --- the practice itself ------------------------------------------------------------------------------------
def test_identity_in_2022_23(atlas, rows):
    info = profile.identity(atlas, rows, YEAR)
    assert info["name"] == NAME and info["postcode"] == "SE5 7AF"
    assert (info["la_code"], info["la_name"]) == (LA, "Southwark")
    assert info["icb_code"] == ICB and info["icb_name"] == "NHS South East London Integrated Care Board"
    assert (info["pcn_code"], info["pcn_name"]) == ("U60094", "SOUTH SOUTHWARK PCN")
    assert (info["dispensing"], info["rurality"], info["contract_type"]) == ("No", "Urban", "PMS")
    assert info["registered_patients"] == 8953.0 and info["weighted_patients"] == pytest.approx(9597.86)
    assert info["years"] == ["2014-15", "2015-16", "2016-17", "2017-18", "2018-19", "2019-20", "2020-21",
                             "2021-22", "2022-23"]


def test_deprivation_and_life_expectancy_with_their_edition_and_period(rows):
    dep = profile.deprivation(rows[rows["year"] == YEAR].iloc[-1])
    assert round(dep["imd_score"], 2) == 28.19 and dep["imd_edition"] == "2019"
    assert (dep["imd_quintile"], dep["imd_decile"]) == (2, 3)
    assert round(dep["life_expectancy_female"], 2) == 86.07 and round(dep["life_expectancy_male"], 2) == 79.45
    assert dep["le_year"] == 2020


def test_payments_by_year_add_up_and_divide_as_published(rows):
    table = profile.payments_by_year(rows).set_index("year")
    assert list(table.index) == profile.identity(load_atlas(), rows, YEAR)["years"]
    latest = table.loc[YEAR]
    assert latest["pay_core"] == pytest.approx(983285.85) and latest["pay_covid"] == pytest.approx(156873.85)
    first_six = [c for c in COMPONENTS if c not in ("pay_covid", "pay_pcn")]
    assert latest[first_six].sum() == pytest.approx(1549647.46)  # the six components make the total
    assert latest[list(COMPONENTS)].sum() == pytest.approx(1706521.31)  # all eight: the total with COVID and PCN
    assert round(latest["payments_per_registered_patient"], 2) == 173.09
    assert round(latest["payments_per_weighted_patient"], 2) == 161.46
    # 2021-22: the COVID year, £1.37m of COVID payments beside £1.65m of the rest
    assert table.loc["2021-22", "pay_covid"] == pytest.approx(1371758.22)
    assert round(table.loc["2021-22", "payments_per_weighted_patient"], 2) == round(1652524.69 / 9946.21, 2)


def test_own_values_are_the_registry_figures(rows):
    own = profile.own_values(rows, YEAR)
    assert own["payments_per_registered_patient"] == pytest.approx(1549647.46 / 8953.0)
    assert own["payments_per_weighted_patient"] == pytest.approx(1549647.46 / 9597.86)


# --- against other practices -----------------------------------------------------------------------------
def test_comparisons_against_icb_england_and_peers(atlas, rows):
    everyone = atlas.year_practices(YEAR)
    groups = {g["key"]: g for g in profile.comparisons(atlas, rows, YEAR)}
    icb = everyone[everyone["icb_code"] == ICB]
    peers = everyone[(everyone["imd_quintile"] == 2) & (everyone["rurality"].astype(str) == "Urban")]
    for key, frame in (("icb", icb), ("england", everyone), ("peers", peers)):
        assert groups[key]["practices"] == len(frame)
        for metric_id, patients in (("payments_per_registered_patient", "registered_patients"),
                                    ("payments_per_weighted_patient", "weighted_patients")):
            assert groups[key]["values"][metric_id] == pytest.approx(by_hand(frame, patients), rel=1e-12)
    # The rounded figures a reader carries away, pinned.
    assert [round(groups[k]["values"]["payments_per_weighted_patient"], 2) for k in ("icb", "england", "peers")] \
        == [155.84, 163.39, 152.81]
    assert (groups["icb"]["practices"], groups["england"]["practices"], groups["peers"]["practices"]) == \
        (204, 6669, 1213)
    assert groups["peers"]["name"] == "urban practices in England's deprivation fifth 2"


def test_the_icb_figure_is_the_one_on_the_icb_area_page(atlas, rows):
    from dashboard.data import profiles

    groups = {g["key"]: g for g in profile.comparisons(atlas, rows, YEAR)}
    page = profiles.profile(atlas, ICB, YEAR)
    assert groups["icb"]["values"]["payments_per_weighted_patient"] == \
        pytest.approx(page["values"]["payments_per_weighted_patient"], rel=1e-12)


def test_comparison_sentences(atlas, rows):
    groups = {g["key"]: g for g in profile.comparisons(atlas, rows, YEAR)}
    said = {k: inequality.sentence(g["comparisons"]["payments_per_weighted_patient"]) for k, g in groups.items()}
    assert said["icb"] == (f"{NAME} received £161.46 per weighted patient, £5.62 (3.6%) more than practices in NHS "
                           "South East London Integrated Care Board (£155.84).")
    assert said["england"] == (f"{NAME} received £161.46 per weighted patient, £1.93 (1.2%) less than all practices "
                               "in England (£163.39).")
    comparison = groups["england"]["comparisons"]["payments_per_weighted_patient"]
    assert comparison.certainty == "exact" and comparison.kind == "practice"
    assert comparison.estimate == pytest.approx(1549647.46 / 9597.86 - by_hand(atlas.year_practices(YEAR),
                                                                                "weighted_patients"))


def test_a_practice_the_same_as_its_group_is_said_to_be_about_the_same(atlas, rows):
    mine = rows[rows["year"] == YEAR]
    from dashboard import metrics

    comparison = inequality.practice_against_reference(mine, "payments_per_weighted_patient",
                                                       metrics.group_sums(mine, None), NAME, "itself")
    assert inequality.sentence(comparison) == f"{NAME} received £161.46 per weighted patient, about the same as " \
                                              "itself (£161.46)."


def test_a_practice_without_patients_has_no_comparison(atlas, rows):
    from dashboard import metrics

    empty = rows[rows["year"] == YEAR].assign(registered_patients=0.0, weighted_patients=0.0)
    empty = metrics.with_derived_columns(empty.drop(columns=[c for c in empty.columns if c.startswith("sum__")]))
    comparison = inequality.practice_against_reference(empty, "payments_per_weighted_patient",
                                                       atlas.england_sums(YEAR), NAME, "England")
    assert comparison.certainty == "no data" and math.isnan(comparison.estimate)
    assert inequality.sentence(comparison).startswith("There are no data to compare payments per weighted patient")


def test_rank_among_the_local_authoritys_practices(atlas, rows):
    info = profile.identity(atlas, rows, YEAR)
    result = profile.local_distribution(atlas, info)
    local = atlas.year_practices(YEAR)
    local = local[(local["la_code"] == LA) & (local["registered_patients"] > 0)]
    values = (local["total_payments"] / local["weighted_patients"]).astype(float)
    mine = 1549647.46 / 9597.86
    assert result["of"] == len(local) == 35
    assert result["rank"] == int((values > mine + 1e-9).sum()) + 1 == 8
    assert result["table"]["value"].is_monotonic_decreasing


def test_a_closed_practice_shows_its_last_year_and_says_so(atlas):
    closed = profile.rows(atlas, "G85112")
    year, notice = profile.shown_year(atlas, closed, "")
    assert year == "2018-19" and "last paid in 2018-19" in notice
    assert profile.shown_year(atlas, closed, "2022-23") == (
        "2018-19", "This practice was not paid in 2022-23; showing 2018-19, its last year in the data.")
    assert profile.shown_year(atlas, profile.rows(atlas, CODE), "2016-17") == ("2016-17", None)


# --- the download --------------------------------------------------------------------------------------------
def test_payments_csv_carries_provenance_licence_and_every_year(atlas):
    made = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    text = profile.payments_csv(atlas, "g85013", made).decode("utf-8-sig")
    header, _, body = text.partition("\r\n\r\n")
    lines = [line.removeprefix("# ") for line in header.split("\r\n")]
    assert lines[0] == "Equity Atlas"
    assert f"Practice: {NAME} (G85013), SE5 7AF" in lines and "Local authority: Southwark" in lines
    assert config.OGL_ATTRIBUTION in lines and "Made: 31 January 2026 at 09:30 UTC" in lines
    assert any(line.startswith("NHS Payments to General Practice") for line in lines)
    table = list(csv.DictReader(io.StringIO(body)))
    assert [r["Year"] for r in table][-1] == YEAR and len(table) == 9
    latest = table[-1]
    assert float(latest["Total payments, excluding COVID and PCN (£)"]) == pytest.approx(1549647.46)
    assert float(latest["Global sum and core (£)"]) == pytest.approx(983285.85)
    assert round(float(latest["Payments per weighted patient (£)"]), 2) == 161.46
    assert latest["Registered patients are"] == "last known figure"
    with pytest.raises(KeyError):
        profile.payments_csv(atlas, "NOPE1")


# --- the page ------------------------------------------------------------------------------------------------
def walk(node):
    yield node
    children = getattr(node, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str | int | float):
            yield from walk(child)


def text_of(node) -> str:
    if isinstance(node, str | int | float):
        return str(node)
    children = getattr(node, "children", None)
    if isinstance(children, str | int | float):
        return str(children)
    if children is None:
        return ""
    return "".join(text_of(c) for c in (children if isinstance(children, list | tuple) else [children]))


def test_page_shows_the_practice_with_accessible_tables_and_chart_text(processed_dir):
    from dashboard.pages import practice

    page = practice.layout("", CODE)
    nodes = list(walk(page))
    assert [text_of(n) for n in nodes if isinstance(n, html.H1)] == [NAME]
    tables = [n for n in nodes if isinstance(n, html.Table)]
    assert {t.id for t in tables} >= {"practice-about", "practice-compare", "practice-patients", "practice-payments"}
    for table in tables:
        assert isinstance(table.children[0], html.Caption) and text_of(table.children[0])
        assert all(th.scope in ("col", "row") for th in walk(table) if isinstance(th, html.Th))
    graphs = [n for n in nodes if isinstance(n, dcc.Graph)]
    assert {g.id for g in graphs} == {"practice-chart-payments", "practice-chart-local"}
    alts = [text_of(n) for n in nodes if isinstance(n, html.P) and "chart-alt" in (getattr(n, "className", None) or "")]
    assert len(alts) == 2 and all(alts)
    assert any("ranked 8 of 35" in a for a in alts)
    everything = text_of(page)
    assert "Ranked 8 of 35 practices in Southwark by payments per weighted patient in 2022-23" in everything
    assert "£161.46" in everything and "£155.84" in everything and "IMD 2019" in everything
    link = next(n for n in nodes if getattr(n, "id", None) == "practice-csv")
    assert link.href == "/download/practice/G85013.csv"


def test_unknown_practice_page_is_friendly(processed_dir):
    from dashboard.pages import practice

    page = practice.layout("", "NOPE1")
    assert "No such practice" in text_of(page)
    assert any(isinstance(n, html.Form) and n.role == "search" for n in walk(page))


def test_year_callback_redraws_and_refuses_nothing_it_should_not(processed_dir):
    from dash import no_update

    from dashboard.pages import practice

    body, search = practice.change_year("2016-17", CODE)
    assert search == "?year=2016-17" and "Figures for 2016-17" in text_of(html.Div(body))
    assert practice.change_year("2016-17", "NOPE1") == (no_update, no_update)

"""Funding against deprivation by area (data/fairness.py), the like-for-like dispensing comparison
(inequality.standardised_difference) and the spine chart's marks, on paper examples and the shipped data.

Each hand example states its arithmetic beside the assertion, so a change to a formula shows up as a
disagreement with the paper, not as a silently updated number.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard import inequality, stats
from dashboard.data import fairness, profiles, spine
from dashboard.data.query import load_atlas
from dashboard.figures import spine as spine_figures

SPLIT = {"pay_core": 0.6, "pay_qof": 0.1, "pay_enhanced": 0.1, "pay_premises": 0.05,
         "pay_prescribing_dispensing": 0.1, "pay_other": 0.05}
PAY = "payments_per_weighted_patient"
EXCL = "payments_per_weighted_patient_excl_prescribing"


# --- expected for its deprivation, by hand ----------------------------------------------------------------
def four_areas(patients=(1000.0, 1000.0, 1000.0, 1000.0)) -> pd.DataFrame:
    return pd.DataFrame({"code": ["A", "B", "C", "D", "E"], "name": ["Ash", "Birch", "Cedar", "Damson", "Elm"],
                         "value": [200.0, 190.0, 150.0, 160.0, np.nan],
                         "deprivation": [10.0, 20.0, 30.0, 40.0, 25.0],
                         "patients": [*patients, 500.0], "practices": [3, 3, 3, 3, 1]})


def test_expected_difference_and_rank_match_the_paper():
    # Equal weights: x̄ = 25, ȳ = 175; Sxx = 225+25+25+225 = 500; Sxy = (−15)(25)+(−5)(15)+(5)(−25)+(15)(−15)
    # = −800, so slope = −1.6 and intercept = 175 + 1.6·25 = 215. Expected 199, 183, 167, 151; differences
    # +1, +7, −17, +9; Cedar is furthest below (rank 1), then Ash, Birch, Damson. Elm has no value: listed, unranked.
    table, fit, reason = fairness.expected_values(four_areas(), min_areas=3)
    assert reason == ""
    assert fit["slope"] == pytest.approx(-1.6) and fit["intercept"] == pytest.approx(215.0)
    assert table["expected"].tolist()[:4] == pytest.approx([199.0, 183.0, 167.0, 151.0])
    assert table["difference"].tolist()[:4] == pytest.approx([1.0, 7.0, -17.0, 9.0])
    assert table["rank"].tolist()[:4] == [2, 3, 1, 4]
    assert pd.isna(table["rank"].iloc[4]) and math.isnan(table["expected"].iloc[4])
    # residual SD (weighted) = √((1+49+289+81)/4) = √105 ≈ 10.25: no area is 2 SDs (20.5) from the line
    assert fit["residual_sd"] == pytest.approx(math.sqrt(105.0))
    assert not table["outlier"].any()


def test_the_line_is_weighted_by_patients():
    # Damson with 0 patients leaves the fit: through (10,200), (20,190), (30,150): x̄ = 20, ȳ = 180, Sxx = 200,
    # Sxy = (−10)(20) + 0 + (10)(−30) = −500, slope −2.5, intercept 230; Damson gets no expected value.
    table, fit, _ = fairness.expected_values(four_areas((1000.0, 1000.0, 1000.0, 0.0)), min_areas=3)
    assert fit["slope"] == pytest.approx(-2.5) and fit["intercept"] == pytest.approx(230.0)
    assert table["difference"].tolist()[:3] == pytest.approx([-5.0, 10.0, -5.0])
    assert table["rank"].tolist()[:3] == [1, 3, 1]  # ties share the better (lower) rank
    assert pd.isna(table["rank"].iloc[3])


def test_too_few_areas_get_no_line_and_no_ranks():
    table, fit, reason = fairness.expected_values(four_areas())
    assert fit is None and reason == f"No line is fitted: 4 areas with data, and a line needs at least {fairness.MIN_AREAS}."
    assert table["rank"].isna().all() and table["expected"].isna().all()
    assert "no value is expected" in inequality.expected_sentence(fit, reason, PAY, "5 areas")


def test_an_area_far_from_the_line_is_an_outlier():
    frame = pd.DataFrame({"code": list("ABCDEFGHIJ"), "name": list("ABCDEFGHIJ"),
                          "value": [100.0] * 9 + [200.0], "deprivation": np.arange(10.0),
                          "patients": [1000.0] * 10, "practices": [1] * 10})
    table, fit, _ = fairness.expected_values(frame)
    assert table["outlier"].tolist() == [False] * 9 + [True]
    assert table.loc[table["rank"] == 1, "code"].tolist() != ["J"]


# --- on the shipped data ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def test_every_icb_is_ranked_and_the_numbers_are_the_maps(atlas):
    year = atlas.latest_year
    table, fit, _ = fairness.area_table(atlas, "icb", year, PAY)
    assert len(table) == 42 == len(atlas.areas_at("icb"))
    assert sorted(table["rank"].astype(int)) == list(range(1, 43))
    practices = atlas.year_practices(year)
    on_map = atlas.metric_by_area(practices, "icb", PAY, year)
    assert table.set_index("code")["value"].to_dict() == pytest.approx(on_map.to_dict())
    imd = atlas.metric_by_area(practices, "icb", "practice_imd_score", year)
    assert table.set_index("code")["deprivation"].to_dict() == pytest.approx(imd.to_dict())
    # weighted least squares with an intercept: patient-weighted residuals sum to zero
    assert float((table["patients"] * table["difference"]).sum()) == pytest.approx(0.0, abs=1e-3)
    assert table["expected"].to_numpy() == pytest.approx(fit["intercept"] + fit["slope"] * table["deprivation"])
    assert table["rank"].iloc[0] == 1 and table["difference"].iloc[0] == table["difference"].min()


def test_seven_regions_are_listed_without_a_line(atlas):
    table, fit, reason = fairness.area_table(atlas, "region", atlas.latest_year, EXCL)
    assert len(table) == 7 and fit is None and "7 areas" in reason and table["rank"].isna().all()


def test_the_csv_carries_provenance_licence_and_every_area(atlas):
    text = fairness.csv_bytes(atlas, "la", atlas.latest_year, PAY).decode("utf-8-sig")
    header, _, body = text.partition("\r\n\r\n")
    assert header.startswith("# Equity Atlas") and "Open Government Licence v3.0" in header
    assert "IMD 2019" in header and "Areas: every local authority in England" in header
    assert body.splitlines()[0].startswith("Area code,Area,Payments per weighted patient (£)")
    assert len(body.strip().splitlines()) == 1 + len(atlas.areas_at("la"))


# --- funding against the ethnic make-up of areas --------------------------------------------------------------
def test_a_slope_per_share_is_said_per_ten_percentage_points():
    # slope −0.5 £ per percentage point → −£5.00 per 10 points; R² as given.
    fit = {"slope": -0.5, "intercept": 170.0, "r2": 0.34, "n": 42}
    text = inequality.expected_sentence(fit, "", PAY, "42 Integrated Care Boards", along=inequality.MINORITY_ALONG)
    assert text == ("Across the 42 Integrated Care Boards, each 10 percentage points more residents in ethnic groups "
                    "other than White (Census 2021) goes with £5.00 less in payments per weighted patient on the "
                    "line weighted by registered patients (R² = 0.34).")


def test_fifths_of_icbs_by_ethnic_make_up_sum_their_practices(atlas):
    year = atlas.latest_year
    table, _, _ = fairness.area_table(atlas, "icb", year, PAY)
    shares = atlas.area_measure("eth_minority", "icb", "2021")
    assert table.set_index("code")["minority"].to_dict() == pytest.approx(shares.to_dict())
    bands = fairness.minority_bands(atlas, "icb", year, PAY, table)
    assert bands["areas"].tolist() == [9, 8, 8, 8, 9] and bands["band"].tolist() == [1, 2, 3, 4, 5]
    assert (bands["share_high"].iloc[:-1].to_numpy() < bands["share_low"].iloc[1:].to_numpy()).all()
    practices = atlas.year_practices(year)
    assert bands["practices"].sum() == practices["icb_code"].isin(shares.index).sum()
    # The smallest-share fifth by hand: its ICBs' payments over their weighted patients (practices with a list).
    first = shares.sort_values(kind="stable").index[:9]
    part = practices[practices["icb_code"].isin(first) & (practices["registered_patients"] > 0)]
    by_hand = part["total_payments"].sum() / part["weighted_patients"].sum()
    assert bands["value"].iloc[0] == pytest.approx(by_hand, rel=1e-9)
    fit, reason = fairness.minority_fit(table)
    assert reason == "" and fit["n"] == 42
    csv = fairness.csv_bytes(atlas, "icb", year, PAY).decode("utf-8-sig")
    assert "Residents in ethnic groups other than White (% of usual residents, Census 2021)" in csv


def test_seven_regions_are_too_few_for_fifths_by_ethnic_make_up(atlas):
    table, _, _ = fairness.area_table(atlas, "region", atlas.latest_year, PAY)
    assert fairness.minority_bands(atlas, "region", atlas.latest_year, PAY, table).empty
    assert fairness.minority_fit(table)[0] is None


def test_unoffered_level_or_measure_is_refused(atlas):
    with pytest.raises(ValueError):
        fairness.area_table(atlas, "country", atlas.latest_year, PAY)
    with pytest.raises(ValueError):
        fairness.area_table(atlas, "icb", atlas.latest_year, "total_payments")


# --- dispensing like for like, by hand -------------------------------------------------------------------
def practice(code, value, patients, dispensing, rurality, quintile):
    total = value * patients
    row = {"year": "2022-23", "practice_code": code, "practice_name": code, "dispensing": dispensing,
           "rurality": rurality, "registered_patients": float(patients), "weighted_patients": float(patients),
           "total_payments": total, "pay_covid": 0.0, "pay_pcn": 0.0, "total_incl_covid_pcn": total,
           "pay_dispensing_fee": 0.0, "imd_quintile": quintile, "imd_decile": 2 * quintile - 1,
           "imd_score": 55.0 - 10 * quintile, "life_expectancy_female": np.nan, "life_expectancy_male": np.nan}
    row.update({column: share * total for column, share in SPLIT.items()})
    return row


def mixed_practices() -> pd.DataFrame:
    rows = []
    # Rural, fifth 5: dispensing £190…£210 on lists of 6,000 (weight 30,000); non-dispensing £150 on 2,500s
    rows += [practice(f"RD{i}", v, 6000, "Yes", "Rural", 5) for i, v in enumerate([190, 195, 200, 205, 210])]
    rows += [practice(f"RN{i}", 150, 2500, "No", "Rural", 5) for i in range(5)]
    # Urban, fifth 1: dispensing £180 on 2,000s (weight 10,000); non-dispensing £170 on 4,000s
    rows += [practice(f"UD{i}", 180, 2000, "Yes", "Urban", 1) for i in range(5)]
    rows += [practice(f"UN{i}", 170, 4000, "No", "Urban", 1) for i in range(5)]
    # Urban, fifth 3: only 2 dispensing practices (£300 on 1,000s): too small, left out of both sides
    rows += [practice(f"SD{i}", 300, 1000, "Yes", "Urban", 3) for i in range(2)]
    rows += [practice(f"SN{i}", 150, 2500, "No", "Urban", 3) for i in range(5)]
    rows += [practice("UNK", 999, 5000, "Unknown", "Urban", 3)]  # unknown status: in neither group
    out = pd.DataFrame(rows)
    out["imd_quintile"] = out["imd_quintile"].astype("Int64")
    out["imd_decile"] = out["imd_decile"].astype("Int64")
    return out


def test_direct_standardisation_matches_the_paper():
    c = inequality.standardised_difference(mixed_practices(), PAY, "Testshire")
    # Weights: the dispensing practices' weighted patients in the used cells, 30,000 and 10,000 → ¾ and ¼.
    # Dispensing: ¾·200 + ¼·180 = 195 (its own ratio over those cells); non-dispensing at that mix:
    # ¾·150 + ¼·170 = 155; difference £40 (40/155 = 25.8%).
    assert c.kind == "standardised" and c.certainty == "clear"
    assert c.groups[0].value == pytest.approx(195.0) and c.groups[1].value == pytest.approx(155.0)
    assert c.estimate == pytest.approx(40.0) and c.relative == pytest.approx(100 * 40 / 155)
    # Only the rural dispensing cell varies: linearised values (v − 200)·6,000/30,000 = −2, −1, 0, 1, 2, so its
    # variance is 5/4·10 = 12.5; the gap's variance is (¾)²·12.5 = 7.03125 with 4 degrees of freedom.
    margin = stats.t_quantile(0.975, 4) * math.sqrt(0.75 ** 2 * 12.5)
    assert c.extra["df"] == pytest.approx(4.0)
    assert (c.low, c.high) == pytest.approx((40 - margin, 40 + margin))
    # The small cell is listed but unused; coverage 40,000 of 42,000 dispensing weighted patients.
    cells = c.extra["cells"].set_index(["rurality", "imd_quintile"])
    assert not cells.loc[("Urban", "3"), "used"] and "too few dispensing" in cells.loc[("Urban", "3"), "why_not"]
    assert c.extra["coverage"] == pytest.approx(40_000 / 42_000)
    # Crude (every known-status practice): dispensing (6.0m + 1.8m + 0.6m)/42,000 = £200;
    # non-dispensing (1.875m + 3.4m + 1.875m)/45,000 = £158.89.
    assert c.extra["crude"]["dispensing"] == pytest.approx(200.0)
    assert c.extra["crude"]["non_dispensing"] == pytest.approx(7_150_000 / 45_000)
    said = inequality.sentence(c)
    assert "in Testshire" in said and "£195.00 per weighted patient, £40.00 (26%) more" in said
    assert "2 of 3 rurality and deprivation-fifth cells" in said and "95% of dispensing practices' patients" in said


def test_without_prescribing_money_the_same_cells_give_nine_tenths():
    # Prescribing and dispensing is a tenth of every practice's money here, so every value is 0.9 of the total's.
    both = fairness.dispensing_comparisons(mixed_practices(), "Testshire")
    assert both[EXCL].estimate == pytest.approx(0.9 * 40.0)
    table = fairness.dispensing_table(both)
    assert table[["rurality", "imd_quintile"]].values.tolist() == [["Urban", 1], ["Urban", 3], ["Rural", 5]]
    assert table["dispensing_value_excl"].tolist() == pytest.approx([162.0, 270.0, 180.0])
    assert table["non_dispensing_practices"].tolist() == [5, 5, 5] and table["used"].tolist() == [True, False, True]


def test_no_usable_cell_is_too_small_and_no_dispensing_is_no_data():
    small = mixed_practices().query("rurality == 'Urban' and imd_quintile == 3")
    c = inequality.standardised_difference(small, PAY, "Tinytown")
    assert c.certainty == "too small" and math.isnan(c.estimate)
    assert "cannot be compared like for like" in inequality.sentence(c) and "no difference is given" in \
        inequality.sentence(c)
    none = mixed_practices().query("dispensing == 'No'")
    assert inequality.standardised_difference(none, PAY).certainty == "no data"


def test_england_dispensing_premium_disappears_without_prescribing_money(atlas):
    """The shipped data's answer to the HEEC question, pinned so a change in method shows up: like for like,
    dispensing practices receive clearly more in total, and no clearly different amount without the money
    for supplying medicines."""
    both = fairness.dispensing_comparisons(atlas.year_practices("2022-23"), "England")
    assert both[PAY].certainty == "clear" and both[PAY].estimate > 40
    assert both[EXCL].certainty == "not clear" and abs(both[EXCL].estimate) < 5


# --- the spine's marks ---------------------------------------------------------------------------------
def comparison(metric_id, estimate, certainty):
    return inequality.Comparison(kind="reference", metric_id=metric_id, estimate=estimate, low=estimate - 1,
                                 high=estimate + 1, level=0.95, certainty=certainty, reason="", groups=(), basis="")


@pytest.mark.parametrize(("metric_id", "estimate", "certainty", "expected"), [
    ("life_expectancy_female", 1.0, "clear", "better"), ("life_expectancy_female", -1.0, "clear", "worse"),
    ("practice_imd_score", 3.0, "clear", "worse"), ("practice_imd_score", -3.0, "clear", "better"),
    (PAY, 5.0, "clear", "higher"), (PAY, -5.0, "clear", "lower"), (PAY, 5.0, "not clear", "similar"),
    (PAY, math.nan, "too small", "not compared"), (PAY, math.nan, "no data", "not compared"),
])
def test_marks_follow_the_interval_and_the_direction(metric_id, estimate, certainty, expected):
    assert inequality.mark(comparison(metric_id, estimate, certainty)) == expected


def test_spine_positions_put_england_in_the_middle():
    assert spine_figures.position(10.0, 10.0, 2.0, 14.0) == 0.5
    assert spine_figures.position(2.0, 10.0, 2.0, 14.0) == 0.0  # the extreme furthest from England: an edge
    assert spine_figures.position(14.0, 10.0, 2.0, 14.0) == pytest.approx(0.75)


def test_southwark_spine_rows_on_the_shipped_data(atlas):
    year = atlas.latest_year
    practices = profiles.area_practices(atlas, "E09000028", year)
    rows = spine.rows(atlas, "E09000028", year, practices).set_index("metric_id")
    assert len(rows) == len(spine.MEASURES) and (rows["areas"] == 296).all()
    assert (rows["minimum"] <= rows["value"]).all() and (rows["value"] <= rows["maximum"]).all()
    assert (rows["p25"] <= rows["p75"]).all()
    # Southwark's patients are clearly more deprived than England's: marked worse, and the sentence says so
    assert rows.loc["practice_imd_score", "value"] > rows.loc["practice_imd_score", "england"]
    assert rows.loc["practice_imd_score", "mark"] == "worse"
    for metric_id, row in rows.iterrows():
        again = inequality.against_reference(practices, metric_id, atlas.england_sums(year), "Southwark")
        assert row["mark"] == inequality.mark(again) and row["sentence"] == inequality.sentence(again)
    figure = spine_figures.spine_chart(rows.reset_index(), "Southwark", year)
    assert "Southwark" in figure.layout.meta["alt"] and "worse" in figure.layout.meta["alt"]
    positions = spine_figures.spine_values(rows.reset_index())
    assert ((positions >= 0) & (positions <= 1)).all()
    assert [t.name for t in figure.data if t.marker.symbol == "diamond"] == ["Worse than England"]

"""Funding what-if rules: money conserved where promised, and moved where the rule says."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dashboard import metrics, whatif
from dashboard.whatif import RULES, apply_rule, quintile_gap_before_after, summarise

PROCESSED = Path(__file__).resolve().parents[2] / "data" / "processed" / "practices.parquet"


def practices_frame(rows) -> pd.DataFrame:
    """rows: (weighted_patients, total_payments, prescribing, quintile or None, la_code)."""
    frame = pd.DataFrame(rows, columns=["weighted_patients", "total_payments", "pay_prescribing_dispensing",
                                        "imd_quintile", "la_code"])
    frame["imd_quintile"] = frame["imd_quintile"].astype("Int64")
    frame["registered_patients"] = frame["weighted_patients"]
    frame["year"] = "2022-23"
    frame["icb_code"] = "Q1"
    frame["region_code"] = "R1"
    return frame


SMALL = practices_frame([
    (1000.0, 150_000.0, 0.0, 1, "A"),
    (2000.0, 260_000.0, 20_000.0, 2, "A"),
    (1500.0, 240_000.0, 5_000.0, 5, "B"),
    (500.0, 90_000.0, 30_000.0, None, "B"),
    (0.0, 12_000.0, 0.0, 3, "C"),  # closed during the year: no patients
])

practice_rows = st.tuples(
    st.one_of(st.just(0.0), st.floats(0.5, 60_000)),                     # weighted patients
    st.floats(-50_000, 12_000_000, allow_nan=False, allow_infinity=False),  # total (clawbacks can be < 0)
    st.floats(0, 2_000_000, allow_nan=False, allow_infinity=False),       # prescribing and dispensing
    st.one_of(st.none(), st.integers(1, 5)),                              # quintile
    st.sampled_from(["E1", "E2", "E3"]),
)
frames = st.lists(practice_rows, min_size=1, max_size=60).map(practices_frame).filter(
    lambda f: (f["weighted_patients"] > 0).any())
uplifts = st.floats(0, 50, allow_nan=False, allow_infinity=False)


# --- conservation -----------------------------------------------------------------------------------------
@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(frames)
def test_national_average_conserves_total(practices):
    result = apply_rule(practices, "national_average")
    assert result["scenario"].sum() == pytest.approx(practices["total_payments"].sum(), rel=1e-12, abs=1e-6)
    assert result["change"].sum() == pytest.approx(0.0, abs=1e-6 + 1e-12 * practices["total_payments"].abs().sum())


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(frames, st.lists(uplifts, min_size=1, max_size=4))
def test_deprivation_uplift_conserves_total(practices, uplift_list):
    total = practices["total_payments"].sum()
    for uplift in [*uplift_list, 0.0, 5.0, 20.0]:
        result = apply_rule(practices, "deprivation_uplift", uplift_percent=uplift)
        assert result["scenario"].sum() == pytest.approx(total, rel=1e-12, abs=1e-6)


@settings(max_examples=100)
@given(frames)
def test_exclude_prescribing_falls_by_the_prescribing_sum(practices):
    result = apply_rule(practices, "exclude_prescribing")
    expected = practices["total_payments"].sum() - practices["pay_prescribing_dispensing"].sum()
    assert result["scenario"].sum() == pytest.approx(expected, rel=1e-12, abs=1e-6)
    # (total − prescribing) − total is −prescribing to well within a penny
    assert result["change"].tolist() == pytest.approx((-practices["pay_prescribing_dispensing"]).tolist(),
                                                      rel=1e-12, abs=1e-6)


def test_small_frame_by_hand():
    # Pot = money of practices with weighted patients = 150k + 260k + 240k + 90k = 740k over 5,000
    # weighted patients → £148 each. The closed practice keeps its £12k.
    result = apply_rule(SMALL, "national_average")
    assert result["scenario"].tolist() == pytest.approx([148_000, 296_000, 222_000, 74_000, 12_000])
    assert result.attrs["rate"] == pytest.approx(148.0)
    assert result.attrs["pot"] == pytest.approx(740_000)


# --- shape of the result ----------------------------------------------------------------------------------
@settings(max_examples=100)
@given(frames)
def test_national_average_same_per_weighted_patient(practices):
    result = apply_rule(practices, "national_average")
    has = result["weighted_patients"] > 0
    per = result.loc[has, "scenario"] / result.loc[has, "weighted_patients"]
    assert np.allclose(per, per.iloc[0], rtol=1e-12, atol=0)
    # practices with no weighted patients take no part
    assert (result.loc[~has, "change"] == 0).all()


@settings(max_examples=100)
@given(frames)
def test_uplift_zero_equals_national_average(practices):
    flat = apply_rule(practices, "national_average")["scenario"]
    zero = apply_rule(practices, "deprivation_uplift", uplift_percent=0.0)["scenario"]
    assert zero.tolist() == pytest.approx(flat.tolist(), rel=1e-12, abs=1e-9)


def test_uplift_factors_by_hand():
    # 10% uplift: factors q1 1.1⁴ = 1.4641, q2 1.1³ = 1.331, q5 1, no quintile 1.
    # Shares 1000·1.4641 + 2000·1.331 + 1500 + 500 = 6126.1 for a pot of 740k.
    result = apply_rule(SMALL, "deprivation_uplift", uplift_percent=10)
    rate = 740_000 / 6126.1
    assert result.attrs["rate"] == pytest.approx(rate)
    assert result["scenario"].tolist() == pytest.approx(
        [1000 * 1.4641 * rate, 2000 * 1.331 * rate, 1500 * rate, 500 * rate, 12_000])


def test_positive_uplift_moves_money_to_most_deprived():
    # Baseline already pays every quintile the same per weighted patient, so the gap starts at zero.
    practices = practices_frame([(1000.0 * q, 150_000.0 * q, 0.0, q, "A") for q in range(1, 6)])
    before_after = quintile_gap_before_after(apply_rule(practices, "deprivation_uplift", uplift_percent=10))
    assert before_after["gap_before"] == pytest.approx(0.0, abs=1e-9)
    assert before_after["gap_after"] > before_after["gap_before"]
    assert before_after["gap_change"] > 0
    # q1 gets 1.1⁴ times q5's rate
    assert before_after["most_deprived_after"] / before_after["least_deprived_after"] == pytest.approx(1.4641)


@settings(max_examples=100)
@given(st.lists(practice_rows, max_size=40), st.lists(practice_rows, min_size=2, max_size=2),
       st.floats(0.5, 50))
def test_uplift_gap_grows_with_uplift(rows, ends, uplift):
    # two practices with patients are forced into quintiles 1 and 5 so both ends have a rate
    ends = [(max(w, 1.0), max(total, 1000.0), rx, quintile, la)
            for (w, total, rx, _, la), quintile in zip(ends, (1, 5), strict=True)]
    practices = practices_frame(rows + ends)
    national = apply_rule(practices, "national_average")
    assume(national.attrs["pot"] > 0)  # with no money (or net clawbacks) there is nothing to move
    flat = quintile_gap_before_after(national)
    more = quintile_gap_before_after(apply_rule(practices, "deprivation_uplift", uplift_percent=uplift))
    assert flat["gap_after"] == pytest.approx(0.0, abs=1e-9 * abs(flat["most_deprived_after"]) + 1e-9)
    assert more["gap_after"] > flat["gap_after"]
    assert more["gap_change"] > flat["gap_change"]


# --- summaries --------------------------------------------------------------------------------------------
def test_summarise_by_area_and_quintile():
    result = apply_rule(SMALL, "national_average")
    by_la = summarise(result, "la_code").set_index("la_code")
    assert by_la.loc["A", "baseline"] == pytest.approx(410_000)
    assert by_la.loc["A", "scenario"] == pytest.approx(444_000)
    assert by_la.loc["A", "change"] == pytest.approx(34_000)
    assert by_la.loc["A", "baseline_per_weighted"] == pytest.approx(410_000 / 3000)
    assert by_la.loc["A", "scenario_per_weighted"] == pytest.approx(148.0)
    # C has money but no patients: no per-patient figure
    assert by_la.loc["C", "baseline"] == pytest.approx(12_000) and np.isnan(by_la.loc["C", "baseline_per_weighted"])
    assert by_la["change"].sum() == pytest.approx(0.0, abs=1e-6)

    by_q = summarise(result, "imd_quintile")
    assert by_q["imd_quintile"].tolist() == [1, 2, 3, 4, 5]
    assert by_q.attrs["excluded_practices"] == 1  # the practice without a quintile
    assert by_q.loc[0, "baseline_per_weighted"] == pytest.approx(150.0)
    assert np.isnan(by_q.loc[3, "baseline_per_weighted"])  # quintile 4 is empty

    england = summarise(result, None)
    assert england["area"].tolist() == ["England"]
    assert england.loc[0, "change_per_weighted"] == pytest.approx(0.0, abs=1e-9)
    for column in ("baseline", "scenario", "change", "baseline_per_weighted", "scenario_per_weighted",
                   "change_per_weighted"):
        assert column in by_la.columns


def test_summarise_rejects_unknown_grouping():
    with pytest.raises(ValueError):
        summarise(apply_rule(SMALL, "national_average"), "postcode")


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        apply_rule(SMALL, "nonsense")
    with pytest.raises(ValueError):
        apply_rule(SMALL, "deprivation_uplift", uplift_percent=-100)
    with pytest.raises(ValueError):
        apply_rule(pd.concat([SMALL, SMALL.assign(year="2021-22")]), "national_average")


def test_rules_are_documented():
    assert set(RULES) == {"national_average", "exclude_prescribing", "deprivation_uplift"}
    for rule in RULES.values():
        assert rule["label"] and rule["description"] and rule["caveats"]


# --- the real year ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def latest_year() -> pd.DataFrame:
    practices = pd.read_parquet(PROCESSED)
    return practices[practices["year"] == "2022-23"]


def test_real_year_conserves_and_matches_registry(latest_year):
    total = latest_year["total_payments"].sum()
    for rule, uplift in (("national_average", 0.0), ("deprivation_uplift", 10.0)):
        result = apply_rule(latest_year, rule, uplift_percent=uplift)
        assert result["scenario"].sum() == pytest.approx(total, rel=1e-12)
    result = apply_rule(latest_year, "exclude_prescribing")
    assert total - result["scenario"].sum() == pytest.approx(latest_year["pay_prescribing_dispensing"].sum(),
                                                             rel=1e-12)
    # baselines and the excluded scenario are the registry's numbers for England
    england = summarise(result, None).iloc[0]
    sums = metrics.group_sums(latest_year, None)
    assert england["baseline_per_weighted"] == pytest.approx(
        metrics.compute("payments_per_weighted_patient", sums).iloc[0], rel=1e-12)
    assert england["scenario_per_weighted"] == pytest.approx(
        metrics.compute("payments_per_weighted_patient_excl_prescribing", sums).iloc[0], rel=1e-12)
    national = apply_rule(latest_year, "national_average")
    assert national.attrs["rate"] == pytest.approx(england["baseline_per_weighted"], rel=1e-12)
    assert whatif.summarise(national, "region_code")["change"].sum() == pytest.approx(0.0, abs=1.0)

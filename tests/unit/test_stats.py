"""Inequality statistics against examples small enough to solve on paper."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.stats import quintile_gap, relative_rank, slope_index, t_cdf, t_quantile


def frame(scores, values, weights):
    return pd.DataFrame({"imd_score": scores, "value": values, "registered_patients": weights})


# --- quintile_gap -----------------------------------------------------------------------------------------
def test_quintile_gap_numbers():
    gap = quintile_gap({1: 120.0, 2: 115.0, 3: 110.0, 4: 105.0, 5: 100.0})
    assert gap["most_deprived"] == 120.0
    assert gap["least_deprived"] == 100.0
    assert gap["absolute_gap"] == pytest.approx(20.0)
    assert gap["relative_gap"] == pytest.approx(0.2)  # (120 − 100) / 100


def test_quintile_gap_negative_when_most_deprived_get_less():
    gap = quintile_gap({5: 160.0, 1: 150.0, 3: 155.0})  # order of keys does not matter
    assert gap["absolute_gap"] == pytest.approx(-10.0)
    assert gap["relative_gap"] == pytest.approx(-10 / 160)


def test_quintile_gap_deciles_use_highest_band():
    gap = quintile_gap({band: float(band) for band in range(1, 11)})
    assert (gap["most_deprived"], gap["least_deprived"], gap["absolute_gap"]) == (1.0, 10.0, -9.0)


def test_quintile_gap_missing_values_give_nan():
    assert math.isnan(quintile_gap({1: 100.0, 4: 90.0}, bands=5)["absolute_gap"])
    assert math.isnan(quintile_gap({1: None, 5: 90.0})["absolute_gap"])
    assert math.isnan(quintile_gap({1: 10.0, 5: 0.0})["relative_gap"])
    assert math.isnan(quintile_gap({})["absolute_gap"])


# --- relative rank ----------------------------------------------------------------------------------------
def test_relative_rank_midpoints_from_least_deprived():
    # weights 1, 2, 1 of 4; least deprived (score 10) first: cumulative 1/4, 3/4, 1 → midpoints 1/8, 1/2, 7/8
    rank = relative_rank(pd.Series([30.0, 10.0, 20.0]), pd.Series([1.0, 1.0, 2.0]))
    assert rank.tolist() == pytest.approx([0.875, 0.125, 0.5])


def test_relative_rank_ties_share_a_rank():
    # scores 10, 20, 20, 30 equal weights: the tied pair covers 1/4..3/4 → both 1/2
    rank = relative_rank(pd.Series([20.0, 10.0, 20.0, 30.0]), pd.Series([1.0, 1.0, 1.0, 1.0]))
    assert rank.tolist() == pytest.approx([0.5, 0.125, 0.5, 0.875])


# --- slope_index ------------------------------------------------------------------------------------------
def test_exactly_linear_equal_weights():
    # 5 equal practices, ranks 0.1, 0.3, 0.5, 0.7, 0.9 (least → most deprived); value = 100 + 50·rank,
    # so SII = 50 exactly, mean = 100 + 50·0.5 = 125, RII = 0.4 and the interval has no width.
    scores = [5.0, 15.0, 25.0, 35.0, 45.0]
    ranks = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    result = slope_index(frame(scores, 100 + 50 * ranks, [1000.0] * 5), "value")
    assert result["sii"] == pytest.approx(50.0)
    assert result["sii_low"] == pytest.approx(50.0)
    assert result["sii_high"] == pytest.approx(50.0)
    assert result["mean"] == pytest.approx(125.0)
    assert result["rii"] == pytest.approx(0.4)
    assert result["n"] == 5
    assert result["reason"] == ""


def test_hand_worked_unequal_weights():
    # Three practices, scores 10, 20, 30 (least → most deprived), patients 1, 2, 1, values 1, 2, 4.
    #   ranks x: 1/8, 1/2, 7/8;  weighted mean x̄ = (0.125 + 2·0.5 + 0.875)/4 = 0.5
    #   ȳ = (1 + 2·2 + 4)/4 = 2.25
    #   Sxx = 1·0.375² + 2·0 + 1·0.375² = 0.28125
    #   Sxy = 1·(−0.375)(−1.25) + 0 + 1·(0.375)(1.75) = 1.125
    #   slope = 1.125 / 0.28125 = 4;  intercept = 2.25 − 4·0.5 = 0.25
    #   fitted 0.75, 2.25, 3.75 → residuals 0.25, −0.25, 0.25
    #   Σw·r² = 0.0625 + 2·0.0625 + 0.0625 = 0.25;  σ² = 0.25/(3 − 2) = 0.25
    #   SE = sqrt(0.25 / 0.28125) = sqrt(8/9);  t(0.975, 1 df) = 12.7062047361747
    #   RII = 4 / 2.25 = 16/9
    result = slope_index(frame([30.0, 10.0, 20.0], [4.0, 1.0, 2.0], [1.0, 1.0, 2.0]), "value")
    se = math.sqrt(8 / 9)
    t = 12.7062047361747
    assert result["sii"] == pytest.approx(4.0)
    assert result["mean"] == pytest.approx(2.25)
    assert result["sii_low"] == pytest.approx(4 - t * se, rel=1e-9)
    assert result["sii_high"] == pytest.approx(4 + t * se, rel=1e-9)
    assert result["rii"] == pytest.approx(16 / 9)
    assert result["rii_low"] == pytest.approx((4 - t * se) / 2.25, rel=1e-9)
    assert result["rii_high"] == pytest.approx((4 + t * se) / 2.25, rel=1e-9)


def test_weights_scale_free_and_order_free():
    base = frame([30.0, 10.0, 20.0, 25.0], [4.0, 1.0, 2.0, 2.5], [1.0, 1.0, 2.0, 3.0])
    scaled = base.assign(registered_patients=base["registered_patients"] * 1000).iloc[::-1]
    a, b = slope_index(base, "value"), slope_index(scaled, "value")
    for key in ("sii", "sii_low", "sii_high", "rii", "mean"):
        assert a[key] == pytest.approx(b[key])


def test_rii_is_sii_over_mean():
    rng = np.random.default_rng(7)
    practices = frame(rng.uniform(5, 60, 40), rng.uniform(100, 200, 40), rng.integers(1000, 20000, 40))
    result = slope_index(practices, "value")
    mean = np.average(practices["value"], weights=practices["registered_patients"])
    assert result["mean"] == pytest.approx(mean)
    assert result["rii"] == pytest.approx(result["sii"] / mean)
    assert result["rii_low"] == pytest.approx(result["sii_low"] / mean)
    assert result["sii_low"] < result["sii"] < result["sii_high"]


def test_sign_most_minus_least_deprived():
    scores = [10.0, 20.0, 30.0, 40.0]
    rising = slope_index(frame(scores, [1.0, 2.0, 3.0, 4.0], [1, 1, 1, 1]), "value")  # higher where deprived
    falling = slope_index(frame(scores, [4.0, 3.0, 2.0, 1.0], [1, 1, 1, 1]), "value")
    assert rising["sii"] > 0 and falling["sii"] < 0
    assert rising["sii"] == pytest.approx(-falling["sii"])
    assert "rank 0 is the least deprived" in rising["method"]
    assert "Student's t" in rising["method"]


def test_left_out_rows_and_too_few_practices():
    practices = frame([10.0, 20.0, np.nan, 30.0, 40.0], [1.0, 2.0, 3.0, np.nan, 9.0], [1, 0, 1, 1, 1])
    result = slope_index(practices, "value")  # only scores 10 and 40 survive
    assert result["n"] == 2
    assert math.isnan(result["sii"]) and math.isnan(result["rii_high"])
    assert "at least 3" in result["reason"]


def test_zero_weights_give_nan_with_reason():
    result = slope_index(frame([10.0, 20.0, 30.0], [1.0, 2.0, 3.0], [0, 0, 0]), "value")
    assert result["n"] == 0 and math.isnan(result["sii"]) and result["reason"]


def test_no_gradient_gives_nan_with_reason():
    result = slope_index(frame([20.0, 20.0, 20.0], [1.0, 2.0, 3.0], [1, 1, 1]), "value")
    assert math.isnan(result["sii"]) and "same" in result["reason"]
    assert result["mean"] == pytest.approx(2.0)


def test_other_weight_column():
    # equal registered patients, but weighted patients as in the hand-worked example
    practices = frame([30.0, 10.0, 20.0], [4.0, 1.0, 2.0], [1, 1, 1]).assign(weighted_patients=[1.0, 1.0, 2.0])
    result = slope_index(practices, "value", weight="weighted_patients")
    assert result["sii"] == pytest.approx(4.0)  # the hand-worked example above


# --- Student's t ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("df", "expected"), [(1, 12.7062047361747), (2, 4.30265272974946),
                                               (3, 3.18244630528371), (10, 2.22813885198627),
                                               (30, 2.04227245630124), (120, 1.97993040508242)])
def test_t_quantile_matches_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, rel=1e-9)


def test_t_quantile_symmetry_and_normal_limit():
    assert t_quantile(0.025, 4) == pytest.approx(-t_quantile(0.975, 4))
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.975, 1e8) == pytest.approx(1.959963984540054)
    assert t_cdf(1.0, 1) == pytest.approx(0.75)  # Cauchy: 1/2 + atan(1)/π

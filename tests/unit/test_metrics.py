"""Every measure against a value worked out by hand, and every measure saying what it divides by."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard import inequality, metrics
from dashboard.figures import palette


def four_practices() -> pd.DataFrame:
    """Two dispensing practices, one non-dispensing, one closed (no patients, unknown status)."""
    frame = pd.DataFrame({
        "practice_code": ["P1", "P2", "P3", "P4"],
        "dispensing": ["Yes", "No", "Unknown", "Yes"],
        "registered_patients": [1000.0, 2000.0, 0.0, 500.0],
        "weighted_patients": [1200.0, 1800.0, 0.0, 700.0],
        "total_payments": [150_000.0, 200_000.0, 5_000.0, 90_000.0],
        "total_incl_covid_pcn": [160_000.0, 220_000.0, 5_000.0, 90_000.0],
        "pay_prescribing_dispensing": [10_000.0, 0.0, 0.0, 30_000.0],
        "pay_dispensing_fee": [4_000.0, 0.0, np.nan, 8_000.0],
        "imd_score": [30.0, 10.0, np.nan, 20.0],
        "life_expectancy_female": [80.0, 84.0, np.nan, 82.0],
        "life_expectancy_male": [76.0, 80.0, np.nan, 78.0],
    })
    for column in metrics.SUMMED:
        if column not in frame:
            frame[column] = 0.0
    return frame


# Worked out by hand from four_practices(): the closed practice P3 counts in totals and practice counts
# but not in any "per patient" figure; England for the gaps is P2 alone.
BY_HAND = {
    "payments_per_registered_patient": 440_000 / 3_500,
    "payments_per_weighted_patient": 440_000 / 3_700,
    "payments_per_registered_patient_excl_prescribing": 400_000 / 3_500,
    "payments_per_weighted_patient_excl_prescribing": 400_000 / 3_700,
    "payments_per_registered_patient_incl_covid_pcn": 470_000 / 3_500,
    "payments_per_weighted_patient_incl_covid_pcn": 470_000 / 3_700,
    "payments_per_registered_patient_incl_covid_pcn_excl_prescribing": 430_000 / 3_500,
    "payments_per_weighted_patient_incl_covid_pcn_excl_prescribing": 430_000 / 3_700,
    "dispensing_fees_per_dispensing_practice_patient": 12_000 / 1_500,
    "total_payments": 445_000,
    "total_payments_incl_covid_pcn": 475_000,
    "prescribing_dispensing_payments": 40_000,
    "practices": 4,
    "registered_patients": 3_500,
    "share_practices_dispensing": 100 * 2 / 3,
    "share_patients_dispensing": 100 * 1_500 / 3_500,
    "practice_imd_score": 60_000 / 3_500,
    "life_expectancy_female": 289_000 / 3_500,
    "life_expectancy_male": 275_000 / 3_500,
    "life_expectancy_gap_female": 289_000 / 3_500 - 84,
    "life_expectancy_gap_male": 275_000 / 3_500 - 80,
}


def test_every_measure_is_checked_by_hand():
    assert set(BY_HAND) == set(metrics.REGISTRY), "a new measure needs its hand-computed value here"


@pytest.mark.parametrize("metric_id", sorted(BY_HAND))
def test_measure_matches_the_hand_computed_value(metric_id):
    frame = four_practices()
    sums = metrics.group_sums(frame, None, [metric_id])
    england = metrics.group_sums(frame[frame["practice_code"] == "P2"], None)
    value = float(metrics.compute(metric_id, sums, england).iloc[0])
    assert value == pytest.approx(BY_HAND[metric_id], rel=1e-12)


@pytest.mark.parametrize("metric_id", sorted(metrics.REGISTRY))
def test_a_measure_reads_only_what_it_declares(metric_id):
    """compute() given exactly the declared sums works: a formula reading anything else fails here."""
    metric = metrics.REGISTRY[metric_id]
    frame = metrics.group_sums(four_practices(), None)
    declared = frame[list(metrics.sums_needed(metric_id))]
    reference = frame if metric.gap_to else None
    assert math.isfinite(float(metrics.compute(metric_id, declared, reference).iloc[0]))
    assert set(metric.reads) <= set(frame.columns), "declared sums the Atlas does not compute"


@pytest.mark.parametrize("metric", [m for m in metrics.REGISTRY.values() if m.unit == "£ per patient"],
                         ids=lambda m: m.id)
def test_every_per_patient_measure_names_its_denominator_in_hover_and_sentence(metric):
    noun = metrics.DENOMINATORS[metric.denominator].noun
    assert f"per {noun}" in palette.hover_value(metric.id)
    groups = (inequality.Group("most deprived fifth", 10, 50_000, 120.0, 1),
              inequality.Group("least deprived fifth", 10, 50_000, 110.0, 5))
    gap = inequality.Comparison(kind="fifth_gap", metric_id=metric.id, estimate=10.0, low=5.0, high=15.0,
                                level=0.95, certainty="clear", reason="", groups=groups,
                                basis="England-wide fifths of patients", relative=9.1)
    assert f"per {noun}" in inequality.sentence(gap)


def test_direction_is_declared_and_sets_the_gap_colours():
    for metric in metrics.REGISTRY.values():
        assert metric.higher_is in ("better", "worse", "")
        if metric.gap_to:
            scale = palette.colour_scale(metric)
            worse_end = scale[0][1] if metric.higher_is == "better" else scale[-1][1]
            assert worse_end == palette.DIVERGING[0][1], "the worse side of a gap is orange"
    worse = metrics.Metric("x", "X", "years", "", "", compute=None, higher_is="worse", gap_to="life_expectancy_female")
    assert palette.colour_scale(worse)[-1][1] == palette.DIVERGING[0][1]

"""Chart tables on tiny hand-made practice frames whose answers can be worked out on paper."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard import metrics
from dashboard.data import aggregates
from dashboard.data.aggregates import (
    by_deprivation,
    components_by_quintile,
    fit_line,
    scatter_frame,
    trend_by_quintile,
)

PROCESSED = Path(__file__).resolve().parents[2] / "data" / "processed" / "practices.parquet"

# Shares of each practice's total_payments by component (the first six make total_payments);
# COVID and PCN come on top, as in the published files.
SPLIT = {"pay_core": 0.6, "pay_qof": 0.1, "pay_enhanced": 0.1, "pay_premises": 0.05,
         "pay_prescribing_dispensing": 0.1, "pay_other": 0.05}


def practice(code, quintile, dispensing, registered, weighted, total, covid=0.0, pcn=0.0, decile=None,
             imd=None, le_female=None, year="2022-23", lon=-1.5, lat=52.5):
    row = {"year": year, "practice_code": code, "practice_name": f"Practice {code}", "dispensing": dispensing,
           "registered_patients": float(registered), "weighted_patients": float(weighted),
           "total_payments": float(total), "pay_covid": float(covid), "pay_pcn": float(pcn),
           "total_incl_covid_pcn": float(total + covid + pcn),
           "imd_quintile": quintile, "imd_decile": decile if decile is not None else (
               None if quintile is None else 2 * quintile - 1),
           "imd_score": imd if imd is not None else (np.nan if quintile is None else 50.0 - 10 * quintile),
           "life_expectancy_female": le_female if le_female is not None else np.nan,
           "life_expectancy_male": np.nan, "lon": lon, "lat": lat}
    row.update({column: share * total for column, share in SPLIT.items()})
    row["pay_dispensing_fee"] = 0.04 * total if dispensing == "Yes" else 0.0
    return row


def frame(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for column in ("imd_quintile", "imd_decile"):
        out[column] = out[column].astype("Int64")
    return out


@pytest.fixture
def four():
    """Most deprived fifth: A (£150k, 1,000 weighted) + B dispensing (£250k, 1,000 weighted) = £200 each.
    Least deprived fifth: C (£300k, 2,000 weighted) = £150; E closed (no patients, £50k) is counted but
    left out of per-patient money. D has no deprivation band."""
    return frame([
        practice("A", 1, "No", 1000, 1000, 150_000, covid=10_000, pcn=20_000),
        practice("B", 1, "Yes", 2000, 1000, 250_000),
        practice("C", 5, "No", 1000, 2000, 300_000, pcn=40_000),
        practice("D", None, "No", 1000, 1000, 100_000),
        practice("E", 5, "Unknown", 0, 0, 50_000),
    ])


def test_by_deprivation_hand_computed(four):
    table = by_deprivation(four)
    assert list(table.columns) == ["band", "group", "practices", "registered_patients", "value"]
    assert len(table) == 15 and table.attrs["excluded_practices"] == 1
    assert table.attrs["metric_id"] == "payments_per_weighted_patient" and table.attrs["band"] == "quintile"
    rows = table.set_index(["group", "band"])
    assert rows.loc[("All practices", 1), "value"] == pytest.approx(200.0)
    assert rows.loc[("All practices", 1), "practices"] == 2
    assert rows.loc[("All practices", 1), "registered_patients"] == 3000
    assert rows.loc[("Dispensing", 1), "value"] == pytest.approx(250.0)
    assert rows.loc[("Non-dispensing", 1), "value"] == pytest.approx(150.0)
    assert rows.loc[("All practices", 5), "value"] == pytest.approx(150.0)
    assert rows.loc[("All practices", 5), "practices"] == 2  # the closed practice still counts
    assert rows.loc[("Non-dispensing", 5), "practices"] == 1
    assert rows.loc[("All practices", 3), "practices"] == 0 and math.isnan(rows.loc[("All practices", 3), "value"])
    assert rows.loc[("Dispensing", 5), "practices"] == 0


def test_by_deprivation_matches_registry_for_other_metrics(four):
    table = by_deprivation(four, metric_id="payments_per_registered_patient")
    value = table.set_index(["group", "band"]).loc[("All practices", 1), "value"]
    assert value == pytest.approx(400_000 / 3000)
    expected = metrics.compute("payments_per_registered_patient",
                               metrics.group_sums(four[four["imd_quintile"] == 1], None)).iloc[0]
    assert value == pytest.approx(expected)


def test_by_deprivation_deciles(four):
    table = by_deprivation(four, band="decile")
    assert sorted(table["band"].unique()) == list(range(1, 11))
    rows = table[table["group"] == "All practices"].set_index("band")
    assert rows.loc[1, "value"] == pytest.approx(200.0) and rows.loc[9, "value"] == pytest.approx(150.0)
    with pytest.raises(ValueError):
        by_deprivation(four, band="tercile")


def test_trend_by_quintile():
    rows = frame([practice("A", 1, "No", 1000, 1000, 100_000, year="2021-22"),
                  practice("B", 5, "No", 1000, 1000, 120_000, year="2021-22"),
                  practice("A", 1, "No", 1000, 1000, 110_000, year="2022-23"),
                  practice("B", 5, "No", 1000, 2000, 260_000, year="2022-23"),
                  practice("Z", None, "No", 1000, 1000, 1, year="2022-23")])
    table = trend_by_quintile(rows, "payments_per_weighted_patient")
    assert list(table.columns) == ["year", "band", "value", "practices"]
    assert table[["year", "band"]].values.tolist() == [["2021-22", 1], ["2021-22", 5], ["2022-23", 1],
                                                      ["2022-23", 5]]
    assert table["value"].tolist() == pytest.approx([100, 120, 110, 130])
    assert table["practices"].tolist() == [1, 1, 1, 1] and table.attrs["excluded_practices"] == 1


def test_trend_of_a_gap_is_to_each_years_own_total():
    """Female life expectancy gap per quintile: 2021-22's gaps are to 2021-22's list-weighted mean, not 2022-23's."""
    rows = frame([practice("A", 1, "No", 1000, 1000, 1, le_female=80.0, year="2021-22"),
                  practice("B", 5, "No", 3000, 1000, 1, le_female=84.0, year="2021-22"),   # mean 83.0
                  practice("A", 1, "No", 1000, 1000, 1, le_female=78.0, year="2022-23"),
                  practice("B", 5, "No", 1000, 1000, 1, le_female=86.0, year="2022-23"),
                  practice("Z", None, "No", 2000, 1000, 1, le_female=90.0, year="2022-23")])  # counts in the total
    table = trend_by_quintile(rows, "life_expectancy_gap_female")
    assert table[["year", "band"]].values.tolist() == [["2021-22", 1], ["2021-22", 5], ["2022-23", 1],
                                                      ["2022-23", 5]]
    # 2022-23's total includes Z (no quintile): (78 + 86 + 2 * 90) / 4 = 86.0
    assert table["value"].tolist() == pytest.approx([-3.0, 1.0, -8.0, 0.0])


def test_components_sum_to_totals(four):
    table = components_by_quintile(four)
    assert list(table.columns) == ["band", "component", "amount_per_weighted_patient", "amount"]
    assert list(table["component"].unique()) == list(aggregates.COMPONENTS.values())
    assert len(table) == 40
    per_band = table.pivot(index="band", columns="component", values="amount_per_weighted_patient")
    core_six = per_band[[aggregates.COMPONENTS[c] for c in SPLIT]].sum(axis=1)
    headline = by_deprivation(four).query("group == 'All practices'").set_index("band")["value"]
    assert core_six.loc[1] == pytest.approx(headline.loc[1]) and core_six.loc[5] == pytest.approx(headline.loc[5])
    with_all = by_deprivation(four, metric_id="payments_per_weighted_patient_incl_covid_pcn")
    total = with_all.query("group == 'All practices'").set_index("band")["value"]
    assert per_band.sum(axis=1).loc[1] == pytest.approx(total.loc[1])  # (400k + 30k) / 2,000
    assert per_band.sum(axis=1).loc[1] == pytest.approx(215.0)
    assert per_band.loc[5, "PCN"] == pytest.approx(20.0)
    amounts = table.pivot(index="band", columns="component", values="amount")
    assert amounts.loc[5, "Global sum and core"] == pytest.approx(0.6 * 350_000)  # closed practice's money too
    assert per_band.loc[3].isna().all()


def test_scatter_frame_filters_and_values():
    rows = frame([practice("A", 1, "No", 1000, 500, 100_000, imd=40.0),
                  practice("B", 2, "Yes", 0, 0, 100_000, imd=30.0),  # no patients
                  practice("C", None, "No", 1000, 1000, 100_000),  # no IMD score
                  practice("D", 5, "Yes", 2000, 1000, 100_000, imd=10.0, le_female=84.0)])
    table = scatter_frame(rows)
    assert list(table.columns) == ["practice_code", "practice_name", "imd_score", "y", "registered_patients",
                                   "dispensing"]
    assert table["practice_code"].tolist() == ["A", "D"]
    assert table["y"].tolist() == pytest.approx([200.0, 100.0])
    life = scatter_frame(rows, "life_expectancy_female")
    assert life["practice_code"].tolist() == ["D"] and life["y"].tolist() == [84.0]
    assert life.attrs["metric_id"] == "life_expectancy_female"


def test_fit_line_recovers_slope():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    fit = fit_line(x, 3 + 2 * x)
    assert fit["slope"] == pytest.approx(2) and fit["intercept"] == pytest.approx(3)
    assert fit["r2"] == pytest.approx(1) and fit["n"] == 5


def test_fit_line_weighted_matches_numpy():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 60, 200)
    y = 150 - 0.5 * x + rng.normal(0, 10, 200)
    w = rng.uniform(1000, 20000, 200)
    fit = fit_line(x, y, w)
    slope, intercept = np.polyfit(x, y, 1, w=np.sqrt(w))
    assert fit["slope"] == pytest.approx(slope) and fit["intercept"] == pytest.approx(intercept)
    assert 0 < fit["r2"] < 1


def test_fit_line_weights_and_gaps():
    # A zero weight or a missing value drops the point: the outlier at (2, 100) must not bend the line.
    fit = fit_line([0, 1, 2, np.nan], [0, 1, 100, 5], [1, 1, 0, 1])
    assert fit["n"] == 2 and fit["slope"] == pytest.approx(1)
    assert math.isnan(fit_line([1, 1, 1], [1, 2, 3])["slope"])
    assert math.isnan(fit_line([1], [1])["slope"])


@pytest.mark.skipif(not PROCESSED.is_file(), reason="processed data not built")
def test_real_2022_23_quintiles():
    practices = pd.read_parquet(PROCESSED)
    year = practices[practices["year"] == "2022-23"]
    table = by_deprivation(year)
    everyone = table[table["group"] == "All practices"]
    assert everyone["value"].between(100, 300).all(), everyone
    assert everyone["practices"].sum() == year["imd_quintile"].notna().sum()
    assert table.attrs["excluded_practices"] == year["imd_quintile"].isna().sum()

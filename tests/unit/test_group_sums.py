"""The fast group sums against pandas' own groupby: same groups, same sums, whatever the keys."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import metrics
from dashboard.data.query import load_atlas


def practices(n: int = 400, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({
        "year": pd.Categorical(rng.choice(["2021-22", "2022-23", "2023-24"], n)),
        "la_code": rng.choice(["E06000001", "E06000002", "E09000028", None], n),
        "imd_quintile": pd.array(rng.choice([1, 2, 3, 4, 5, None], n), dtype="Int64"),
        "dispensing": pd.Categorical(rng.choice(["Yes", "No", "Unknown"], n)),
        "registered_patients": rng.integers(0, 20000, n).astype(float),
        "weighted_patients": rng.integers(0, 22000, n).astype(float),
        "imd_score": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 60),
        "life_expectancy_female": rng.random(n) * 10 + 78,
        "life_expectancy_male": rng.random(n) * 10 + 74,
        "pay_dispensing_fee": np.where(rng.random(n) < 0.05, np.nan, rng.random(n) * 1e5),
    })
    for column in metrics.SUMMED:
        if column not in frame:
            frame[column] = np.where(rng.random(n) < 0.05, np.nan, rng.random(n) * 1e6)
    return frame


def reference(frame: pd.DataFrame, by) -> pd.DataFrame:
    """What group_sums used to do: pandas groupby over freshly built columns."""
    rows = pd.DataFrame({c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in metrics.SUMMED} |
                        metrics.derived_columns(frame), index=frame.index)
    keys = [frame[b] for b in by] if isinstance(by, list) else frame[by]
    return rows.groupby(keys, observed=True).sum()


@pytest.mark.parametrize("precomputed", [False, True])
@pytest.mark.parametrize("by", ["la_code", "year", "imd_quintile", ["year", "imd_quintile"],
                                ["imd_quintile", "dispensing"]])
def test_matches_pandas_groupby(by, precomputed):
    frame = practices()
    if precomputed:
        frame = metrics.with_derived_columns(frame)
    ours = metrics.group_sums(frame, by)
    theirs = reference(frame, by)
    assert [tuple(np.atleast_1d(i)) for i in ours.index] == [tuple(np.atleast_1d(i)) for i in theirs.index]
    np.testing.assert_allclose(ours[theirs.columns].to_numpy(), theirs.to_numpy(), rtol=1e-12)


def test_missing_keys_are_no_group_and_totals_add_up():
    frame = practices()
    sums = metrics.group_sums(frame, "la_code")
    assert None not in sums.index and len(sums) == 3
    with_la = frame[frame["la_code"].notna()]
    assert sums["practices"].sum() == len(with_la)
    assert sums["registered_patients"].sum() == pytest.approx(with_la["registered_patients"].sum())
    whole = metrics.group_sums(frame, None)
    assert whole["pay_core"].iloc[0] == pytest.approx(np.nansum(frame["pay_core"]))


def test_only_the_sums_a_metric_reads_give_the_same_values():
    frame = practices()
    for metric_id in metrics.REGISTRY:
        if metric_id in metrics.GAP_METRICS:
            continue
        full = metrics.compute(metric_id, metrics.group_sums(frame, "la_code"))
        lean = metrics.compute(metric_id, metrics.group_sums(frame, "la_code", [metric_id]))
        pd.testing.assert_series_equal(full, lean, check_names=False)


def test_sums_needed_are_what_the_metric_declares():
    assert metrics.sums_needed("payments_per_weighted_patient") == {
        "practices", "registered_patients", "total_payments__listed", "weighted_patients__listed"}
    assert "imd_score__weight" in metrics.sums_needed("practice_imd_score")


def test_real_table_carries_derived_columns_that_match_a_fresh_computation():
    atlas = load_atlas()
    year = atlas.year_practices(atlas.latest_year)
    fresh = metrics.derived_columns(year)
    for name, values in fresh.items():
        np.testing.assert_array_equal(year[f"{metrics.DERIVED_PREFIX}{name}"].to_numpy(), values)


def test_all_years_select_without_filters_is_every_row():
    from dashboard.data.query import Filters

    atlas = load_atlas()
    assert len(atlas.select(Filters(), all_years=True)) == len(atlas.practices)
    one_la = atlas.select(Filters(la=["E09000028"]), all_years=True)
    assert set(one_la["year"].astype(str)) == set(atlas.years) and set(one_la["la_code"]) == {"E09000028"}

"""Chart-ready tables for the explorer: practices in, small frames out (pandas only, no Dash).

Every value goes through metrics.group_sums/compute so a quintile bar, a map area and a download
show the same number for the same practices. Metric ids and band type ride along in `attrs` so
the figure layer can label axes and hovers without being told twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import metrics

BANDS = {"quintile": ("imd_quintile", 5, "fifth"), "decile": ("imd_decile", 10, "tenth")}
GROUPS = ("All practices", "Dispensing", "Non-dispensing")
GROUP_STATUS = {"Dispensing": "Yes", "Non-dispensing": "No"}

# Payment components in the order they are stacked; the eight add up to total_incl_covid_pcn and the
# first six to total_payments (checked in the data build), so stacks equal the headline metrics.
COMPONENTS = {
    "pay_core": "Global sum and core",
    "pay_qof": "QOF",
    "pay_enhanced": "Enhanced services",
    "pay_premises": "Premises",
    "pay_prescribing_dispensing": "Prescribing and dispensing",
    "pay_other": "Other",
    "pay_covid": "COVID",
    "pay_pcn": "PCN",
}


def _band_column(band: str) -> tuple[str, int, str]:
    if band not in BANDS:
        raise ValueError(f"band must be 'quintile' or 'decile', not {band!r}")
    return BANDS[band]


def _band_key(practices: pd.DataFrame, column: str, bands: pd.Series | None) -> pd.Series:
    """Each practice's band as a float series (NaN: no band): `bands` when given, else the shipped `column`.

    Why: a chart must band practices exactly as the sentence beside it does (fifths of patients or of
    practices, England-wide or within an area), so the caller forms the bands once with the engine
    (inequality.bands_of) and every table here groups by them. A key, not a new column: copying an every-year
    practice table to overwrite one column would cost more than the grouping.
    """
    source = practices[column] if bands is None else bands.reindex(practices.index)
    return pd.to_numeric(source, errors="coerce").astype("Float64").astype(float)


def by_deprivation(practices: pd.DataFrame, band: str = "quintile",
                   metric_id: str = "payments_per_weighted_patient",
                   england: pd.DataFrame | None = None, bands: pd.Series | None = None) -> pd.DataFrame:
    """One row per band × group (all, dispensing, non-dispensing), every band present even if empty.

    `england` is the reference for gap metrics; by default the practices passed in. `bands`: each practice's
    band from inequality.bands_of (default: the shipped national fifths or tenths of patients).
    attrs: band, metric_id, excluded_practices (practices without a deprivation band).
    """
    column, n_bands, _ = _band_column(band)
    key = _band_key(practices, column, bands)
    needed = [metric_id]  # a gap metric's formula reads its base's sums, so those come too
    england = metrics.group_sums(practices, None, needed) if england is None else england
    excluded = int(key.isna().sum())
    bands = pd.Index(range(1, n_bands + 1), name="band")
    # One pass: sums per band and dispensing status; the three groups are added up from it.
    by_status = metrics.group_sums(practices, [key.to_numpy(), practices["dispensing"].astype(str).to_numpy()],
                                   needed)
    # The three groups summed from it with numpy (pandas' groupby per group cost more than the sums themselves).
    band_at = by_status.index.get_level_values(0).astype(int).to_numpy() - 1
    status_at = by_status.index.get_level_values(1).astype(str).to_numpy()
    values = by_status.to_numpy(dtype=float)
    parts = []
    for group in GROUPS:
        rows = np.ones(len(values), dtype=bool) if group == "All practices" else status_at == GROUP_STATUS[group]
        summed = np.zeros((n_bands, values.shape[1]))
        np.add.at(summed, band_at[rows], values[rows])
        sums = pd.DataFrame(summed, index=bands, columns=by_status.columns)
        parts.append(pd.DataFrame({
            "band": bands.to_numpy(),
            "group": group,
            "practices": sums["practices"].astype(int).to_numpy(),
            "registered_patients": sums["registered_patients"].to_numpy(),
            "value": metrics.compute(metric_id, sums, england).where(sums["practices"] > 0).to_numpy(),
        }))
    table = pd.concat(parts, ignore_index=True)
    table.attrs.update(band=band, metric_id=metric_id, excluded_practices=excluded)
    return table


def trend_by_quintile(practices_all_years: pd.DataFrame,
                      metric_id: str = "payments_per_weighted_patient", bands: pd.Series | None = None) -> pd.DataFrame:
    """Metric per year and quintile in cash terms (no inflation adjustment); gap metrics use each year's total.

    `bands`: each practice-year's fifth from inequality.bands_of, as for by_deprivation.
    """
    columns = ["year", "band", "value", "practices"]
    key = _band_key(practices_all_years, "imd_quintile", bands)
    excluded = int(key.isna().sum())
    rows = []
    if excluded < len(practices_all_years):
        # Every year at once, of only what the metric reads; practices without a quintile drop out by
        # themselves (a missing key is no group).
        needed = [metric_id]
        sums = metrics.group_sums(practices_all_years, ["year", key.to_numpy()], needed)
        years = sums.index.get_level_values(0).astype(str)
        reference = None
        if metric_id in metrics.GAP_METRICS:  # a gap is to the selection's own total in the same year
            totals = metrics.group_sums(practices_all_years, "year", needed)
            reference = totals.set_axis(totals.index.astype(str)).reindex(years)
        values = metrics.compute(metric_id, sums, reference).to_numpy()
        rows.append(pd.DataFrame({"year": years, "band": sums.index.get_level_values(1).astype(int),
                                  "value": values, "practices": sums["practices"].astype(int).to_numpy()}))
    table = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
    table = table[columns].sort_values(["year", "band"], ignore_index=True)
    table.attrs.update(band="quintile", metric_id=metric_id, excluded_practices=excluded, prices="cash")
    return table


def components_by_quintile(practices: pd.DataFrame, bands: pd.Series | None = None) -> pd.DataFrame:
    """Each payment component per quintile: £ per weighted patient (practices with patients) and £ in total.

    Per-patient amounts use only practices with registered patients, as the registry's per-patient
    metrics do, so the first six stack to payments_per_weighted_patient and all eight to the
    COVID-and-PCN-inclusive figure. `amount` is every practice's money, matching total_payments.
    `bands`: each practice's fifth from inequality.bands_of, as for by_deprivation.
    """
    key = _band_key(practices, "imd_quintile", bands)
    frame = practices[key.notna()].assign(band=key[key.notna()].astype(int))
    excluded = int(key.isna().sum())
    listed = frame["registered_patients"] > 0
    bands = pd.Index(range(1, 6), name="band")
    amounts = frame.groupby("band")[list(COMPONENTS)].sum().reindex(bands, fill_value=0.0)
    listed_amounts = frame[listed].groupby("band")[list(COMPONENTS)].sum().reindex(bands, fill_value=0.0)
    weighted = frame[listed].groupby("band")["weighted_patients"].sum().reindex(bands, fill_value=0.0)
    per_patient = listed_amounts.div(weighted.where(weighted > 0), axis=0)
    table = pd.DataFrame({
        "band": np.repeat(bands.to_numpy(), len(COMPONENTS)),
        "component": list(COMPONENTS.values()) * len(bands),
        "amount_per_weighted_patient": per_patient.to_numpy().ravel(),
        "amount": amounts.to_numpy().ravel(),
    })
    table.attrs.update(band="quintile", metric_id="payments_per_weighted_patient_incl_covid_pcn",
                       excluded_practices=excluded)
    return table


def practice_values(practices: pd.DataFrame, metric_id: str) -> pd.Series:
    """A registry metric for each practice on its own (a group of one), aligned to the input index."""
    if metric_id in metrics.GAP_METRICS:
        raise ValueError(f"{metric_id} compares areas with England; it has no per-practice value")
    if practices.empty:
        return pd.Series(dtype=float, index=practices.index)
    values = metrics.compute(metric_id, metrics.row_sums(practices, metrics.sums_needed(metric_id)))
    return pd.Series(values.to_numpy(), index=practices.index, name=metric_id)


def scatter_frame(practices: pd.DataFrame, y: str = "payments_per_weighted_patient") -> pd.DataFrame:
    """One row per practice with patients and both an IMD score and a y value; column `y` holds the metric."""
    frame = practices[practices["registered_patients"] > 0]
    out = pd.DataFrame({
        "practice_code": frame["practice_code"].astype(str),
        "practice_name": frame["practice_name"].astype(str),
        "imd_score": frame["imd_score"].astype(float),
        "y": practice_values(frame, y),
        "registered_patients": frame["registered_patients"].astype(float),
        "dispensing": frame["dispensing"].astype(str),
    })
    out = out[np.isfinite(out["imd_score"]) & np.isfinite(out["y"])].reset_index(drop=True)
    out.attrs.update(metric_id=y)
    return out


def fit_line(x, y, weights=None) -> dict:
    """Weighted least-squares line y = intercept + slope·x (weights: list sizes), with weighted R²."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    x, y, w = x[keep], y[keep], w[keep]
    n = int(keep.sum())
    nan = {"slope": np.nan, "intercept": np.nan, "r2": np.nan, "n": n}
    if n < 2:
        return nan
    x_mean, y_mean = np.average(x, weights=w), np.average(y, weights=w)
    sxx = float(np.sum(w * (x - x_mean) ** 2))
    if sxx <= 0:
        return nan
    slope = float(np.sum(w * (x - x_mean) * (y - y_mean)) / sxx)
    intercept = float(y_mean - slope * x_mean)
    ss_tot = float(np.sum(w * (y - y_mean) ** 2))
    ss_res = float(np.sum(w * (y - intercept - slope * x) ** 2))
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else np.nan
    return {"slope": slope, "intercept": intercept, "r2": float(r2), "n": n}

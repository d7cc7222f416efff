"""Funding against deprivation by area: each area's value beside the value expected for its deprivation.

Why a module of its own (no Dash): the page's scatter, table, map and CSV must show the same expected
values, differences and ranks, and the arithmetic has to be checkable on a paper example. The line itself
comes from inequality.fitted_line and its words from inequality.expected_sentence / sentence, so "expected"
here means exactly what the engine's other lines mean.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd

from .. import inequality, metrics
from ..dimensions import LEVEL
from . import sources

LEVELS = ("la", "icb", "region", "marmot")  # levels with boundaries a reader compares areas across
DEFAULT_LEVEL = "icb"
MEASURES = ("payments_per_weighted_patient", "payments_per_weighted_patient_excl_prescribing")
DEPRIVATION = "practice_imd_score"
OUTLIER_SDS = 2.0  # an area more than this many residual standard deviations from the line is labelled
MIN_AREAS = inequality.MIN_LINE_PRACTICES  # the engine's line rule, applied to areas

COLUMNS = [("code", "Area code"), ("name", "Area"), ("value", "Value"), ("deprivation", "Deprivation (IMD score)"),
           ("expected", "Expected for its deprivation"), ("difference", "Difference from expected"),
           ("rank", "Rank (1 = furthest below expected)"), ("patients", "Registered patients"),
           ("practices", "Practices"), ("minority", "Residents in ethnic groups other than White (%)")]
MINORITY = ("eth_minority", "2021")  # area_metrics key: the share of residents, Census 2021
SHARE_BANDS = 5


def imd_edition() -> str:
    """The deprivation edition as the source catalogue records it ("IMD 2019"), said wherever scores are shown."""
    return sources.vintage("practice_imd")


def method_text() -> str:
    """The method and its limits, in one place: the page shows it and the CSV's provenance points to it."""
    edition = imd_edition()
    return (
        f"How “expected for its deprivation” is worked out. Each area's deprivation is the average {edition} "
        "score of its practices' patients (each practice's score weighted by its registered patients; a few "
        "practices without a score in that edition use IMD 2015 or 2010). Its value is the ratio of sums over its "
        "practices, the same figure as on the map and area pages. A straight line is fitted through the areas' "
        "values against their deprivation, each area weighted by its registered patients, so a large area counts "
        "for more than a small one. An area's expected value is the line's value at its deprivation; the "
        "difference is its value minus that, and rank 1 is the area furthest below. Areas more than "
        f"{OUTLIER_SDS:g} residual standard deviations (patient-weighted) from the line are labelled on the chart. "
        f"No line is fitted through fewer than {MIN_AREAS} areas (the seven NHS regions, for example)."
        "\n\nLimits. The line describes how money and deprivation go together across areas in that year; it is "
        "not a funding formula, a target or a fair share, and an area below the line is not thereby underfunded. "
        "Weighted patients already adjust for age, sex, rurality and some need (the Carr-Hill formula), but "
        "not directly for deprivation. An area's deprivation is that of its practices' patients, not of the "
        "people living inside its boundary, and it is one number for a mix of neighbourhoods. A straight line "
        "may not fit well (its R² is stated), and differences carry no interval: they are descriptive. Dispensing "
        "practices receive money for supplying medicines; the measure excluding prescribing and dispensing "
        "leaves that out.")


def expected_values(frame: pd.DataFrame, min_areas: int = MIN_AREAS) -> tuple[pd.DataFrame, dict | None, str]:
    """Expected values, differences, ranks and outlier flags for areas given as code, name, value,
    deprivation and patients; returns (table, fit, why no fit).

    Pure arithmetic on a few columns so it can be pinned on a hand-worked example. Areas without a value,
    a deprivation score or patients stay in the table (every area is listed) with no expected value or rank.
    """
    table = frame.copy()
    fit, reason = inequality.fitted_line(table["deprivation"], table["value"], table["patients"],
                                         min_practices=min_areas, noun="area")
    table["expected"] = np.nan
    table["difference"] = np.nan
    table["rank"] = pd.array([pd.NA] * len(table), dtype="Int64")
    table["outlier"] = False
    if fit is None:
        return table, None, reason
    usable = (np.isfinite(table["deprivation"].astype(float)) & np.isfinite(table["value"].astype(float))
              & (table["patients"].astype(float) > 0))
    table.loc[usable, "expected"] = fit["intercept"] + fit["slope"] * table.loc[usable, "deprivation"]
    table.loc[usable, "difference"] = table.loc[usable, "value"] - table.loc[usable, "expected"]
    table.loc[usable, "rank"] = table.loc[usable, "difference"].rank(method="min").astype("Int64")
    weights = table.loc[usable, "patients"].to_numpy(dtype=float)
    residuals = table.loc[usable, "difference"].to_numpy(dtype=float)
    spread = math.sqrt(float(np.sum(weights * residuals ** 2) / np.sum(weights)))
    fit = {**fit, "residual_sd": spread}
    if spread > 0:
        table.loc[usable, "outlier"] = np.abs(residuals) > OUTLIER_SDS * spread
    return table, fit, ""


def area_table(atlas, level: str, year: str, metric_id: str) -> tuple[pd.DataFrame, dict | None, str]:
    """Every area at `level` in `year`, sorted by rank (areas without a rank last), with the fit."""
    if level not in LEVELS or metric_id not in MEASURES:
        raise ValueError(f"level {level!r} or measure {metric_id!r} is not offered")
    practices = atlas.year_practices(year)
    areas = atlas.areas_at(level)
    codes = areas["code"].tolist()
    values = atlas.metric_by_area(practices, level, metric_id, year)
    deprivation = atlas.metric_by_area(practices, level, DEPRIVATION, year)
    patients = atlas.metric_by_area(practices, level, "registered_patients", year)
    count = atlas.metric_by_area(practices, level, "practices", year)
    frame = pd.DataFrame({
        "code": codes, "name": areas["name"].astype(str).tolist(),
        "value": values.reindex(codes).to_numpy(dtype=float),
        "deprivation": deprivation.reindex(codes).to_numpy(dtype=float),
        "patients": patients.reindex(codes).fillna(0).to_numpy(dtype=float),
        "practices": count.reindex(codes).fillna(0).astype(int).to_numpy(),
    })
    frame["minority"] = atlas.area_measure(MINORITY[0], level, MINORITY[1]).reindex(codes).to_numpy(dtype=float)
    table, fit, reason = expected_values(frame)
    table = table.sort_values(["rank", "name"], na_position="last", kind="stable").reset_index(drop=True)
    return table, fit, reason


# --- funding against the ethnic make-up of areas (issue 14's race-equity lens) ----------------------------------
def minority_fit(table: pd.DataFrame) -> tuple[dict | None, str]:
    """The line of the measure on the share of residents in ethnic groups other than White, weighted by
    registered patients, through the same areas as the deprivation line (none below MIN_AREAS)."""
    return inequality.fitted_line(table["minority"], table["value"], table["patients"], min_practices=MIN_AREAS,
                                  noun="area")


def minority_summary(table: pd.DataFrame, fit: dict | None, reason: str, level: str, metric_id: str) -> str:
    areas = f"{int(np.isfinite(table['minority'].astype(float)).sum()):,} {LEVEL[level].plural}"
    return inequality.expected_sentence(fit, reason, metric_id, areas, along=inequality.MINORITY_ALONG)


def minority_bands(atlas, level: str, year: str, metric_id: str, table: pd.DataFrame) -> pd.DataFrame:
    """The measure for each fifth of areas by the share of residents in ethnic groups other than White (1 =
    smallest share), summed over the fifth's practices as every other band in the Atlas is; equal numbers
    of areas in each fifth (areas, not people, are what is ranked here)."""
    shares = table.set_index("code")["minority"].astype(float).dropna()
    if len(shares) < MIN_AREAS:  # fifths of seven regions would be one or two areas each
        return pd.DataFrame()
    band = pd.Series(pd.qcut(shares.rank(method="first"), SHARE_BANDS, labels=False) + 1, index=shares.index)
    practices = atlas.year_practices(year)
    if level == "marmot":
        practices = practices.merge(atlas.marmot_members, on="la_code")
        area = "marmot:" + practices["slug"].astype(str)
    else:
        area = practices[LEVEL[level].code_column]
    practices = practices.assign(share_band=area.map(band)).dropna(subset=["share_band"])
    sums = metrics.group_sums(practices, "share_band", [metric_id])
    values = metrics.compute(metric_id, sums, atlas.england_sums(year))
    rows = []
    for number in range(1, SHARE_BANDS + 1):
        members = shares[band == number]
        part = practices[practices["share_band"] == number]
        rows.append({"band": number, "areas": len(members), "share_low": float(members.min()),
                     "share_high": float(members.max()), "practices": len(part),
                     "patients": float(part["registered_patients"].sum()),
                     "value": float(values.get(float(number), np.nan))})
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame, fit: dict | None, reason: str, level: str, metric_id: str) -> str:
    """The sentence above the chart, written by the engine."""
    ranked = table.dropna(subset=["difference"])
    below = above = None
    if len(ranked):
        low, high = ranked.loc[ranked["difference"].idxmin()], ranked.loc[ranked["difference"].idxmax()]
        below, above = (low["name"], float(low["difference"])), (high["name"], float(high["difference"]))
    areas = f"{len(table):,} {LEVEL[level].plural}"
    return inequality.expected_sentence(fit, reason, metric_id, areas, below, above)


def download_table(table: pd.DataFrame, metric_id: str) -> pd.DataFrame:
    """The CSV's columns: named with the measure and unit, rounded as on the page."""
    metric = metrics.REGISTRY[metric_id]
    out = table[[c for c, _ in COLUMNS]].copy()
    for column in ("value", "expected", "difference"):
        out[column] = out[column].astype(float).round(2)
    out["deprivation"] = out["deprivation"].astype(float).round(1)
    out["patients"] = out["patients"].round(0).astype("Int64")
    out["minority"] = out["minority"].astype(float).round(1)
    names = dict(COLUMNS)
    names["minority"] = "Residents in ethnic groups other than White (% of usual residents, Census 2021)"
    names["value"] = f"{metric.label} (£)"
    names["deprivation"] = f"Deprivation ({imd_edition()} score of practices' patients)"
    names["expected"] = "Expected for its deprivation (£)"
    names["difference"] = "Difference from expected (£)"
    return out.rename(columns=names)


def csv_bytes(atlas, level: str, year: str, metric_id: str, made_at: datetime | None = None) -> bytes:
    """The table as a CSV headed by the Atlas's provenance block (sources, licence, methods link)."""
    from ..downloads import provenance_lines, table_csv

    table, fit, reason = area_table(atlas, level, year, metric_id)
    metric = metrics.REGISTRY[metric_id]
    line = ("no line fitted: " + reason) if fit is None else (
        f"line weighted by registered patients: expected = {fit['intercept']:.4f} {'−' if fit['slope'] < 0 else '+'} "
        f"{abs(fit['slope']):.4f} × IMD score, "
        f"R² = {fit['r2']:.3f}, {fit['n']} areas")
    description = [f"Year: {year}", f"Areas: every {LEVEL[level].name} in England",
                   f"Measure: {metric.label} ({metric.formula})",
                   f"Deprivation: {DEPRIVATION} ({imd_edition()}, patient-weighted over the area's practices)",
                   "Ethnic groups: residents of the whole area (Census 2021, TS021), not practice lists; counts "
                   "carry ONS disclosure-control noise",
                   f"Expected value: {line}"]
    provenance = provenance_lines(description, made_at or datetime.now().astimezone(), atlas.manifest,
                                  methods_url="/fairness")
    return table_csv(download_table(table, metric_id), provenance + method_text().split("\n\n"))


def csv_path(level: str, year: str, metric_id: str) -> str:
    return f"/download/fairness/{level}.csv?year={year}&measure={metric_id}"


# --- dispensing, like for like ---------------------------------------------------------------------------
def dispensing_comparisons(practices: pd.DataFrame, area_name: str | None) -> dict:
    """Both measures' standardised comparisons for one place (England or an area), keyed by measure."""
    return {m: inequality.standardised_difference(practices, m, area_name) for m in MEASURES}


def dispensing_table(comparisons: dict) -> pd.DataFrame:
    """One row per rurality × fifth cell: both groups' values with and without prescribing and dispensing
    money, their practices and patients, and whether the cell entered the standardised comparison."""
    first = comparisons[MEASURES[0]].extra["cells"]
    if first.empty:
        return pd.DataFrame()
    out = first[["rurality", "imd_quintile", "dispensing_practices", "dispensing_patients",
                 "non_dispensing_practices", "non_dispensing_patients"]].copy()
    for metric_id, comparison in comparisons.items():
        cells = comparison.extra["cells"]
        suffix = "" if metric_id == MEASURES[0] else "_excl"
        out[f"dispensing_value{suffix}"] = cells["dispensing_value"].to_numpy()
        out[f"non_dispensing_value{suffix}"] = cells["non_dispensing_value"].to_numpy()
    out["used"] = first["used"].to_numpy()
    out["why_not"] = first["why_not"].to_numpy()
    out["imd_quintile"] = out["imd_quintile"].astype(int)
    return out.sort_values(["rurality", "imd_quintile"], ascending=[False, True]).reset_index(drop=True)

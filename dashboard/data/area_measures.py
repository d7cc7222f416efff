"""Local-authority deprivation (IMD 2019) and life expectancy (OHID Fingertips), on current codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import sources
from .errors import SourceDataError, to_number
from .practice_measures import read_csv_checked

INDICATOR_SOURCES = {
    "life_expectancy": "la_life_expectancy",
    "healthy_life_expectancy": "la_healthy_life_expectancy",
    "life_expectancy_sii": "la_life_expectancy_sii",
}
# The Fingertips API's columns under the shipped (traffordDataLab) extract's names: see from_fingertips_api.
FINGERTIPS_AREA = {"Area Code": "area_code", "Area Name": "area_name", "Time period": "period", "Value": "value",
                   "Sex": "inequality", "Compared to England value or percentiles": "compared_to_england"}


def lsoa_table(raw_dir: Path) -> pd.DataFrame:
    """Every English LSOA with its MSOA's IMD 2019 summary and its current local authority.

    LSOAs hold similar populations (about 1,500 people), so counting them is our population weight
    where the published files give none.
    """
    raw_dir = Path(raw_dir)
    lsoa = read_csv_checked(sources.locate(raw_dir, "lsoa_msoa_lookup"), ["lsoa11_code", "msoa11_code"])
    msoa_la = read_csv_checked(sources.locate(raw_dir, "msoa_la_lookup"), ["msoa11_code", "ltla21_code"])
    la_change = read_csv_checked(sources.locate(raw_dir, "la_changes_lookup"), ["ltla22_code", "ltla23_code"])
    msoa_path = sources.locate(raw_dir, "msoa_imd")
    msoa = read_csv_checked(msoa_path, ["MSOA11CD", "Score", "Proportion"])
    msoa_scores = pd.DataFrame({
        "msoa11_code": msoa["MSOA11CD"],
        "msoa_score": to_number(msoa["Score"], msoa_path, "Score"),
        "msoa_proportion": to_number(msoa["Proportion"], msoa_path, "Proportion"),
    })
    table = (lsoa[["lsoa11_code", "msoa11_code"]]
             .merge(msoa_la[["msoa11_code", "ltla21_code"]], on="msoa11_code", how="left")
             .merge(la_change[["ltla22_code", "ltla23_code"]].drop_duplicates("ltla22_code"),
                    left_on="ltla21_code", right_on="ltla22_code", how="left")
             .merge(msoa_scores, on="msoa11_code", how="left"))
    table["la_code"] = table["ltla23_code"].fillna(table["ltla21_code"])
    table = table[table["lsoa11_code"].str.startswith("E01")]
    return table[["lsoa11_code", "msoa11_code", "la_code", "msoa_score", "msoa_proportion"]]


def la_deprivation(raw_dir: Path, la_codes: list[str], lsoas: pd.DataFrame) -> pd.DataFrame:
    """IMD 2019 average score per current authority, published where the authority existed in 2019.

    Authorities created later (Buckinghamshire, North and West Northamptonshire, Cumberland,
    Westmorland and Furness, North Yorkshire, Somerset) are recomputed from their MSOAs weighted by
    LSOA count, and flagged. Rank 1 is the most deprived.
    """
    path = sources.locate(raw_dir, "la_imd")
    published = read_csv_checked(path, ["LAD19CD", "Score", "Proportion", "Extent"])
    published = pd.DataFrame({
        "code": published["LAD19CD"].str.strip(),
        "imd_score": to_number(published["Score"], path, "Score"),
        "imd_proportion_most_deprived_10pct": to_number(published["Proportion"], path, "Proportion"),
    })
    if published["code"].duplicated().any():
        raise SourceDataError(path, "authority listed twice", column="LAD19CD",
                              row=int(published.index[published["code"].duplicated()][0]) + 2)
    published["imd_method"] = "published"
    recomputed = (lsoas.groupby("la_code")
                  .agg(imd_score=("msoa_score", "mean"),
                       imd_proportion_most_deprived_10pct=("msoa_proportion", "mean"))
                  .reset_index().rename(columns={"la_code": "code"}))
    recomputed["imd_method"] = "recomputed from MSOA scores (LSOA-weighted)"
    missing = [c for c in la_codes if c not in set(published["code"])]
    table = pd.concat([published[published["code"].isin(la_codes)],
                       recomputed[recomputed["code"].isin(missing)]], ignore_index=True)
    table["imd_rank"] = table["imd_score"].rank(ascending=False, method="min").astype("Int64")
    table["imd_rank_of"] = len(table)
    return table


def area_indicators(raw_dir: Path) -> pd.DataFrame:
    """Life expectancy, healthy life expectancy and within-area inequality (SII), long format."""
    frames = []
    paths = {}
    for indicator, source_id in INDICATOR_SOURCES.items():
        path = paths[indicator] = sources.locate(raw_dir, source_id)
        raw = read_csv_checked(path, ["area_code", "period", "value", "inequality"], FINGERTIPS_AREA)
        frame = pd.DataFrame({
            "area_code": raw["area_code"].str.strip(),
            "indicator": indicator,
            "sex": raw["inequality"].str.strip(),
            "period": raw["period"].str.strip(),
            "value": to_number(raw["value"], path, "value"),
            "compared_to_england": raw.get("compared_to_england", pd.Series(pd.NA, index=raw.index)),
        })
        frame["period_end_year"] = frame["period"].str.extract(r"(\d{2})\s*$")[0].astype(float) + 2000
        frame = frame.dropna(subset=["value"])
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    dupes = table.duplicated(["area_code", "indicator", "sex", "period"])
    if dupes.any():
        raise SourceDataError(paths[table["indicator"][dupes].iloc[0]],
                              f"area {table['area_code'][dupes].iloc[0]} repeated for one period")
    table["period_end_year"] = table["period_end_year"].astype("Int64")
    return table

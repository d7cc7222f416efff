"""Practice deprivation (Fingertips 93553) and practice life expectancy (HEEC), keyed by practice."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from . import sources
from .errors import SourceDataError, check_complete_rows, read_text_strict, to_number

# IMD editions in the order we prefer them: the newest comparable edition first.
IMD_EDITIONS = (2019, 2015, 2010)
# The Fingertips API's CSV names columns differently from the shipped extracts; mapped onto the shipped
# names so that `fetch` can replace a shipped copy with the publisher's own file and the build still reads it.
FINGERTIPS_PRACTICE_IMD = {"Area Code": "AreaCode", "Time period": "Year", "Value": "Value"}


def from_fingertips_api(frame: pd.DataFrame, aliases: dict[str, str]) -> pd.DataFrame:
    """A Fingertips API CSV in the shipped extract's column names; other layouts pass unchanged.

    The API adds rows broken down by a category (deprivation decile, ethnic group ...) for parent areas;
    only the overall value of each area is wanted, so rows with a category type are dropped (keeping the
    index, so errors still name the file's row).
    """
    if "Area Code" not in frame.columns:
        return frame
    if "Category Type" in frame.columns:
        frame = frame[frame["Category Type"].str.strip() == ""]
    return frame.rename(columns=aliases)


def read_csv_checked(path: Path, required: list[str], aliases: dict[str, str] | None = None) -> pd.DataFrame:
    text = read_text_strict(path)
    check_complete_rows(text, path)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise SourceDataError(path, f"is not a readable CSV: {exc}") from None
    frame.columns = [c.strip() for c in frame.columns]
    if aliases:
        frame = from_fingertips_api(frame, aliases)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise SourceDataError(path, f"required column(s) missing or renamed: {', '.join(missing)}",
                              column=missing[0])
    return frame


def read_practice_deprivation(raw_dir: Path) -> pd.DataFrame:
    """One row per practice: the IMD score of its patients from the newest edition it has.

    Editions are not comparable with each other, so each value keeps its edition.
    """
    path = sources.locate(raw_dir, "practice_imd")
    frame = read_csv_checked(path, ["Year", "AreaCode", "Value"], FINGERTIPS_PRACTICE_IMD)
    frame["imd_edition"] = to_number(frame["Year"], path, "Year").astype("Int64")
    frame["imd_score"] = to_number(frame["Value"], path, "Value")
    frame["practice_code"] = frame["AreaCode"].str.strip().str.upper()
    frame = frame[frame["practice_code"].str.fullmatch(r"[A-Z]\d{5}") & frame["imd_score"].notna()]
    bad = frame["imd_score"] < 0
    if bad.any():
        raise SourceDataError(path, "IMD score below zero", column="Value", row=int(frame.index[bad][0]) + 2)
    if frame.duplicated(["practice_code", "imd_edition"]).any():
        row = int(frame.index[frame.duplicated(["practice_code", "imd_edition"])][0]) + 2
        raise SourceDataError(path, "practice listed twice for one IMD edition", column="AreaCode", row=row)
    frame["edition_rank"] = frame["imd_edition"].map({e: i for i, e in enumerate(IMD_EDITIONS)})
    best = frame.dropna(subset=["edition_rank"]).sort_values("edition_rank").drop_duplicates("practice_code")
    return best[["practice_code", "imd_score", "imd_edition"]].reset_index(drop=True)


def read_practice_life_expectancy(raw_dir: Path) -> pd.DataFrame:
    """Practice life expectancy by year (a derived estimate; each Year labels a multi-year period)."""
    path = sources.locate(raw_dir, "practice_life_expectancy")
    frame = read_csv_checked(path, ["Practice.Code", "Year", "Life_Expectancy_Female", "Life_Expectancy_Male"])
    out = pd.DataFrame({
        "practice_code": frame["Practice.Code"].str.strip().str.upper(),
        "le_year": to_number(frame["Year"], path, "Year").astype("Int64"),
        "life_expectancy_female": to_number(frame["Life_Expectancy_Female"], path, "Life_Expectancy_Female"),
        "life_expectancy_male": to_number(frame["Life_Expectancy_Male"], path, "Life_Expectancy_Male"),
    })
    for column in ("life_expectancy_female", "life_expectancy_male"):
        bad = out[column].notna() & ~out[column].between(40, 110)
        if bad.any():
            raise SourceDataError(path, f"life expectancy {out[column][bad].iloc[0]} is not plausible",
                                  column=column, row=int(out.index[bad][0]) + 2)
    # The 2020 rows give female and male values on separate lines; two values for one sex conflict.
    for column in ("life_expectancy_female", "life_expectancy_male"):
        dupes = out.dropna(subset=[column]).duplicated(["practice_code", "le_year"])
        if dupes.any():
            row = int(out.dropna(subset=[column]).index[dupes][0]) + 2
            raise SourceDataError(path, "practice has two values for one year", column=column, row=row)
    out = out.groupby(["practice_code", "le_year"], as_index=False).first()
    return out.dropna(subset=["life_expectancy_female", "life_expectancy_male"], how="all")


def life_expectancy_for_years(le: pd.DataFrame, years: list[str]) -> pd.DataFrame:
    """For each financial year, the newest life-expectancy estimate not later than the year's start."""
    rows = []
    for year in years:
        start = int(year[:4])
        usable = le[le["le_year"] <= start]
        if usable.empty:
            usable = le[le["le_year"] == le["le_year"].min()]
        latest = usable.sort_values("le_year").drop_duplicates("practice_code", keep="last").copy()
        latest["year"] = year
        rows.append(latest)
    return pd.concat(rows, ignore_index=True)


def assign_deprivation_bands(practices: pd.DataFrame) -> pd.DataFrame:
    """National quintiles and deciles per year, weighted by registered patients.

    Band 1 is the most deprived, as in the IMD itself, and each band holds about the same number of
    patients, so "the most deprived fifth" means a fifth of patients, not of practices.
    """
    practices = practices.copy()
    practices["imd_quintile"] = pd.Series(pd.NA, index=practices.index, dtype="Int64")
    practices["imd_decile"] = pd.Series(pd.NA, index=practices.index, dtype="Int64")
    for _year, group in practices.groupby("year", observed=True):
        scored = group[group["imd_score"].notna() & (group["registered_patients"] > 0)]
        if scored.empty:
            continue
        order = scored.sort_values(["imd_score", "practice_code"], ascending=[False, True])
        cumulative = order["registered_patients"].cumsum() - order["registered_patients"] / 2
        share = cumulative / order["registered_patients"].sum()
        practices.loc[order.index, "imd_quintile"] = (share * 5).astype(int).clip(0, 4) + 1
        practices.loc[order.index, "imd_decile"] = (share * 10).astype(int).clip(0, 9) + 1
    return practices

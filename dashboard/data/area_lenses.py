"""Area lenses: IMD 2025 beside IMD 2019, and Census 2021 ethnicity, for every area level.

The rows follow dashboard/area_metrics.py (one row per area, measure and edition, in one long table,
area_stats.parquet), so adding a measure is a registry entry and a few lines here, not edits across pages.

Why the aggregation rules are what they are:

* MHCLG publishes IMD 2025 summaries for local authorities (File 10) and ICBs (File 13); we use those as
  published, ranks included. For areas it does not summarise (Sub-ICB locations, NHS regions, counties,
  Marmot Places, England) we take the mean of LSOA scores weighted by population, which is how File 10
  builds its averages. File 10 weights by MHCLG's own population denominators, absent from our copy of
  File 7; Census 2021 usual residents stand in, and reproduce File 10's authority scores to within 0.35
  (median 0.03), checked in tests/data/test_area_lenses.py.
* IMD 2019 has no LSOA scores here (the 2011 LSOA file holds ranks only), so IMD 2019 exists for current
  authorities (humaniverse's re-aggregation onto 2023 districts) and for what is built from whole
  authorities (ICBs, regions, counties, Marmot Places, England): their residents-weighted mean. Not for
  Sub-ICB locations, which do not all follow authority boundaries.
* Ranks never mix editions: each (measure, edition, level) is ranked on its own, 1 = most deprived.
* Census ethnicity: the 19 detailed groups are published by authority, so they exist for authorities and
  what is built from them; the five high-level groups are published by LSOA, so ICBs, Sub-ICB locations
  and regions are sums of their LSOAs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..area_metrics import AREA_MEASURE, CENSUS, CHANGE, ETHNIC_GROUPS
from . import sources
from .errors import SourceDataError, to_number
from .practice_measures import read_csv_checked

GROUPS = ("asian", "black", "mixed", "white", "other")
PUBLISHED = "published by MHCLG"
# Our domain id -> (File 10/13 column prefix, File 7 LSOA score column, 2019 re-aggregation score column)
DOMAIN_COLUMNS = {
    "imd": ("imd", "IMD_score", "Score"),
    "income": ("income", "Income_score", "Income_Score"),
    "employment": ("employment", "Employment_score", "Employment_Score"),
    "education": ("education_skills_and_training", "Education_score", "Education_Score"),
    "health": ("health_deprivation_and_disability", "Health_score", "Health_Score"),
    "crime": ("crime", "Crime_score", "Crime_Score"),
    "barriers": ("barriers_to_housing_and_services", "Housing_and_Services_score", "Housing_and_Access_Score"),
    "environment": ("living_environment", "Environment_score", "Environment_Score"),
}
RATES = {"income", "employment"}  # scores that are shares of people: stored as percentages
TEN_PERCENT = "proportion_of_lso_as_in_most_deprived_10_percent_nationally"
COLUMNS = ["area_code", "level", "measure", "edition", "value", "rank", "rank_of", "method"]


def read_lsoas(raw_dir: Path) -> pd.DataFrame:
    """Every English LSOA 2021 with its authority (2024), Sub-ICB location and Census 2021 residents by group."""
    raw_dir = Path(raw_dir)
    la = read_csv_checked(sources.locate(raw_dir, "lsoa_la_lookup"), ["lsoa21_code", "ltla24_code"])
    sicbl = read_csv_checked(sources.locate(raw_dir, "lsoa_sicbl_lookup"), ["lsoa21_code", "sicbl24_code"])
    path = sources.locate(raw_dir, "ethnicity_lsoa")
    people = read_csv_checked(path, ["lsoa21_code", "total_usual_residents", *GROUPS])
    table = people[["lsoa21_code"]].copy()
    for column in ("total_usual_residents", *GROUPS):
        table[column] = to_number(people[column], path, column)
    table = (table.rename(columns={"total_usual_residents": "residents"})
             .merge(la[["lsoa21_code", "ltla24_code"]].rename(columns={"ltla24_code": "la_code"}), on="lsoa21_code",
                    how="left")
             .merge(sicbl[["lsoa21_code", "sicbl24_code"]].rename(columns={"sicbl24_code": "sicbl_code"}),
                    on="lsoa21_code", how="left"))
    unmatched = table["la_code"].isna() | table["sicbl_code"].isna()
    if unmatched.any():
        raise SourceDataError(path, f"LSOA {table.loc[unmatched, 'lsoa21_code'].iloc[0]} is in no authority or "
                              "Sub-ICB location of the lookups", column="lsoa21_code")
    return table


def read_sicbl_icb(raw_dir: Path) -> pd.Series:
    """Each Sub-ICB location's ICB (the lookup's 2024 codes equal the April 2023 boundaries' codes)."""
    lookup = read_csv_checked(sources.locate(raw_dir, "sicbl_icb_lookup"), ["sicbl24_code", "icb24_code"])
    return lookup.drop_duplicates("sicbl24_code").set_index("sicbl24_code")["icb24_code"]


def lsoa_membership(lsoas: pd.DataFrame, parents: dict[str, pd.Series], marmot: pd.DataFrame,
                    levels: tuple[str, ...]) -> pd.DataFrame:
    """(lsoa21_code, level, area_code) for the levels built from LSOAs.

    ``parents``: 'icb' maps a Sub-ICB location to its ICB, 'region' an ICB to its region, 'utla' an
    authority to its county (unitaries are not counties here: they are shown once, as authorities).
    """
    frames = []
    for level in levels:
        if level == "sicbl":
            codes = lsoas["sicbl_code"]
        elif level == "icb":
            codes = lsoas["sicbl_code"].map(parents["icb"])
        elif level == "region":
            codes = lsoas["sicbl_code"].map(parents["icb"]).map(parents["region"])
        elif level == "utla":
            codes = lsoas["la_code"].map(parents["utla"])
        elif level == "country":
            codes = pd.Series("E92000001", index=lsoas.index)
        elif level == "la":
            codes = lsoas["la_code"]
        elif level == "marmot":
            joined = lsoas[["lsoa21_code", "la_code"]].merge(marmot, on="la_code")
            frames.append(pd.DataFrame({"lsoa21_code": joined["lsoa21_code"], "level": level,
                                        "area_code": "marmot:" + joined["slug"]}))
            continue
        else:
            raise ValueError(level)
        frames.append(pd.DataFrame({"lsoa21_code": lsoas["lsoa21_code"], "level": level, "area_code": codes}))
    return pd.concat(frames, ignore_index=True).dropna(subset=["area_code"])


def la_membership(la_codes: list[str], parents: dict[str, pd.Series], marmot: pd.DataFrame) -> pd.DataFrame:
    """(la_code, level, area_code) for the levels built from whole authorities."""
    las = pd.Series(la_codes)
    frames = [pd.DataFrame({"la_code": las, "level": "la", "area_code": las}),
              pd.DataFrame({"la_code": las, "level": "utla", "area_code": las.map(parents["utla"])}),
              pd.DataFrame({"la_code": las, "level": "icb", "area_code": las.map(parents["la_icb"])}),
              pd.DataFrame({"la_code": las, "level": "region",
                            "area_code": las.map(parents["la_icb"]).map(parents["region"])}),
              pd.DataFrame({"la_code": las, "level": "country", "area_code": "E92000001"}),
              pd.DataFrame({"la_code": marmot["la_code"], "level": "marmot", "area_code": "marmot:" + marmot["slug"]})]
    return pd.concat(frames, ignore_index=True).dropna(subset=["area_code"])


def ranked(rows: pd.DataFrame, descending: bool = True) -> pd.DataFrame:
    """Rank within each (measure, edition, level): 1 = most deprived; ties share the better rank."""
    rows = rows.copy()
    group = rows.groupby(["measure", "edition", "level"])["value"]
    rows["rank"] = group.rank(ascending=not descending, method="min")
    rows["rank_of"] = group.transform("count")
    alone = rows["level"] == "country"  # England is not ranked against itself
    rows.loc[alone, ["rank", "rank_of"]] = np.nan
    return rows


def weighted_means(values: pd.DataFrame, membership: pd.DataFrame, key: str, weight: str,
                   columns: list[str]) -> pd.DataFrame:
    """Per (level, area_code): the ``weight``-weighted mean of each column of the members' ``values``."""
    joined = membership.merge(values, on=key)
    total = joined.groupby(["level", "area_code"])[weight].sum()
    out = pd.DataFrame(index=total.index)
    for column in columns:
        out[column] = (joined[column] * joined[weight]).groupby([joined["level"], joined["area_code"]]).sum() / total
    return out.reset_index()


def long_rows(wide: pd.DataFrame, measures: dict[str, str], edition: str, method: str) -> pd.DataFrame:
    """Wide (level, area_code, columns...) → long rows of ``COLUMNS``; ``measures`` maps column → measure id."""
    frames = []
    for column, measure in measures.items():
        frames.append(pd.DataFrame({"area_code": wide["area_code"], "level": wide["level"], "measure": measure,
                                    "edition": edition, "value": wide[column].astype(float), "method": method}))
    return pd.concat(frames, ignore_index=True)


def published_2025(raw_dir: Path, source_id: str, code_column: str, level: str, extent_prefix: str) -> pd.DataFrame:
    """File 10 or File 13 as published, ranks included (rank_of = the number of areas in the file)."""
    path = sources.locate(raw_dir, source_id)
    table = read_csv_checked(path, [code_column, "imd_average_score"])
    if table[code_column].duplicated().any():
        raise SourceDataError(path, f"area {table.loc[table[code_column].duplicated(), code_column].iloc[0]} listed "
                              "twice", column=code_column)
    pairs = {f"{domain}_score": (f"{prefix}_average_score", f"{prefix}_rank_of_average_score",
                                 100 if domain in RATES else 1)
             for domain, (prefix, _lsoa, _old) in DOMAIN_COLUMNS.items()}
    pairs["imd_most_deprived_10pct"] = (f"imd_{TEN_PERCENT}", f"imd_rank_of_{TEN_PERCENT}", 100)
    pairs["imd_extent"] = (f"{extent_prefix}_extent", f"{extent_prefix}_rank_of_extent", 100)
    pairs["imd_local_concentration"] = (f"{extent_prefix}_local_concentration",
                                        f"{extent_prefix}_rank_of_local_concentration", 1)
    frames = []
    for measure, (value_column, rank_column, scale) in pairs.items():
        if value_column not in table.columns or rank_column not in table.columns:
            raise SourceDataError(path, "required column missing", column=value_column)
        frames.append(pd.DataFrame({
            "area_code": table[code_column].str.strip(), "level": level, "measure": measure, "edition": "2025",
            "value": to_number(table[value_column], path, value_column) * scale,
            "rank": to_number(table[rank_column], path, rank_column), "rank_of": float(len(table)),
            "method": PUBLISHED}))
    return pd.concat(frames, ignore_index=True)


def deprivation_stats(raw_dir: Path, lsoas: pd.DataFrame, parents: dict[str, pd.Series], marmot: pd.DataFrame,
                      la_codes: list[str]) -> pd.DataFrame:
    """IMD 2025 and IMD 2019 summaries and their change, for every level where the data allow them."""
    raw_dir = Path(raw_dir)
    published = pd.concat([
        published_2025(raw_dir, "imd2025_la", "ltla24_code", "la", "imd25"),
        published_2025(raw_dir, "imd2025_icb", "icb24_code", "icb", "imd_2025"),
    ], ignore_index=True)

    # IMD 2025 elsewhere: residents-weighted LSOA means (the share in the most deprived tenth: a plain count).
    path = sources.locate(raw_dir, "imd2025_lsoa")
    score_columns = [lsoa for _prefix, lsoa, _old in DOMAIN_COLUMNS.values()]
    lsoa_scores = read_csv_checked(path, ["lsoa21_code", "IMD_decile", *score_columns])
    values = lsoa_scores[["lsoa21_code"]].copy()
    for column in score_columns:
        values[column] = to_number(lsoa_scores[column], path, column)
    values["most_deprived_10pct"] = (to_number(lsoa_scores["IMD_decile"], path, "IMD_decile") == 1) * 100.0
    values = values.merge(lsoas[["lsoa21_code", "residents"]], on="lsoa21_code", how="inner")
    if len(values) != len(lsoa_scores):
        raise SourceDataError(path, "LSOAs without Census 2021 residents to weight them", column="lsoa21_code")
    values["one"] = 1.0
    membership = lsoa_membership(lsoas, parents, marmot, ("sicbl", "region", "utla", "marmot", "country"))
    wide = weighted_means(values, membership, "lsoa21_code", "residents", score_columns)
    wide = wide.merge(weighted_means(values, membership, "lsoa21_code", "one", ["most_deprived_10pct"]),
                      on=["level", "area_code"])
    for domain in RATES:
        wide[DOMAIN_COLUMNS[domain][1]] *= 100
    names = {lsoa: f"{domain}_score" for domain, (_p, lsoa, _o) in DOMAIN_COLUMNS.items()}
    names["most_deprived_10pct"] = "imd_most_deprived_10pct"
    recomputed = ranked(long_rows(wide, names, "2025", "mean of LSOA scores weighted by Census 2021 residents"))
    rows_2025 = pd.concat([published, recomputed], ignore_index=True)

    # IMD 2019 on current authorities, and what is built from whole authorities.
    path = sources.locate(raw_dir, "imd2019_la23")
    old_columns = [old for _p, _l, old in DOMAIN_COLUMNS.values()]
    old = read_csv_checked(path, ["ltla23_code", "Proportion", "Extent", *old_columns])
    old_values = pd.DataFrame({"la_code": old["ltla23_code"].str.strip()})
    for column in [*old_columns, "Proportion", "Extent"]:
        old_values[column] = to_number(old[column], path, column) * (100 if column in ("Proportion", "Extent") else 1)
    for domain in RATES:
        old_values[DOMAIN_COLUMNS[domain][2]] *= 100
    missing = sorted(set(la_codes) - set(old_values["la_code"]))
    if missing:
        raise SourceDataError(path, f"current authority {missing[0]} has no IMD 2019 row", column="ltla23_code")
    old_values = old_values.merge(lsoas.groupby("la_code", as_index=False)["residents"].sum(), on="la_code")
    old_names = {old: f"{domain}_score" for domain, (_p, _l, old) in DOMAIN_COLUMNS.items()}
    la_rows = old_values.rename(columns={"la_code": "area_code"}).assign(level="la")
    rows_2019 = [long_rows(la_rows, {**old_names, "Proportion": "imd_most_deprived_10pct", "Extent": "imd_extent"},
                           "2019", "IMD 2019 LSOA data re-aggregated to 2023 authorities by humaniverse/IMD")]
    above = la_membership(la_codes, parents, marmot)
    above = above[above["level"] != "la"]
    wide = weighted_means(old_values, above, "la_code", "residents", old_columns)
    rows_2019.append(long_rows(wide, old_names, "2019", "mean of authorities' IMD 2019 scores weighted by Census "
                                                         "2021 residents"))
    rows_2019 = ranked(pd.concat(rows_2019, ignore_index=True))
    rows = pd.concat([rows_2025, rows_2019], ignore_index=True)
    return pd.concat([rows, imd_change(rows)], ignore_index=True)


def imd_change(rows: pd.DataFrame) -> pd.DataFrame:
    """Score and rank, IMD 2019 against IMD 2025, on the same current areas (rank: among the same areas)."""
    score = rows[rows["measure"] == "imd_score"].pivot_table(index=["level", "area_code"], columns="edition",
                                                              values=["value", "rank"], aggfunc="first")
    score = score.dropna(subset=[("value", "2019"), ("value", "2025")]).reset_index()
    both = pd.DataFrame({"area_code": score["area_code"], "level": score["level"]})
    method = "IMD 2025 minus IMD 2019, each as shown for the area"
    change = [both.assign(measure="imd_score", edition=CHANGE,
                          value=(score[("value", "2025")] - score[("value", "2019")]).to_numpy(), method=method)]
    ranks = both.assign(measure="imd_rank", edition=CHANGE,
                        value=(score[("rank", "2019")] - score[("rank", "2025")]).to_numpy(),
                        method="rank in IMD 2019 minus rank in IMD 2025 among areas of the same kind")
    change.append(ranks[ranks["level"] != "country"])
    return pd.concat(change, ignore_index=True)


def ethnicity_stats(raw_dir: Path, lsoas: pd.DataFrame, parents: dict[str, pd.Series], marmot: pd.DataFrame,
                    la_codes: list[str]) -> pd.DataFrame:
    """Census 2021 residents and the share in each ethnic group, at every level the published counts allow."""
    path = sources.locate(raw_dir, "ethnicity_la")
    detailed = [column for _id, _label, column, _group in ETHNIC_GROUPS if column]
    raw = read_csv_checked(path, ["ltla24_code", "total_usual_residents", *detailed])
    counts = pd.DataFrame({"la_code": raw["ltla24_code"].str.strip()})
    for column in ["total_usual_residents", *detailed]:
        counts[column] = to_number(raw[column], path, column)
    counts = counts.rename(columns={"total_usual_residents": "residents"})
    missing = sorted(set(la_codes) - set(counts["la_code"]))
    if missing:
        raise SourceDataError(path, f"current authority {missing[0]} has no row", column="ltla24_code")
    england = counts[counts["la_code"] == "E92000001"].assign(level="country").rename(columns={"la_code": "area_code"})
    by_la = la_membership(la_codes, parents, marmot)
    by_la = by_la[by_la["level"].isin(["la", "utla", "marmot"])].merge(counts, on="la_code")
    from_las = by_la.groupby(["level", "area_code"], as_index=False)[["residents", *detailed]].sum()
    members = lsoa_membership(lsoas, parents, marmot, ("icb", "sicbl", "region")).merge(lsoas, on="lsoa21_code")
    from_lsoas = members.groupby(["level", "area_code"], as_index=False)[["residents", *GROUPS]].sum()
    methods = {"la": "ONS TS021 by local authority (2021 districts summed where authorities merged in 2023)",
               "utla": "ONS TS021 by local authority, summed over the county's districts",
               "marmot": "ONS TS021 by local authority, summed over the place's member authorities",
               "country": "ONS TS021, England total of the local authority figures"}
    frames = []
    for table, method in ((pd.concat([from_las, england], ignore_index=True), None),
                          (from_lsoas, "ONS TS021 by LSOA (five high-level groups), summed over the area's LSOAs")):
        frames.append(long_rows(table, {"residents": "residents"}, CENSUS, method))
        minority = table[[g for g in GROUPS if g != "white"]].sum(axis=1)
        shares = {"eth_minority": 100 * minority / table["residents"]}
        for measure, _label, column, _group in ETHNIC_GROUPS:
            if column and column in table.columns:
                shares[measure] = 100 * table[column] / table["residents"]
        wide = pd.concat([table[["level", "area_code"]], pd.DataFrame(shares)], axis=1)
        frames.append(long_rows(wide, {m: m for m in shares}, CENSUS, method))
    rows = pd.concat(frames, ignore_index=True)
    rows["method"] = rows["method"].fillna(rows["level"].map(methods))
    rows["rank"] = np.nan
    rows["rank_of"] = np.nan
    return rows


def area_stats(raw_dir: Path, lsoas: pd.DataFrame, parents: dict[str, pd.Series], marmot: pd.DataFrame,
               la_codes: list[str], area_levels: dict[str, str]) -> pd.DataFrame:
    """The whole long table, restricted to areas the Atlas has and checked against the registry."""
    rows = pd.concat([deprivation_stats(raw_dir, lsoas, parents, marmot, la_codes),
                      ethnicity_stats(raw_dir, lsoas, parents, marmot, la_codes)], ignore_index=True)
    rows = rows[rows["area_code"].map(area_levels) == rows["level"]]
    undeclared = {(m, e) for m, e in zip(rows["measure"], rows["edition"], strict=True)} - set(AREA_MEASURE)
    if undeclared:  # a programming error: every row must be a registry entry
        raise RuntimeError(f"area measures built but not declared in area_metrics: {sorted(undeclared)}")
    misplaced = [(m, e, lv) for m, e, lv in rows[["measure", "edition", "level"]].drop_duplicates().itertuples(
        index=False) if lv not in AREA_MEASURE[(m, e)].levels]
    if misplaced:
        raise RuntimeError(f"area measures built at levels their declaration does not list: {misplaced[:5]}")
    rows = rows.dropna(subset=["value"])
    rows["rank"] = rows["rank"].round().astype("Int64")
    rows["rank_of"] = rows["rank_of"].round().astype("Int64")
    return rows[COLUMNS].sort_values(["measure", "edition", "level", "area_code"]).reset_index(drop=True)

"""What a practice's page and its download say about one practice, computed in one place (no Dash).

Why a module of its own: a practice's figures are quoted in meetings beside the area and England figures of
the rest of the Atlas, so every value here goes through metrics.group_sums / metrics.compute (a practice is a
group of one), and every comparison is written by dashboard.inequality. A number on the practice page is then
the number in the explorer's table, on the area page and in the CSV.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import pandas as pd

from .. import metrics
from .aggregates import COMPONENTS, practice_values
from .query import Atlas

PER_PATIENT = ("payments_per_registered_patient", "payments_per_weighted_patient")
RANK_METRIC = "payments_per_weighted_patient"
# A practice code as the publisher writes it: a letter then five letters or digits (A81001, Y06113).
CODE_SHAPE = re.compile(r"^[A-Z][A-Z0-9]{5}$")


# --- which practices exist ------------------------------------------------------------------------------------
def normalise_code(code: str | None) -> str:
    """Codes are published in capitals; a typed or linked 'g85013' means the same practice."""
    return str(code or "").strip().upper()[:20]


@lru_cache(maxsize=4)
def _known_codes(atlas: Atlas) -> frozenset:
    return frozenset(atlas.practices["practice_code"].astype(str).unique())


def exists(atlas: Atlas, code: str | None) -> bool:
    """Any year counts: a practice that closed in 2019 still has a page for the money it was paid."""
    return normalise_code(code) in _known_codes(atlas)


@lru_cache(maxsize=4)
def latest_rows(atlas: Atlas) -> pd.DataFrame:
    """Each practice once, as it was in the last year it was paid: what search looks through.

    The latest year alone would hide closed practices from a search by code, though their pages exist.
    """
    frame = atlas.practices.sort_values("year", kind="stable")
    frame = frame.drop_duplicates("practice_code", keep="last")
    out = pd.DataFrame({
        "practice_code": frame["practice_code"].astype(str).to_numpy(),
        "practice_name": frame["practice_name"].astype(str).to_numpy(),
        "postcode": frame["postcode"].astype("object").to_numpy(),
        "la_code": frame["la_code"].astype("object").to_numpy(),
        "icb_code": frame["icb_code"].astype("object").to_numpy(),
        "year": frame["year"].astype(str).to_numpy(),
    })
    postcode = out["postcode"].fillna("").astype(str).str.upper().str.strip()
    out["postcode_compact"] = postcode.str.replace(" ", "", regex=False)
    out["district"], out["sector"] = zip(*postcode.map(district_and_sector), strict=True) if len(out) else ([], [])
    return out.sort_values("practice_name", kind="stable").reset_index(drop=True)


def district_and_sector(postcode: str) -> tuple[str, str]:
    """('SE5', 'SE5 8') for 'SE5 8AF': the inward code is always a digit and two letters, so the outward code
    is what is left once the last three characters are taken off, with or without a space."""
    compact = re.sub(r"\s+", "", str(postcode or "")).upper()
    if len(compact) < 5 or not compact[-3].isdigit():
        return "", ""
    outward = compact[:-3]
    return outward, f"{outward} {compact[-3]}"


# --- one practice ------------------------------------------------------------------------------------------
def rows(atlas: Atlas, code: str) -> pd.DataFrame:
    """Every year of one practice, oldest first (empty when the code is unknown)."""
    code = normalise_code(code)
    frame = atlas.practices[atlas.practices["practice_code"] == code] if exists(atlas, code) else \
        atlas.practices.iloc[0:0]
    return frame.sort_values("year", kind="stable")


def shown_year(atlas: Atlas, practice_rows: pd.DataFrame, requested: str | None) -> tuple[str, str | None]:
    """The year to show and, when it is not the one asked for, why: a closed practice has no latest year."""
    years = practice_rows["year"].astype(str).tolist()
    if requested and requested in years:
        return requested, None
    last = years[-1]
    if requested and requested in atlas.years:
        return last, f"This practice was not paid in {requested}; showing {last}, its last year in the data."
    if requested:
        return last, f"There is no data for the year “{requested[:40]}”; showing {last}."
    if last != atlas.latest_year:
        return last, (f"This practice was last paid in {last} (it has no payments in {atlas.latest_year}, "
                      "perhaps because it closed or merged); its figures are for its last year.")
    return last, None


def identity(atlas: Atlas, practice_rows: pd.DataFrame, year: str) -> dict:
    """Who the practice is in a year: names of its areas, PCN, list size, dispensing, rurality."""
    row = practice_rows[practice_rows["year"].astype(str) == year].iloc[-1]

    def area_name(code):
        area = atlas.area(code) if isinstance(code, str) else None
        return area["name"] if area else None

    def text(value) -> str | None:
        return None if value is None or pd.isna(value) or str(value).strip() in ("", "-") else str(value)

    return {
        "code": str(row["practice_code"]), "name": str(row["practice_name"]), "year": year,
        "postcode": text(row["postcode"]),
        "la_code": text(row["la_code"]), "la_name": area_name(text(row["la_code"])),
        "icb_code": text(row["icb_code"]), "icb_name": area_name(text(row["icb_code"])),
        "region_code": text(row["region_code"]), "region_name": area_name(text(row["region_code"])),
        "pcn_code": text(row["pcn_code"]), "pcn_name": text(row["pcn_name"]),
        "dispensing": text(row["dispensing"]) or "Unknown", "contract_type": text(row["contract_type"]),
        "rurality": text(row["rurality"]) or "Unknown",
        "registered_patients": float(row["registered_patients"]),
        "weighted_patients": float(row["weighted_patients"]),
        "patients_basis": text(row["patients_basis"]),
        "location_quality": text(row["location_quality"]),
        "years": practice_rows["year"].astype(str).tolist(),
    }


def deprivation(row: pd.Series) -> dict:
    """Its patients' deprivation and life expectancy, each with the edition or period it comes from."""
    def number(value):
        return None if value is None or pd.isna(value) else float(value)

    return {
        "imd_score": number(row["imd_score"]), "imd_edition": None if pd.isna(row["imd_edition"]) else
        str(row["imd_edition"]), "imd_quintile": None if pd.isna(row["imd_quintile"]) else int(row["imd_quintile"]),
        "imd_decile": None if pd.isna(row["imd_decile"]) else int(row["imd_decile"]),
        "life_expectancy_female": number(row["life_expectancy_female"]),
        "life_expectancy_male": number(row["life_expectancy_male"]),
        "le_year": None if pd.isna(row["le_year"]) else int(row["le_year"]),
    }


def payments_by_year(practice_rows: pd.DataFrame) -> pd.DataFrame:
    """One row per year: each payment component, the totals, list sizes and the registry's per-patient figures.

    Per-patient columns come from aggregates.practice_values (the registry's formula for a group of one), so a
    year's £ per weighted patient here is the explorer table's figure for the practice in that year.
    """
    table = pd.DataFrame({"year": practice_rows["year"].astype(str).to_numpy()})
    for column in ("registered_patients", "weighted_patients"):
        table[column] = practice_rows[column].astype(float).to_numpy()
    table["patients_basis"] = practice_rows["patients_basis"].astype(str).to_numpy()
    for column in COMPONENTS:
        table[column] = practice_rows[column].astype(float).fillna(0.0).to_numpy()
    table["total_payments"] = practice_rows["total_payments"].astype(float).to_numpy()
    table["total_incl_covid_pcn"] = practice_rows["total_incl_covid_pcn"].astype(float).to_numpy()
    for metric_id in PER_PATIENT:
        table[metric_id] = practice_values(practice_rows, metric_id).to_numpy(dtype=float)
    return table


# --- against other practices -------------------------------------------------------------------------------
def reference_groups(atlas: Atlas, practice: dict, row: pd.Series) -> list[tuple[str, str, pd.DataFrame | None, str]]:
    """(key, name, that year's practices, why missing) for each group the practice is set against; names read
    mid-sentence ("… more than practices in NHS South East London ICB").

    Every group includes the practice itself, so its ICB figure is the one on the ICB's own area page.
    """
    year = practice["year"]
    everyone = atlas.year_practices(year)
    groups = []
    if practice["icb_code"]:
        groups.append(("icb", f"practices in {practice['icb_name'] or practice['icb_code']}",
                       everyone[everyone["icb_code"] == practice["icb_code"]], ""))
    else:
        groups.append(("icb", "practices in its ICB", None, "the practice could not be placed in an ICB"))
    groups.append(("england", "all practices in England", everyone, ""))
    quintile, rurality = row["imd_quintile"], practice["rurality"]
    if pd.isna(quintile) or rurality not in ("Urban", "Rural"):
        groups.append(("peers", "practices in the same deprivation fifth and rurality", None,
                       "the practice has no deprivation fifth or no urban/rural flag"))
    else:
        peers = everyone[(everyone["imd_quintile"] == quintile) & (everyone["rurality"].astype(str) == rurality)]
        groups.append(("peers", f"{rurality.lower()} practices in England's deprivation fifth {int(quintile)}",
                       peers, ""))
    return groups


def comparisons(atlas: Atlas, practice_rows: pd.DataFrame, year: str) -> list[dict]:
    """The practice's money per registered and per weighted patient against its ICB, England and its peers.

    Each value is a ratio of the group's sums (not an average of practice figures), as on every other page;
    the difference and its sentence come from dashboard.inequality.
    """
    from .. import inequality

    practice = identity(atlas, practice_rows, year)
    mine = practice_rows[practice_rows["year"].astype(str) == year]
    row = mine.iloc[-1]
    out = []
    for key, name, group, missing in reference_groups(atlas, practice, row):
        sums = metrics.group_sums(group, None) if group is not None and len(group) else None
        entry = {"key": key, "name": name, "practices": 0 if group is None else int(len(group)),
                 "missing": missing, "values": {}, "comparisons": {}}
        for metric_id in PER_PATIENT:
            if sums is None:
                entry["values"][metric_id] = math.nan
                continue
            entry["values"][metric_id] = float(metrics.compute(metric_id, sums).iloc[0])
            entry["comparisons"][metric_id] = inequality.practice_against_reference(
                mine, metric_id, sums, practice["name"], name)
        out.append(entry)
    return out


def own_values(practice_rows: pd.DataFrame, year: str) -> dict[str, float]:
    mine = practice_rows[practice_rows["year"].astype(str) == year]
    sums = metrics.group_sums(mine, None)
    return {m: float(metrics.compute(m, sums).iloc[0]) for m in PER_PATIENT}


def local_distribution(atlas: Atlas, practice: dict, metric_id: str = RANK_METRIC) -> dict:
    """Where the practice sits among its local authority's practices in its year (1 = the highest value).

    Practices without patients have no per-patient value and are left out of the ranking and the chart.
    """
    result = {"metric_id": metric_id, "la_code": practice["la_code"], "la_name": practice["la_name"],
              "rank": None, "of": 0, "table": pd.DataFrame(columns=["practice_code", "practice_name", "value"])}
    if not practice["la_code"]:
        return result
    everyone = atlas.year_practices(practice["year"])
    local = everyone[everyone["la_code"] == practice["la_code"]]
    table = pd.DataFrame({"practice_code": local["practice_code"].astype(str).to_numpy(),
                          "practice_name": local["practice_name"].astype(str).to_numpy(),
                          "value": practice_values(local, metric_id).to_numpy(dtype=float)})
    table = table[table["value"].map(math.isfinite)].sort_values("value", ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    table["rank"] = table["value"].rank(ascending=False, method="min").astype(int)
    result["table"], result["of"] = table, len(table)
    mine = table[table["practice_code"] == practice["code"]]
    if len(mine):
        result["rank"] = int(mine["rank"].iloc[0])
    return result


# --- the download ------------------------------------------------------------------------------------------
CSV_COLUMNS: list[tuple[str, str]] = [
    ("year", "Year"),
    ("registered_patients", "Registered patients"),
    ("patients_basis", "Registered patients are"),
    ("weighted_patients", "Weighted patients"),
    *[(column, f"{label} (£)") for column, label in COMPONENTS.items()],
    ("total_payments", "Total payments, excluding COVID and PCN (£)"),
    ("total_incl_covid_pcn", "Total payments including COVID and PCN (£)"),
    ("payments_per_registered_patient", "Payments per registered patient (£)"),
    ("payments_per_weighted_patient", "Payments per weighted patient (£)"),
]


def payments_csv(atlas: Atlas, code: str, made_at=None) -> bytes:
    """The practice's payments by year as CSV, headed by the same provenance block as every download."""
    from datetime import UTC, datetime

    from .. import downloads

    practice_rows = rows(atlas, code)
    if practice_rows.empty:
        raise KeyError(code)
    year = practice_rows["year"].astype(str).iloc[-1]
    practice = identity(atlas, practice_rows, year)
    description = [f"Practice: {practice['name']} ({practice['code']})"
                   + (f", {practice['postcode']}" if practice["postcode"] else ""),
                   f"Local authority: {practice['la_name'] or 'not placed'}",
                   f"Years: every year the practice was paid ({practice['years'][0]} to {practice['years'][-1]})",
                   "Per-patient figures: payments excluding COVID and PCN ÷ patients, as defined at /about",
                   "Patient counts: the publisher's last known figure up to 2022-23, the average over the year "
                   "from 2023-24 (see the 'Registered patients are' column)"]
    provenance = downloads.provenance_lines(description, made_at or datetime.now(UTC), atlas.manifest)
    table = payments_by_year(practice_rows)
    return downloads.practices_csv(table, CSV_COLUMNS, provenance)


def csv_path(code: str) -> str:
    """The download's link: plain GET, so it can be shared, cached and retried like the area downloads."""
    from urllib.parse import quote

    return f"/download/practice/{quote(normalise_code(code), safe='')}.csv"

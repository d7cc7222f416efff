"""What an area's page, a comparison and a briefing say about one place, computed in one place."""

from __future__ import annotations

import math

import pandas as pd

from .. import metrics
from ..dimensions import LEVEL, LEVELS
from ..cache import bytes_cache
from .query import Atlas

PROFILE_METRICS = [
    "practices", "registered_patients", "payments_per_registered_patient", "payments_per_weighted_patient",
    "payments_per_registered_patient_excl_prescribing", "payments_per_weighted_patient_excl_prescribing",
    "payments_per_weighted_patient_incl_covid_pcn", "share_patients_dispensing", "practice_imd_score",
    "life_expectancy_female", "life_expectancy_male",
]
LEVEL_NAMES = {level.id: level.name for level in LEVELS}  # kept for callers that name one level
PEERS = {"la": "la", "utla": "utla", "icb": "icb", "sicbl": "sicbl", "region": "region", "marmot": "marmot"}


def area_practices(atlas: Atlas, code: str, year: str | None = None) -> pd.DataFrame:
    filters = atlas.area_filters(code, year)
    if filters is None:
        raise KeyError(code)
    return atlas.select(filters)


def values_for(atlas: Atlas, practices: pd.DataFrame, year: str) -> dict[str, float]:
    sums = metrics.group_sums(practices, None)
    england = atlas.england_sums(year)
    return {m: float(metrics.compute(m, sums, england).iloc[0]) for m in PROFILE_METRICS}


def official_indicators(atlas: Atlas, code: str) -> dict:
    """Published area statistics (OHID, IMD 2019) where the area has them; latest period each."""
    area = atlas.area(code) or {}
    out = {"imd_score": area.get("imd_score"), "imd_rank": area.get("imd_rank"),
           "imd_rank_of": area.get("imd_rank_of"), "imd_method": area.get("imd_method")}
    table = atlas.indicators[atlas.indicators["area_code"] == code]
    for (indicator, sex), rows in table.groupby(["indicator", "sex"]):
        latest = rows.sort_values(["period_end_year", "period"]).iloc[-1]
        out[f"{indicator}_{sex.lower()}"] = {"value": float(latest["value"]), "period": latest["period"]}
    return out


def profile(atlas: Atlas, code: str, year: str | None = None) -> dict:
    """Headline figures for an area in a year, beside its region and England."""
    year = year or atlas.latest_year
    area = atlas.area(code)
    if area is None:
        raise KeyError(code)
    practices = area_practices(atlas, code, year)
    result = {
        "code": code, "name": area["name"], "level": area["level"], "level_name": LEVEL[area["level"]].name,
        "year": year, "values": values_for(atlas, practices, year),
        "england": values_for(atlas, atlas.year_practices(year), year),
        "official": official_indicators(atlas, code),
        "england_official": official_indicators(atlas, "E92000001"),
        "region": None,
    }
    region_code = area.get("region_code")
    if isinstance(region_code, str) and region_code != code and atlas.area(region_code):
        result["region"] = {"code": region_code, "name": atlas.area(region_code)["name"],
                            "values": values_for(atlas, area_practices(atlas, region_code, year), year)}
    return result


def rank_among_peers(atlas: Atlas, code: str, year: str, metric_id: str = "payments_per_weighted_patient"):
    """(rank, of): 1 is the highest value among areas of the same kind."""
    area = atlas.area(code)
    if area is None or area["level"] not in PEERS or area["level"] == "utla":
        return None
    values = atlas.metric_by_area(atlas.year_practices(year), PEERS[area["level"]], metric_id, year).dropna()
    if code not in values.index:
        return None
    return int(values.rank(ascending=False, method="min")[code]), int(len(values))


@bytes_cache("trends")
def trend(atlas: Atlas, code: str, metric_id: str = "payments_per_weighted_patient") -> pd.DataFrame:
    """Every year for the area and for England (cash terms); cached, so callers must not modify it."""
    rows = []
    for year in atlas.years:
        practices = area_practices(atlas, code, year)
        england = atlas.england_sums(year)
        value = metrics.compute(metric_id, metrics.group_sums(practices, None), england).iloc[0]
        reference = metrics.compute(metric_id, england, england).iloc[0]
        rows.append({"year": year, "area": float(value), "england": float(reference)})
    return pd.DataFrame(rows)


def gap_to(value: float, reference: float) -> tuple[float, float]:
    if value is None or reference is None or not math.isfinite(value) or not math.isfinite(reference) or not reference:
        return math.nan, math.nan
    return value - reference, 100 * (value - reference) / reference


def gradient_tables(atlas: Atlas, practices: pd.DataFrame, year: str,
                    fifths_of: str = "patients") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Payments and female life expectancy by the area's own deprivation fifths (page, briefing, pack).

    National fifths leave many areas with no practice in one end band; the area's own fifths always compare
    its most and least deprived. Banded by inequality.bands_of, as payment_gap's sentence is, so the bars and
    the sentence under them cannot disagree.
    """
    from .. import inequality
    from . import aggregates

    bands = inequality.bands_of(practices, "area", fifths_of, 5)
    payments = aggregates.by_deprivation(practices, band="quintile", bands=bands)
    life = aggregates.by_deprivation(practices, band="quintile", metric_id="life_expectancy_female",
                                     england=atlas.england_sums(year), bands=bands)
    return payments, life


def payment_gap(practices: pd.DataFrame, area_name: str, fifths_of: str = "patients",
                metric_id: str = "payments_per_weighted_patient"):
    """The area's most against least deprived fifth of its own patients (or practices), as the page, the
    briefing, compare and the explorer (for a selected area) state it.

    One call for all, so the PDF cannot say "2.1% more" while the page says there is no clear difference.
    """
    from .. import inequality

    return inequality.fifth_gap(practices, metric_id, scope="area", fifths_of=fifths_of, area_name=area_name)


# --- area measures (area_metrics.AREA_MEASURES): published statistics about the place itself -------------
def lens_table(atlas: Atlas, code: str, groups: tuple[str, ...], editions: tuple[str, ...] | None = None
               ) -> pd.DataFrame:
    """The declared area measures an area has, one row per (measure, edition), with England beside it.

    Pages, compare and downloads all read this, so an IMD rank or an ethnic group's share is worded and
    rounded once. Rows follow the registry's order; a measure the area lacks (e.g. IMD 2019 for a Sub-ICB
    location) is left out rather than shown as a blank.
    """
    from ..area_metrics import AREA_MEASURES

    own = atlas.area_measures_of(code).set_index(["measure", "edition"])
    england = atlas.area_measures_of("E92000001").set_index(["measure", "edition"])
    rows = []
    for measure in AREA_MEASURES:
        if measure.group not in groups or (editions is not None and measure.edition not in editions):
            continue
        if measure.key not in own.index:
            continue
        row = own.loc[measure.key]
        reference = england.loc[measure.key] if measure.key in england.index else None
        rank, rank_of = row["rank"], row["rank_of"]
        has_rank = measure.ranked and not pd.isna(rank)
        rows.append({
            "measure": measure.id, "edition": measure.edition, "group": measure.group, "label": measure.label,
            "edition_text": measure.edition_text(atlas.manifest), "unit": measure.unit,
            "value": float(row["value"]), "shown": measure.format(float(row["value"])),
            "rank": int(rank) if has_rank else None, "rank_of": int(rank_of) if has_rank else None,
            "rank_text": f"rank {int(rank)} of {int(rank_of)}" if has_rank else "",
            "england": float(reference["value"]) if reference is not None else math.nan,
            "england_shown": measure.format(float(reference["value"])) if reference is not None else "",
            "method": row["method"], "description": measure.description, "caveat": measure.caveat,
        })
    return pd.DataFrame(rows, columns=["measure", "edition", "group", "label", "edition_text", "unit", "value",
                                       "shown", "rank", "rank_of", "rank_text", "england", "england_shown",
                                       "method", "description", "caveat"])


def lens_download(atlas: Atlas, code: str) -> pd.DataFrame:
    """Every area measure of one area as a download table: plain columns, editions spelt out, England beside."""
    table = lens_table(atlas, code, ("deprivation", "deprivation change", "ethnicity", "ethnicity detail"))
    return table[["label", "edition_text", "value", "rank", "rank_of", "england", "unit", "method",
                  "description", "caveat"]].rename(columns={
                      "label": "Measure", "edition_text": "Edition", "value": "Value", "rank": "Rank (1 = most deprived)",
                      "rank_of": "Of areas", "england": "England", "unit": "Unit", "method": "How the value was made",
                      "description": "Definition", "caveat": "Caveat"})

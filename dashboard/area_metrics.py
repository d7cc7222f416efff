"""The one registry of area measures: published statistics about places, not sums over practices.

dashboard/metrics.py holds measures computed from practices' payments, which can be summed over any
selection. These are different in kind: an IMD average score or a share of residents in an ethnic group
belongs to an area as its publisher (or our stated aggregation of the publisher's small-area figures)
drew it, and cannot be recomputed for an arbitrary filter. Profiles, compare, downloads and the query
API read this table, so a measure is declared once here and its rows come from one build step
(dashboard/data/area_lenses.py); tests/data/test_area_lenses.py fails when the two disagree.

An entry is keyed by (id, edition): IMD 2019 and IMD 2025 are the same measure in two editions and are
ranked separately, never together. The edition's user-facing text comes from its source's recorded
vintage (dashboard/data/sources.py), never from this file.
"""

from __future__ import annotations

from dataclasses import dataclass

from .data import sources

IMD_EDITIONS = ("2019", "2025")  # the values of the `imd` URL key where deprivation is shown
CHANGE = "2019-2025"
CENSUS = "2021"

ALL_LEVELS = ("country", "region", "icb", "sicbl", "utla", "la", "marmot")
LA_BASED = ("country", "region", "icb", "utla", "la", "marmot")  # built from whole local authorities
PUBLISHED_ONLY = ("icb", "la")  # MHCLG summarises these; extent and local concentration are not recomputed
DETAILED = ("country", "utla", "la", "marmot")  # the 19 ethnic groups are published by authority only

RESIDENTS_NOT_PATIENTS = ("Usual residents of the area (Census 2021), not the patients on its practices' lists; "
                          "ethnicity is not published for practices here. Counts carry ONS disclosure-control noise, "
                          "so small groups in small areas are approximate.")
IMD_NOT_OVER_TIME = ("Ranks compare places within one edition. Scores are relative too: a change between editions "
                     "says how a place moved against the rest of England, not how much deprivation changed.")


@dataclass(frozen=True)
class AreaMeasure:
    """One published area statistic in one edition: what it is, where it comes from, where it exists."""

    id: str
    label: str
    unit: str  # "score", "%", "rank" (a rank-valued statistic), "count", "rank change"
    edition: str  # "2019", "2025" (IMD editions), "2019-2025" (the change), "2021" (census)
    source: str  # the sources.py id whose recorded vintage names the edition
    description: str
    group: str  # "deprivation", "deprivation change", "ethnicity", "ethnicity detail"
    levels: tuple[str, ...]
    higher_is: str = ""  # "more deprived", "less deprived" or "" (no direction: a population share)
    decimals: int = 1
    ranked: bool = False  # the processed table carries rank and rank_of (1 = most deprived)
    compared_with: str = ""  # for a change: the earlier edition's source
    caveat: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return self.id, self.edition

    def edition_text(self, manifest: dict) -> str:
        """'IMD 2025', or 'IMD 2019 to IMD 2025' for a change, from the editions the data was built from."""
        text = sources.recorded_vintage(manifest, self.source)
        if self.compared_with:
            return f"{sources.recorded_vintage(manifest, self.compared_with)} to {text}"
        return text

    def format(self, value) -> str:
        import math

        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "n/a"
        if self.unit == "%":
            return f"{value:.{self.decimals}f}%"
        if self.unit == "count":
            return f"{value:,.0f}"
        if self.unit == "rank change":
            return "no change" if value == 0 else f"{value:+,.0f} places"
        sign = "+" if self.unit == "score change" and value > 0 else ""
        return f"{sign}{value:,.{self.decimals}f}".replace("-", "−")


# IoD domains: our id, label, whether its score is a rate (income, employment: the share of people
# deprived, shown as a percentage) and which levels MHCLG or our aggregation give it.
DOMAINS = (
    ("imd", "Index of Multiple Deprivation", False),
    ("income", "Income deprivation", True),
    ("employment", "Employment deprivation", True),
    ("education", "Education, skills and training deprivation", False),
    ("health", "Health deprivation and disability", False),
    ("crime", "Crime", False),
    ("barriers", "Barriers to housing and services", False),
    ("environment", "Living environment deprivation", False),
)
IMD_SOURCE = {"2025": "imd2025_la", "2019": "imd2019_la23"}


def _deprivation(edition: str) -> list[AreaMeasure]:
    source = IMD_SOURCE[edition]
    levels = ALL_LEVELS if edition == "2025" else LA_BASED
    how = ("published by MHCLG for local authorities (File 10) and ICBs (File 13); elsewhere the mean of LSOA "
           "scores weighted by Census 2021 residents" if edition == "2025" else
           "IMD 2019 re-aggregated to current authorities; above them the mean of authorities' scores weighted by "
           "Census 2021 residents")
    out = []
    for domain, label, rate in DOMAINS:
        if rate:
            out.append(AreaMeasure(
                f"{domain}_score", f"{label}: share of residents", "%", edition, source,
                f"Population-weighted average of the {label.lower()} domain's rate ({how}).", "deprivation", levels,
                "more deprived", 1, True, caveat=IMD_NOT_OVER_TIME))
        else:
            out.append(AreaMeasure(
                f"{domain}_score", f"{label}: average score" if domain != "imd" else "IMD average score", "score",
                edition, source, f"Population-weighted average {'IMD' if domain == 'imd' else label.lower()} "
                f"score of the area's LSOAs ({how}). Higher = more deprived.", "deprivation", levels,
                "more deprived", 1, True, caveat=IMD_NOT_OVER_TIME))
    out.append(AreaMeasure(
        "imd_most_deprived_10pct", "LSOAs among England's most deprived 10%", "%", edition, source,
        "Share of the area's small areas (LSOAs) in the most deprived tenth nationally (unweighted count).",
        "deprivation", levels if edition == "2025" else ("la",), "more deprived", 1, True))
    out.append(AreaMeasure(
        "imd_extent", "Extent", "%", edition, source,
        "Share of the population living in the most deprived LSOAs (most deprived 30%, weighted in from the "
        "10% cut-off), as MHCLG defines extent" + (" (re-aggregated by humaniverse/IMD)" if edition == "2019" else "")
        + ".", "deprivation", PUBLISHED_ONLY if edition == "2025" else ("la",), "more deprived", 1, True))
    if edition == "2025":
        out.append(AreaMeasure(
            "imd_local_concentration", "Local concentration", "rank", edition, source,
            "Population-weighted average national rank of the area's most deprived LSOAs holding 10% of its "
            "people: how deprived its hotspots are. Lower = more deprived.", "deprivation", PUBLISHED_ONLY,
            "less deprived", 0, True))
    return out


AREA_MEASURES: tuple[AreaMeasure, ...] = (
    *_deprivation("2025"),
    *_deprivation("2019"),
    AreaMeasure("imd_score", "IMD average score: change", "score change", CHANGE, "imd2025_la",
                "IMD 2025 average score minus IMD 2019 average score, both on current boundaries.",
                "deprivation change", LA_BASED, "more deprived", 1, compared_with="imd2019_la23",
                caveat=IMD_NOT_OVER_TIME),
    AreaMeasure("imd_rank", "IMD rank: change", "rank change", CHANGE, "imd2025_la",
                "Places moved towards the most deprived end of the ranking between IMD 2019 and IMD 2025 (rank of "
                "average score among areas of the same kind; positive = relatively more deprived in 2025).",
                "deprivation change", tuple(level for level in LA_BASED if level != "country"), "more deprived", 0,
                compared_with="imd2019_la23", caveat=IMD_NOT_OVER_TIME),
    AreaMeasure("residents", "Usual residents", "count", CENSUS, "ethnicity_la",
                "All usual residents on census day, 21 March 2021.", "ethnicity", ALL_LEVELS, decimals=0,
                caveat=RESIDENTS_NOT_PATIENTS),
)

# Census 2021 TS021: (our id, label, the data's column or None for a sum, group).
ETHNIC_GROUPS = (
    ("eth_minority", "Ethnic groups other than White", None, "ethnicity"),
    ("eth_asian", "Asian, Asian British or Asian Welsh", "asian", "ethnicity"),
    ("eth_black", "Black, Black British, Black Welsh, Caribbean or African", "black", "ethnicity"),
    ("eth_mixed", "Mixed or Multiple ethnic groups", "mixed", "ethnicity"),
    ("eth_white", "White", "white", "ethnicity"),
    ("eth_other", "Other ethnic group", "other", "ethnicity"),
    ("eth_black_african", "Black African", "black_african", "ethnicity detail"),
    ("eth_black_caribbean", "Black Caribbean", "black_caribbean", "ethnicity detail"),
    ("eth_black_other", "Other Black", "black_other", "ethnicity detail"),
    ("eth_asian_bangladeshi", "Bangladeshi", "asian_bangladeshi", "ethnicity detail"),
    ("eth_asian_pakistani", "Pakistani", "asian_pakistani", "ethnicity detail"),
    ("eth_asian_indian", "Indian", "asian_indian", "ethnicity detail"),
    ("eth_asian_chinese", "Chinese", "asian_chinese", "ethnicity detail"),
    ("eth_asian_other", "Other Asian", "asian_other", "ethnicity detail"),
    ("eth_mixed_white_black_caribbean", "Mixed White and Black Caribbean", "mixed_white_black_caribbean",
     "ethnicity detail"),
    ("eth_mixed_white_black_african", "Mixed White and Black African", "mixed_white_black_african",
     "ethnicity detail"),
    ("eth_mixed_white_asian", "Mixed White and Asian", "mixed_white_asian", "ethnicity detail"),
    ("eth_mixed_other", "Other Mixed or Multiple", "mixed_other", "ethnicity detail"),
    ("eth_white_british", "White: English, Welsh, Scottish, Northern Irish or British", "white_british",
     "ethnicity detail"),
    ("eth_white_irish", "White Irish", "white_irish", "ethnicity detail"),
    ("eth_white_gypsy_irish_traveller", "White: Gypsy or Irish Traveller", "white_gypsy_irish_traveller",
     "ethnicity detail"),
    ("eth_white_roma", "White: Roma", "white_roma", "ethnicity detail"),
    ("eth_white_other", "Other White", "white_other", "ethnicity detail"),
    ("eth_other_arab", "Arab", "other_arab", "ethnicity detail"),
    ("eth_other_any_other", "Any other ethnic group", "other_any_other", "ethnicity detail"),
)
AREA_MEASURES += tuple(
    AreaMeasure(measure_id, f"{label}: share of residents", "%", CENSUS, "ethnicity_la",
                "Residents in " + ("every group but the White groups (Asian, Black, Mixed and Other)" if column is None
                                   else f"the {label} group") + " as a share of all usual residents.",
                group, ALL_LEVELS if group == "ethnicity" else DETAILED, caveat=RESIDENTS_NOT_PATIENTS)
    for measure_id, label, column, group in ETHNIC_GROUPS)

AREA_MEASURE: dict[tuple[str, str], AreaMeasure] = {m.key: m for m in AREA_MEASURES}
if len(AREA_MEASURE) != len(AREA_MEASURES):  # a key declared twice would hide one entry
    raise ValueError("area measure (id, edition) declared twice")


def measures(group: str | None = None, edition: str | None = None, level: str | None = None) -> list[AreaMeasure]:
    """The declared measures of one group and edition that exist at a level, in declaration order."""
    return [m for m in AREA_MEASURES if (group is None or m.group == group)
            and (edition is None or m.edition == edition) and (level is None or level in m.levels)]

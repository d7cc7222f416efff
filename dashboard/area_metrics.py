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


# --- area measures on the explorer's map ------------------------------------------------------------------------
# The map's measure list offers area measures beside the practice measures (dashboard/metrics.py). An option
# names a measure, not an edition: "area:imd_score" is IMD 2025 or IMD 2019 as the view's `imd` key says, and
# "area:imd_score:change" the change between them. Once resolved, a measure is shown through a metrics.Metric
# whose id carries its edition ("area:imd_score:2025"), so map, colour bar, hover and downloads read one object.
OPTION_PREFIX = "area:"
CHANGE_SUFFIX = ":change"
ON_MAP = ("deprivation", "deprivation change", "ethnicity", "ethnicity detail")
DEFAULT_EDITION = IMD_EDITIONS[-1]


def option_value(measure: AreaMeasure) -> str:
    return f"{OPTION_PREFIX}{measure.id}{CHANGE_SUFFIX if measure.group == 'deprivation change' else ''}"


def option_label(measure: AreaMeasure) -> str:
    """The option's text: says it describes the area (residents), and for deprivation that the edition is chosen."""
    if measure.group.startswith("ethnicity"):
        return f"Residents (Census 2021): {measure.label.removesuffix(': share of residents')}"
    if measure.group == "deprivation change":
        return f"Area deprivation: {measure.label} from {edition_label(measure)}"
    return f"Area deprivation: {measure.label} (edition below)"


def map_options() -> list[dict]:
    """The explorer's area measure options, in declaration order, one per measure whatever its editions."""
    seen: dict[str, str] = {}
    for measure in AREA_MEASURES:
        if measure.group in ON_MAP and measure.unit != "count":
            seen.setdefault(option_value(measure), option_label(measure))
    return [{"label": label, "value": value} for value, label in seen.items()]


def is_option(value) -> bool:
    return isinstance(value, str) and value.startswith(OPTION_PREFIX)


def option_measure(value: str, imd: str) -> AreaMeasure | None:
    """The measure an option means in edition `imd`; None where that edition does not publish it."""
    if not is_option(value):
        return None
    rest = value.removeprefix(OPTION_PREFIX)
    change = rest.endswith(CHANGE_SUFFIX)
    measure_id = rest.removesuffix(CHANGE_SUFFIX)
    for measure in AREA_MEASURES:
        if measure.id != measure_id or measure.group not in ON_MAP:
            continue
        if change == (measure.group == "deprivation change") and (
                measure.group != "deprivation" or measure.edition == imd):
            return measure
    return None


def imd_edition_name(edition: str) -> str:
    """'IMD 2025' for the `imd` key's value, from the source catalogue."""
    return sources.vintage(IMD_SOURCE[edition])


def edition_label(measure: AreaMeasure) -> str:
    """'IMD 2025', 'IMD 2019 to IMD 2025' or 'Census 2021', from the source catalogue."""
    if measure.group.startswith("ethnicity"):
        return f"Census {CENSUS}"
    if measure.compared_with:
        return f"{sources.vintage(measure.compared_with)} to {sources.vintage(measure.source)}"
    return sources.vintage(measure.source)


def as_metric(measure: AreaMeasure):
    """The measure as a metrics.Metric for the map's figures; its id carries the edition."""
    from . import metrics

    direction = {"more deprived": "worse", "less deprived": "better"}.get(measure.higher_is, "")
    label = option_label(measure).removesuffix(" (edition below)")  # the edition goes where a year would
    return metrics.Metric(
        id=f"{OPTION_PREFIX}{measure.id}:{measure.edition}", label=label, unit=measure.unit,
        formula=measure.description, description=measure.description, compute=None, decimals=measure.decimals,
        caveat=measure.caveat, higher_is=direction)


def metric_for(metric_id: str):
    """The Metric of a resolved id ("area:imd_score:2025"), or None."""
    if not is_option(metric_id):
        return None
    measure_id, _, edition = metric_id.removeprefix(OPTION_PREFIX).rpartition(":")
    measure = AREA_MEASURE.get((measure_id, edition))
    return as_metric(measure) if measure is not None and measure.group in ON_MAP else None

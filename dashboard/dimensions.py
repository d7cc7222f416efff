"""The Atlas's dimensions, declared once: the area levels and the practice filters.

The query layer, the view state and its URL keys, the filter panel, downloads, /about and the build all
read these two tables, so adding an area level is its build step plus one Level entry, and adding a
filter is one Filter entry (tests/unit/test_dimensions.py fails when a part does not follow).
No Dash here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Level:
    """A kind of area: how it is named, where its practices' codes are, whether it is mapped."""

    id: str
    name: str  # "local authority": reads after "a" or "this"
    plural: str  # "local authorities"
    code_column: str | None  # the practices column holding the area's code (None: built from members)
    on_map: bool = False  # offered as a map level in the explorer and what-if
    has_geo: bool = False  # the build writes /geo/<id>.geojson
    filter_key: str | None = None  # the Filter that selects its practices, when one does

    @property
    def title(self) -> str:
        """'Local authority', for control labels."""
        return self.name[0].upper() + self.name[1:]


LEVELS: tuple[Level, ...] = (
    Level("la", "local authority", "local authorities", "la_code", on_map=True, has_geo=True, filter_key="la"),
    Level("icb", "Integrated Care Board", "Integrated Care Boards", "icb_code", on_map=True, has_geo=True,
          filter_key="icb"),
    Level("region", "NHS region", "NHS regions", "region_code", on_map=True, has_geo=True, filter_key="region"),
    # Sub-ICB locations: the former CCG areas, which ICBs still plan and report by.
    Level("sicbl", "Sub-ICB location", "Sub-ICB locations", "sicbl_code", on_map=True, has_geo=True,
          filter_key="sicbl"),
    Level("utla", "county or unitary authority", "counties and unitary authorities", "utla_code", has_geo=True),
    Level("marmot", "Marmot Place", "Marmot Places", None, has_geo=True, filter_key="marmot"),
    Level("country", "country", "countries", None),
)
LEVEL = {level.id: level for level in LEVELS}
MAP_LEVELS = tuple(level.id for level in LEVELS if level.on_map)
GEO_LEVELS = tuple(level.id for level in LEVELS if level.has_geo)


@dataclass(frozen=True)
class Filter:
    """A restriction on practices: its URL key (also its field in Filters and ViewState), its label, the
    practices column it tests, and which values it accepts.

    kind: "area" (codes of `level`), "marmot" (Marmot Place slugs, through their member authorities),
    "choice" (one of `choices`, value → label) or "code" (any code the practices column holds, named by
    `name_column`: too many values to declare, e.g. 1,250 PCNs).

    """

    key: str
    label: str
    kind: str
    column: str
    description: str
    level: str | None = None
    choices: tuple[tuple[str | int, str], ...] = ()
    download_label: str = ""
    stored_as_label: bool = False  # the practices column holds the choice's label, not its URL value
    name_column: str | None = None  # kind "code": the practices column with each code's name

    @property
    def integer(self) -> bool:
        return bool(self.choices) and isinstance(self.choices[0][0], int)

    def allowed(self, atlas) -> Callable[[str], bool]:
        """A test of one raw value (text, as in a URL) against what the data holds."""
        if self.kind == "area":
            areas = atlas.area_by_code
            return lambda v: v in areas.index and areas.at[v, "level"] == self.level
        if self.kind == "marmot":
            slugs = set(atlas.marmot_places.loc[atlas.marmot_places["mapped"], "slug"])
            return lambda v: v in slugs
        if self.kind == "code":
            codes = set(atlas.practices[self.column].dropna().astype(str))
            return lambda v: v in codes
        accepted = {str(value) for value, _ in self.choices}
        return lambda v: v in accepted

    def parse(self, raw: str) -> str | int:
        return int(raw) if self.integer else raw

    def choice_label(self, value) -> str:
        return dict(self.choices).get(value, str(value))

    def column_values(self, values: list) -> list:
        """The chosen values as the practices column holds them."""
        if self.stored_as_label:
            labels = dict(self.choices)
            return [labels[v] for v in values if v in labels]
        return list(values)


DISPENSING = ("Yes", "No", "Unknown")
CONTRACTS = ("GMS", "PMS", "APMS", "Unknown")
RURALITY = ("Urban", "Rural", "Unknown")
# Size bands as the build writes them (practices.size_band), keyed by a short URL value.
SIZE_BANDS = (("lt5k", "Under 5,000"), ("5-10k", "5,000 to 9,999"), ("10-15k", "10,000 to 14,999"),
              ("15-20k", "15,000 to 19,999"), ("20k+", "20,000 or more"))
QUINTILES = ((1, "1 (most deprived)"), (2, "2"), (3, "3"), (4, "4"), (5, "5 (least deprived)"))

FILTERS: tuple[Filter, ...] = (
    Filter("region", "NHS region", "area", "region_code", "Practices in the chosen NHS regions.", level="region"),
    Filter("icb", "Integrated Care Board", "area", "icb_code", "Practices in the chosen ICBs (2022 boundaries).",
           level="icb"),
    Filter("la", "Local authority", "area", "la_code",
           "Practices located in the chosen local authorities (2024 boundaries).", level="la"),
    Filter("sicbl", "Sub-ICB location", "area", "sicbl_code",
           "Practices located in the chosen Sub-ICB locations (April 2023 boundaries).", level="sicbl"),
    Filter("pcn", "Primary care network", "code", "pcn_code",
           "Practices the publisher lists under the chosen primary care networks (PCNs), from 2019-20. PCNs are "
           "groups of practices, not places: there are no official PCN boundaries, so none is drawn.",
           name_column="pcn_name", download_label="Primary care network (PCN)"),
    Filter("marmot", "Marmot Place", "marmot", "la_code",
           "Practices in the member local authorities of the chosen Marmot Places."),
    Filter("rurality", "Rurality", "choice", "rurality", "The publisher's urban or rural flag for the practice.",
           choices=tuple((v, v) for v in RURALITY)),
    Filter("dispensing", "Dispensing practice", "choice", "dispensing",
           "Whether the practice dispenses medicines itself.", choices=tuple((v, v) for v in DISPENSING),
           download_label="Dispensing status"),
    Filter("contract", "Contract type", "choice", "contract_type", "GMS, PMS or APMS contract.",
           choices=tuple((v, v) for v in CONTRACTS)),
    Filter("quintile", "National deprivation fifth", "choice", "imd_quintile",
           "The practice's national fifth of patients by IMD score, recomputed each year (1 = most deprived); "
           "always England-wide fifths of patients, whichever way the charts form their fifths.",
           choices=QUINTILES, download_label="Deprivation fifth (1 = most deprived)"),
    Filter("size", "Practice list size", "choice", "size_band", "Registered patients, in bands.",
           choices=SIZE_BANDS, download_label="Practice size (registered patients)", stored_as_label=True),
)
FILTER = {f.key: f for f in FILTERS}

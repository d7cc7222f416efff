"""The one declared catalogue of inputs: what `fetch` downloads, what `build` reads, what the app credits.

Three lists used to describe the inputs (the fetch list, the paths inside each reader, and a list for the
manifest), and they disagreed: `fetch` wrote files the build never read, so a refresh changed nothing.
Now every input is one `Source` here: where its copy lives under the raw folder, where (if anywhere) it
can be downloaded, which edition it is, and which build step reads it. Readers never hold path literals;
they ask `locate`/`locate_all`, which also records the read, so a test can check after a build that every
fetched file was read and every read file is either fetchable or declared as shipped.

Nothing here imports pandas, Dash or requests: the app and the fetch command both import it cheaply.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

OGL = "Open Government Licence v3.0"
OS_OGL = "OS OpenData (Open Government Licence v3.0)"
ONS_OGL = f"{OGL}; contains OS data © Crown copyright and database right"

RAW = "raw"  # the raw folder (../shared/data, $EQUITY_ATLAS_RAW_DIR or --raw-dir)
REFERENCE = "reference"  # data/reference in this repository: facts compiled by the project


@dataclass(frozen=True)
class Download:
    """One file a publisher serves, and the exact path under the raw folder the build reads it from.

    ``params`` are query parameters appended to ``url`` (kept apart so API calls stay readable); ``sha256``
    pins the bytes when known in advance; ``default=False`` fetches it only when asked for by id.
    """

    id: str
    url: str
    dest: str
    params: Mapping[str, str] | None = field(default=None, hash=False)
    sha256: str | None = None
    default: bool = True
    note: str = ""


@dataclass(frozen=True)
class Source:
    """One input of the build.

    ``path`` is relative to the raw folder (or to data/reference when ``root`` is REFERENCE) and may be a
    glob for a series of files. ``downloads`` say where its files can be refreshed from; ``shipped`` says
    why a file (or, for a series, the files no download covers) exists only as the copy in the shared
    folder. ``vintage`` is the edition, and is the only place user-facing edition text may come from.
    ``reader`` names the build step that reads it; ``credit`` is its short name in the page footer.
    """

    id: str
    title: str
    publisher: str
    path: str
    vintage: str
    licence: str
    reader: str
    caveat: str = ""
    downloads: tuple[Download, ...] = ()
    shipped: str = ""
    root: str = RAW
    credit: str = ""

    @property
    def is_series(self) -> bool:
        return any(char in self.path for char in "*?[")

    def matches(self, relative: str) -> bool:
        """Whether a path relative to this source's root is one of its files."""
        return fnmatchcase(PurePosixPath(relative).as_posix(), self.path)

    def download_for(self, relative: str) -> Download | None:
        return next((d for d in self.downloads if d.dest == PurePosixPath(relative).as_posix()), None)


FINGERTIPS_API = "https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id"
FINGERTIPS_ENGLAND = "15"  # parent area type: England, so every child area is returned
FINGERTIPS_SHAPE = ("The reader accepts both the API's CSV (\"Area Code\", \"Time period\", \"Sex\", \"Category "
                    "Type\" ...) and the column names of the shipped extract.")
# ONS Open Geography Portal: ArcGIS service names change with each boundary release. Check against the portal.
ONS_ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
ARCGIS_ALL_GEOJSON = "where=1%3D1&outFields=*&outSR=4326&f=geojson"
GEOGRAPHR = ("Converted here from the humaniverse/geographr R package (.rda); the publisher's own file is in a "
             "different format (ONS Open Geography Portal XLSX/CSV with other column names), which no reader "
             "accepts yet.")


def fingertips(id: str, indicator: int, area_type: int, dest: str, note: str = "") -> Download:
    """A Fingertips indicator for every area of one type in England, as the API's CSV."""
    return Download(id, FINGERTIPS_API, dest, params={
        "indicator_ids": str(indicator), "child_area_type_id": str(area_type),
        "parent_area_type_id": FINGERTIPS_ENGLAND}, note=note)


CATALOGUE: tuple[Source, ...] = (
    Source(
        "nhs_payments", "NHS Payments to General Practice, England", "NHS England (formerly NHS Digital)",
        "nhs_payments/nhs-payments-gp-20[0-9][0-9]-[0-9][0-9].csv", "annual, 2014-15 onwards", OGL,
        "payments.read_all_payments",
        caveat="Columns change between years; COVID and PCN totals exist from 2020-21 and PCN payments are not "
               "in the practice file from 2023-24. Patient counts are the last known figure up to 2022-23 and "
               "the average over the year from 2023-24. Practices that closed during the year are listed with "
               "their payments and may show no patients.",
        downloads=(
            Download("nhs_payments_2023_24", "https://files.digital.nhs.uk/7A/651D52/nhspaymentsgp-23-24-prac-csv.csv",
                     "nhs_payments/nhs-payments-gp-2023-24.csv"),
            Download("nhs_payments_2024_25", "https://files.digital.nhs.uk/D0/C6D126/nhspaymentsgp-24-25-prac-csv.csv",
                     "nhs_payments/nhs-payments-gp-2024-25.csv"),
        ),
        shipped="2014-15 to 2022-23 are byte-identical copies from the HealthEquityEvidenceCentre/HEEC repository; "
                "the publisher's URLs for those years are not recorded here.",
        credit="NHS Payments to General Practice (NHS England)",
    ),
    Source(
        "practice_imd", "Deprivation score (IMD) of GP practice populations, indicator 93553", "OHID Fingertips",
        "practice_deprivation/practice-imd-fingertips-93553.csv", "IMD 2019", OGL,
        "practice_measures.read_practice_deprivation",
        caveat="Population-weighted IMD score of each practice's registered patients. Practices without an "
               "IMD 2019 value use the 2015, then the 2010 edition; editions are not strictly comparable.",
        downloads=(fingertips("fingertips_practice_imd_93553", 93553, 7,
                              "practice_deprivation/practice-imd-fingertips-93553.csv", FINGERTIPS_SHAPE),),
        credit="OHID Fingertips",
    ),
    Source(
        "practice_life_expectancy", "Life expectancy at birth of practice populations",
        "Health Equity Evidence Centre (from OHID Fingertips indicator 650)",
        "practice_life_expectancy/practice-life-expectancy.csv", "2010 to 2020 (HEEC labels of pooled periods)", OGL,
        "practice_measures.read_practice_life_expectancy",
        caveat="A derived estimate from where patients live, not a measured practice statistic.",
        shipped="Compiled by HEEC (data/life_expectancy/life_expectancy.csv) with its own added columns; the "
                "Fingertips API serves a different layout and the period behind each HEEC year label is not "
                "recorded.",
        credit="OHID Fingertips",
    ),
    Source(
        "codepoint_open", "Code-Point Open (English postcodes)", "Ordnance Survey",
        "practice_locations/codepoint-open-2014-england.csv.gz", "August 2014", OS_OGL, "locations.read_codepoint",
        caveat="Postcodes created after this release are placed at their sector or district centroid.",
        shipped="Combined here from the open-postcode/codepoint repository; Ordnance Survey now serves only the "
                "current release, as a zip of per-area CSVs without headers, which no reader accepts yet.",
        credit="Ordnance Survey Code-Point Open",
    ),
    Source(
        "la_boundaries", "Local Authority Districts (May 2024) Boundaries UK BSC", "ONS Open Geography Portal",
        "boundaries/lad24_bsc_uk.geojson", "May 2024", ONS_OGL, "geography.read_boundaries",
        caveat="Super-generalised (200 m) and clipped to the coastline; simplified further for the browser. Nine "
               "features are invalid polygons in the ONS original and are repaired (make_valid) before use.",
        downloads=(Download(
            "ons_lad24_bsc",
            f"{ONS_ARCGIS}/Local_Authority_Districts_May_2024_Boundaries_UK_BSC/FeatureServer/0/query?"
            f"{ARCGIS_ALL_GEOJSON}",
            "boundaries/lad24_bsc_uk.geojson",
            note="The shipped copy is the ONS export with coordinates rounded to 5 decimal places. ONS service "
                 "URLs change between releases."),),
        credit="ONS boundaries",
    ),
    Source(
        "icb_boundaries", "Integrated Care Boards (April 2023) EN BSC", "ONS Open Geography Portal",
        "boundaries/icb23_bsc.geojson", "April 2023", ONS_OGL, "geography.read_boundaries",
        caveat="The 42 ICBs as drawn in April 2023, whose codes are also those of the IMD 2025 ICB summaries.",
        downloads=(Download(
            "ons_icb23_bsc",
            f"{ONS_ARCGIS}/Integrated_Care_Boards_April_2023_EN_BSC/FeatureServer/0/query?{ARCGIS_ALL_GEOJSON}",
            "boundaries/icb23_bsc.geojson", note="ONS service URLs change between releases."),),
        credit="ONS boundaries",
    ),
    Source(
        "sicbl_boundaries", "NHS Sub-ICB Locations (April 2023) EN BSC", "ONS Open Geography Portal",
        "boundaries/sicbl23_bsc.geojson", "April 2023", ONS_OGL, "geography.read_boundaries",
        caveat="Sub-ICB locations are the former clinical commissioning group areas that ICBs report by; names "
               "end with the NHS code used in the payments files (e.g. \"- 16C\").",
        downloads=(Download(
            "ons_sicbl23_bsc",
            f"{ONS_ARCGIS}/Sub_Integrated_Care_Board_Locations_April_2023_EN_BSC/FeatureServer/0/query?"
            f"{ARCGIS_ALL_GEOJSON}",
            "boundaries/sicbl23_bsc.geojson", note="ONS service URLs change between releases."),),
        credit="ONS boundaries",
    ),
    Source(
        "la_utla_lookup", "Lower to upper tier local authority lookup", "ONS", "lookups/lookup_ltla23_utla23.csv",
        "2023", OGL, "build.build_tables", shipped=GEOGRAPHR, credit="ONS lookups"),
    Source(
        "la_changes_lookup", "Local authority changes 2022 to 2023", "ONS", "lookups/lookup_ltla22_ltla23.csv",
        "2023", OGL, "area_measures.lsoa_table", shipped=GEOGRAPHR, credit="ONS lookups"),
    Source(
        "msoa_la_lookup", "MSOA 2011 to local authority lookup", "ONS", "lookups/lookup_msoa11_ltla21.csv",
        "2021", OGL, "area_measures.lsoa_table", shipped=GEOGRAPHR, credit="ONS lookups"),
    Source(
        "lsoa_msoa_lookup", "LSOA 2011 to MSOA 2011 lookup", "ONS", "lookups/lookup_lsoa11_msoa11.csv", "2011", OGL,
        "area_measures.lsoa_table", shipped=GEOGRAPHR, credit="ONS lookups"),
    Source(
        "la_imd", "English Indices of Deprivation, local authority summary", "MHCLG (aggregated by M. Thomas)",
        "area_deprivation/imd2019-lad19-summary.csv", "IMD 2019", OGL, "area_measures.la_deprivation",
        caveat="Recomputed population-weighted averages; authorities created after 2019 recomputed from MSOAs.",
        shipped="Aggregated from LSOA data by the matthewgthomas/IMD repository; MHCLG's own File 10 is an XLSX "
                "with other columns.",
        credit="MHCLG English Indices of Deprivation",
    ),
    Source(
        "msoa_imd", "English Indices of Deprivation, MSOA summary", "MHCLG (aggregated by M. Thomas)",
        "area_deprivation/imd2019-msoa11-summary.csv", "IMD 2019", OGL, "area_measures.lsoa_table",
        shipped="Aggregated by the matthewgthomas/IMD repository; MHCLG publishes no MSOA summary.",
        credit="MHCLG English Indices of Deprivation",
    ),
    Source(
        "la_life_expectancy", "Life expectancy at birth, indicator 90366", "OHID Fingertips",
        "area_life_expectancy/life_expectancy-fingertips-ltla.csv", "3-year periods 2015-17 to 2023-25", OGL,
        "area_measures.area_indicators",
        downloads=(fingertips("fingertips_life_expectancy_ltla_90366", 90366, 501,
                              "area_life_expectancy/life_expectancy-fingertips-ltla.csv", FINGERTIPS_SHAPE),),
        credit="OHID Fingertips",
    ),
    Source(
        "la_healthy_life_expectancy", "Healthy life expectancy at birth, indicator 90362", "OHID Fingertips",
        "area_life_expectancy/healthy_life_expectancy-fingertips-ltla.csv", "3-year periods 2015-17 to 2022-24",
        OGL, "area_measures.area_indicators",
        caveat="Published for upper-tier authorities: the shipped extract holds unitary, metropolitan and London "
               "authorities only; a fetch from the API (upper-tier areas) adds the county councils.",
        downloads=(fingertips("fingertips_healthy_life_expectancy_utla_90362", 90362, 502,
                              "area_life_expectancy/healthy_life_expectancy-fingertips-ltla.csv",
                              FINGERTIPS_SHAPE),),
        credit="OHID Fingertips",
    ),
    Source(
        "la_life_expectancy_sii", "Inequality in life expectancy at birth (slope index)", "OHID Fingertips",
        "area_life_expectancy/inequality_life_expectancy-fingertips-ltla.csv", "3-year periods 2015-17 to 2022-24",
        OGL, "area_measures.area_indicators",
        shipped="Saved by traffordDataLab/trafford_themes; the Fingertips indicator id and area type behind it "
                "are not recorded, so no API URL is declared until they are checked.",
        credit="OHID Fingertips",
    ),
    Source(
        "lsoa_la_lookup", "LSOA 2021 to local authority district 2024 lookup", "ONS", "lookups/lookup_lsoa21_ltla24.csv",
        "2024", OGL, "area_lenses.read_lsoas", shipped=GEOGRAPHR, credit="ONS lookups"),
    Source(
        "lsoa_sicbl_lookup", "LSOA 2021 to Sub-ICB location 2024 lookup", "ONS", "lookups/lookup_lsoa21_sicbl24.csv",
        "2024", OGL, "area_lenses.read_lsoas", shipped=GEOGRAPHR, credit="ONS lookups"),
    Source(
        "sicbl_icb_lookup", "Sub-ICB location to ICB lookup", "ONS", "lookups/lookup_sicbl24_icb24.csv", "2024", OGL,
        "area_lenses.read_sicbl_icb", shipped=GEOGRAPHR, credit="ONS lookups"),
    Source(
        "imd2025_la", "English Indices of Deprivation 2025, File 10: local authority district summaries (lower "
        "tier), v2 corrected November 2025", "Ministry of Housing, Communities and Local Government",
        "area_deprivation/imd2025-ltla24-summaries.csv", "IMD 2025", OGL, "area_lenses.deprivation_stats",
        caveat="Rank 1 is the most deprived of 296 authorities. Scores are relative: they rank places within one "
               "edition and are not a measure of absolute change between editions.",
        shipped="A CSV conversion (humaniverse/IMD, data/imd2025_england_ltla24.rda) of MHCLG's XLSX "
                "https://assets.publishing.service.gov.uk/media/6917412ebc34c86ce4e6e7fc/File_10_-_IoD2025_Local_"
                "Authority_District_Summaries__lower-tier__v2.xlsx, whose sheets and headers no reader accepts yet.",
        credit="MHCLG English Indices of Deprivation",
    ),
    Source(
        "imd2025_icb", "English Indices of Deprivation 2025, File 13: Integrated Care Board summaries",
        "Ministry of Housing, Communities and Local Government", "area_deprivation/imd2025-icb24-summaries.csv",
        "IMD 2025", OGL, "area_lenses.deprivation_stats", caveat="Rank 1 is the most deprived of 42 ICBs.",
        shipped="A CSV conversion (humaniverse/IMD, data/imd2025_england_icb24.rda) of MHCLG's File 13 XLSX, "
                "whose sheets and headers no reader accepts yet.",
        credit="MHCLG English Indices of Deprivation",
    ),
    Source(
        "imd2025_lsoa", "English Indices of Deprivation 2025, File 7: LSOA ranks, scores and deciles",
        "Ministry of Housing, Communities and Local Government", "area_deprivation/imd2025-lsoa21.csv", "IMD 2025",
        OGL, "area_lenses.deprivation_stats",
        caveat="Used to build IMD 2025 summaries for areas MHCLG does not summarise (Sub-ICB locations, NHS "
               "regions, counties, Marmot Places): the mean of LSOA scores weighted by Census 2021 usual "
               "residents, as File 10 weights by population.",
        shipped="A subset (no population denominators) converted by humaniverse/IMD (data/imd2025_england_lsoa21.rda) "
                "from https://assets.publishing.service.gov.uk/media/68ff5daabcb10f6bf9bef911/File_7_IoD2025_All_"
                "Ranks_Scores_Deciles_Population_Denominators.csv, whose column names differ.",
        credit="MHCLG English Indices of Deprivation",
    ),
    Source(
        "imd2019_la23", "English Indices of Deprivation 2019, on the local authority districts of 2023",
        "MHCLG (re-aggregated to current authorities by humaniverse/IMD)", "area_deprivation/imd2019-ltla23-summary.csv",
        "IMD 2019", OGL, "area_lenses.deprivation_stats",
        caveat="Population-weighted from IMD 2019 LSOA data onto the 296 authorities of 2023/2024 (not an official "
               "table); for authorities unchanged since 2019 the scores equal MHCLG's File 10 to within 0.001. "
               "Ranks among the 296 are computed here.",
        shipped="Aggregated by the humaniverse/IMD repository (data/imd2019_england_ltla23.rda); MHCLG publishes "
                "IMD 2019 only on the 317 authorities of 2019.",
        credit="MHCLG English Indices of Deprivation",
    ),
    Source(
        "ethnicity_la", "Ethnic group (TS021), Census 2021, local authorities of 2024", "Office for National Statistics",
        "population_ethnicity/ethnicity21-ltla24-derived.csv", "Census 2021", OGL, "area_lenses.ethnicity_stats",
        caveat="Usual residents of the area on census day (21 March 2021), not patients on practice lists. All 19 "
               "categories; counts carry ONS disclosure-control noise (record swapping, cell key perturbation).",
        shipped="Derived by this project's data folder from humaniverse/demographr (ONS bulletin figure download "
                "https://www.ons.gov.uk/visualisations/dvc2203/map/datadownload.xlsx), 2021 districts summed into "
                "the four authorities created in 2023.",
        credit="ONS ethnic group (TS021)",
    ),
    Source(
        "ethnicity_lsoa", "Ethnic group (TS021), Census 2021, LSOAs (five high-level groups)",
        "Office for National Statistics", "population_ethnicity/ethnicity21-lsoa21.csv", "Census 2021", OGL,
        "area_lenses.read_lsoas",
        caveat="Usual residents, five high-level groups only. Also the population weight for IMD 2025 summaries "
               "built from LSOAs. Sums of LSOAs differ from authority figures by a few people (disclosure control).",
        shipped="From humaniverse/demographr (data/ethnicity21_lsoa21.rda), originally the Nomis bulk file "
                "https://www.nomisweb.co.uk/output/census/2021/census2021-ts021.zip, whose layout differs.",
        credit="ONS ethnic group (TS021)",
    ),
    Source(
        "marmot_places", "Marmot Places (compiled by this project)", "Equity Atlas, from public sources named on each row",
        "marmot_places.csv", "see file", "Open Government Licence v3.0 compatible; facts with sources",
        "marmot.read_marmot_places", root=REFERENCE,
        shipped="Compiled by hand in data/reference from public pages, one cited source per place.",
    ),
)

BY_ID: dict[str, Source] = {source.id: source for source in CATALOGUE}


def source(source_id: str) -> Source:
    return BY_ID[source_id]


def vintage(source_id: str) -> str:
    """The recorded edition of an input, for any page text that names it."""
    return BY_ID[source_id].vintage


def recorded_vintage(manifest: dict, source_id: str) -> str:
    """The edition the processed data was built from (its manifest), else the catalogue's.

    Pages name editions from here so the text follows the data: a rebuild on a new edition changes the
    words with it, and a page never claims an edition the data was not built from.
    """
    for item in manifest.get("inputs", []):
        if item.get("id") == source_id and item.get("vintage"):
            return str(item["vintage"])
    return vintage(source_id)


def credits(manifest: dict) -> list[str]:
    """Short credits for what the data was built from, in the order read, each with its editions when the
    credit covers a few (the footer and the briefing's source list); a series of many years is credited bare."""
    by_credit: dict[str, list[str]] = {}
    for item in manifest.get("inputs", []):
        entry = BY_ID.get(item.get("id", ""))
        if entry is None or not entry.credit:
            continue
        editions = by_credit.setdefault(entry.credit, [])
        if item.get("vintage") not in editions:
            editions.append(item.get("vintage"))
    return [f"{credit}, {_and(editions)}" if all(editions) and len(editions) <= 3 else credit
            for credit, editions in by_credit.items()]


def _and(items: list[str]) -> str:
    """'IMD 2019 and IMD 2025': a credit covering two editions names both (IMD 2019 beside IMD 2025)."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def downloads() -> list[tuple[Source, Download]]:
    return [(s, d) for s in CATALOGUE for d in s.downloads]


def check_catalogue(catalogue: tuple[Source, ...] = CATALOGUE) -> list[str]:
    """Every way the catalogue could lie, as sentences; empty when it is consistent."""
    problems = []
    ids = [s.id for s in catalogue] + [d.id for s in catalogue for d in s.downloads]
    problems += [f"id {i!r} is used twice" for i in sorted({i for i in ids if ids.count(i) > 1})]
    for s in catalogue:
        if not s.downloads and not s.shipped:
            problems.append(f"{s.id}: neither fetchable nor declared as shipped (say why there is no URL)")
        if s.is_series and s.downloads and not s.shipped:
            problems.append(f"{s.id}: a series whose downloads cover only some files must say where the rest "
                            "come from (shipped)")
        if not s.is_series and s.downloads and s.shipped:
            problems.append(f"{s.id}: one file cannot be both fetchable and shipped only")
        for d in s.downloads:
            path = PurePosixPath(d.dest)
            if not d.dest or path.is_absolute() or ".." in path.parts or "\\" in d.dest:
                problems.append(f"{d.id}: dest must be a relative path inside the raw folder, got {d.dest!r}")
            if s.root != RAW or not s.matches(d.dest):
                problems.append(f"{d.id}: fetch writes {d.dest} but the build reads {s.path} ({s.id})")
        if not s.vintage or not s.reader:
            problems.append(f"{s.id}: vintage and reader must be declared")
    return problems


_problems = check_catalogue()
if _problems:  # a lying catalogue is a programming error: fail on import, not half way through a refresh
    raise ValueError("sources catalogue is inconsistent: " + "; ".join(_problems))


# --------------------------------------------------------------------------------------- recorded reads


@dataclass(frozen=True)
class Read:
    source_id: str
    path: Path


_recorders: list[list[Read]] = []
_lock = threading.Lock()


@contextlib.contextmanager
def recording() -> Iterator[list[Read]]:
    """Collect every file located through the catalogue while the block runs (the build's provenance)."""
    reads: list[Read] = []
    with _lock:
        _recorders.append(reads)
    try:
        yield reads
    finally:
        with _lock:
            _recorders.remove(reads)


def _record(source_id: str, path: Path) -> None:
    with _lock:
        for reads in _recorders:
            if Read(source_id, path) not in reads:
                reads.append(Read(source_id, path))


def locate(folder: Path | str, source_id: str) -> Path:
    """The file of a single-file source under its root folder, recorded as read."""
    entry = BY_ID[source_id]
    if entry.is_series:
        raise ValueError(f"{source_id} is a series of files: use locate_all")
    path = Path(folder) / entry.path
    _record(source_id, path)
    return path


def locate_all(folder: Path | str, source_id: str) -> list[Path]:
    """Every file of a series present under its root folder, sorted, each recorded as read."""
    entry = BY_ID[source_id]
    paths = sorted(Path(folder).glob(entry.path))
    for path in paths:
        _record(source_id, path)
    return paths


def relative_path(read: Read, raw_dir: Path | str, reference_dir: Path | str) -> str:
    """How the manifest names a file: relative to the raw folder, or data/reference/... for compiled facts."""
    entry = BY_ID[read.source_id]
    if entry.root == REFERENCE:
        return f"data/reference/{read.path.relative_to(reference_dir).as_posix()}"
    return read.path.relative_to(raw_dir).as_posix()

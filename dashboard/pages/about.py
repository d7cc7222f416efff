"""/about: the methods page researchers read to trust the numbers.

Generated from the same things the app computes with (the metric registry, the build manifest, the
coverage report, the URL parser's allowed values), so it cannot drift from what is shown.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from dash import dcc, html

from dashboard import area_metrics, config
from dashboard.data import sources
from dashboard.data.payments import YEAR_AVERAGE
from dashboard.data.query import load_atlas
from dashboard.dimensions import FILTERS, LEVEL
from dashboard.metrics import DENOMINATORS, MAP_DEFAULT, REGISTRY
from dashboard.pages import route
from dashboard.state import BANDS, FIFTHS, LEVELS

TITLE = "Methods and sources · Equity Atlas"
SECTIONS = [
    ("measures", "What each measure means"),
    ("deprivation", "How deprivation fifths are defined"),
    ("comparisons", "How comparisons are made, and when a difference is clear"),
    ("areas", "Where the areas come from"),
    ("sources", "Data sources"),
    ("caveats", "Known caveats"),
    ("url-keys", "Sharing a view: URL keys"),
    ("licence", "Licence and attribution"),
]


@route("/about", TITLE)
def layout(search: str = "", **_params):
    return about_content(load_atlas())


def about_content(atlas, coverage: list[dict] | None = None) -> html.Div:
    """The whole page as a component tree (pure: testable without a running app)."""
    if coverage is None:
        coverage = read_coverage(Path(atlas.folder))
    latest = atlas.year_practices(atlas.latest_year)
    return html.Div(className="about-page prose", children=[
        html.H1("Methods and sources"),
        html.P("How every number in the Equity Atlas is defined, where the data comes from, and what to be "
               "careful about. Everything on this page is generated from the definitions and data files the "
               "app itself uses.", className="lede"),
        html.Nav(**{"aria-label": "On this page"}, children=html.Ul(
            [html.Li(html.A(title, href=f"#{anchor}")) for anchor, title in SECTIONS])),
        section("measures", [measures_table(), area_measures_table(atlas)]),
        section("deprivation", deprivation_section(atlas, latest)),
        section("comparisons", methods_section()),
        section("areas", areas_section(atlas, latest)),
        section("sources", sources_section(atlas.manifest)),
        section("caveats", caveats_section(atlas, latest, coverage)),
        section("url-keys", url_keys_section(atlas)),
        section("licence", [html.P(config.OGL_ATTRIBUTION),
                            html.P("Marmot Places are compiled by this project from public pages; each row "
                                   "cites its source on the Marmot Places page.")]),
    ])


# --- building blocks -------------------------------------------------------------------------------------
def section(anchor: str, children) -> html.Section:
    title = dict(SECTIONS)[anchor]
    return html.Section(id=anchor, **{"aria-labelledby": f"{anchor}-title"}, children=[
        html.H2(title, id=f"{anchor}-title"), *(children if isinstance(children, list) else [children])])


def table(caption: str, headers: list[str], rows: list[list], table_id: str | None = None) -> html.Div:
    """An accessible table: a caption, column headers, and the first cell of each row as its header."""
    body = [html.Tr([html.Th(row[0], scope="row"), *[html.Td(cell) for cell in row[1:]]]) for row in rows]
    return html.Div(className="table-scroll", tabIndex="0", role="region", **{"aria-label": caption}, children=[
        html.Table(className="data-table", **({"id": table_id} if table_id else {}), children=[
            html.Caption(caption),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
            html.Tbody(body),
        ]),
    ])


def methods_section() -> list:
    """inequality.METHODS as paragraphs: the engine's own words, so the page cannot describe another method."""
    from dashboard.inequality import METHODS

    paragraphs = [p.strip() for p in METHODS.split("\n\n") if p.strip()][1:]  # the first line is the title
    children = []
    for paragraph in paragraphs:
        head, _, rest = paragraph.partition(". ")
        children.append(html.P([html.Strong(head + "."), " ", rest]))
    return children


def share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


def read_coverage(folder: Path) -> list[dict]:
    """The build's per-year coverage report; an empty list if it is missing (the page still renders)."""
    path = folder / "coverage.json"
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return records if isinstance(records, list) else []


# --- sections --------------------------------------------------------------------------------------------
def measures_table() -> html.Div:
    rows = [[m.label, m.unit, m.formula, m.description, DENOMINATORS[m.denominator].noun if m.denominator else "—",
             m.direction_note or "—", m.caveat or "—", html.Code(m.id)]
            for m in REGISTRY.values()]
    return html.Div([
        table(f"{len(rows)} measures, each computed from sums over the practices in a group",
              ["Measure", "Unit", "Formula", "What it means", "Per", "Direction", "Caveat", "ID (for links)"], rows,
              table_id="about-measures"),
        table("What a per-patient measure divides by",
              ["Per", "Definition"], [[d.noun, d.definition] for d in DENOMINATORS.values()],
              table_id="about-denominators"),
    ])


def area_measures_table(atlas) -> html.Div:
    """The area statistics (area_metrics.AREA_MEASURES), generated like the practice measures above, so the
    list here is the list the profiles, compare and downloads read."""
    from dashboard.dimensions import LEVEL

    rows = [[m.label, m.edition_text(atlas.manifest), m.unit, ", ".join(LEVEL[lv].plural for lv in m.levels),
             m.description, m.caveat or "—", html.Code(f"{m.id} ({m.edition})")]
            for m in area_metrics.AREA_MEASURES]
    return html.Div([
        html.P("Area statistics describe the place itself (everyone living there), not its practices' patients, "
               "and cannot be recomputed for a filtered group of practices. They are shown on area pages, on "
               "compare and in each area's download pack. IMD 2019 and IMD 2025 are separate editions, each ranked "
               "on its own (1 = most deprived)."),
        html.P("IMD 2025 is as MHCLG published it for local authorities (File 10) and ICBs (File 13). For Sub-ICB "
               "locations, NHS regions, counties, Marmot Places and England it is the mean of the LSOA scores "
               "(File 7) weighted by population, as MHCLG builds File 10; Census 2021 usual residents stand in for "
               "MHCLG's population denominators, and reproduce File 10's authority scores to within 0.35. IMD 2019 "
               "is on current authorities (re-aggregated by humaniverse/IMD) and, above them, the residents-weighted "
               "mean of whole authorities; it is not available for Sub-ICB locations. Census 2021 ethnic groups: "
               "19 groups by authority (and areas built from authorities); the five high-level groups for ICBs, "
               "Sub-ICB locations and regions, summed from LSOAs."),
        table(f"{len(rows)} area statistics", ["Statistic", "Edition", "Unit", "Where", "What it means", "Caveat",
                                               "ID (edition)"], rows, table_id="about-area-measures"),
    ])


def deprivation_section(atlas, latest: pd.DataFrame) -> list:
    edition_text = f"{edition_shares(latest)} in {atlas.latest_year}; {edition_shares(atlas.practices)} over all years"
    return [
        html.Ul([
            html.Li(["Practice IMD score: the population-weighted Index of Multiple Deprivation score of the "
                     "practice's registered patients, from ", html.Strong("OHID Fingertips indicator 93553"),
                     ". Higher is more deprived."]),
            html.Li(f"Edition: {sources.recorded_vintage(atlas.manifest, 'practice_imd')} where the practice has "
                    "it; otherwise the newest earlier edition (2015, then 2010), kept in the IMD edition column of "
                    "downloads. Editions are not strictly comparable. Share of registered patients by edition: "
                    f"{edition_text}."),
            html.Li("Fifths (quintiles) and tenths (deciles) are national and recomputed for each year: "
                    "practices are ranked by IMD score and cut so that each fifth holds about a fifth of "
                    "registered patients (not a fifth of practices)."),
            html.Li([html.Strong("1 = most deprived"), ", 5 = least deprived (10 for deciles)."]),
            html.Li("Practices with no registered patients or no IMD score have no fifth and are left out of "
                    "charts by deprivation."),
        ]),
    ]


def edition_shares(practices: pd.DataFrame) -> str:
    listed = practices[practices["registered_patients"] > 0]
    patients = listed.groupby(listed["imd_edition"].astype("Float64"), dropna=False)["registered_patients"].sum()
    total = patients.sum()
    return ", ".join(f"{'no score' if pd.isna(edition) else f'IMD {int(edition)}'} {share(count, total)}"
                     for edition, count in patients.sort_index(ascending=False).items())


def areas_section(atlas, latest: pd.DataFrame) -> list:
    quality = latest["location_quality"].astype(str).value_counts()
    practices = len(latest)
    return [
        html.Ul([
            html.Li(["Practices are placed by their postcode using ", html.Strong(
                     f"OS Code-Point Open ({sources.recorded_vintage(atlas.manifest, 'codepoint_open')})"),
                     ". Postcodes created since then are placed at their postcode sector's centroid, "
                     "or failing that the district's, and flagged as approximate (the location accuracy "
                     f"column of downloads). In {atlas.latest_year}: {quality.get('exact', 0):,} of {practices:,} "
                     f"practices exact, {quality.get('sector', 0):,} at a sector centroid, "
                     f"{quality.get('district', 0):,} at a district centroid, {quality.get('none', 0):,} "
                     "not located."]),
            html.Li(f"Local authority (ONS {sources.recorded_vintage(atlas.manifest, 'la_boundaries')} "
                    "boundaries) and Integrated Care Board (ONS "
                    f"{sources.recorded_vintage(atlas.manifest, 'icb_boundaries')} boundaries) by a point-in-polygon spatial join. A point just outside a generalised coastline goes to the "
                    "nearest polygon; the few practices outside every ICB outline take the ICB of their local "
                    "authority."),
            html.Li(f"Sub-ICB locations (ONS {sources.recorded_vintage(atlas.manifest, 'sicbl_boundaries')} "
                    "boundaries: the former CCG areas ICBs report by) by the same point-in-polygon join; each lies "
                    "in one ICB (ONS lookup)."),
            html.Li("Primary care networks (PCNs) are groups of practices, not places: the payments files list "
                    "each practice's PCN from 2019-20, and that list is the PCN filter and the PCN columns of "
                    "downloads. There are no official PCN boundaries, so the Atlas draws none and does not map "
                    "PCNs."),
            html.Li("NHS regions are unions of ICBs (each ICB in the region where the publisher places most of "
                    "its practices), so every level nests."),
            html.Li(["Marmot Places are unions of their member local authorities, compiled by this project "
                     "from public sources, one cited source per place: ",
                     dcc.Link("see the list of Marmot Places", href="/marmot"), "."]),
        ]),
    ]


def where_from(item: dict):
    """A refreshable file's URL, or why the file exists only as the copy the project was given."""
    if item.get("url"):
        return html.Span(["fetchable: ", html.Code(item["url"])])
    if item.get("shipped"):
        return f"shipped copy: {item['shipped']}"
    return "—"


def sources_section(manifest: dict) -> list:
    rows = [[item.get("title", ""), item.get("publisher", ""), item.get("vintage", ""), item.get("licence", ""),
             html.Code(item.get("path", "")), where_from(item), html.Code(item.get("reader", "")) if
             item.get("reader") else "—", f"{item['rows']:,}" if isinstance(item.get("rows"), int) else "—",
             html.Code(str(item.get("sha256", ""))[:12] or "—")]
            for item in manifest.get("inputs", [])]
    built = str(manifest.get("built_at", ""))
    return [
        html.P(f"The processed data was built on {built[:10]} ({built}) from these published files. The "
               "checksum (first 12 characters of SHA-256) identifies the exact file used."),
        html.P(["Every file comes from one declared catalogue (", html.Code("dashboard/data/sources.py"), "): "
                "`python -m dashboard.data fetch` downloads the fetchable ones to the path the build reads, "
                "the others are copies shipped with the raw data, for the reason given."]),
        table(f"{len(rows)} input files", ["Title", "Publisher", "Vintage", "Licence", "File", "Where from",
                                           "Read by", "Rows", "SHA-256"], rows, table_id="about-sources"),
    ]


def caveats_section(atlas, latest: pd.DataFrame, coverage: list[dict]) -> list:
    year = atlas.latest_year
    by_caveat: dict[str, list[str]] = {}
    for metric in REGISTRY.values():
        if metric.caveat:
            by_caveat.setdefault(metric.caveat, []).append(metric.label)
    for item in atlas.manifest.get("inputs", []):
        if item.get("caveat"):
            by_caveat.setdefault(item["caveat"], [])
            if item.get("title") not in by_caveat[item["caveat"]]:
                by_caveat[item["caveat"]].append(item.get("title", ""))
    from_definitions = [html.Li([html.Strong("; ".join(names) + ": "), text]) for text, names in by_caveat.items()]

    unknown = latest[latest["dispensing"].astype(str) == "Unknown"]
    closed = unknown["close_date"].astype(object).fillna("").astype(str).str.strip().isin(["", "-"]).eq(False).sum()
    empty = int((latest["registered_patients"] <= 0).sum())
    general = [
        html.Li(f"Dispensing status is unknown for some practices, mostly ones that closed: {len(unknown):,} in "
                f"{year}, {closed:,} of them with a closing date. Shares of dispensing practices count only "
                "practices with a known status."),
        html.Li("COVID and Primary Care Network (PCN) payments are published only from 2020-21; in earlier "
                "years the 'including COVID and PCN' measures equal the total."),
        html.Li("Life expectancy by practice is a derived estimate from where patients live, not a measured "
                "statistic of the practice." + coverage_phrase(coverage, year, "with_life_expectancy_patients",
                                                               "of patients are at a practice with a value")),
        html.Li(f"Per-patient figures leave out practices with no registered patients (usually closed): "
                f"{empty:,} practices in {year}. Their payments still count in totals."),
        html.Li(f"Code-Point Open ({sources.recorded_vintage(atlas.manifest, 'codepoint_open')}) predates newer "
                "postcodes, so some practices are located approximately." + located_phrase(coverage, year)),
        patients_basis_item(atlas),
    ]
    return [
        html.H3("From the definitions and sources"), html.Ul(from_definitions),
        html.H3("General"), html.Ul(general),
    ]


def patients_basis_item(atlas) -> html.Li:
    """Per year, which kind of patient count the per-patient figures divide by."""
    basis = {year: atlas.patients_basis(year) for year in atlas.years}
    averaged = [year for year, kind in basis.items() if kind == YEAR_AVERAGE]
    last_known = [year for year, kind in basis.items() if kind != YEAR_AVERAGE]
    parts = []
    if last_known:
        parts.append(f"the publisher's last known figure in {span(last_known)}")
    if averaged:
        parts.append(f"the average over the year in {span(averaged)}")
    return html.Li("Registered and weighted patients (and so every per-patient figure) are " + "; ".join(parts)
                   + ". The publisher switched from the first to the second in 2023-24; the two differ a little "
                   "for a practice whose list grew or shrank during the year.", id="about-patients-basis")


def span(years: list[str]) -> str:
    return years[0] if len(years) == 1 else f"{years[0]} to {years[-1]} ({len(years)} years)"


def coverage_record(coverage: list[dict], year: str) -> dict:
    return next((r for r in coverage if r.get("year") == year), {})


def coverage_phrase(coverage: list[dict], year: str, key: str, words: str) -> str:
    value = coverage_record(coverage, year).get(key)
    return f" In {year}, {100 * value:.1f}% {words}." if isinstance(value, int | float) else ""


def located_phrase(coverage: list[dict], year: str) -> str:
    """The share of patients at approximately located practices, from the build's coverage report."""
    shares = {r["year"]: 1 - r["located_exact_patients"] for r in coverage
              if isinstance(r.get("located_exact_patients"), int | float) and r.get("year")}
    if not shares:
        return " (The coverage report is not available.)"
    text = ""
    if year in shares:
        text = f" In {year}, {100 * shares[year]:.1f}% of registered patients are at a practice located only "
        text += "approximately (sector or district centroid) or not at all"
    low, high = min(shares.values()), max(shares.values())
    span = f"{100 * low:.1f}% to {100 * high:.1f}% across {len(shares)} years"
    return (text + f" ({span})." if text else f" Share of patients at approximately located practices: {span}.")


def filter_key_row(atlas, flt) -> list:
    """A filter's URL key, from its declaration (dimensions.FILTERS): a new filter documents itself."""
    if flt.kind == "area":
        codes = atlas.areas_at(flt.level)["code"].head(2).tolist()
        allowed, example = f"comma-separated {LEVEL[flt.level].name} codes, e.g. {', '.join(codes)}", codes[0]
    elif flt.kind == "marmot":
        slugs = atlas.marmot_places.loc[atlas.marmot_places["mapped"], "slug"].tolist()
        allowed, example = "comma-separated slugs: " + ", ".join(slugs), slugs[0] if slugs else "coventry"
    elif flt.kind == "code":
        codes = atlas.practices[flt.column].dropna().astype(str)
        allowed, example = f"comma-separated codes as published ({codes.nunique():,} in all)", codes.iloc[-1]
    else:
        allowed = ", ".join(f"{value} ({label})" if str(value) != label else label for value, label in flt.choices)
        example = flt.choices[0][0]
    return [html.Code(flt.key), f"Filter: {flt.label}. {flt.description}", allowed,
            html.Code(f"{flt.key}={example}"), "all"]


def url_keys_section(atlas) -> list:
    metric_ids = [html.Code(m) for m in REGISTRY]
    metric_list = []
    for index, code in enumerate(metric_ids):
        metric_list += ([", "] if index else []) + [code]
    rows = [
        [html.Code("year"), "Financial year shown", f"{atlas.years[0]} to {atlas.years[-1]}",
         html.Code(f"year={atlas.latest_year}"), f"latest ({atlas.latest_year})"],
        [html.Code("level"), "Map level", ", ".join(f"{level} ({LEVEL[level].name})" for level in LEVELS),
         html.Code("level=icb"), "la"],
        [html.Code("area"), "Area selected on the map (narrows cards, charts and table)",
         "an ONS/NHS code such as E08000026 (local authority), E54000030 (ICB) or E40000007 (NHS region), or "
         "marmot:<slug>", html.Code("area=E08000026"), "none (all of England)"],
        [html.Code("metric"), "Measure on the map", html.Span([*metric_list, "; area statistics: ",
                                                                html.Code("area:<measure>"), " (",
                                                                html.Code("area:imd_score"), ", ",
                                                                html.Code("area:eth_black"), ", …)"]),
         html.Code(f"metric={MAP_DEFAULT}"), MAP_DEFAULT],
        *[filter_key_row(atlas, flt) for flt in FILTERS],
        [html.Code("band"), "Deprivation bands in the charts", ", ".join(BANDS), html.Code("band=decile"),
         "quintile"],
        [html.Code("fifths"), "How the charts' and gap sentence's England-wide bands are formed: equal numbers "
         "of registered patients, or of practices (as the Health Equity Evidence Centre's analyses); also "
         "read by /area/<code> and /compare for each area's own fifths", ", ".join(FIFTHS), html.Code("fifths=practices"),
         "patients"],
        [html.Code("imd"), "Explorer map and compare page: the edition of the area deprivation statistics",
         ", ".join(area_metrics.IMD_EDITIONS), html.Code("/?metric=area:imd_score&imd=2019"),
         area_metrics.DEFAULT_EDITION],
    ]
    example = f"/?year={atlas.latest_year}&level=icb&metric=payments_per_weighted_patient_excl_prescribing" \
              "&dispensing=Yes&quintile=1,2"
    return [
        html.P("The explorer keeps the whole view in its address, so a copied link opens the same view. "
               "Keys left out take their default; list values are comma-separated."),
        table("Query-string keys", ["Key", "What it sets", "Allowed values", "Example", "Default"], rows,
              table_id="about-url-keys"),
        html.P(["Example: ", html.Code(example)]),
        html.P("Unknown or malformed values never break the page: they are ignored, a notice says which, and "
               "the default is used instead."),
    ]

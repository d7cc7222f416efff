"""An area's briefing (PDF) and pack (ZIP): what they hold, built from the same functions as its page.

No Dash and no Flask here: dashboard/jobs.py decides where and when one is built (bounded, cached) and
dashboard/export_routes.py serves them as plain GET downloads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dashboard import briefing, config, downloads, inequality
from dashboard.data import profiles, sources
from dashboard.metrics import REGISTRY


@dataclass(frozen=True)
class Kind:
    """One kind of download: its file extension and media type."""

    extension: str
    mimetype: str
    label: str


KINDS = {
    "briefing": Kind("pdf", "application/pdf", "Download briefing (PDF)"),
    "pack": Kind("zip", "application/zip", "Download pack (ZIP)"),
}

BRIEFING_HEADLINE = ["registered_patients", "payments_per_weighted_patient",
                     "payments_per_weighted_patient_excl_prescribing", "share_patients_dispensing",
                     "practice_imd_score", "life_expectancy_female", "life_expectancy_male"]

# What a briefing credits: the catalogue's short credits for the files the data was built from (its
# manifest), with editions, then the project's own compilation.
MARMOT_CREDIT = "Marmot Places: compiled by Equity Atlas from public sources; full list and methods at /about"


def briefing_sources(manifest: dict) -> list[str]:
    return [*sources.credits(manifest), MARMOT_CREDIT]


def download_path(kind: str, code: str, year: str, fifths: str = "patients") -> str:
    """The link a page gives for a download: plain GET, so it can be shared, cached and retried. It carries the
    page's way of forming fifths, so the briefing states the same comparison as the page it came from."""
    from urllib.parse import quote, urlencode

    query = {"year": year, **({} if fifths == "patients" else {"fifths": fifths})}
    return f"/download/{kind}/{quote(code, safe=':')}.{KINDS[kind].extension}?{urlencode(query)}"


def briefing_materials(atlas, code: str, year: str, fifths: str = "patients") -> dict:
    """Everything a briefing or pack holds, computed from the same functions as the page."""
    from dashboard.figures import print_charts

    data = profiles.profile(atlas, code, year)
    practices = profiles.area_practices(atlas, code, year)
    pay_table, le_table = profiles.gradient_tables(atlas, practices, year, fifths)
    trend = profiles.trend(atlas, code)
    level = data["level"]
    geo = atlas.folder / "geo" / f"{'region' if level == 'country' else level}.geojson"
    where = f"{data['name']}, {year}"
    charts = {
        "map": print_charts.area_map(geo, code, practices, f"{data['name']}: practices", where),
        "payments-by-deprivation": print_charts.quintile_bars(
            pay_table, "payments_per_weighted_patient", "Payments per weighted patient by deprivation fifth",
            f"{where}. Fifths of the area's own patients, by the deprivation of their practice."),
        "life-expectancy-by-deprivation": print_charts.quintile_bars(
            le_table, "life_expectancy_female", "Female life expectancy by deprivation fifth",
            f"{where}. Fifths of the area's own patients, by the deprivation of their practice."),
        "trend": print_charts.trend_lines(trend, data["name"], "payments_per_weighted_patient",
                                          "Payments per weighted patient, every year",
                                          f"{data['name']} against England, {trend['year'].iloc[0]} to "
                                          f"{trend['year'].iloc[-1]}, cash terms" if len(trend) else data["name"]),
    }
    rows = [(REGISTRY[m].label, REGISTRY[m].format(data["values"][m]), REGISTRY[m].format(data["england"][m]))
            for m in BRIEFING_HEADLINE]
    sentences = briefing.briefing_sentences(
        data["name"], year, data["values"], data["england"], profiles.payment_gap(practices, data["name"], fifths),
        versus_england=inequality.against_reference(practices, briefing.PAYMENT, atlas.england_sums(year),
                                                    data["name"]))
    pdf = briefing.briefing_pdf(
        area_name=data["name"], area_code=code, year=year, headline_rows=rows, sentences=sentences,
        chart_pngs=[("Payments per weighted patient by deprivation fifth of the area's patients",
                     charts["payments-by-deprivation"][0]),
                    ("Payments per weighted patient every year, against England", charts["trend"][0])],
        map_png=charts["map"][0], sources=briefing_sources(atlas.manifest), attribution=config.OGL_ATTRIBUTION,
        made_on=date.today())
    provenance = downloads.provenance_lines(
        [f"Area: {data['name']} ({code})", f"Year: {year}"], datetime.now(), atlas.manifest)
    table = downloads.practice_table(atlas, practices)
    columns = [(c, h) for c, h in downloads.PRACTICE_COLUMNS if c in table.columns]
    fifth = "Deprivation fifth of the area's patients (1 = most deprived)"
    pay_header, pay_places = downloads.measure_header("payments_per_weighted_patient")
    le_header, le_places = downloads.measure_header("life_expectancy_female")
    trend_header, trend_places = downloads.measure_header("payments_per_weighted_patient", "cash terms")

    def bands(table, header, places):
        return downloads.labelled(table, [
            ("band", fifth, "count"), ("group", "Practices counted", None), ("practices", "Practices", "count"),
            ("registered_patients", "Registered patients", "count"), ("value", header, places)])

    csvs = {
        "practices.csv": downloads.practices_csv(table, columns, provenance),
        "payments-by-deprivation.csv": downloads.table_csv(bands(pay_table, pay_header, pay_places), provenance),
        "life-expectancy-by-deprivation.csv": downloads.table_csv(bands(le_table, le_header, le_places), provenance),
        "trend.csv": downloads.table_csv(downloads.labelled(trend, [
            ("year", "Year", None), ("area", f"{data['name']}: {trend_header}", trend_places),
            ("england", f"England: {trend_header}", trend_places)]), provenance),
        # The place itself: IMD 2025 and 2019 with their ranks, and Census 2021 ethnic groups (residents).
        "area-statistics.csv": downloads.table_csv(profiles.lens_download(atlas, code), provenance),
    }
    return {"data": data, "pdf": pdf, "charts": charts, "csvs": csvs, "sentences": sentences}


def filename(atlas, kind: str, code: str, year: str) -> str:
    name = atlas.area(code)["name"]
    return downloads.safe_filename(f"equity-atlas-{name}-{year}-{kind}", KINDS[kind].extension)


def build(atlas, kind: str, code: str, year: str, fifths: str = "patients") -> bytes:
    """The file's bytes. Callers have checked kind, code, year and fifths against the Atlas."""
    materials = briefing_materials(atlas, code, year, fifths)
    if kind == "briefing":
        return materials["pdf"]
    name = materials["data"]["name"]
    readme_files = [("briefing.pdf", "one- or two-page briefing")]
    readme_files += [(f"{k}.png", "chart") for k in materials["charts"]]
    readme_files += [(f"{k}.svg", "chart, scalable") for k in materials["charts"]]
    readme_files += [(k, "data behind the charts, with sources in its header") for k in materials["csvs"]]
    readme = briefing.pack_readme(
        name, year, readme_files, config.OGL_ATTRIBUTION,
        f"Equity Atlas ({year} data), {name} briefing pack, made {date.today():%d %B %Y}. "
        "Data: NHS England, OHID, ONS, MHCLG; Open Government Licence v3.0.")
    return briefing.pack_zip(pdf=materials["pdf"], pngs={k: v[0] for k, v in materials["charts"].items()},
                             svgs={k: v[1] for k, v in materials["charts"].items()}, csvs=materials["csvs"],
                             readme=readme)

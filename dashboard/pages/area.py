"""/area/<code>: one place's funding, deprivation and life expectancy, its inequalities and its trend."""

from __future__ import annotations

import math
from urllib.parse import parse_qs

import dash_ag_grid as dag
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import area_metrics, boundary, inequality
from dashboard.cache import bytes_cache
from dashboard.components.headline import patients_basis_note
from dashboard.components.notice import missing
from dashboard.components.spine import spine_section
from dashboard.data import profiles, sources
from dashboard.data.query import load_atlas
from dashboard.dimensions import GEO_LEVELS, LEVEL, MAP_LEVELS
from dashboard.exports import KINDS, download_path
from dashboard.figures import deprivation as deprivation_figures
from dashboard.figures import profile as profile_figures
from dashboard.metrics import REGISTRY, denominator_definition, format_value
from dashboard.pages import route
from dashboard.state import shorten

GEO_FILE = {level: f"/geo/{level}.geojson" for level in GEO_LEVELS}
HEADLINE = [
    ("practices", "Practices"), ("registered_patients", "Registered patients"),
    ("payments_per_registered_patient", None), ("payments_per_weighted_patient", None),
    ("payments_per_registered_patient_excl_prescribing", None),
    ("payments_per_weighted_patient_excl_prescribing", None), ("share_patients_dispensing", None),
    ("practice_imd_score", None), ("life_expectancy_female", "Life expectancy, female (practice estimate)"),
    ("life_expectancy_male", "Life expectancy, male (practice estimate)"),
]
GRAPH_CONFIG = {"displaylogo": False, "responsive": True}


def requested_year(search: str, atlas) -> tuple[str, str | None]:
    year = (parse_qs((search or "").lstrip("?")).get("year") or [""])[-1]
    if not year:
        return atlas.latest_year, None
    if year in atlas.years:
        return year, None
    return atlas.latest_year, f"There is no data for the year “{shorten(year)}”; showing {atlas.latest_year}."


def requested_fifths(search: str) -> tuple[str, str | None]:
    """`?fifths=practices` forms the area's fifths from equal numbers of practices (as the Health Equity Evidence
    Centre does) instead of patients; the chart and the sentence both follow it, as in the explorer."""
    from dashboard.state import FIFTHS

    fifths = (parse_qs((search or "").lstrip("?")).get("fifths") or [""])[-1]
    if not fifths or fifths in FIFTHS:
        return fifths or FIFTHS[0], None
    return FIFTHS[0], (f"“{shorten(fifths)}” is not a way of forming deprivation fifths (use patients or "
                       "practices); showing fifths of patients.")


def page_query(year: str, fifths: str) -> str:
    return f"?year={year}" + ("" if fifths == "patients" else f"&fifths={fifths}")


def no_such_area(code: str) -> html.Div:
    return missing("No such area", "area", code, "Codes look like E08000026 (a local authority), E54000030 (an "
                   "ICB), E40000007 (an NHS region) or marmot:coventry.", "area-missing")


@route("/area/<code>", "Area profile · Equity Atlas")
def layout(search: str = "", code: str = "", **_params):
    atlas = load_atlas()
    if atlas.area(code) is None:
        return no_such_area(code)
    year, problem = requested_year(search, atlas)
    fifths, fifths_problem = requested_fifths(search)
    problems = [p for p in (problem, fifths_problem) if p]
    return html.Div(className="area-page", children=[
        dcc.Location(id="area-url", refresh="callback-nav"),
        dcc.Store(id="area-code", data=code),
        html.Div(id="area-notice", role="status",
                 children=[html.Div(p, className="notice") for p in problems] if problems else None),
        html.Div(className="area-head", children=[
            html.H1(atlas.area(code)["name"], id="area-name"),
            html.Div(className="control", children=[
                html.Label("Year", htmlFor="area-year", className="control-label"),
                dcc.Dropdown(id="area-year", options=[{"label": y, "value": y} for y in reversed(atlas.years)],
                             value=year, clearable=False, searchable=False, style={"width": "10rem"}),
            ]),
        ]),
        html.Div(className="area-actions", children=[
            # Plain links: a download can be shared, retried and cached, and no job runs on the page.
            *[html.A(kind.label, id=f"area-{name}", href=download_path(name, code, year, fifths),
                     className="button" if name == "briefing" else "button button-secondary")
              for name, kind in KINDS.items()],
            dcc.Link("Compare with another area", href=f"/compare?areas={code}", className="button-link"),
            dcc.Link("Open on the map", href=map_link(atlas, code), className="button-link"),
        ]),
        html.Div(id="area-body", children=area_body(atlas, code, year, fifths)),
    ])


def map_link(atlas, code: str) -> str:
    """The explorer showing this same place: a Marmot Place is a filter there (its member authorities), not an
    area one clicks, so it goes as ?marmot=<slug> rather than being dropped."""
    level = atlas.area(code)["level"]
    if level in MAP_LEVELS:  # the map drawn at the area's own level, with the area picked
        return f"/?area={code}" if level == "la" else f"/?level={level}&area={code}"
    if code.startswith("marmot:"):
        return f"/?marmot={code.removeprefix('marmot:')}"
    return "/"


def area_body(atlas, code: str, year: str, fifths: str = "patients") -> list:
    return cached_body(atlas, code, year, fifths)


@bytes_cache("area_pages", pickled=True)
def cached_body(atlas, code: str, year: str, fifths: str = "patients") -> list:
    """An area's page for a year (and way of forming fifths) never changes while the process runs: build it
    once."""
    data = profiles.profile(atlas, code, year)
    practices = profiles.area_practices(atlas, code, year)
    area = atlas.area(code)
    bounds = (area["min_lon"], area["min_lat"], area["max_lon"], area["max_lat"])
    rank = profiles.rank_among_peers(atlas, code, year)
    pay_table, le_table = profiles.gradient_tables(atlas, practices, year, fifths)
    trend = profiles.trend(atlas, code)
    gap = profiles.payment_gap(practices, data["name"], fifths)
    life_gap = profiles.payment_gap(practices, data["name"], fifths, "life_expectancy_female")
    basis = inequality.basis_text("area", fifths, 5, data["name"])
    other = "practices" if fifths == "patients" else "patients"
    slopes = inequality_stats(practices, data["name"])
    return [
        html.P(f"{data['level_name'].capitalize()}, {year}. "
               + (f"Ranked {rank[0]} of {rank[1]} {LEVEL[data['level']].plural} by payments per weighted patient "
                  "(1 = highest)." if rank else ""), className="lede"),
        *patients_basis_note(atlas, year),
        html.Section(**{"aria-labelledby": "area-headline-title"}, children=[
            html.H2("Headline figures", id="area-headline-title"),
            headline_table(data),
            official_table(data, sources.recorded_vintage(atlas.manifest, "la_imd"), imd=False),
        ]),
        spine_section(atlas, code, year, practices),  # against England, Fingertips-style (components/spine.py)
        deprivation_section(atlas, code, data["name"]),
        ethnicity_section(atlas, code, data["name"]),
        html.Section(className="area-map", **{"aria-labelledby": "area-map-title"}, children=[
            html.H2("Where its practices are", id="area-map-title"),
            dcc.Graph(id="area-map", figure=(fig := area_figure(atlas, code, area, bounds, practices, data["name"])),
                      config=GRAPH_CONFIG),
            html.P(fig.layout.meta["alt"], className="chart-alt"),
        ]),
        html.Section(**{"aria-labelledby": "area-inequality-title"}, children=[
            html.H2(f"Inequality inside {data['name']}", id="area-inequality-title"),
            html.P([
                f"Practices are ranked by the deprivation of their patients (IMD score) and split into {basis} "
                f"(each holding the same number of {fifths}); fifth 1 is the most deprived. ",
                dcc.Link(f"Use fifths of {other} instead", href=f"/area/{data['code']}{page_query(year, other)}",
                         id="area-fifths-link")], className="control-hint", id="area-fifths-hint"),
            html.P(inequality.sentence(gap), className="gap-sentence", id="area-gap"),
            html.P(denominator_definition("payments_per_weighted_patient"), className="control-hint"),
            html.Div(className="charts", children=[
                chart("area-chart-pay", f"Payments per weighted patient by {basis}",
                      deprivation_figures.deprivation_bars(pay_table, band_label="quintile",
                                                           sentence=inequality.sentence(gap), basis=basis)),
                chart("area-chart-le", f"Life expectancy (female) by {basis}",
                      deprivation_figures.deprivation_bars(le_table, band_label="quintile",
                                                           metric_id="life_expectancy_female",
                                                           sentence=inequality.sentence(life_gap), basis=basis)),
            ]),
            slopes,
        ]),
        html.Section(**{"aria-labelledby": "area-trend-title"}, children=[
            html.H2("Every year, against England", id="area-trend-title"),
            chart("area-chart-trend", "Payments per weighted patient (cash terms)",
                  profile_figures.area_trend(trend, data["name"], "payments_per_weighted_patient")),
        ]),
        html.Section(**{"aria-labelledby": "area-practices-title"}, children=[
            html.H2(f"Its {len(practices):,} practices in {year}", id="area-practices-title"),
            practice_grid(atlas, practices),
        ]),
    ]


def area_figure(atlas, code, area, bounds, practices, name):
    """England is drawn as its regions, without 6,669 dots: the explorer is the place for those."""
    if area["level"] == "country":
        regions = atlas.areas.loc[atlas.areas["level"] == "region", "code"].tolist()
        return profile_figures.area_map(regions, "/geo/region.geojson", bounds, practices.iloc[0:0], name)
    return profile_figures.area_map(code, GEO_FILE[area["level"]], bounds, practices, name)


def chart(chart_id: str, title: str, figure) -> html.Div:
    alt = figure.layout.meta.get("alt", "") if isinstance(figure.layout.meta, dict) else ""
    return html.Div(className="chart-block", children=[
        html.H3(title), html.P(alt, className="chart-alt"),
        dcc.Graph(id=chart_id, figure=figure, config=GRAPH_CONFIG, style={"height": "380px"}),
    ])


def compare_cell(value, reference, metric) -> str:
    if value is None or reference is None or not math.isfinite(value) or not math.isfinite(reference):
        return ""
    diff = value - reference
    if metric.unit in ("count", "£"):
        return ""
    return f"{'+' if diff >= 0 else '−'}{format_value(abs(diff), metric.unit, metric.decimals)}"


def headline_table(data: dict) -> html.Table:
    region = data["region"]
    header = [html.Th("Measure", scope="col"), html.Th(data["name"], scope="col")]
    if region:
        header.append(html.Th(region["name"], scope="col"))
    header += [html.Th("England", scope="col"), html.Th(f"{data['name']} minus England", scope="col")]
    rows = []
    for metric_id, label in HEADLINE:
        metric = REGISTRY[metric_id]
        value, england = data["values"][metric_id], data["england"][metric_id]
        cells = [html.Th(label or metric.label, scope="row"), html.Td(metric.format(value))]
        if region:
            cells.append(html.Td(metric.format(region["values"][metric_id])))
        cells += [html.Td(metric.format(england)), html.Td(compare_cell(value, england, metric))]
        rows.append(html.Tr(cells))
    return html.Table(className="data-table", id="area-headline", children=[
        html.Caption(f"{data['name']} against {region['name'] + ' and ' if region else ''}England, {data['year']}"),
        html.Thead(html.Tr(header)), html.Tbody(rows)])


def official_table(data: dict, edition: str, imd: bool = True) -> html.Table | None:
    """Published statistics for the area itself, with their own periods (``edition``: the deprivation
    edition the data was built from, as its manifest records it).

    ``imd=False`` leaves deprivation to the page's own section (IMD 2025 beside IMD 2019, one aggregation
    rule per edition), so a page never shows two IMD 2019 scores for one area made two ways.
    """
    official, england = data["official"], data["england_official"]
    rows = []
    if imd and official.get("imd_score") is not None and not (isinstance(official["imd_score"], float)
                                                      and math.isnan(official["imd_score"])):
        rank = official.get("imd_rank")
        rank_text = "" if rank is None or pd.isna(rank) else f"; rank {int(rank)} of {int(official['imd_rank_of'])}"
        rows.append(html.Tr([html.Th(f"{edition} average score (higher = more deprived)", scope="row"),
                             html.Td(f"{official['imd_score']:.1f}{rank_text}"),
                             html.Td(f"{england['imd_score']:.1f}" if england.get("imd_score") else ""),
                             html.Td(official.get("imd_method") or "")]))
    labels = {"life_expectancy": "Life expectancy at birth", "healthy_life_expectancy": "Healthy life expectancy",
              "life_expectancy_sii": "Inequality in life expectancy within the area (slope index, years)"}
    for indicator, label in labels.items():
        for sex in ("female", "male"):
            item = official.get(f"{indicator}_{sex}")
            if not item:
                continue
            reference = england.get(f"{indicator}_{sex}")
            gap = f" ({item['value'] - reference['value']:+.1f} vs England)" if reference and indicator != \
                "life_expectancy_sii" else ""
            rows.append(html.Tr([html.Th(f"{label}, {sex}", scope="row"), html.Td(f"{item['value']:.1f}{gap}"),
                                 html.Td(f"{reference['value']:.1f}" if reference else ""),
                                 html.Td(f"OHID Fingertips, {item['period']}")]))
    if not rows:
        return html.P("Published life expectancy figures exist for local authorities only; the figures above are "
                      "built from the area's practices (deprivation of the place itself is below).",
                      className="control-hint")
    return html.Table(className="data-table", id="area-official", children=[
        html.Caption("Published statistics for the area"),
        html.Thead(html.Tr([html.Th("Measure", scope="col"), html.Th(data["name"], scope="col"),
                            html.Th("England", scope="col"), html.Th("Source and period", scope="col")])),
        html.Tbody(rows)])


def deprivation_section(atlas, code: str, name: str) -> html.Section | None:
    """IMD 2025 beside IMD 2019 for the place itself, each ranked only within its own edition.

    Practice-level deprivation above (the practices' patients, OHID, IMD 2019 and earlier) is a different
    measure from this one (everyone living in the area), so the two are kept apart and both say which.
    """
    table = profiles.lens_table(atlas, code, ("deprivation", "deprivation change"))
    if table.empty:
        return None
    editions = [e for e in ("2025", "2019") if (table["edition"] == e).any()]
    heads = {e: table.loc[table["edition"] == e, "edition_text"].iloc[0] for e in editions}
    by_key = {(r.measure, r.edition): r for r in table.itertuples()}
    rows = []
    for measure in [m for m in dict.fromkeys(table["measure"]) if (m, "2019-2025") not in by_key or m == "imd_score"]:
        if not any((measure, e) in by_key for e in editions):
            continue
        first = next(by_key[(measure, e)] for e in editions if (measure, e) in by_key)
        cells = [html.Th(first.label, scope="row")]
        for edition in editions:
            row = by_key.get((measure, edition))
            cells.append(html.Td("" if row is None else row.shown + (f"; {row.rank_text}" if row.rank_text else "")))
        cells.append(html.Td(" / ".join(by_key[(measure, e)].england_shown for e in editions
                                        if (measure, e) in by_key and by_key[(measure, e)].england_shown)))
        rows.append(html.Tr(cells))
    change = [f"{r.label}: {r.shown}" for r in table.itertuples() if r.edition == "2019-2025"]
    methods = sorted(set(table["method"]))
    return html.Section(className="area-lens", **{"aria-labelledby": "area-deprivation-title"}, children=[
        html.H2(f"Deprivation of the area: {' and '.join(heads.values())}", id="area-deprivation-title"),
        html.P(f"English Indices of Deprivation for everyone living in {name}, not for its practices' patients "
               "(the practice figures above use OHID's practice scores, IMD 2019 and earlier). Rank 1 is the most "
               "deprived; each edition is ranked on its own, never the two together.", className="control-hint"),
        html.Table(className="data-table", id="area-deprivation", children=[
            html.Caption(f"{name}: deprivation by edition"),
            html.Thead(html.Tr([html.Th("Measure", scope="col"), *[html.Th(heads[e], scope="col") for e in editions],
                                html.Th("England", scope="col")])),
            html.Tbody(rows)]),
        html.P(f"Change from {heads.get('2019', 'IMD 2019')} to {heads.get('2025', 'IMD 2025')}: " + "; ".join(change)
               + ". " + area_metrics.IMD_NOT_OVER_TIME, id="area-deprivation-change") if change else None,
        None if "2019" in editions else html.P(
            "IMD 2019 is not shown for this area: the 2019 small-area data held here have ranks but no scores, so "
            "IMD 2019 exists only for local authorities and areas built from whole authorities.",
            className="control-hint"),
        html.P("How: " + "; ".join(methods) + ". Source: Ministry of Housing, Communities and Local Government, "
               "English Indices of Deprivation (Open Government Licence v3.0).", className="control-hint"),
    ])


def ethnicity_section(atlas, code: str, name: str) -> html.Section | None:
    """Who lives in the area (Census 2021), beside its deprivation and funding, with its limits said where
    the numbers are: residents, not practice lists; no practice-level ethnicity; disclosure-control noise."""
    table = profiles.lens_table(atlas, code, ("ethnicity", "ethnicity detail"))
    shares = table[table["unit"] == "%"]
    if shares.empty:
        return None
    residents = table.loc[table["measure"] == "residents", "shown"]
    edition = table["edition_text"].iloc[0]
    rows = [html.Tr([html.Th(r.label.removesuffix(": share of residents"), scope="row",
                             className="detail" if r.group == "ethnicity detail" else None),
                     html.Td(r.shown), html.Td(r.england_shown)]) for r in shares.itertuples()]
    detail = (shares["group"] == "ethnicity detail").any()
    return html.Section(className="area-lens", **{"aria-labelledby": "area-ethnicity-title"}, children=[
        html.H2(f"Who lives here: ethnic group ({edition})", id="area-ethnicity-title"),
        html.P(f"{residents.iloc[0]} usual residents. " if len(residents) else "", className="lede"),
        html.P(area_metrics.RESIDENTS_NOT_PATIENTS, className="notice", id="area-ethnicity-limits"),
        html.Table(className="data-table", id="area-ethnicity", children=[
            html.Caption(f"{name}: share of usual residents by ethnic group, {edition}"),
            html.Thead(html.Tr([html.Th("Ethnic group", scope="col"), html.Th(name, scope="col"),
                                html.Th("England", scope="col")])),
            html.Tbody(rows)]),
        html.P(("The 19 detailed groups are published by local authority; " if detail else
                "Only the five high-level groups are published for small areas, so this area (built from them) has "
                "no detailed groups; ") + "; ".join(sorted(set(shares["method"]))) + ". Source: Office for National "
               "Statistics, Census 2021, table TS021 Ethnic group (Open Government Licence v3.0).",
               className="control-hint"),
    ])


def inequality_stats(practices, area_name: str) -> html.Div:
    """Slope and relative index of inequality from the engine, so the table and its sentences cannot disagree
    with the gap sentence above them (same interval rule, same formatting, same small-number rule)."""
    rows, sentences = [], []
    for metric_id, label in (("payments_per_weighted_patient", "Payments per weighted patient"),
                             ("life_expectancy_female", "Life expectancy, female"),
                             ("life_expectancy_male", "Life expectancy, male")):
        result = inequality.slope_index(practices, metric_id, area_name)
        sentences.append(html.Li(inequality.sentence(result)))
        if result.certainty not in ("clear", "not clear"):
            rows.append(html.Tr([html.Th(label, scope="row"),
                                 html.Td("Too few practices" if result.certainty == "too small" else "No data",
                                         colSpan=3), html.Td(f"{result.practices:,}")]))
            continue
        metric = REGISTRY[metric_id]
        rows.append(html.Tr([
            html.Th(label, scope="row"),
            html.Td(f"{metric.format(result.estimate)} (95% CI {metric.format(result.low)} to "
                    f"{metric.format(result.high)})"),
            html.Td(f"{format_value(result.relative, 'score', 3)} ({format_value(result.relative_low, 'score', 3)} to "
                    f"{format_value(result.relative_high, 'score', 3)})"),
            html.Td("Yes" if result.is_clear else "No: the interval includes zero"),
            html.Td(f"{result.practices:,}"),
        ]))
    return html.Div(children=[
        html.Table(className="data-table", id="area-sii", children=[
            html.Caption("Slope and relative index of inequality across the area's practices"),
            html.Thead(html.Tr([html.Th("Measure", scope="col"), html.Th("Slope index (SII)", scope="col"),
                                html.Th("Relative index (RII)", scope="col"),
                                html.Th("Clear difference?", scope="col"), html.Th("Practices", scope="col")])),
            html.Tbody(rows)]),
        html.Ul(sentences, className="sii-sentences", id="area-sii-sentences"),
        html.Details([html.Summary("How these are computed"),
                      *[html.P(paragraph) for paragraph in inequality.METHODS.split("\n\n")]]),
    ])


def practice_grid(atlas, practices) -> dag.AgGrid:
    from dashboard.downloads import practice_table

    table = practice_table(atlas, practices)
    columns = [{"field": "practice_code", "headerName": "Code"}, {"field": "practice_name", "headerName": "Practice", "flex": 2, "minWidth": 220,
                                                                 "cellRenderer": "PracticeLink"},  # its page
               {"field": "postcode", "headerName": "Postcode"},
               # the publisher's PCN list (from 2019-20): PCNs are groups of practices with no official boundary
               {"field": "pcn_name", "headerName": "Primary care network", "minWidth": 180},
               {"field": "dispensing", "headerName": "Dispensing"},
               {"field": "registered_patients", "headerName": "Registered patients", "type": "numericColumn",
                "valueFormatter": {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}},
               {"field": "payments_per_weighted_patient", "headerName": "£ per weighted patient",
                "type": "numericColumn", "valueFormatter": {"function": "params.value == null ? '' : '£' + "
                                                                         "d3.format(',.2f')(params.value)"}},
               {"field": "imd_quintile", "headerName": "Deprivation fifth (1 = most)", "type": "numericColumn"}]
    return dag.AgGrid(id="area-table", rowData=table.to_dict("records"), columnDefs=columns,
                      defaultColDef={"sortable": True, "filter": True, "resizable": True},
                      dashGridOptions={"pagination": True, "paginationPageSize": 20,
                                       "paginationPageSizeSelector": False},
                      style={"height": "480px"})


@boundary.accepts({"area-year.value": boundary.one_of(boundary.years), "area-code.data": boundary.area_code,
                   "area-url.search": boundary.query})
@callback(Output("area-body", "children"), Output("area-url", "search"),
          *[Output(f"area-{name}", "href") for name in KINDS],
          Input("area-year", "value"), State("area-code", "data"), State("area-url", "search"),
          prevent_initial_call=True)
def change_year(year, code, search=None):
    """A new year keeps the page's way of forming fifths (`?fifths=`), in the body and in the link."""
    atlas = load_atlas()
    if year not in atlas.years or atlas.area(code) is None:
        return (no_update,) * (2 + len(KINDS))
    fifths, _ = requested_fifths(search)
    return (area_body(atlas, code, year, fifths), page_query(year, fifths),
            *[download_path(name, code, year, fifths) for name in KINDS])

"""/fairness: which areas get least for their deprivation, and whether dispensing explains the gap.

Why a page of its own: the explorer maps money and the area pages describe one place, but a policymaker's
question is relative ("less than expected for how deprived it is?") and needs every area at once on one
line. The numbers come from data/fairness.py and their words from inequality.py; this module only lays
them out and keeps the URL (level, year, measure, place) in step so a link reopens the same view.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import dash_ag_grid as dag
from dash import Input, Output, callback, dcc, html, no_update

from dashboard import area_metrics, boundary, inequality
from dashboard.data import fairness
from dashboard.data.query import load_atlas
from dashboard.dimensions import LEVEL
from dashboard.figures import fairness as figures
from dashboard.metrics import REGISTRY
from dashboard.pages import route
from dashboard.state import shorten

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
PLACE_LEVELS = ("region", "icb", "la")  # where the dispensing comparison can be repeated
ENGLAND = "england"
MONEY = {"function": "params.value == null ? '' : (params.value < 0 ? '−£' : '£') + "
                     "d3.format(',.2f')(Math.abs(params.value))"}
SIGNED_MONEY = {"function": "params.value == null ? '' : (params.value < 0 ? '−£' : '+£') + "
                            "d3.format(',.2f')(Math.abs(params.value))"}


def places(atlas) -> list[dict]:
    options = [{"label": "England only", "value": ENGLAND}]
    for level in PLACE_LEVELS:
        options += [{"label": f"{name} ({LEVEL[level].name})", "value": code}
                    for code, name in atlas.areas_at(level)[["code", "name"]].itertuples(index=False)]
    return options


def _place_codes() -> set[str]:
    atlas = load_atlas()
    return {ENGLAND, *atlas.areas.loc[atlas.areas["level"].isin(PLACE_LEVELS), "code"]}


def parse_view(search: str, atlas) -> tuple[dict, list[str]]:
    """The view a URL asks for, each key checked against what exists; a bad value falls back to the default
    and is named in a notice, so a mistyped link still opens a page that says what it shows instead."""
    query = parse_qs((search or "").lstrip("?"))
    view = {"level": fairness.DEFAULT_LEVEL, "year": atlas.latest_year, "measure": fairness.MEASURES[0],
            "place": ENGLAND}
    allowed = {"level": set(fairness.LEVELS), "year": set(atlas.years), "measure": set(fairness.MEASURES),
               "place": _place_codes()}
    problems = []
    for key, default in list(view.items()):
        raw = (query.get(key) or [""])[-1]
        if not raw:
            continue
        if raw in allowed[key]:
            view[key] = raw
        else:
            problems.append(f"There is no {key} “{shorten(raw)}” here; showing {describe(key, default, atlas)}.")
    return view, problems


def describe(key: str, value: str, atlas) -> str:
    if key == "level":
        return LEVEL[value].plural
    if key == "measure":
        return REGISTRY[value].label.lower()
    if key == "place":
        return "England only" if value == ENGLAND else atlas.area(value)["name"]
    return value


def search_of(view: dict) -> str:
    return "?" + urlencode({k: view[k] for k in ("level", "year", "measure", "place") if view.get(k)})


@route("/fairness", "Funding against deprivation by area · Equity Atlas")
def layout(search: str = "", **_params):
    atlas = load_atlas()
    view, problems = parse_view(search, atlas)
    return html.Div(className="fairness-page", children=[
        dcc.Location(id="fair-url", refresh="callback-nav"),
        html.H1("Funding against deprivation by area"),
        html.P("Which areas get least for their deprivation? Each area's money per patient is set beside the value "
               "expected for an area as deprived as it is, from a line through all areas at the same level.",
               className="lede"),
        html.Div(id="fair-notice", role="status",
                 children=[html.Div(p, className="notice") for p in problems] or None),
        html.Div(className="filters fairness-controls", children=[
            html.Fieldset(className="control", children=[
                html.Legend("Areas", className="control-label"),
                dcc.RadioItems(id="fair-level", value=view["level"], className="radio", inputClassName="radio-input",
                               labelClassName="radio-label",
                               options=[{"label": LEVEL[level].title, "value": level} for level in fairness.LEVELS]),
            ]),
            html.Div(className="control", children=[
                html.Label("Year", htmlFor="fair-year", className="control-label"),
                dcc.Dropdown(id="fair-year", options=[{"label": y, "value": y} for y in reversed(atlas.years)],
                             value=view["year"], clearable=False, searchable=False, style={"width": "10rem"}),
            ]),
            html.Fieldset(className="control", children=[
                html.Legend("Measure", className="control-label"),
                dcc.RadioItems(id="fair-measure", value=view["measure"], className="radio",
                               inputClassName="radio-input", labelClassName="radio-label",
                               options=[{"label": REGISTRY[m].label, "value": m} for m in fairness.MEASURES]),
            ]),
        ]),
        html.Div(id="fair-body", children=body(atlas, view)),
        html.Section(className="fairness-dispensing", **{"aria-labelledby": "fair-dispensing-title"}, children=[
            html.H2("Dispensing practices, like for like", id="fair-dispensing-title"),
            html.P("The Health Equity Evidence Centre argue that the gap between deprivation fifths is driven by "
                   "dispensing practices, which are mostly rural and in affluent areas and are also paid for "
                   "supplying medicines. Here dispensing practices are compared only with non-dispensing practices "
                   "of the same rurality and deprivation fifth, with and without that money.",
                   className="control-hint"),
            html.Div(className="control", children=[
                html.Label("Also show a region, ICB or local authority", htmlFor="fair-place",
                           className="control-label"),
                dcc.Dropdown(id="fair-place", options=places(atlas), value=view["place"], clearable=False,
                             style={"maxWidth": "32rem"}),
            ]),
            html.Div(id="fair-dispensing", children=dispensing_body(atlas, view)),
        ]),
        html.Section(className="fairness-method", **{"aria-labelledby": "fair-method-title"}, children=[
            html.H2("How this is worked out, and its limits", id="fair-method-title"),
            *[html.P(paragraph) for paragraph in fairness.method_text().split("\n\n")],
            html.P(inequality.STANDARDISED_METHOD),
            html.P(inequality.SMALL_NUMBER_RULE),
        ]),
    ])


def body(atlas, view: dict) -> list:
    level, year, measure = view["level"], view["year"], view["measure"]
    metric = REGISTRY[measure]
    table, fit, reason = fairness.area_table(atlas, level, year, measure)
    edition = fairness.imd_edition()
    scatter = figures.area_scatter(table, fit, measure, year, level, edition)
    area_map = figures.difference_map(table, measure, year, level, f"/geo/{level}.geojson")
    plural = LEVEL[level].plural
    return [
        html.P(fairness.summary(table, fit, reason, level, measure), id="fair-summary", className="gap-sentence"),
        html.Div(className="charts", children=[
            html.Section(className="chart-block", **{"aria-labelledby": "fair-scatter-title"}, children=[
                html.H2(f"{metric.label} against deprivation, {plural}, {year}", id="fair-scatter-title"),
                html.P(scatter.layout.meta["alt"], className="chart-alt"),
                dcc.Graph(id="fair-scatter", figure=scatter, config=GRAPH_CONFIG, style={"height": "460px"}),
            ]),
            html.Section(className="chart-block", **{"aria-labelledby": "fair-map-title"}, children=[
                html.H2(f"Difference from the value expected for its deprivation, {year}", id="fair-map-title"),
                html.P(area_map.layout.meta["alt"], className="chart-alt"),
                dcc.Graph(id="fair-map", figure=area_map, config=GRAPH_CONFIG, style={"height": "520px"}),
            ]),
        ]),
        minority_section(atlas, table, level, year, measure),
        html.Section(**{"aria-labelledby": "fair-table-title"}, children=[
            html.H2(f"Every {LEVEL[level].name}, ranked from furthest below expected", id="fair-table-title"),
            html.P(["Click a column heading to sort. ",
                    html.A("Download this table (CSV, with sources and licence)", id="fair-csv",
                           href=fairness.csv_path(level, year, measure), className="button button-secondary")]),
            grid(table, metric, edition),
        ]),
    ]


MINORITY_CAVEAT = ("Areas with more residents in ethnic groups other than White are also, on average, more urban and "
                   "more deprived: this line describes how funding and ethnic make-up go together across areas and "
                   "does not separate them. ")


def minority_section(atlas, table, level: str, year: str, measure: str) -> html.Section:
    """Funding against the share of residents in ethnic groups other than White, in the same areas: a line,
    and the measure in fifths of areas by that share, with the limits of residents' figures stated."""
    fit, reason = fairness.minority_fit(table)
    scatter = figures.share_scatter(table, fit, measure, year, level)
    bands = fairness.minority_bands(atlas, level, year, measure, table)
    metric = REGISTRY[measure]
    plural = LEVEL[level].plural
    return html.Section(className="chart-block", **{"aria-labelledby": "fair-minority-title"}, children=[
        html.H2(f"{metric.label} against the ethnic make-up of {plural}, {year}", id="fair-minority-title"),
        html.P(fairness.minority_summary(table, fit, reason, level, measure), id="fair-minority-summary",
               className="gap-sentence"),
        html.P(MINORITY_CAVEAT + area_metrics.RESIDENTS_NOT_PATIENTS, className="control-hint"),
        html.P(scatter.layout.meta["alt"], className="chart-alt"),
        dcc.Graph(id="fair-minority-scatter", figure=scatter, config=GRAPH_CONFIG, style={"height": "440px"}),
        minority_bands_table(bands, metric, plural),
    ])


def minority_bands_table(bands, metric, plural: str):
    if bands.empty:
        return html.P(f"Too few {plural} to form fifths by ethnic make-up.", className="control-hint")
    head = ["Fifth (1 = smallest share)", f"{plural[0].upper() + plural[1:]}",
            "Residents in ethnic groups other than White", "Practices", "Registered patients", metric.label]
    rows = [[str(int(r.band)), str(int(r.areas)), f"{r.share_low:.1f}% to {r.share_high:.1f}%", f"{int(r.practices):,}",
             f"{r.patients:,.0f}", metric.format(r.value)] for r in bands.itertuples()]
    return html.Table(id="fair-minority-bands", className="data-table", children=[
        html.Caption(f"{metric.label} in fifths of {plural} by the share of residents in ethnic groups other "
                     f"than White (equal numbers of {plural}; summed over each fifth's practices)"),
        html.Thead(html.Tr([html.Th(h, scope="col") for h in head])),
        html.Tbody([html.Tr([html.Th(row[0], scope="row"), *[html.Td(c) for c in row[1:]]]) for row in rows]),
    ])


def grid(table, metric, edition: str) -> dag.AgGrid:
    rows = table.assign(rank=table["rank"].astype("Float64").astype(float))[
        ["rank", "code", "name", "value", "deprivation", "expected", "difference", "patients"]]
    per = metric.per
    columns = [
        {"field": "rank", "headerName": "Rank (1 = furthest below)", "type": "numericColumn", "sort": "asc",
         "maxWidth": 150},
        {"field": "name", "headerName": "Area", "flex": 2, "minWidth": 220},
        {"field": "value", "headerName": f"£ {per}", "type": "numericColumn", "valueFormatter": MONEY},
        {"field": "deprivation", "headerName": f"Deprivation ({edition} score)", "type": "numericColumn",
         "valueFormatter": {"function": "params.value == null ? '' : d3.format('.1f')(params.value)"}},
        {"field": "expected", "headerName": "Expected for its deprivation", "type": "numericColumn",
         "valueFormatter": MONEY},
        {"field": "difference", "headerName": "Difference from expected", "type": "numericColumn",
         "valueFormatter": SIGNED_MONEY},
        {"field": "patients", "headerName": "Registered patients", "type": "numericColumn",
         "valueFormatter": {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}},
    ]
    return dag.AgGrid(id="fair-table", rowData=rows.to_dict("records"), columnDefs=columns,
                      defaultColDef={"sortable": True, "resizable": True},
                      dashGridOptions={"domLayout": "autoHeight", "pagination": True, "paginationPageSize": 50,
                                       "paginationPageSizeSelector": False},
                      style={"width": "100%"})


def dispensing_body(atlas, view: dict) -> list:
    year = view["year"]
    england = fairness.dispensing_comparisons(atlas.year_practices(year), "England")
    blocks = [html.H3(f"England, {year}"), html.Ul([html.Li(inequality.sentence(c)) for c in england.values()],
                                                    id="fair-dispensing-england")]
    shown, name = england, "England"
    if view["place"] != ENGLAND and atlas.area(view["place"]):
        from dashboard.data import profiles

        name = atlas.area(view["place"])["name"]
        shown = fairness.dispensing_comparisons(profiles.area_practices(atlas, view["place"], year), name)
        blocks += [html.H3(f"{name}, {year}"), html.Ul([html.Li(inequality.sentence(c)) for c in shown.values()],
                                                        id="fair-dispensing-place")]
    blocks.append(dispensing_table(fairness.dispensing_table(shown), name, year))
    return blocks


def dispensing_table(cells, name: str, year: str):
    if cells.empty:
        return html.P(f"{name} has no practices with a known dispensing status, rurality and deprivation fifth in "
                      f"{year}.", className="control-hint")
    money = REGISTRY[fairness.MEASURES[0]]
    headers = ["Rurality", "Deprivation fifth (England, 1 = most deprived)",
               "Dispensing: practices", "Dispensing: registered patients", "Dispensing: £ per weighted patient",
               "Dispensing: £ excluding prescribing and dispensing",
               "Non-dispensing: practices", "Non-dispensing: registered patients",
               "Non-dispensing: £ per weighted patient", "Non-dispensing: £ excluding prescribing and dispensing",
               "In the like-for-like comparison?"]
    rows = []
    for cell in cells.itertuples(index=False):
        rows.append(html.Tr([
            html.Th(cell.rurality, scope="row"), html.Td(str(cell.imd_quintile)),
            html.Td(f"{cell.dispensing_practices:,}"), html.Td(f"{cell.dispensing_patients:,.0f}"),
            html.Td(money.format(cell.dispensing_value)), html.Td(money.format(cell.dispensing_value_excl)),
            html.Td(f"{cell.non_dispensing_practices:,}"), html.Td(f"{cell.non_dispensing_patients:,.0f}"),
            html.Td(money.format(cell.non_dispensing_value)), html.Td(money.format(cell.non_dispensing_value_excl)),
            html.Td("Yes" if cell.used else f"No: {cell.why_not}"),
        ]))
    return html.Div(className="table-scroll", tabIndex="0", role="region",
                    **{"aria-labelledby": "fair-dispensing-caption"}, children=html.Table(
                        className="data-table", id="fair-dispensing-table", children=[
                            html.Caption(f"{name}, {year}: dispensing and non-dispensing practices by rurality and "
                                         "England-wide deprivation fifth of patients", id="fair-dispensing-caption"),
                            html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
                            html.Tbody(rows)]))


@boundary.accepts({"fair-level.value": boundary.one_of(fairness.LEVELS),
                   "fair-year.value": boundary.one_of(boundary.years),
                   "fair-measure.value": boundary.one_of(fairness.MEASURES),
                   "fair-place.value": boundary.one_of(_place_codes)})
@callback(Output("fair-body", "children"), Output("fair-dispensing", "children"), Output("fair-url", "search"),
          Output("fair-notice", "children"),
          Input("fair-level", "value"), Input("fair-year", "value"), Input("fair-measure", "value"),
          Input("fair-place", "value"), prevent_initial_call=True)
def change_view(level, year, measure, place):
    """Redraw for a new choice and write it into the URL, so the address always reopens what is shown."""
    atlas = load_atlas()
    view = {"level": level, "year": year, "measure": measure, "place": place}
    if (level not in fairness.LEVELS or year not in atlas.years or measure not in fairness.MEASURES
            or place not in _place_codes()):
        return no_update, no_update, no_update, no_update
    return body(atlas, view), dispensing_body(atlas, view), search_of(view), None

"""/whatif: how one year's money would move under a rule the user picks. An illustration, not a proposal."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import plotly.graph_objects as go
from dash import Input, Output, Patch, State, callback, ctx, dcc, html, no_update

from dashboard import boundary, whatif
from dashboard.components.downloads_section import downloads_section
from dashboard.data.query import LEVEL_COLUMN, LEVELS, load_atlas
from dashboard.figures import map as map_figures
from dashboard.figures import palette
from dashboard.metrics import format_money, format_value
from dashboard.pages import route

DEFAULT_RULE = "deprivation_uplift"
MAX_UPLIFT = whatif.UPLIFT_MAX


def parse(search: str, atlas) -> dict:
    params = {k: v[-1] for k, v in parse_qs((search or "").lstrip("?")).items()}
    rule = params.get("rule") if params.get("rule") in whatif.RULES else DEFAULT_RULE
    year = params.get("year") if params.get("year") in atlas.years else atlas.latest_year
    level = params.get("level") if params.get("level") in LEVELS else "la"
    uplift, notice = whatif.clamp_uplift(params.get("uplift"))
    if uplift is None:  # not a number: the notice says so and the page starts from the default
        uplift = whatif.UPLIFT_DEFAULT
    return {"rule": rule, "year": year, "level": level, "uplift": uplift, "notice": notice}


def notice_box(text: str | None):
    return html.P(text, className="notice") if text else None


def change_map(level: str, year: str) -> go.Figure:
    fig = map_figures.choropleth_map(level=level, codes=[], values=[], names=[], metric="payments_per_weighted_patient",
                                     year=year, geojson_url=f"/geo/{level}.geojson")
    fig.data[map_figures.AREA_TRACE].colorscale = palette.DIVERGING
    return fig


@route("/whatif", "Funding what-if · Equity Atlas")
def layout(search: str = "", **_params):
    atlas = load_atlas()
    view = parse(search, atlas)
    return html.Div(className="whatif-page", children=[
        dcc.Location(id="whatif-url", refresh="callback-nav"),
        html.H1("Funding what-if"),
        html.P(html.Strong("An illustration, not a proposal."), className="notice"),
        html.P("Pick a rule and see where one year's money would move: by area on the map and by deprivation "
               "fifth in the chart. Real payments depend on much more than any one rule.", className="lede"),
        html.Div(className="explorer-grid", children=[
            html.Div(className="filter-panel", children=[
                html.Fieldset(className="control", children=[
                    html.Legend("Rule", className="control-label"),
                    dcc.RadioItems(id="whatif-rule", value=view["rule"], className="radio",
                                   options=[{"label": r["label"], "value": k} for k, r in whatif.RULES.items()]),
                ]),
                html.Div(className="control", children=[
                    html.Label("Deprivation uplift per fifth (%)", htmlFor="whatif-uplift", className="control-label"),
                    dcc.Slider(id="whatif-uplift", min=0, max=MAX_UPLIFT, step=1, value=view["uplift"],
                               marks={v: f"{v}%" for v in range(0, MAX_UPLIFT + 1, 5)},
                               tooltip={"placement": "bottom", "always_visible": False}),
                    html.Div("Used by “Extra weight for deprivation”.", className="control-hint"),
                    html.Div(id="whatif-notice", role="status", **{"aria-live": "polite"},
                             children=notice_box(view["notice"])),
                ]),
                html.Div(className="control", children=[
                    html.Label("Year", htmlFor="whatif-year", className="control-label"),
                    dcc.Dropdown(id="whatif-year", options=[{"label": y, "value": y} for y in reversed(atlas.years)],
                                 value=view["year"], clearable=False, searchable=False),
                ]),
                html.Fieldset(className="control", children=[
                    html.Legend("Map areas", className="control-label"),
                    dcc.RadioItems(id="whatif-level", value=view["level"], className="radio",
                                   options=[{"label": v, "value": k} for k, v in LEVELS.items()]),
                ]),
            ]),
            html.Div(children=[
                html.Div(id="whatif-summary", role="status", **{"aria-live": "polite"}),
                html.H2("Change in £ per weighted patient, by area"),
                html.P("Orange areas would lose, blue areas would gain.", className="control-hint"),
                dcc.Graph(id="whatif-map", figure=change_map(view["level"], view["year"]),
                          config={"displaylogo": False, "scrollZoom": True}, style={"height": "560px"}),
                html.P(id="whatif-map-alt", className="chart-alt"),
                html.H2("By national deprivation fifth"),
                dcc.Graph(id="whatif-bars", config={"displaylogo": False}, style={"height": "380px"}),
                html.P(id="whatif-bars-alt", className="chart-alt"),
                html.Div(id="whatif-methods"),
                downloads_section("whatif", "Take this illustration with you",
                                  [("whatif-download-csv", "Download change by area (CSV)")],
                                  "The file says which rule, uplift and year it shows, and carries its sources, "
                                  "the date made and the Open Government Licence attribution."),
            ]),
        ]),
    ])


# One rule per control, shared by every callback that reads it (boundary allows one rule per input).
CONTROL_RULES = {"whatif-rule.value": boundary.one_of(whatif.RULES),
                 "whatif-uplift.value": boundary.scalar(),  # clamp_uplift clamps it, or says why not
                 "whatif-year.value": boundary.one_of(boundary.years), "whatif-level.value": boundary.one_of(LEVELS)}


@boundary.accepts({**CONTROL_RULES, "whatif-url.search": boundary.query}, notice="whatif-notice.children")
@callback(Output("whatif-map", "figure"), Output("whatif-bars", "figure"), Output("whatif-summary", "children"),
          Output("whatif-map-alt", "children"), Output("whatif-bars-alt", "children"),
          Output("whatif-methods", "children"), Output("whatif-url", "search"), Output("whatif-notice", "children"),
          Input("whatif-rule", "value"), Input("whatif-uplift", "value"), Input("whatif-year", "value"),
          Input("whatif-level", "value"), State("whatif-url", "search"))
def update(rule, uplift, year, level, search):
    atlas = load_atlas()
    if rule not in whatif.RULES or year not in atlas.years or level not in LEVELS:
        return (no_update,) * 8
    uplift, problem = whatif.clamp_uplift(uplift, default=0)
    if uplift is None:  # rejected: keep what is shown and say why
        return (no_update,) * 7 + (notice_box(problem),)
    # The first call keeps the notice the page was built with (about the link's uplift); later ones replace it.
    notice = no_update if ctx.triggered_id is None and problem is None else notice_box(problem)
    result = whatif.apply_rule(atlas.year_practices(year), rule, uplift_percent=uplift)
    by_area = whatif.summarise(result, LEVEL_COLUMN[level]).set_index(LEVEL_COLUMN[level])
    names = atlas.area_by_code["name"].reindex(by_area.index).fillna("")
    change = by_area["change_per_weighted"].round(2)
    edge = float(max(change.abs().quantile(0.98), 0.5))
    patch = Patch()
    patch["data"][map_figures.AREA_TRACE]["geojson"] = f"/geo/{level}.geojson"
    patch["data"][map_figures.AREA_TRACE]["locations"] = list(by_area.index)
    patch["data"][map_figures.AREA_TRACE]["z"] = [None if v != v else v for v in change.tolist()]
    patch["data"][map_figures.AREA_TRACE]["text"] = list(names)
    patch["data"][map_figures.AREA_TRACE]["zmin"] = -edge
    patch["data"][map_figures.AREA_TRACE]["zmax"] = edge
    patch["data"][map_figures.AREA_TRACE]["zmid"] = 0
    patch["data"][map_figures.AREA_TRACE]["colorbar"]["title"]["text"] = f"Change, £ per<br>weighted patient<br>{year}"
    # Written here, not by Plotly's number format: its minus is a hyphen and it cannot put £ after a sign.
    patch["data"][map_figures.AREA_TRACE]["customdata"] = [
        [signed(per, "£ per patient"), signed(total, "£")] for per, total in zip(change, by_area["change"], strict=True)]
    patch["data"][map_figures.AREA_TRACE]["hovertemplate"] = (
        "<b>%{text}</b><br>%{customdata[0]} per weighted patient<br>%{customdata[1]} in all<extra></extra>")
    quintiles = whatif.summarise(result, "imd_quintile")
    gap = whatif.quintile_gap_before_after(result)
    bars = quintile_bars(quintiles)
    total_before, total_after = float(result["baseline"].sum()), float(result["scenario"].sum())
    rule_text = whatif.RULES[rule]
    label = rule_text["label"] + (f" ({uplift:.0f}% per fifth)" if rule == "deprivation_uplift" else "")
    biggest_gain = change.idxmax() if len(change.dropna()) else None
    biggest_loss = change.idxmin() if len(change.dropna()) else None
    summary = html.Dl(className="card-list", children=[
        card("Rule", label),
        card("Total before → after", f"{format_money(total_before)} → {format_money(total_after)}"
             + (" (unchanged)" if rule_text["conserves_total"] else "")),
        card("Gap, most minus least deprived fifth (£ per weighted patient)",
             f"{signed(gap['gap_before'], '£ per patient')} → {signed(gap['gap_after'], '£ per patient')}"),
        card("Largest gain", f"{names.get(biggest_gain, '')} {signed(change.get(biggest_gain), '£ per patient')}"
             if biggest_gain else "n/a"),
        card("Largest loss", f"{names.get(biggest_loss, '')} {signed(change.get(biggest_loss), '£ per patient')}"
             if biggest_loss else "n/a"),
    ])
    map_alt = (f"Map of {len(change)} {LEVELS[level].lower()} areas coloured by the change in £ per weighted patient "
               f"under “{label}” in {year}: from {signed(change.min(), '£ per patient')} ({names.get(biggest_loss, '')}) to "
               f"{signed(change.max(), '£ per patient')} ({names.get(biggest_gain, '')}).")
    bars_alt = bars.layout.meta["alt"]
    methods = html.Details(open=False, children=[
        html.Summary("How this is worked out, and its limits"),
        html.H3(rule_text["label"]), html.P(rule_text["description"]), html.P(rule_text["caveats"]),
        html.P("Payments are cash terms (not adjusted for inflation); COVID and PCN payments are left out."),
    ])
    query = "?" + urlencode({"rule": rule, "uplift": int(uplift), "year": year, "level": level})
    return patch, bars, summary, map_alt, bars_alt, methods, (query if query != search else no_update), notice


def change_table(atlas, rule: str, uplift: float, year: str, level: str):
    """Every area's money now and under the rule, rounded as the page shows (whole pounds, pence per patient)."""
    from dashboard import downloads

    result = whatif.apply_rule(atlas.year_practices(year), rule, uplift_percent=uplift)
    column = LEVEL_COLUMN[level]
    by_area = whatif.summarise(result, column)
    by_area.insert(1, "name", atlas.area_by_code["name"].reindex(by_area[column]).fillna("").to_numpy())
    return downloads.labelled(by_area, [
        (column, f"{LEVELS[level]} code", None), ("name", LEVELS[level], None), ("practices", "Practices", "count"),
        ("weighted_patients", "Weighted patients", "count"), ("baseline", "Payments now (£)", 0),
        ("scenario", "Payments under the rule (£)", 0), ("change", "Change (£)", 0),
        ("baseline_per_weighted", "Now, per weighted patient (£)", 2),
        ("scenario_per_weighted", "Under the rule, per weighted patient (£)", 2),
        ("change_per_weighted", "Change per weighted patient (£)", 2)])


@boundary.accepts({"whatif-download-csv.n_clicks": boundary.n_clicks, **CONTROL_RULES})
@callback(Output("whatif-download", "data"), Input("whatif-download-csv", "n_clicks"), State("whatif-rule", "value"),
          State("whatif-uplift", "value"), State("whatif-year", "value"), State("whatif-level", "value"),
          prevent_initial_call=True)
def download(clicks, rule, uplift, year, level):
    """What the map shows, as a table, headed by the rule it illustrates: a file that travels without the
    page must say it is an illustration, not a proposal."""
    from datetime import datetime

    from dashboard import downloads

    atlas = load_atlas()
    uplift, _problem = whatif.clamp_uplift(uplift, default=0)
    if not clicks or uplift is None or rule not in whatif.RULES or year not in atlas.years or level not in LEVELS:
        return no_update
    label = whatif.RULES[rule]["label"] + (f" ({uplift:.0f}% per fifth)" if rule == "deprivation_uplift" else "")
    described = ["An illustration, not a proposal: where one year's money would move under one rule.",
                 f"Rule: {label}", f"Year: {year}", f"Areas: {LEVELS[level]}",
                 "Payments are cash terms; COVID and PCN payments are left out."]
    provenance = downloads.provenance_lines(described, datetime.now(), atlas.manifest)
    return dcc.send_bytes(downloads.table_csv(change_table(atlas, rule, uplift, year, level), provenance),
                          downloads.safe_filename(f"equity-atlas-what-if-{rule}-{int(uplift)}-{year}-{level}", "csv"))


def signed(value, unit: str) -> str:
    """A change written as the rest of the atlas writes numbers (real minus, £ on money), with "+" on a gain
    so a reader can tell a gain from an amount: "+£42.10", "−£3.05", "£0.00"."""
    text = format_value(value, unit, 2)
    gained = text != "n/a" and not text.startswith("−") and any(ch in "123456789" for ch in text)
    return "+" + text if gained else text


def card(label: str, value: str) -> html.Div:
    return html.Div(className="card", children=[html.Dt(label), html.Dd(value, className="card-value")])


def quintile_bars(table) -> go.Figure:
    """Baseline and scenario £ per weighted patient for each national deprivation fifth."""
    labels = palette.band_labels(5)
    fig = go.Figure()
    fig.add_bar(x=labels, y=table["baseline_per_weighted"], name="Now",
                marker={"color": palette.OKABE_ITO["sky_blue"], "line": {"color": palette.INK, "width": 1}},
                text=[format_value(v, "£ per patient", 2) for v in table["baseline_per_weighted"]],
                textposition="outside")
    fig.add_bar(x=labels, y=table["scenario_per_weighted"], name="Under the rule",
                marker={"color": palette.OKABE_ITO["vermillion"], "pattern": {"shape": "/"},
                        "line": {"color": palette.INK, "width": 1}},
                text=[format_value(v, "£ per patient", 2) for v in table["scenario_per_weighted"]],
                textposition="outside")
    fig.update_layout(template=palette.TEMPLATE, barmode="group", margin={"l": 60, "r": 10, "t": 20, "b": 50},
                      yaxis_title="£ per weighted patient", xaxis_title="Deprivation fifth (1 = most deprived)",
                      legend={"orientation": "h", "y": 1.12}, xaxis={"type": "category"})
    first, last = table.iloc[0], table.iloc[-1]
    fig.layout.meta = {"alt": (
        f"Bar chart by deprivation fifth: the most deprived fifth gets {format_value(first['baseline_per_weighted'], '£ per patient')}"
        f" now and {format_value(first['scenario_per_weighted'], '£ per patient')} under the rule; the least deprived "
        f"{format_value(last['baseline_per_weighted'], '£ per patient')} now and "
        f"{format_value(last['scenario_per_weighted'], '£ per patient')} under the rule.")}
    return fig

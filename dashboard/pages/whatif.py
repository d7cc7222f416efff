"""/whatif: how one year's money would move under a rule the user picks. An illustration, not a proposal."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import plotly.graph_objects as go
from dash import Input, Output, Patch, State, callback, ctx, dcc, html, no_update

from dashboard import boundary, whatif
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
            ]),
        ]),
    ])


@boundary.accepts({"whatif-rule.value": boundary.one_of(whatif.RULES),
                   "whatif-uplift.value": boundary.scalar(),  # clamp_uplift clamps it, or says why not
                   "whatif-year.value": boundary.one_of(boundary.years), "whatif-level.value": boundary.one_of(LEVELS),
                   "whatif-url.search": boundary.query}, notice="whatif-notice.children")
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
    patch["data"][map_figures.AREA_TRACE]["customdata"] = (by_area["change"] / 1e3).round(0).tolist()
    patch["data"][map_figures.AREA_TRACE]["hovertemplate"] = (
        "<b>%{text}</b><br>%{z:+,.2f} £ per weighted patient<br>%{customdata:+,.0f} thousand £ in all"
        "<extra></extra>")
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
             f"{gap['gap_before']:+,.2f} → {gap['gap_after']:+,.2f}"),
        card("Largest gain", f"{names.get(biggest_gain, '')} {change.get(biggest_gain, float('nan')):+,.2f}"
             if biggest_gain else "n/a"),
        card("Largest loss", f"{names.get(biggest_loss, '')} {change.get(biggest_loss, float('nan')):+,.2f}"
             if biggest_loss else "n/a"),
    ])
    map_alt = (f"Map of {len(change)} {LEVELS[level].lower()} areas coloured by the change in £ per weighted patient "
               f"under “{label}” in {year}: from {change.min():+,.2f} ({names.get(biggest_loss, '')}) to "
               f"{change.max():+,.2f} ({names.get(biggest_gain, '')}).")
    bars_alt = bars.layout.meta["alt"]
    methods = html.Details(open=False, children=[
        html.Summary("How this is worked out, and its limits"),
        html.H3(rule_text["label"]), html.P(rule_text["description"]), html.P(rule_text["caveats"]),
        html.P("Payments are cash terms (not adjusted for inflation); COVID and PCN payments are left out."),
    ])
    query = "?" + urlencode({"rule": rule, "uplift": int(uplift), "year": year, "level": level})
    return patch, bars, summary, map_alt, bars_alt, methods, (query if query != search else no_update), notice


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

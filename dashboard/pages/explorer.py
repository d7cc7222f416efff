"""The explorer: a map of England and charts for any selection, with the whole view in the URL."""

from __future__ import annotations

import json
from datetime import datetime

import dash_ag_grid as dag
from dash import ALL, Input, Output, Patch, State, callback, clientside_callback, ctx, dcc, html, no_update

from dashboard import boundary
from dashboard.cache import bytes_cache, memoize
from dashboard.components import table_rows as table_rows_module
from dashboard.components.controls import CONTROL_FIELDS, filter_panel
from dashboard.components.headline import national_headline, patients_basis_note
from dashboard.data import aggregates
from dashboard.data.query import LEVELS, load_atlas
from dashboard.figures import components as component_figures
from dashboard.figures import deprivation as deprivation_figures
from dashboard.figures import map as map_figures
from dashboard.figures import scatter as scatter_figures
from dashboard.figures import trend as trend_figures
from dashboard.metrics import REGISTRY, compute, format_value, group_sums
from dashboard.pages import route
from dashboard.state import ViewState, default_state, parse_query, to_query

CONTROL_IDS = list(CONTROL_FIELDS)
CHARTS = {
    "chart-deprivation": "Payments per weighted patient by national deprivation band",
    "chart-scatter-pay": "Practice deprivation against payments per weighted patient",
    "chart-scatter-le": "Practice deprivation against life expectancy",
    "chart-trend": "Payments per weighted patient by deprivation fifth, every year",
    "chart-components": "What the money is made of, by deprivation fifth",
}
CARD_METRICS = ["practices", "registered_patients", "total_payments", "payments_per_weighted_patient",
                "share_patients_dispensing", "life_expectancy_female", "life_expectancy_male"]
GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud"]}
# The three stores, each checked for the shape it is written with (ViewState.as_dict, selection_part, trend_part).
VIEW_STORE = boundary.view_store()
SELECTION_STORE = boundary.view_store(without=("level", "metric"))
TREND_STORE = boundary.view_store(without=("level", "metric", "year", "band"))


def chart_block(chart_id: str, title: str) -> html.Section:
    return html.Section(className="chart-block", **{"aria-labelledby": f"{chart_id}-title"}, children=[
        html.H3(title, id=f"{chart_id}-title"),
        html.P(id=f"{chart_id}-alt", className="chart-alt"),
        dcc.Loading(dcc.Graph(id=chart_id, config=GRAPH_CONFIG, className="chart", style={"height": "420px"}),
                    type="dot",
                    delay_show=400),
        html.Div(className="chart-downloads", children=[
            html.Button("Download chart as PNG", id={"type": "chart-png", "chart": chart_id}, className="button-link"),
            html.Button("Download chart as SVG", id={"type": "chart-svg", "chart": chart_id}, className="button-link"),
            html.Button("Download chart data (CSV)", id={"type": "chart-csv", "chart": chart_id},
                        className="button-link"),
        ]),
    ])


@route("/", "Equity Atlas: explorer")
def layout(search: str = "", **_params):
    atlas = load_atlas()
    state, notices = parse_query(search, atlas)
    # The first map comes with the page, values and all: the browser starts fetching the boundaries as
    # soon as it draws, instead of after a round trip for the values.
    values, names = map_values(atlas, state)
    base_map = map_figures.choropleth_map(
        level=state.level, codes=list(values.index), values=values.round(4).tolist(), names=list(names),
        metric=REGISTRY[state.metric], year=state.year, geojson_url=f"/geo/{state.level}.geojson",
        marmot_outline_url="/geo/marmot.geojson", selected=state.area or None,
        marmot_codes=atlas.areas.loc[atlas.areas["level"] == "marmot", "code"].tolist())
    if state.area.startswith("marmot:"):
        base_map.data[map_figures.SELECTED_TRACE].geojson = "/geo/marmot.geojson"
    return html.Div(className="explorer", children=[
        dcc.Location(id="ex-url", refresh="callback-nav"),
        dcc.Store(id="ex-state", data=state.as_dict()),
        dcc.Store(id="ex-selection", data=selection_part(state)),
        dcc.Store(id="ex-trend-selection", data=trend_part(state)),
        dcc.Download(id="ex-download"),
        html.Div(id="ex-notice", role="status", **{"aria-live": "polite"}, children=notice(notices)),
        html.H1("Where NHS money for general practice goes", className="page-title"),
        html.Div(className="explorer-grid", children=[
            html.Aside(filter_panel(atlas, state), className="filters", **{"aria-label": "Filters"}),
            html.Div(className="explorer-main", children=[
                html.Section(id="ex-cards", className="cards", **{"aria-label": "Headline figures"}),
                html.Section(className="map-block", **{"aria-labelledby": "map-title"}, children=[
                    html.Div(className="map-header", children=[
                        html.H2(map_title(state), id="map-title"),
                        html.Div(className="map-actions", children=[
                            dcc.Checklist(id="ex-show-practices", options=[{"label": "Show practices", "value": "on"}],
                                          value=[], inline=True, className="checklist"),
                            html.Button("Clear area selection", id="ex-clear-area", className="button-link"),
                        ]),
                    ]),
                    html.P("Click an area to narrow the charts, cards and table to it. " + map_figures.MAP_KEY,
                           className="control-hint"),
                    dcc.Graph(id="ex-map", figure=base_map, config={**GRAPH_CONFIG, "scrollZoom": True},
                              className="map", style={"height": "620px"}),
                    html.Div(map_alternative(values, names, REGISTRY[state.metric], state, atlas), id="ex-map-alt",
                             className="map-alt"),
                ]),
                html.Div(id="ex-gap-sentence", className="gap-sentence"),
                # Below the fold: built when scrolled near (assets/lazy.js), so the map is drawn first.
                dcc.Store(id="ex-charts-seen", data=False),
                html.Div(id="ex-charts", className="charts lazy-part",
                         **{"data-lazy-store": "ex-charts-seen", "data-lazy-after": "#ex-map"},
                         children=html.P("The charts appear as you scroll to them.", className="control-hint")),
                html.Section(className="table-block", **{"aria-labelledby": "table-title"}, children=[
                    html.H2("Practices in this selection", id="table-title"),
                    dcc.Store(id="ex-table-seen", data=False),
                    html.Div(id="ex-table-part", className="lazy-part",
                             **{"data-lazy-store": "ex-table-seen", "data-lazy-after": "#ex-map"},
                             children=html.P("The table appears as you scroll to it.", className="control-hint")),
                ]),
                html.Section(className="downloads", **{"aria-labelledby": "downloads-title"}, children=[
                    html.H2("Take this view with you", id="downloads-title"),
                    html.Button("Download data (CSV)", id="ex-download-csv", className="button"),
                    html.Button("Download data (Excel)", id="ex-download-xlsx", className="button"),
                    html.Button("Copy link to this view", id="ex-copy-link", className="button button-secondary"),
                    html.Span(id="ex-copy-status", role="status", className="control-hint"),
                    html.P("Every file carries its sources, the filters applied, the date made and the Open "
                           "Government Licence attribution.", className="control-hint"),
                ]),
                html.Details(className="national", open=True, children=[
                    html.Summary("England at a glance"),
                    national_headline(atlas.national_summary(atlas.latest_year)),
                ]),
            ]),
        ]),
    ])


def practice_table_part() -> list:
    return [
        html.Div(className="table-tools", children=[
            html.Label("Search practices by name, code or postcode", htmlFor="ex-table-search"),
            dcc.Input(id="ex-table-search", type="search", debounce=0.3, placeholder="e.g. Densham, "
                      "A81001 or TS18 1HU"),
        ]),
        html.Div(id="ex-table-refresh", hidden=True),
        dag.AgGrid(id="ex-table", columnDefs=table_columns(), rowModelType="infinite",
                   defaultColDef={"sortable": True, "filter": True, "resizable": True},
                   dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                     "enableClickSelection": True},
                                    "pagination": True, "paginationPageSize": 20,
                                    "paginationPageSizeSelector": False, "cacheBlockSize": 20,
                                    "maxBlocksInCache": 20, "animateRows": False},
                   getRowId="params.data.practice_code", style={"height": "560px"}),
    ]


@boundary.accepts({"ex-charts-seen.data": boundary.flag})
@callback(Output("ex-charts", "children"), Input("ex-charts-seen", "data"), prevent_initial_call=True)
def mount_charts(seen):
    """The chart blocks, once scrolled near; each chart's own callback then fills it."""
    return [chart_block(cid, title) for cid, title in CHARTS.items()] if seen else no_update


@boundary.accepts({"ex-table-seen.data": boundary.flag})
@callback(Output("ex-table-part", "children"), Input("ex-table-seen", "data"), prevent_initial_call=True)
def mount_table(seen):
    return practice_table_part() if seen else no_update


def notice(messages: list[str]):
    if not messages:
        return None
    return html.Div(className="notice", children=[
        html.Strong("Some of the link could not be used. "), html.Ul([html.Li(m) for m in messages])])


def table_columns() -> list[dict]:
    money = {"type": "numericColumn", "valueFormatter": {"function": "params.value == null ? '' : '£' + "
                                                                     "d3.format(',.2f')(params.value)"}}
    count = {"type": "numericColumn", "valueFormatter": {"function": "params.value == null ? '' : "
                                                                     "d3.format(',.0f')(params.value)"}}
    return [
        {"field": "practice_code", "headerName": "Code", "pinned": "left", "width": 100},
        {"field": "practice_name", "headerName": "Practice", "width": 260, "cellRenderer": "PracticeLink"},
        {"field": "postcode", "headerName": "Postcode", "width": 110},
        {"field": "la_name", "headerName": "Local authority"},
        {"field": "dispensing", "headerName": "Dispensing", "width": 120},
        {"field": "contract_type", "headerName": "Contract", "width": 110},
        {"field": "rurality", "headerName": "Rurality", "width": 110},
        {"field": "registered_patients", "headerName": "Registered patients", **count},
        {"field": "payments_per_weighted_patient", "headerName": "£ per weighted patient", **money},
        {"field": "total_payments", "headerName": "Total payments (£)", **money},
        {"field": "imd_score", "headerName": "IMD score", "type": "numericColumn"},
        {"field": "imd_quintile", "headerName": "Deprivation fifth (1 = most)", "type": "numericColumn"},
    ]


# --- state: URL <-> controls <-> store -----------------------------------------------------------------
@boundary.accepts({
    "ex-url.search": boundary.query, "ex-url.pathname": boundary.path,
    **{f"{cid}.value": boundary.view_control(name) for cid, name in CONTROL_FIELDS.items()},
    "f-reset.n_clicks": boundary.n_clicks, "ex-map.clickData": boundary.map_click,
    "ex-clear-area.n_clicks": boundary.n_clicks, "ex-state.data": VIEW_STORE,
}, notice="ex-notice.children")
@callback(
    Output("ex-url", "search"),
    *[Output(cid, "value") for cid in CONTROL_IDS],
    Output("ex-state", "data"),
    Output("ex-selection", "data"),
    Output("ex-trend-selection", "data"),
    Output("ex-notice", "children"),
    Input("ex-url", "search"),
    *[Input(cid, "value") for cid in CONTROL_IDS],
    Input("f-reset", "n_clicks"),
    Input("ex-map", "clickData"),
    Input("ex-clear-area", "n_clicks"),
    State("ex-state", "data"),
    State("ex-url", "pathname"),
    prevent_initial_call=True,
)
def sync_state(search, *args):
    """Decide the view, then pass on the part the charts need only when that part changed."""
    outputs = list(decide_state(search, *args))
    new_state, stored = outputs[-2], args[-2]
    # Only what really changed goes out: the page's own URL arriving on load must not redraw the map.
    for index, current in enumerate(args[: len(CONTROL_IDS)], start=1):
        if outputs[index] == current:
            outputs[index] = no_update
    if isinstance(new_state, dict) and stored and new_state == stored:
        outputs[-2] = no_update
    new_view = ViewState(**new_state) if isinstance(new_state, dict) else None
    old_view = ViewState(**stored) if stored else None
    for part_of in (selection_part, trend_part):
        part = part_of(new_view) if new_view else no_update
        outputs.insert(-1, part if old_view is None or part != part_of(old_view) else no_update)
    return tuple(outputs)


def selection_part(state: ViewState) -> dict:
    """What the cards, charts and table depend on: not the map's level or measure."""
    return {k: v for k, v in state.as_dict().items() if k not in ("level", "metric")}


def decide_state(search, *args):
    """One place decides the view: a new URL sets the controls; a control or click writes the URL."""
    if args[-1] not in ("/", ""):
        return (no_update,) * (len(CONTROL_IDS) + 3)
    values = args[: len(CONTROL_IDS)]
    click, stored = args[-4], args[-2]
    atlas = load_atlas()
    trigger = ctx.triggered_id
    controls_unchanged = (no_update,) * len(CONTROL_IDS)
    if trigger == "ex-url":
        state, notices = parse_query(search, atlas)
        return (no_update, *control_values(state), state.as_dict(), notice(notices))
    if trigger == "f-reset":
        state = default_state(atlas.latest_year)
        return (to_query(state, atlas.latest_year), *control_values(state), state.as_dict(), None)
    state = ViewState(**stored) if stored else default_state(atlas.latest_year)
    if trigger == "ex-map":
        code = clicked_area(click)
        if not code:
            return no_update, *controls_unchanged, no_update, no_update
        state.area = "" if state.area == code else code
        return to_query(state, atlas.latest_year), *controls_unchanged, state.as_dict(), no_update
    if trigger == "ex-clear-area":
        state.area = ""
        return to_query(state, atlas.latest_year), *controls_unchanged, state.as_dict(), no_update
    for cid, value in zip(CONTROL_IDS, values, strict=True):
        name = CONTROL_FIELDS[cid]
        default = getattr(default_state(atlas.latest_year), name)
        setattr(state, name, value if value not in (None, "") else default)
    if state.area and state.area.split(":")[0] != "marmot" and not area_at_level(atlas, state.area, state.level):
        state.area = ""  # the selected area belongs to another map level
    return to_query(state, atlas.latest_year), *controls_unchanged, state.as_dict(), None


def control_values(state: ViewState) -> list:
    return [getattr(state, CONTROL_FIELDS[cid]) for cid in CONTROL_IDS]


def clicked_area(click) -> str | None:
    if not click or not click.get("points"):
        return None
    point = click["points"][0]
    location = point.get("location")
    if isinstance(location, str) and location:
        return location
    return None


def area_at_level(atlas, code: str, level: str) -> bool:
    area = atlas.area(code)
    return bool(area) and area["level"] == level


def selection(atlas, state: ViewState, all_years: bool = False):
    """The practices the view covers: the filters, then the clicked area (in its year, or in every year)."""
    practices = atlas.select(state.filters(), all_years=all_years)
    if state.area:
        narrowing = atlas.area_filters(state.area, state.year)
        if narrowing is not None:
            practices = practices[practices.index.isin(atlas.select(narrowing, all_years=all_years).index)]
    return practices


def selection_name(atlas, state: ViewState) -> str:
    if state.area and atlas.area(state.area):
        return atlas.area(state.area)["name"]
    filtered = any(getattr(state, name) for name in ("region", "icb", "la", "marmot", "rurality", "dispensing",
                                                      "contract", "quintile", "size"))
    return "Filtered practices" if filtered else "England"


# --- map -------------------------------------------------------------------------------------------------
def map_values(atlas, state: ViewState):
    """The map's numbers for a view: one value per area with data, and the areas' names."""
    practices = atlas.select(state.filters())
    values = atlas.metric_by_area(practices, state.level, state.metric, state.year).dropna()
    return values, atlas.area_by_code["name"].reindex(values.index).fillna("")


def map_title(state: ViewState) -> str:
    return f"{REGISTRY[state.metric].label}, by {LEVELS[state.level].lower()}, {state.year}"


@boundary.accepts({"ex-state.data": VIEW_STORE, "ex-show-practices.value": boundary.many_of(["on"])})
@callback(Output("ex-map", "figure"), Output("map-title", "children"), Output("ex-map-alt", "children"),
          Input("ex-state", "data"), Input("ex-show-practices", "value"), prevent_initial_call=True)
def update_map(stored, show_practices):
    """Send values, not shapes: the boundaries stay in the browser; only codes and numbers travel."""
    atlas = load_atlas()
    state = ViewState(**stored)
    metric = REGISTRY[state.metric]
    values, names = map_values(atlas, state)
    patch = Patch()
    update = map_figures.area_values(state.level, list(values.index), values.round(4).tolist(), list(names),
                                     metric, state.year, geojson_url=f"/geo/{state.level}.geojson")
    patch["data"][map_figures.AREA_TRACE]["colorbar"]["title"]["text"] = update.pop("colorbar_title")
    for key, value in update.items():
        patch["data"][map_figures.AREA_TRACE][key] = value
    patch["data"][map_figures.AREA_TRACE]["marker"]["opacity"] = (
        map_figures.AREA_OPACITY_WITH_PRACTICES if show_practices else map_figures.AREA_OPACITY)
    selected = [state.area] if state.area else []
    selected_level = "marmot" if state.area.startswith("marmot:") else state.level
    patch["data"][map_figures.SELECTED_TRACE]["locations"] = selected
    patch["data"][map_figures.SELECTED_TRACE]["z"] = [1] * len(selected)
    patch["data"][map_figures.SELECTED_TRACE]["geojson"] = f"/geo/{selected_level}.geojson"
    points = map_figures.practice_points(selection(atlas, state)) if show_practices else map_figures.no_points()
    for key, value in points.items():
        patch["data"][map_figures.PRACTICE_TRACE][key] = value
    return patch, map_title(state), map_alternative(values, names, metric, state, atlas)


def map_alternative(values, names, metric, state, atlas):
    """What the map shows, for people who cannot see it: the range and the extremes."""
    if values.empty:
        return html.P("No areas have a value for this selection.")
    order = values.sort_values(ascending=False)
    top = [f"{names[c]} ({metric.format(order[c])})" for c in order.index[:5]]
    bottom = [f"{names[c]} ({metric.format(order[c])})" for c in order.index[-5:][::-1]]
    return [
        html.P(f"The map shows {len(values)} areas. {metric.label} ranges from {metric.format(order.iloc[-1])} "
               f"({names[order.index[-1]]}) to {metric.format(order.iloc[0])} ({names[order.index[0]]}).",
               className="chart-alt"),
        html.Details(children=[
            html.Summary("Highest and lowest areas"),
            html.P("Highest: " + "; ".join(top) + "."),
            html.P("Lowest: " + "; ".join(bottom) + "."),
        ]),
    ]


# --- cards, charts and table ---------------------------------------------------------------------------
# One callback per chart, each with only the inputs it depends on: the browser asks for them in parallel,
# each draws as soon as it arrives, and the trend (every year) is not recomputed or re-sent when only
# the year changes.
@boundary.accepts({"ex-selection.data": SELECTION_STORE})
@callback(
    Output("ex-cards", "children"),
    Output("ex-gap-sentence", "children"),
    Input("ex-selection", "data"),
)
def update_headline(stored):
    """The cards and the sentence that reads the deprivation gap."""
    return headline_for(json.dumps(stored, sort_keys=True))


@memoize()
def headline_for(selection_json: str):
    atlas = load_atlas()
    state = ViewState(**json.loads(selection_json))
    practices = selection(atlas, state)
    name = selection_name(atlas, state)
    cards = headline_cards(atlas, practices, state, name)
    gap = aggregates.deprivation_gap(aggregates.by_deprivation(practices, band=state.band))
    sentence = html.P(f"{name}, {state.year}: {gap['sentence']}") if gap.get("sentence") else None
    return cards, sentence


def alt_text(fig) -> str:
    return fig.layout.meta.get("alt", "") if isinstance(fig.layout.meta, dict) else ""


def scatter_chart(atlas, state: ViewState, y: str, unit: str):
    frame = aggregates.scatter_frame(selection(atlas, state), y=y)
    fit = aggregates.fit_line(frame["imd_score"], frame["y"], frame["registered_patients"])
    return scatter_figures.deprivation_scatter(frame, fit, f"{REGISTRY[y].label} ({unit})")


# The charts drawn from the selection alone, by id; each has its own callback (chart_callback).
SELECTION_CHARTS = {
    "chart-deprivation": lambda atlas, state: deprivation_figures.deprivation_bars(
        aggregates.by_deprivation(selection(atlas, state), band=state.band), band_label=state.band),
    "chart-scatter-pay": lambda atlas, state: scatter_chart(atlas, state, "payments_per_weighted_patient", "£"),
    "chart-scatter-le": lambda atlas, state: scatter_chart(atlas, state, "life_expectancy_female", "years"),
    "chart-components": lambda atlas, state: component_figures.component_bars(
        aggregates.components_by_quintile(selection(atlas, state))),
}


@memoize()
def chart_for(chart_id: str, selection_json: str):
    """A chart as plain JSON-ready data (cheap to keep and to share through Redis) and its text alternative."""
    figure = SELECTION_CHARTS[chart_id](load_atlas(), ViewState(**json.loads(selection_json)))
    return figure.to_plotly_json(), alt_text(figure)


def chart_callback(chart_id: str):
    """Register chart_id's callback, named after it (update_scatter_pay, ...) in logs and the benchmark."""
    def update_chart(stored):
        return chart_for(chart_id, json.dumps(stored, sort_keys=True))

    update_chart.__name__ = update_chart.__qualname__ = f"update_{chart_id.removeprefix('chart-').replace('-', '_')}"
    boundary.accepts({"ex-selection.data": SELECTION_STORE})
    return callback(Output(chart_id, "figure"), Output(f"{chart_id}-alt", "children"),
                    Input("ex-selection", "data"))(update_chart)


for _chart_id in SELECTION_CHARTS:
    chart_callback(_chart_id)


@boundary.accepts({"ex-trend-selection.data": TREND_STORE})
@callback(Output("chart-trend", "figure"), Output("chart-trend-alt", "children"), Input("ex-trend-selection", "data"))
def update_trend(stored):
    """Every year for the selection's filters: the year shown does not change it."""
    return trend_for(json.dumps(stored, sort_keys=True))


@memoize()
def trend_for(trend_json: str):
    atlas = load_atlas()
    state = ViewState(**{**json.loads(trend_json), "year": atlas.latest_year})
    figure = trend_figures.trend_lines(aggregates.trend_by_quintile(all_years_selection(atlas, state),
                                                                    "payments_per_weighted_patient"))
    return figure.to_plotly_json(), alt_text(figure)


def trend_part(state: ViewState) -> dict:
    """What the trend depends on: the selection without its year or band (it is always by quintile)."""
    return {k: v for k, v in selection_part(state).items() if k not in ("year", "band")}


def all_years_selection(atlas, state: ViewState):
    """The same filters in every year (the trend): one pass over the table, not one per year."""
    return selection(atlas, state, all_years=True)


def headline_cards(atlas, practices, state: ViewState, name: str) -> list:
    sums, england = group_sums(practices, None), atlas.england_sums(state.year)
    cards = [html.H2(f"{name}, {state.year}", className="cards-heading"), *patients_basis_note(atlas, state.year)]
    items = []
    for metric_id in CARD_METRICS:
        metric = REGISTRY[metric_id]
        value = float(compute(metric_id, sums, england).iloc[0])  # sums once for all the cards
        reference = float(compute(metric_id, england, england).iloc[0])
        comparison = "" if name == "England" else f"England: {format_value(reference, metric.unit, metric.decimals)}"
        items.append(html.Div(className="card", children=[
            html.Dt(metric.label), html.Dd(metric.format(value), className="card-value"),
            html.Dd(comparison, className="card-compare"),
        ]))
    cards.append(html.Dl(items, className="card-list"))
    return cards


@bytes_cache("tables")
def table_for(state_json: str):
    """The selection's practice table, kept for the blocks the grid will ask for next."""
    from dashboard.downloads import practice_table

    atlas = load_atlas()
    return practice_table(atlas, selection(atlas, ViewState(**json.loads(state_json))))


def table_fields() -> set[str]:
    """Every column a practice-table row can carry (dashboard.downloads.practice_table), as sent to the grid."""
    from dashboard import downloads

    return ({c for c, _ in downloads.PRACTICE_COLUMNS} | set(downloads.EXTRA_COLUMNS) | set(downloads.AREA_NAMES)
            | set(downloads.PER_PATIENT))


@boundary.accepts({"ex-table.getRowsRequest": boundary.grid_rows_request(lambda: [c["field"] for c in table_columns()]),
                   "ex-selection.data": SELECTION_STORE, "ex-table-search.value": boundary.text(200)})
@callback(Output("ex-table", "getRowsResponse"), Input("ex-table", "getRowsRequest"), State("ex-selection", "data"),
          State("ex-table-search", "value"), prevent_initial_call=True)
def table_rows(request, stored, text):
    """Only the rows the grid is about to show travel to the browser."""
    if not stored:
        return no_update
    return table_rows_module.block(table_for(json.dumps(stored, sort_keys=True)), request, text)


# A new selection or search empties the grid's cache, so it asks again for the rows it shows.
clientside_callback(
    """
    function(state, text) {
        const grid = window.dash_ag_grid && dash_ag_grid.getApi && dash_ag_grid.getApi('ex-table');
        if (grid) { grid.purgeInfiniteCache(); }
        return '';
    }
    """,
    Output("ex-table-refresh", "children"), Input("ex-selection", "data"), Input("ex-table-search", "value"),
    prevent_initial_call=True,
)


@boundary.accepts({"ex-table.selectedRows": boundary.grid_rows(table_fields)})
@callback(Output("ex-map", "figure", allow_duplicate=True), Input("ex-table", "selectedRows"),
          prevent_initial_call=True)
def highlight_practice(rows):
    """Selecting a practice in the table marks it on the map."""
    patch = Patch()
    points = map_figures.highlight_point(rows[0] if rows else None)
    for key, value in points.items():
        patch["data"][map_figures.HIGHLIGHT_TRACE][key] = value
    return patch


# --- downloads ---------------------------------------------------------------------------------------------
@boundary.accepts({"ex-download-csv.n_clicks": boundary.n_clicks, "ex-download-xlsx.n_clicks": boundary.n_clicks,
                   "chart-csv.n_clicks": boundary.n_clicks, "ex-state.data": VIEW_STORE},
                  ids={"chart-csv": {"chart": boundary.one_of(CHARTS)}})
@callback(Output("ex-download", "data"), Input("ex-download-csv", "n_clicks"), Input("ex-download-xlsx", "n_clicks"),
          Input({"type": "chart-csv", "chart": ALL}, "n_clicks"), State("ex-state", "data"),
          prevent_initial_call=True)
def download(csv_clicks, xlsx_clicks, chart_clicks, stored):
    from dashboard import downloads

    if not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update
    atlas = load_atlas()
    state = ViewState(**stored)
    practices = selection(atlas, state)
    names = atlas.area_by_code["name"].to_dict()
    filters = downloads.describe_filters(state.filters(), names)
    if state.area:
        filters.append(f"Selected area: {names.get(state.area, state.area)} ({state.area})")
    provenance = downloads.provenance_lines(filters, datetime.now(), atlas.manifest)
    table = downloads.practice_table(atlas, practices)
    columns = [(c, h) for c, h in downloads.PRACTICE_COLUMNS if c in table.columns]
    stem = f"equity-atlas-{selection_name(atlas, state)}-{state.year}"
    chart_tables = chart_data(atlas, state, practices)
    trigger = ctx.triggered_id
    if trigger == "ex-download-csv":
        return dcc.send_bytes(downloads.practices_csv(table, columns, provenance),
                              downloads.safe_filename(stem, "csv"))
    if trigger == "ex-download-xlsx":
        from dashboard.security import ExportsBusy, export_slot

        sheets = {"Practices": table[[c for c, _ in columns]].rename(columns=dict(columns))}
        sheets.update({CHARTS[cid][:31]: frame for cid, frame in chart_tables.items()})
        try:
            with export_slot():
                book = downloads.workbook_xlsx(sheets, provenance)
        except ExportsBusy:
            return no_update
        return dcc.send_bytes(book, downloads.safe_filename(stem, "xlsx"))
    chart_id = trigger["chart"]
    return dcc.send_bytes(downloads.table_csv(chart_tables[chart_id], provenance + [f"Chart: {CHARTS[chart_id]}"]),
                          downloads.safe_filename(f"{stem}-{chart_id}", "csv"))


def chart_data(atlas, state: ViewState, practices) -> dict:
    """The numbers behind each chart, exactly as the figures draw them."""
    pay = aggregates.scatter_frame(practices, y="payments_per_weighted_patient")
    le = aggregates.scatter_frame(practices, y="life_expectancy_female")
    return {
        "chart-deprivation": aggregates.by_deprivation(practices, band=state.band),
        "chart-scatter-pay": pay,
        "chart-scatter-le": le,
        "chart-trend": aggregates.trend_by_quintile(all_years_selection(atlas, state), "payments_per_weighted_patient"),
        "chart-components": aggregates.components_by_quintile(practices),
    }


# --- browser-side conveniences -----------------------------------------------------------------------------
for fmt in ("png", "svg"):
    dash_clientside_download = f"""
    function(clicks) {{
        const trigger = window.dash_clientside.callback_context.triggered_id;
        if (!trigger || !clicks.some(Boolean)) {{ return window.dash_clientside.no_update; }}
        const graph = document.querySelector('#' + trigger.chart + ' .js-plotly-plot');
        if (graph) {{ Plotly.downloadImage(graph, {{format: '{fmt}', filename: 'equity-atlas-' + trigger.chart,
                                                     width: 1000, height: 600}}); }}
        return window.dash_clientside.no_update;
    }}"""
    clientside_callback(dash_clientside_download, Output({"type": f"chart-{fmt}", "chart": ALL}, "title"),
                        Input({"type": f"chart-{fmt}", "chart": ALL}, "n_clicks"), prevent_initial_call=True)

clientside_callback(
    """
    function(clicks) {
        if (!clicks) { return window.dash_clientside.no_update; }
        const link = window.location.href;
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(link);
            return 'Link copied: ' + link;
        }
        return 'Copy this link: ' + link;
    }
    """,
    Output("ex-copy-status", "children"), Input("ex-copy-link", "n_clicks"), prevent_initial_call=True,
)


"""The explorer page: the filter panel, the map (drawn with the page), and the parts built as they scroll in."""

from __future__ import annotations

from dash import Input, Output, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import boundary
from dashboard.components.controls import filter_panel, panel_lists
from dashboard.components.headline import national_headline
from dashboard.data.query import load_atlas
from dashboard.figures import map as map_figures
from dashboard.pages import route
from dashboard.state import parse_query

from . import ids
from .table import practice_table_part
from .view import selection_part, trend_part

GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud"]}


def notice(messages: list[str]):
    if not messages:
        return None
    return html.Div(className="notice", children=[
        html.Strong("Some of the link could not be used. "), html.Ul([html.Li(m) for m in messages])])


def chart_block(chart_id: str, title: str) -> html.Section:
    return html.Section(className="chart-block", **{"aria-labelledby": f"{chart_id}-title"}, children=[
        html.H3(title, id=f"{chart_id}-title"),
        html.P(id=f"{chart_id}-alt", className="chart-alt"),
        dcc.Loading(dcc.Graph(id=chart_id, config=GRAPH_CONFIG, className="chart", style={"height": "420px"}),
                    type="dot", delay_show=400),
        html.Div(className="chart-downloads", children=[
            html.Button("Download chart as PNG", id=ids.chart_button("png", chart_id), className="button-link"),
            html.Button("Download chart as SVG", id=ids.chart_button("svg", chart_id), className="button-link"),
            html.Button("Download chart data (CSV)", id=ids.chart_button("csv", chart_id), className="button-link"),
        ]),
    ])


def after_map(store: str) -> dict:
    """assets/lazy.js: set `store` to true once the map is drawn and the element is near the screen."""
    return {"data-lazy-store": store, "data-lazy-after": f"#{ids.MAP}"}


@route("/", "Equity Atlas: explorer")
def layout(search: str = "", **_params):
    from .maps import first_map, map_alternative, map_metric, map_title

    atlas = load_atlas()
    state, notices = parse_query(search, atlas)
    base_map, values, names = first_map(atlas, state)
    return html.Div(className="explorer", children=[
        dcc.Location(id=ids.URL, refresh="callback-nav"),
        dcc.Store(id=ids.VIEW, data=state.as_dict()),
        dcc.Store(id=ids.SELECTION, data=selection_part(state)),
        dcc.Store(id=ids.TREND_SELECTION, data=trend_part(state)),
        dcc.Download(id=ids.DOWNLOAD),
        dcc.Store(id="ex-chart-caption"),  # what a downloaded chart image says about itself (downloads.py)
        html.Div(id=ids.NOTICE, role="status", **{"aria-live": "polite"}, children=notice(notices)),
        html.H1("Where NHS money for general practice goes", className="page-title"),
        html.Div(className="explorer-grid", children=[
            dcc.Store(id=ids.LISTS_SEEN, data=False),
            html.Aside(filter_panel(atlas, state, fill_later=after_map(ids.LISTS_SEEN)), className="filters",
                       **{"aria-label": "Filters"}),
            html.Div(className="explorer-main", children=[
                html.Section(id=ids.CARDS, className="cards", **{"aria-label": "Headline figures"}),
                html.Section(className="map-block", **{"aria-labelledby": ids.MAP_TITLE}, children=[
                    html.Div(className="map-header", children=[
                        html.H2(map_title(state), id=ids.MAP_TITLE),
                        html.Div(className="map-actions", children=[
                            dcc.Checklist(id=ids.SHOW_PRACTICES, options=[{"label": "Show practices", "value": "on"}],
                                          value=[], inline=True, className="checklist"),
                            html.Button("Clear area selection", id=ids.CLEAR_AREA, className="button-link"),
                        ]),
                    ]),
                    html.P("Click an area to narrow the charts, cards and table to it. " + map_figures.MAP_KEY,
                           className="control-hint"),
                    dcc.Graph(id=ids.MAP, figure=base_map, config={**GRAPH_CONFIG, "scrollZoom": True},
                              className="map", style={"height": "620px"}),
                    html.Div(map_alternative(values, names, map_metric(state), state, atlas), id=ids.MAP_ALT,
                             className="map-alt"),
                ]),
                html.Div(id=ids.GAP_SENTENCE, className="gap-sentence"),
                # Below the fold: built when scrolled near (assets/lazy.js), so the map is drawn first.
                dcc.Store(id=ids.CHARTS_SEEN, data=False),
                html.Div(id=ids.CHARTS_PART, className="charts lazy-part", **after_map(ids.CHARTS_SEEN),
                         children=html.P("The charts appear as you scroll to them.", className="control-hint")),
                html.Section(className="table-block", **{"aria-labelledby": "table-title"}, children=[
                    html.H2("Practices in this selection", id="table-title"),
                    dcc.Store(id=ids.TABLE_SEEN, data=False),
                    html.Div(id=ids.TABLE_PART, className="lazy-part", **after_map(ids.TABLE_SEEN),
                             children=html.P("The table appears as you scroll to it.", className="control-hint")),
                ]),
                html.Section(className="downloads", **{"aria-labelledby": "downloads-title"}, children=[
                    html.H2("Take this view with you", id="downloads-title"),
                    html.Button("Download data (CSV)", id=ids.DOWNLOAD_CSV, className="button"),
                    html.Button("Download data (Excel)", id=ids.DOWNLOAD_XLSX, className="button"),
                    html.Button("Copy link to this view", id=ids.COPY_LINK, className="button button-secondary"),
                    html.Span(id=ids.COPY_STATUS, role="status", className="control-hint"),
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


@boundary.accepts({f"{ids.LISTS_SEEN}.data": boundary.flag})
@callback([Output(control_id, "options") for control_id in ids.PANEL_LISTS], Input(ids.LISTS_SEEN, "data"),
          prevent_initial_call=True)
def fill_panel_lists(seen):
    """The filter panel's dropdown lists, once the map is drawn (filter_panel says why)."""
    if not seen:
        raise PreventUpdate
    lists = panel_lists(load_atlas())
    return [lists[control_id] for control_id in ids.PANEL_LISTS]


@boundary.accepts({f"{ids.CHARTS_SEEN}.data": boundary.flag})
@callback(Output(ids.CHARTS_PART, "children"), Input(ids.CHARTS_SEEN, "data"), prevent_initial_call=True)
def mount_charts(seen):
    """The chart blocks, once scrolled near; each chart's own callback then fills it."""
    return [chart_block(cid, title) for cid, title in ids.CHARTS.items()] if seen else no_update


@boundary.accepts({f"{ids.TABLE_SEEN}.data": boundary.flag})
@callback(Output(ids.TABLE_PART, "children"), Input(ids.TABLE_SEEN, "data"), prevent_initial_call=True)
def mount_table(seen):
    return practice_table_part() if seen else no_update

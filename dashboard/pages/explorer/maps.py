"""The explorer's map: values for a view, its title and text alternative, and the callbacks that patch it."""

from __future__ import annotations

import pandas as pd
from dash import Input, Output, Patch, callback, html

from dashboard import area_metrics, boundary
from dashboard.data.query import load_atlas
from dashboard.dimensions import LEVEL
from dashboard.figures import map as map_figures
from dashboard.metrics import REGISTRY, Metric
from dashboard.state import ViewState

from . import ids
from .stores import VIEW_STORE
from .table import table_fields
from .view import selection


def map_metric(state: ViewState) -> Metric:
    """What the map shows: a practice measure, or an area measure in the view's edition (area_metrics).

    An area measure the chosen edition does not publish keeps its name from the edition that does, and the
    map is left empty with map_note saying why.
    """
    if not area_metrics.is_option(state.metric):
        return REGISTRY[state.metric]
    measure = (area_metrics.option_measure(state.metric, state.imd)
               or next(filter(None, (area_metrics.option_measure(state.metric, e) for e in area_metrics.IMD_EDITIONS))))
    return area_metrics.as_metric(measure)


def when(state: ViewState) -> str:
    """The year of a practice measure, or the edition of an area measure ('IMD 2025', 'Census 2021')."""
    if not area_metrics.is_option(state.metric):
        return state.year
    measure = area_metrics.option_measure(state.metric, state.imd)
    if measure is None:
        return area_metrics.imd_edition_name(state.imd)
    return area_metrics.edition_label(measure)


def map_values(atlas, state: ViewState):
    """The map's numbers for a view: one value per area with data, and the areas' names.

    An area measure describes each whole area's residents: every area of the level is shown, whatever the
    practice filters, and none where the edition or level does not publish it (map_note says so).
    """
    if area_metrics.is_option(state.metric):
        measure = area_metrics.option_measure(state.metric, state.imd)
        if measure is None or state.level not in measure.levels:
            values = pd.Series(dtype=float)
        else:
            values = atlas.area_measure(measure.id, state.level, measure.edition).dropna().astype(float)
    else:
        practices = atlas.select(state.filters())
        values = atlas.metric_by_area(practices, state.level, state.metric, state.year).dropna()
    return values, atlas.area_by_code["name"].reindex(values.index).fillna("")


def map_note(state: ViewState) -> str:
    """What an area measure is and is not, said under the map; nothing for a practice measure."""
    if not area_metrics.is_option(state.metric):
        return ""
    measure = area_metrics.option_measure(state.metric, state.imd)
    plural = LEVEL[state.level].plural
    if measure is None:
        return (f"This measure is not published in the {area_metrics.imd_edition_name(state.imd)} edition; choose "
                "the other edition to see it.")
    if state.level not in measure.levels:
        return (f"{area_metrics.edition_label(measure)} does not give this measure for {plural}; choose another "
                "level of map areas.")
    return (f"An area statistic ({area_metrics.edition_label(measure)}): {measure.description} It describes the "
            f"people living in each area, not the patients of its practices, so the practice filters do not change "
            f"it. {measure.caveat}").strip()


def map_title(state: ViewState) -> str:
    return f"{map_metric(state).label}, by {LEVEL[state.level].name}, {when(state)}"


def first_map(atlas, state: ViewState):
    """The map that comes with the page, values and all: the browser fetches the boundaries as it draws."""
    values, names = map_values(atlas, state)
    figure = map_figures.choropleth_map(
        level=state.level, codes=list(values.index), values=values.round(4).tolist(), names=list(names),
        metric=map_metric(state), year=when(state), geojson_url=f"/geo/{state.level}.geojson",
        marmot_outline_url="/geo/marmot.geojson", selected=state.area or None,
        marmot_codes=atlas.areas.loc[atlas.areas["level"] == "marmot", "code"].tolist())
    if state.area.startswith("marmot:"):
        figure.data[map_figures.SELECTED_TRACE].geojson = "/geo/marmot.geojson"
    return figure, values, names


def map_alternative(values, names, metric, state, atlas):
    """What the map shows, for people who cannot see it: the range and the extremes; for an area measure, also
    what it describes (map_note)."""
    note = map_note(state)
    noted = [html.P(note, className="map-note")] if note else []
    if values.empty:
        return [html.P("No areas have a value for this selection."), *noted]
    order = values.sort_values(ascending=False)
    top = [f"{names[c]} ({metric.format(order[c])})" for c in order.index[:5]]
    bottom = [f"{names[c]} ({metric.format(order[c])})" for c in order.index[-5:][::-1]]
    return [
        *noted,
        html.P(f"The map shows {len(values)} areas. {metric.label} ranges from {metric.format(order.iloc[-1])} "
               f"({names[order.index[-1]]}) to {metric.format(order.iloc[0])} ({names[order.index[0]]}).",
               className="chart-alt"),
        html.Details(children=[
            html.Summary("Highest and lowest areas"),
            html.P("Highest: " + "; ".join(top) + "."),
            html.P("Lowest: " + "; ".join(bottom) + "."),
        ]),
    ]


@boundary.accepts({f"{ids.VIEW}.data": VIEW_STORE, f"{ids.SHOW_PRACTICES}.value": boundary.many_of(["on"])})
@callback(Output(ids.MAP, "figure"), Output(ids.MAP_TITLE, "children"), Output(ids.MAP_ALT, "children"),
          Input(ids.VIEW, "data"), Input(ids.SHOW_PRACTICES, "value"), prevent_initial_call=True)
def update_map(stored, show_practices):
    """Send values, not shapes: the boundaries stay in the browser; only codes and numbers travel."""
    atlas = load_atlas()
    state = ViewState(**stored)
    metric = map_metric(state)
    values, names = map_values(atlas, state)
    patch = Patch()
    update = map_figures.area_values(state.level, list(values.index), values.round(4).tolist(), list(names),
                                     metric, when(state), geojson_url=f"/geo/{state.level}.geojson")
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
    patch["data"][map_figures.SELECTED_TRACE]["visible"] = bool(selected)
    points = map_figures.practice_points(selection(atlas, state)) if show_practices else map_figures.no_points()
    for key, value in points.items():
        patch["data"][map_figures.PRACTICE_TRACE][key] = value
    return patch, map_title(state), map_alternative(values, names, metric, state, atlas)


@boundary.accepts({f"{ids.TABLE}.selectedRows": boundary.grid_rows(table_fields)})
@callback(Output(ids.MAP, "figure", allow_duplicate=True), Input(ids.TABLE, "selectedRows"),
          prevent_initial_call=True)
def highlight_practice(rows):
    """Selecting a practice in the table marks it on the map."""
    patch = Patch()
    points = map_figures.highlight_point(rows[0] if rows else None)
    for key, value in points.items():
        patch["data"][map_figures.HIGHLIGHT_TRACE][key] = value
    return patch

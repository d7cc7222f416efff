"""Figures for one place: its trend against England, and a map zoomed to it with its practices."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from . import palette
from .map import practice_points


def area_trend(table: pd.DataFrame, area_name: str, metric_id: str, comparisons: dict[str, pd.Series] | None = None,
               marks: dict[str, str] | None = None) -> go.Figure:
    """The area's line against England's across every year; `marks` labels a year (e.g. 'joined')."""
    metric = palette.metric_of(metric_id)
    fig = palette.new_figure()
    fig.add_scatter(x=table["year"], y=table["area"], name=area_name, mode="lines+markers",
                    line={"color": palette.OKABE_ITO["blue"], "width": 3}, marker={"symbol": "circle", "size": 8},
                    hovertemplate=f"{area_name} %{{x}}: {palette.hover_value(metric_id, 'y')}<extra></extra>")
    for index, (name, values) in enumerate((comparisons or {}).items()):
        fig.add_scatter(x=table["year"], y=values, name=name, mode="lines+markers",
                        line={"color": palette.CATEGORICAL[(index + 2) % len(palette.CATEGORICAL)], "width": 2},
                        marker={"symbol": ["square", "triangle-up", "x", "cross"][index % 4], "size": 7})
    fig.add_scatter(x=table["year"], y=table["england"], name="England", mode="lines+markers",
                    line={"color": palette.GREY, "width": 2, "dash": "dash"}, marker={"symbol": "diamond", "size": 7},
                    hovertemplate=f"England %{{x}}: {palette.hover_value(metric_id, 'y')}<extra></extra>")
    for year, label in (marks or {}).items():
        if year in set(table["year"]):
            fig.add_vline(x=year, line={"color": palette.OKABE_ITO["orange"], "dash": "dot"})
            fig.add_annotation(x=year, y=1, yref="paper", text=label, showarrow=False, yanchor="bottom",
                               font={"size": 11})
    fig.update_layout(template=palette.TEMPLATE, margin={"l": 60, "r": 10, "t": 30, "b": 50}, height=340,
                      yaxis_title=palette.axis_title(metric_id, "cash terms", wrap=28), xaxis_title="Financial year",
                      legend={"orientation": "h", "y": -0.25})
    latest = table.iloc[-1]
    fig.layout.meta = {"alt": (
        f"Line chart of {palette.plain_label(metric_id)} from {table['year'].iloc[0]} to {latest['year']}: "
        f"{area_name} {metric.format(table['area'].iloc[0])} to {metric.format(latest['area'])}; England "
        f"{metric.format(table['england'].iloc[0])} to {metric.format(latest['england'])}.")}
    return fig


def zoom_for(bounds: tuple[float, float, float, float], width_px: int = 900, height_px: int = 420) -> float:
    """A web-map zoom that fits the bounding box (derived from the geometry, not a table of places)."""
    min_lon, min_lat, max_lon, max_lat = bounds
    lon_span = max(max_lon - min_lon, 0.01)
    lat_span = max(max_lat - min_lat, 0.01) * 1.6  # degrees of latitude are longer at England's latitudes
    # Web maps draw the world 512 px wide at zoom 0, doubling with each zoom level.
    zoom = min(math.log2(360 * width_px / 512 / lon_span), math.log2(360 * height_px / 512 / lat_span))
    return round(max(min(zoom - 0.3, 12), 4), 2)


def area_map(code: str | list[str], level_file: str, bounds, practices: pd.DataFrame, name: str) -> go.Figure:
    """The area's outline (or its parts) and its practices, on a plain background (no tiles)."""
    min_lon, min_lat, max_lon, max_lat = bounds
    locations = [code] if isinstance(code, str) else list(code)
    outline = go.Choroplethmap(geojson=level_file, featureidkey="id", locations=locations, z=[1] * len(locations),
                               colorscale=[[0, "#e8eef5"], [1, "#e8eef5"]], showscale=False,
                               marker={"line": {"color": palette.OUTLINE, "width": 3}}, hoverinfo="skip", name=name)
    points = practice_points(practices)
    dots = go.Scattermap(mode="markers", name="Practices", **points)
    fig = palette.new_figure([outline, dots])
    fig.update_layout(template=palette.TEMPLATE, margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=420,
                      map={"style": "white-bg", "center": {"lon": (min_lon + max_lon) / 2, "lat": (min_lat + max_lat) / 2},
                           "zoom": zoom_for(bounds)}, showlegend=False)
    fig.layout.meta = {"alt": f"Map of {name} with its {len(points['lon']):,} practices as dots: orange for "
                              "non-dispensing, black for dispensing; dot area grows with list size."}
    return fig

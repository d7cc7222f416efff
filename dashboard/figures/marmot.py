"""Marmot Places side by side: one small panel per place against England, with the year it joined."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import palette


def small_multiples(trends: dict[str, pd.DataFrame], joined: dict[str, int], metric_id: str,
                    columns: int = 3) -> go.Figure:
    """trends: place name -> frame(year, area, england); joined: place name -> year joined."""
    names = list(trends)
    rows = max(1, math.ceil(len(names) / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=names, shared_yaxes=True,
                        vertical_spacing=0.5 / rows if rows > 1 else 0.1, horizontal_spacing=0.04)
    for index, name in enumerate(names):
        row, col = index // columns + 1, index % columns + 1
        table = trends[name]
        fig.add_scatter(x=table["year"], y=table["area"], mode="lines+markers", name=name, showlegend=False,
                        line={"color": palette.OKABE_ITO["blue"], "width": 2.5}, marker={"size": 5},
                        hovertemplate=f"{name} %{{x}}: {palette.hover_value(metric_id, 'y')}<extra></extra>",
                        row=row, col=col)
        fig.add_scatter(x=table["year"], y=table["england"], mode="lines", name="England", showlegend=index == 0,
                        line={"color": palette.GREY, "dash": "dash", "width": 1.5},
                        hovertemplate=f"England %{{x}}: {palette.hover_value(metric_id, 'y')}<extra></extra>",
                        row=row, col=col)
        year = joined.get(name)
        label = f"{year}-{(year + 1) % 100:02d}" if year else None
        if label in set(table["year"]):
            fig.add_vline(x=label, line={"color": palette.OKABE_ITO["orange"], "dash": "dot", "width": 2},
                          row=row, col=col)
    fig.update_xaxes(showticklabels=False)
    fig.update_xaxes(showticklabels=True, tickangle=-45, tickfont={"size": 9}, row=rows)
    fig.update_layout(template=palette.TEMPLATE, height=max(260, 200 * rows), margin={"l": 50, "r": 10, "t": 40, "b": 60},
                      legend={"orientation": "h", "y": 1.06 + 0.02 * rows})
    fig.update_annotations(font_size=11)
    metric = palette.metric_of(metric_id)
    fig.layout.meta = {"alt": f"Small multiples of {palette.plain_label(metric_id)} for {len(names)} Marmot Places "
                              "against England (dashed), a dotted orange line at the year each joined. "
                              + "; ".join(f"{n}: {metric.format(trends[n]['area'].iloc[-1])} in "
                                          f"{trends[n]['year'].iloc[-1]}" for n in names) + "."}
    return fig


def together_vs_rest(table: pd.DataFrame, metric_id: str) -> go.Figure:
    """table: year, marmot, rest."""
    fig = palette.new_figure()
    fig.add_scatter(x=table["year"], y=table["marmot"], name="Marmot Places together", mode="lines+markers",
                    line={"color": palette.OKABE_ITO["vermillion"], "width": 3}, marker={"symbol": "diamond", "size": 8})
    fig.add_scatter(x=table["year"], y=table["rest"], name="Rest of England", mode="lines+markers",
                    line={"color": palette.OKABE_ITO["blue"], "width": 3, "dash": "dash"}, marker={"size": 7})
    fig.update_layout(template=palette.TEMPLATE, height=320, margin={"l": 60, "r": 10, "t": 20, "b": 50},
                      yaxis_title=palette.axis_title(metric_id, wrap=28), xaxis_title="Financial year",
                      legend={"orientation": "h", "y": -0.3})
    metric = palette.metric_of(metric_id)
    last = table.iloc[-1]
    fig.layout.meta = {"alt": f"{palette.plain_label(metric_id).capitalize()} in {last['year']}: Marmot Places "
                              f"together {metric.format(last['marmot'])}, rest of England {metric.format(last['rest'])}."}
    return fig

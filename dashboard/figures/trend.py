"""How a metric moved across years in each deprivation quintile, in cash terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import palette


def trend_lines(table, metric_id: str | None = None, basis: str = "") -> go.Figure:
    """One line per quintile from aggregates.trend_by_quintile; symbols as well as colours tell them apart.

    `basis` (inequality.basis_text) names how the fifths were formed, in the legend and the text alternative.
    """
    metric_id = metric_id or table.attrs.get("metric_id")
    metric = palette.metric_of(metric_id)
    labels = dict(zip(range(1, 6), palette.band_labels(5), strict=True))
    traces = []
    for band in range(1, 6):
        rows = table[table["band"] == band].sort_values("year")
        if rows.empty:
            continue
        traces.append(dict(
            type="scatter", name=f"Quintile {labels[band]}", x=rows["year"].astype(str).tolist(),
            y=palette.plain_list(rows["value"], 4), mode="lines+markers", customdata=rows["practices"].tolist(),
            line={"color": palette.QUINTILE_COLOURS[band], "width": 2.5},
            marker={"symbol": palette.QUINTILE_SYMBOLS[band], "size": 9, "color": palette.QUINTILE_COLOURS[band]},
            hovertemplate=(f"<b>Quintile {labels[band]}</b><br>%{{x}}<br>{palette.hover_value(metric_id)}"
                           " (cash terms)<br>%{customdata:,} practices<extra></extra>"),
        ))
    return palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, uirevision="trend", hovermode="closest",
        xaxis={"title": {"text": "Financial year"}, "type": "category"},
        yaxis={"title": {"text": palette.axis_title(metric_id, note="cash terms")}},
        legend={"title": {"text": f"Deprivation fifth{f' ({basis})' if basis else ''}"}},
        meta={"alt": _alt(table, metric, basis)},
    ))


def _alt(table, metric, basis: str = "") -> str:
    bands = f" ({basis})" if basis else ""
    if table.empty:
        return (f"Line chart of {palette.plain_label(metric.id)} by deprivation quintile{bands}: no data for this "
                "selection.")
    years = sorted(table["year"].astype(str).unique())
    first, last = years[0], years[-1]
    parts = []
    for band, name in ((1, "most"), (5, "least")):
        part = table[table["band"] == band]
        rows = pd.Series(part["value"].to_numpy(), index=part["year"].astype(str))
        start, end = rows.get(first, np.nan), rows.get(last, np.nan)
        parts.append(f"in the {name} deprived quintile from {metric.format(start)} to {metric.format(end)}")
    return (f"Line chart of {palette.plain_label(metric.id)} by deprivation quintile{bands}, {first} to {last}, in "
            "cash terms: "
            f"{parts[0]}, and {parts[1]}.")

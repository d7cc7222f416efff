"""A Fingertips-style spine chart: each measure's range across all areas of a kind, England at the centre,
and the area marked by how it compares with England.

Why this shape: a reader scanning eight measures needs "is this area unusual, and is the difference real?"
at a glance. Each row is scaled so England sits in the middle and the area furthest from England touches an
edge (the Public Health England convention), so rows in different units share one axis; lower values are
always on the left. The mark's shape and colour both carry the comparison (colour-blind readers and
greyscale prints lose nothing), and the same numbers are in the table beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import metrics
from . import palette

# mark -> (words in the legend, symbol, colour): shape and colour both differ between every pair
MARK_STYLE = {
    "better": ("Better than England", "circle", palette.OKABE_ITO["blue"]),
    "similar": ("Similar to England (no clear difference)", "square", palette.GREY),
    "worse": ("Worse than England", "diamond", palette.OKABE_ITO["vermillion"]),
    "higher": ("Higher than England (no better or worse)", "triangle-up", palette.OKABE_ITO["reddish_purple"]),
    "lower": ("Lower than England (no better or worse)", "triangle-down", palette.OKABE_ITO["sky_blue"]),
    "not compared": ("Not compared (too few practices or no interval)", "circle-open", palette.INK),
}


def position(value: float, england: float, minimum: float, maximum: float) -> float:
    """0 to 1 across a row, England at 0.5 and the extreme furthest from England at an edge."""
    half = max(abs(maximum - england), abs(minimum - england))
    if not all(math.isfinite(x) for x in (value, england)) or not math.isfinite(half) or half <= 0:
        return 0.5 if math.isfinite(value) and math.isfinite(england) and value == england else math.nan
    return 0.5 + (value - england) / (2 * half)


def spine_chart(table: pd.DataFrame, area_name: str, year: str) -> go.Figure:
    labels = table["label"].tolist()
    spread = {"minimum": [], "maximum": [], "p25": [], "p75": [], "value": []}
    for row in table.itertuples(index=False):
        for key in spread:
            spread[key].append(position(getattr(row, key), row.england, row.minimum, row.maximum))
    traces = []

    def bars(low_key, high_key, width, colour, name):
        xs, ys = [], []
        for label, low, high in zip(labels, spread[low_key], spread[high_key], strict=True):
            if math.isfinite(low) and math.isfinite(high):
                xs += [low, high, None]
                ys += [label, label, None]
        traces.append({"type": "scatter", "mode": "lines", "x": xs, "y": ys, "name": name, "hoverinfo": "skip",
                       "line": {"color": colour, "width": width}})

    bars("minimum", "maximum", 14, "#d9d9d9", f"Range of all {table['level_plural'].iloc[0]}")
    bars("p25", "p75", 14, "#8c8c8c", "25th to 75th percentile")
    traces.append({"type": "scatter", "mode": "markers", "x": [0.5] * len(labels), "y": labels, "name": "England",
                   "marker": {"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": palette.INK}},
                   "hoverinfo": "skip"})
    for mark, (words, symbol, colour) in MARK_STYLE.items():
        chosen = table["mark"] == mark
        if not chosen.any():
            continue
        part = table[chosen]
        xs = [x if math.isfinite(x) else 0.5 for x, keep in zip(spread["value"], chosen, strict=True) if keep]
        text = [f"{metrics.REGISTRY[m].format(v)} (England {metrics.REGISTRY[m].format(e)})"
                for m, v, e in zip(part["metric_id"], part["value"], part["england"], strict=True)]
        traces.append({"type": "scatter", "mode": "markers", "x": xs, "y": part["label"].tolist(), "name": words,
                       "text": text, "hovertemplate": "<b>%{y}</b><br>%{text}<extra></extra>",
                       "marker": {"symbol": symbol, "size": 15, "color": colour,
                                  "line": {"width": 1.5, "color": palette.INK if mark != "not compared" else colour}}})
    figure = palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, showlegend=True, height=140 + 42 * len(labels),
        xaxis={"range": [-0.03, 1.03], "showticklabels": True, "tickvals": [0, 0.5, 1],
               "ticktext": ["lowest", "England", "highest"], "showgrid": False, "zeroline": False,
               "fixedrange": True},
        yaxis={"autorange": "reversed", "fixedrange": True},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        margin={"l": 60, "r": 20, "t": 10, "b": 90},
        meta={"alt": alt_text(table, area_name, year)},
    ))
    return figure


def alt_text(table: pd.DataFrame, area_name: str, year: str) -> str:
    plural = table["level_plural"].iloc[0] if len(table) else "areas"
    parts = []
    for row in table.itertuples(index=False):
        metric = metrics.REGISTRY[row.metric_id]
        where = ""
        if math.isfinite(row.minimum) and math.isfinite(row.value):
            where = f", within a range of {metric.format(row.minimum)} to {metric.format(row.maximum)}"
        parts.append(f"{row.label}: {metric.format(row.value)} against England's {metric.format(row.england)}, "
                     f"{row.mark}{where}")
    return (f"Spine chart for {area_name}, {year}: each measure's range across all {plural}, England in the middle "
            f"and {area_name} marked. " + "; ".join(parts) + ".")


def spine_values(table: pd.DataFrame) -> np.ndarray:
    """The plotted positions, for tests: what a reader sees must follow from the table."""
    return np.array([position(r.value, r.england, r.minimum, r.maximum) for r in table.itertuples(index=False)])

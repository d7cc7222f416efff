"""The fairness page's figures: areas against their deprivation with the fitted line, the map of each area's
difference from the value expected for its deprivation, and the same areas against the share of their
residents in ethnic groups other than White.

Pure functions of data/fairness.area_table's frame, so the chart, the map, the table and the CSV are one set
of numbers. Below expected is always orange and above blue (palette.DIVERGING), the same "worse side" as the
explorer's gap maps; the scatter marks outliers by shape as well as by label.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import metrics
from ..dimensions import LEVEL
from . import palette
from .map import ENGLAND_CENTRE, ENGLAND_ZOOM

X_TITLE_TEMPLATE = "Deprivation of practices' patients ({edition} score, higher = more deprived)"


def _money(metric: metrics.Metric, value: float) -> str:
    return metric.format(value)


def area_scatter(table: pd.DataFrame, fit: dict | None, metric_id: str, year: str, level: str,
                 edition: str) -> go.Figure:
    """One point per area, all the same size (areas differ too much in size for size to be read), outliers labelled and
    drawn as diamonds, the patient-weighted line dashed. Areas without a value are left off and counted."""
    metric = metrics.REGISTRY[metric_id]
    shown = table[np.isfinite(table["value"].astype(float)) & np.isfinite(table["deprivation"].astype(float))]
    plural = LEVEL[level].plural
    traces, notes = [], []
    for outlier, name, symbol, colour in ((False, plural[0].upper() + plural[1:], "circle", palette.OKABE_ITO["blue"]),
                                          (True, "Outliers (more than 2 residual SDs from the line)", "diamond",
                                           palette.OKABE_ITO["vermillion"])):
        part = shown[shown["outlier"] == outlier]
        if part.empty:
            continue
        expected = [_money(metric, v) if np.isfinite(v) else "n/a" for v in part["expected"].astype(float)]
        traces.append({
            "type": "scatter", "mode": "markers+text" if outlier else "markers", "name": name,
            "x": part["deprivation"].round(2).tolist(), "y": part["value"].round(2).tolist(),
            "text": part["name"].tolist() if outlier else None, "textposition": "top center",
            "textfont": {"size": 11},
            "customdata": [[n, e] for n, e in zip(part["name"], expected, strict=True)],
            "hovertemplate": ("<b>%{customdata[0]}</b><br>IMD score %{x:.1f}<br>"
                              f"{palette.hover_value(metric_id)}<br>expected %{{customdata[1]}}<extra></extra>"),
            "marker": {"symbol": symbol, "color": colour, "size": 11 if outlier else 8, "opacity": 0.85,
                       "line": {"width": 1, "color": "#ffffff"}},
        })
    if fit is not None and len(shown):
        line, note = _weighted_line(shown["deprivation"], fit, "Expected for deprivation (line weighted by patients)",
                                    plural, "left")
        traces.append(line)
        notes.append(note)
    figure = palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, annotations=notes, showlegend=True,
        xaxis={"title": {"text": X_TITLE_TEMPLATE.format(edition=edition)}},
        yaxis={"title": {"text": palette.axis_title(metric_id)}},
        meta={"alt": _scatter_alt(table, shown, fit, metric, year, plural)},
    ))
    return figure


def _weighted_line(x: pd.Series, fit: dict, name: str, plural: str, corner: str) -> tuple[dict, dict]:
    """The dashed patient-weighted line across the drawn range of x, and its R² note in a top corner."""
    xs = np.array([x.min(), x.max()], dtype=float)
    line = {"type": "scatter", "mode": "lines", "name": name, "x": xs.round(2).tolist(),
            "y": (fit["intercept"] + fit["slope"] * xs).round(3).tolist(),
            "line": {"color": palette.INK, "width": 2.5, "dash": "dash"}, "hoverinfo": "skip"}
    note = dict(text=f"R² = {fit['r2']:.2f} ({fit['n']} {plural}, weighted by registered patients)",
                xref="paper", yref="paper", x=0.01 if corner == "left" else 0.99, y=0.99, xanchor=corner,
                yanchor="top", showarrow=False, bgcolor="rgba(255,255,255,0.85)", font={"size": 12})
    return line, note


SHARE_TITLE = "Residents in ethnic groups other than White (% of usual residents, Census 2021)"


def share_scatter(table: pd.DataFrame, fit: dict | None, metric_id: str, year: str, level: str) -> go.Figure:
    """The same areas against the share of their residents in ethnic groups other than White: one point per
    area, the patient-weighted line dashed (none below the areas a line needs)."""
    shown = table[np.isfinite(table["value"].astype(float)) & np.isfinite(table["minority"].astype(float))]
    plural = LEVEL[level].plural
    traces = [{
        "type": "scatter", "mode": "markers", "name": plural[0].upper() + plural[1:],
        "x": shown["minority"].round(2).tolist(), "y": shown["value"].round(2).tolist(),
        "customdata": shown["name"].tolist(),
        "hovertemplate": (f"<b>%{{customdata}}</b><br>%{{x:.1f}}% of residents in ethnic groups other than White"
                          f"<br>{palette.hover_value(metric_id)}<extra></extra>"),
        "marker": {"symbol": "circle", "color": palette.OKABE_ITO["blue"], "size": 8, "opacity": 0.85,
                   "line": {"width": 1, "color": "#ffffff"}},
    }]
    notes = []
    if fit is not None and len(shown):
        line, note = _weighted_line(shown["minority"], fit, "Line weighted by registered patients", plural, "right")
        traces.append(line)
        notes.append(note)
    alt = (f"Scatter chart of {len(shown):,} {plural} in {year}: share of residents in ethnic groups other than "
           f"White (Census 2021) across, {palette.plain_label(metric_id)} up. "
           + (f"A dashed line weighted by registered patients has R² = {fit['r2']:.2f}." if fit is not None
              else "No line is fitted."))
    return palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, annotations=notes, showlegend=True,
        xaxis={"title": {"text": SHARE_TITLE}, "ticksuffix": "%"},
        yaxis={"title": {"text": palette.axis_title(metric_id)}}, meta={"alt": alt}))


def _scatter_alt(table, shown, fit, metric, year, plural) -> str:
    head = (f"Scatter chart of {len(shown):,} {plural} in {year}: deprivation (IMD score) across, "
            f"{palette.plain_label(metric.id)} up.")
    missing = len(table) - len(shown)
    if missing:
        head += f" {missing:,} without data are not drawn."
    if fit is None:
        return head + " No line is fitted."
    outliers = shown[shown["outlier"]]
    named = ", ".join(f"{n} ({'+' if d > 0 else '−'}{_money(metric, abs(d))})"
                      for n, d in zip(outliers["name"], outliers["difference"], strict=True))
    return (head + f" A dashed line shows the value expected for each level of deprivation (R² = {fit['r2']:.2f})."
            + (f" Labelled outliers, as difference from expected: {named}." if named else " No area is an outlier."))


def difference_map(table: pd.DataFrame, metric_id: str, year: str, level: str, geojson_url: str):
    """Each area coloured by its difference from the value expected for its deprivation: orange below, blue
    above, white on the line, the scale symmetric about zero so the two sides read alike."""
    metric = metrics.REGISTRY[metric_id]
    diffs = table["difference"].astype(float)
    z = [None if not np.isfinite(v) else round(float(v), 2) for v in diffs]
    finite = np.abs(diffs[np.isfinite(diffs)].to_numpy())
    edge = float(np.percentile(finite, 98)) if finite.size >= 20 else float(finite.max()) if finite.size else 1.0
    edge = round(edge, 2) or 1.0
    trace = go.Choroplethmap(
        geojson=geojson_url, featureidkey="id", locations=table["code"].astype(str).tolist(), z=z,
        text=table["name"].astype(str).tolist(), colorscale=palette.DIVERGING, zmin=-edge, zmax=edge, zmid=0.0,
        marker={"line": {"color": palette.AREA_LINE, "width": 0.6}, "opacity": 0.9},
        colorbar={"title": {"text": f"Difference from<br>expected (£)<br>{year}", "side": "top"}, "thickness": 12,
                  "len": 0.6, "x": 0.99, "xanchor": "right", "bgcolor": "rgba(255,255,255,0.85)",
                  "outlinewidth": 0},
        hovertemplate="<b>%{text}</b><br>%{z:+,.2f} £ " + metric.per + " against expected<extra></extra>",
        name="Difference from expected", showlegend=False,
    )
    figure = palette.new_figure([trace])
    figure.update_layout(template=palette.TEMPLATE, margin={"l": 0, "r": 0, "t": 0, "b": 0},
                         map={"style": "white-bg", "center": ENGLAND_CENTRE, "zoom": ENGLAND_ZOOM},
                         meta={"alt": _map_alt(table, metric, year, level)})
    return figure


def _map_alt(table, metric, year, level) -> str:
    ranked = table.dropna(subset=["difference"])
    plural = LEVEL[level].plural
    if ranked.empty:
        return f"Map of {len(table):,} {plural}: no difference from expected can be shown for {year}."
    below = int((ranked["difference"] < 0).sum())
    low = ranked.loc[ranked["difference"].idxmin()]
    high = ranked.loc[ranked["difference"].idxmax()]
    return (f"Map of {len(table):,} {plural} in {year} coloured by the difference between "
            f"{palette.plain_label(metric.id)} and the value expected for the area's deprivation, orange below "
            f"and blue above: {below:,} are below. Furthest below: {low['name']} "
            f"(−{_money(metric, abs(low['difference']))}); furthest above: {high['name']} "
            f"(+{_money(metric, abs(high['difference']))}). The table below lists every area.")

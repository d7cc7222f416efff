"""The England map: areas coloured by a metric, Marmot Places outlined, a selected area, practices on top.

Boundaries are never inlined: each choropleth names a URL (e.g. "/geo/la.geojson", features keyed
by `id` = area code) that the browser fetches once and caches, so a figure for 300 areas is a few KB
and the page can change values with dash.Patch without re-sending geometry. Trace order is fixed
by the *_TRACE constants below, so a Patch can address a trace by position.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .. import metrics
from ..data.aggregates import practice_values
from ..dimensions import LEVEL
from . import palette

AREA_TRACE = 0  # the choropleth of the metric
MARMOT_TRACE = 1  # Marmot Places outlines (hidden when no URL is given)
SELECTED_TRACE = 2  # thick outline around the selected area (empty when none)
PRACTICE_TRACE = 3  # practices as points, empty until the page fills it from practice_points()
HIGHLIGHT_TRACE = 4  # one practice picked in the table, ringed

ENGLAND_CENTRE = {"lat": 52.7, "lon": -1.5}
ENGLAND_ZOOM = 5.2
def _plural(level: str) -> str:
    return LEVEL[level].plural if level in LEVEL else level


TRANSPARENT = [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]]
PRACTICE_SIZE_PX = (3, 14)
PRACTICE_SIZE_REFERENCE = 40_000  # patients drawn at the largest size, so sizes compare across selections
AREA_OPACITY = 0.9
AREA_OPACITY_WITH_PRACTICES = 0.55  # patch data[AREA_TRACE].marker.opacity to this when practices are shown
MAP_KEY = ("Thick dark outlines mark Marmot Places; the thickest outline marks the selected area. Practices: "
           "orange dots do not dispense, black dots dispense, purple dots are of unknown status; dot area grows "
           "with list size.")
PRACTICE_HOVER = ("<b>%{text}</b> (%{customdata[0]})<br>%{customdata[4]}<br>%{customdata[1]} registered patients"
                  "<br>%{customdata[2]} per weighted patient<br>IMD decile %{customdata[3]} (1 = most deprived)"
                  "<extra></extra>")


def _metric(metric) -> metrics.Metric:
    return metric if isinstance(metric, metrics.Metric) else palette.metric_of(metric)


def z_values(values: Sequence[float], metric) -> list[float | None]:
    """Values rounded to the metric's shown precision, missing as None (JSON null): keeps payloads small."""
    decimals = _metric(metric).decimals
    out = []
    for value in values:
        value = float(value) if value is not None and not pd.isna(value) else math.nan
        out.append(round(value, decimals) if math.isfinite(value) else None)
    return out


def colour_range(values: Sequence[float], metric) -> dict:
    """zmin/zmax (and zmid for gaps) from the 2nd–98th percentiles, so one outlier cannot flatten the map."""
    metric = _metric(metric)
    finite = np.array([v for v in z_values(values, metric) if v is not None], dtype=float)
    if finite.size == 0:
        return {"zmin": 0.0, "zmax": 1.0}
    low, high = (np.percentile(finite, [2, 98]) if finite.size >= 20 else (finite.min(), finite.max()))
    if metric.centred:
        edge = round(float(max(abs(low), abs(high))), metric.decimals + 2) or 1.0
        return {"zmin": -edge, "zmax": edge, "zmid": 0.0}
    if low == high:
        low, high = low - 1, high + 1
    return {"zmin": round(float(low), metric.decimals + 2), "zmax": round(float(high), metric.decimals + 2)}


def _colourbar_title(metric: metrics.Metric, year: str) -> str:
    """Label, unit and year, wrapped so the colourbar stays narrow."""
    return "<br>".join(textwrap.wrap(palette.axis_title(metric.id, wrap=999), 24)) + f"<br>{year}"


def choropleth_map(level: str, codes: Sequence[str], values: Sequence[float], names: Sequence[str], metric,
                   year: str, geojson_url: str, marmot_outline_url: str | None = None, selected: str | None = None,
                   marmot_codes: Sequence[str] = ()) -> go.Figure:
    """Areas coloured by `metric` (id or Metric) for `year`; traces in the order of the *_TRACE constants.

    Traces with nothing to draw yet (no selected area, no practices) are hidden, and the patches that
    fill them show them: maplibre then builds no layers for them, and each layer kind costs a shader
    compile before the first map appears (slow in software WebGL).

    marmot_codes are the feature ids in the Marmot outline file (e.g. "marmot:coventry").
    """
    metric = _metric(metric)
    codes, names = [str(c) for c in codes], [str(n) for n in names]
    z = z_values(values, metric)
    scale = palette.colour_scale(metric)
    area = go.Choroplethmap(
        geojson=geojson_url, featureidkey="id", locations=codes, z=z, text=names,
        colorscale=scale, **colour_range(values, metric),
        marker={"line": {"color": palette.AREA_LINE, "width": 0.6}, "opacity": AREA_OPACITY},
        colorbar={"title": {"text": _colourbar_title(metric, year), "side": "top"}, "thickness": 12, "len": 0.6,
                  "x": 0.99, "xanchor": "right", "bgcolor": "rgba(255,255,255,0.85)", "outlinewidth": 0},
        hovertemplate=f"<b>%{{text}}</b> (%{{location}})<br>{palette.hover_value(metric.id, 'z')} in {year}"
                      "<extra></extra>",
        name=_plural(level).capitalize(), showlegend=False,
    )
    marmot = go.Choroplethmap(
        geojson=marmot_outline_url or geojson_url, featureidkey="id",
        locations=list(marmot_codes) if marmot_outline_url else [],
        z=[0] * (len(marmot_codes) if marmot_outline_url else 0), colorscale=TRANSPARENT, showscale=False,
        marker={"line": {"color": palette.OUTLINE, "width": 2}}, hoverinfo="skip",
        name="Marmot Places (outlined)", showlegend=False, visible=bool(marmot_outline_url),
    )
    highlight = go.Choroplethmap(
        geojson=geojson_url, featureidkey="id", locations=[selected] if selected else [],
        z=[0] if selected else [], colorscale=TRANSPARENT, showscale=False,
        marker={"line": {"color": palette.OKABE_ITO["black"], "width": 4.5}}, hoverinfo="skip",
        name="Selected area", showlegend=False, visible=bool(selected),
    )
    practices = go.Scattermap(
        lon=[], lat=[], mode="markers", name="Practices", text=[], customdata=[],
        marker={"size": PRACTICE_SIZE_PX[0], "color": palette.MAP_DISPENSING_COLOURS["No"], "opacity": 0.85},
        hovertemplate=PRACTICE_HOVER, showlegend=False, visible=False,
    )
    picked = go.Scattermap(lon=[], lat=[], mode="markers", name="Chosen practice", text=[], hoverinfo="text",
                           marker={"size": 22, "color": palette.OKABE_ITO["black"], "opacity": 0.6},
                           showlegend=False, visible=False)
    fig = palette.new_figure([area, marmot, highlight, practices, picked])
    fig.update_layout(
        template=palette.TEMPLATE, uirevision="map", margin={"l": 0, "r": 0, "t": 0, "b": 0},
        map={"style": "white-bg", "center": ENGLAND_CENTRE, "zoom": ENGLAND_ZOOM, "uirevision": "map"},
        showlegend=False,  # outlines have no swatch a legend could show: the page captions them (MAP_KEY)
        meta={"alt": _alt(level, codes, z, names, metric, year)},
    )
    return fig


def _alt(level, codes, z, names, metric, year) -> str:
    shown = [(v, n) for v, n in zip(z, names, strict=True) if v is not None]
    kind = _plural(level)
    if not shown:
        return f"Map of {len(codes):,} {kind} in England: no {palette.plain_label(metric.id)} values for {year}."
    low, high = min(shown), max(shown)
    median = float(np.median([v for v, _ in shown]))
    missing = len(codes) - len(shown)
    tail = f"; {missing:,} without data" if missing else ""
    return (f"Map of {len(codes):,} {kind} in England coloured by {palette.plain_label(metric.id)} in {year}: from "
            f"{metric.format(low[0])} in {low[1]} to {metric.format(high[0])} in {high[1]}, median "
            f"{metric.format(median)}{tail}.")


def practice_points(frame: pd.DataFrame) -> dict:
    """Trace properties for PRACTICE_TRACE from practice rows: colour by dispensing, area by list size.

    Apply with `patch["data"][PRACTICE_TRACE].update(practice_points(frame))`; rows without a
    location are dropped. Symbols are not used (map markers cannot take them), so the hover card
    also names the dispensing status.
    """
    frame = frame[frame["lon"].notna() & frame["lat"].notna()]
    patients = frame["registered_patients"].fillna(0).clip(lower=0).to_numpy(dtype=float)
    low, high = PRACTICE_SIZE_PX
    sizes = np.clip(low + (high - low) * np.sqrt(patients / PRACTICE_SIZE_REFERENCE), low, high).round(1)
    status = frame["dispensing"].astype(str).where(frame["dispensing"].astype(str).isin(["Yes", "No"]), "Unknown")
    per_patient = practice_values(frame, "payments_per_weighted_patient") if len(frame) else pd.Series(dtype=float)
    decile = frame["imd_decile"]
    customdata = [
        [code, f"{p:,.0f}", metrics.format_value(v, "£ per patient", 2), "n/a" if pd.isna(d) else str(int(d)),
         palette.DISPENSING_LABELS[s]]
        for code, p, v, d, s in zip(frame["practice_code"].astype(str), patients, per_patient, decile, status,
                                    strict=True)
    ]
    return {
        "lon": frame["lon"].round(5).tolist(),
        "lat": frame["lat"].round(5).tolist(),
        "text": frame["practice_name"].astype(str).tolist(),
        "customdata": customdata,
        "marker": {"color": [palette.MAP_DISPENSING_COLOURS[s] for s in status], "size": sizes.tolist(),
                   "opacity": 0.85},
        "hovertemplate": PRACTICE_HOVER,
        "showlegend": False,
        "visible": True,
    }


def area_values(level: str, codes: Sequence[str], values: Sequence[float], names: Sequence[str], metric,
                year: str, geojson_url: str) -> dict:
    """Only what changes on the area trace when the metric, year, level or filters change.

    Apply key by key to `patch["data"][AREA_TRACE]`: the boundaries stay where the browser cached them.
    """
    metric = _metric(metric)
    return {
        "geojson": geojson_url,
        "locations": [str(c) for c in codes],
        "z": z_values(values, metric),
        "text": [str(n) for n in names],
        "colorscale": palette.colour_scale(metric),
        **{"zmin": None, "zmax": None, "zmid": None, **colour_range(values, metric)},
        "colorbar_title": _colourbar_title(metric, year),  # nested: colorbar.title.text
        "hovertemplate": f"<b>%{{text}}</b> (%{{location}})<br>{palette.hover_value(metric.id, 'z')} in {year}"
                         "<extra></extra>",
        "name": _plural(level).capitalize(),
    }


def no_points() -> dict:
    return {"lon": [], "lat": [], "text": [], "customdata": [], "visible": False}


def highlight_point(row: dict | None) -> dict:
    """A ring around one practice (a table row as a dict), or nothing."""
    if not row or row.get("lon") is None or row.get("lat") is None:
        return {"lon": [], "lat": [], "text": [], "visible": False}
    return {"lon": [row["lon"]], "lat": [row["lat"]], "visible": True,
            "text": [f"{row.get('practice_name', '')} ({row.get('practice_code', '')})"]}

"""The look of every chart, defined once: colour-blind-safe colours, a small template, unit wording.

Okabe–Ito for categories, cividis for maps, blue–orange for gaps (red–green and RdBu are avoided).
Deprivation always runs orange (most deprived) to blue (least deprived) so a reader learns it once.
The template is deliberately tiny: plotly's default one adds ~7 KB to every figure sent to the browser.
"""

from __future__ import annotations

import math
import os

import plotly.graph_objects as go

from .. import metrics

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
CATEGORICAL = [OKABE_ITO[name] for name in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple",
                                              "sky_blue", "yellow", "black")]
GREY = "#6E6E6E"
INK = "#1b1b1b"

GROUP_COLOURS = {"All practices": OKABE_ITO["blue"], "Dispensing": OKABE_ITO["vermillion"],
                 "Non-dispensing": OKABE_ITO["sky_blue"]}
GROUP_PATTERNS = {"All practices": "", "Dispensing": "/", "Non-dispensing": "."}

DISPENSING_COLOURS = {"Yes": OKABE_ITO["vermillion"], "No": OKABE_ITO["blue"], "Unknown": GREY}
DISPENSING_SYMBOLS = {"Yes": "diamond", "No": "circle", "Unknown": "x"}
# On the map practices sit on cividis fills (navy → grey → yellow), where blue and vermillion vanish:
# orange shows on navy and grey, black on grey and yellow (dispensing practices are mostly rural).
MAP_DISPENSING_COLOURS = {"Yes": OKABE_ITO["black"], "No": OKABE_ITO["orange"], "Unknown": OKABE_ITO["reddish_purple"]}
DISPENSING_LABELS = {"Yes": "Dispensing", "No": "Non-dispensing", "Unknown": "Dispensing status unknown"}

# Ordinal deprivation: most deprived (1) orange through grey to least deprived (5) blue.
QUINTILE_COLOURS = {1: OKABE_ITO["vermillion"], 2: OKABE_ITO["orange"], 3: GREY, 4: OKABE_ITO["sky_blue"],
                    5: OKABE_ITO["blue"]}
QUINTILE_SYMBOLS = {1: "circle", 2: "square", 3: "diamond", 4: "triangle-up", 5: "x"}

SEQUENTIAL = "Cividis"
DIVERGING = [[0.0, "#b35806"], [0.2, "#e08214"], [0.4, "#fdb863"], [0.5, "#f7f7f7"], [0.6, "#92c5de"],
             [0.8, "#4393c3"], [1.0, "#2166ac"]]

COMPONENT_COLOURS = dict(zip(
    ["Global sum and core", "QOF", "Enhanced services", "Premises", "Prescribing and dispensing", "Other",
     "COVID", "PCN"], CATEGORICAL, strict=True))
COMPONENT_PATTERNS = dict(zip(COMPONENT_COLOURS, ["", "/", "\\", "x", "-", "|", "+", "."], strict=True))

AREA_LINE = "#d9d9d9"
OUTLINE = "#1b1b1b"

# Plotly checks every property as a figure is built; for a scatter of every practice in England that costs
# more than the rest of an interaction. Tests (and anyone debugging) set EQUITY_ATLAS_VALIDATE_FIGURES=1
# so a misspelt property still fails there; the app builds figures unchecked.
VALIDATE_FIGURES = os.environ.get("EQUITY_ATLAS_VALIDATE_FIGURES", "") == "1"


def new_figure(*args, **kwargs) -> go.Figure:
    """go.Figure, validated only when EQUITY_ATLAS_VALIDATE_FIGURES=1 (tests)."""
    return go.Figure(*args, _validate=VALIDATE_FIGURES, **kwargs)


def figure_json(figure: go.Figure) -> dict:
    """figure.to_plotly_json() without its deep copy, for a figure that is sent and then dropped.

    Why: plotly copies every point of a figure twice, once as it is built and again here; for a scatter
    of every practice in England the second copy was half the callback's time. The figure's own dicts are
    handed over instead (the figure is not used again). tests/unit/test_figures.py checks the result equals
    to_plotly_json(), so a plotly release that changes its internals fails there, not on the page.
    """
    data, layout = getattr(figure, "_data", None), getattr(figure, "_layout", None)
    if not isinstance(data, list) or not isinstance(layout, dict) or figure._frame_objs:
        return figure.to_plotly_json()
    return {"data": list(data), "layout": layout}


def plain_list(values, decimals: int) -> list:
    """Rounded numbers as a JSON-ready list, missing values as None (unvalidated figures send what they get)."""
    return [None if v is None or not math.isfinite(v) else round(float(v), decimals) for v in values]


TEMPLATE = go.layout.Template(layout={
    "font": {"family": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif', "size": 13,
             "color": INK},
    "colorway": CATEGORICAL,
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#ffffff",
    "xaxis": {"gridcolor": "#e5e5e5", "linecolor": "#8c8c8c", "zerolinecolor": "#bdbdbd", "automargin": True},
    "yaxis": {"gridcolor": "#e5e5e5", "linecolor": "#8c8c8c", "zerolinecolor": "#bdbdbd", "automargin": True},
    "hoverlabel": {"bgcolor": "#ffffff", "font": {"color": INK}},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    "margin": {"l": 60, "r": 20, "t": 40, "b": 60},
})

# How a unit reads in an axis title, and how a value is written in a hover template.
AXIS_UNITS = {"£ per patient": "£", "£": "£", "%": "%", "years": "years", "score": "IMD score", "count": "number",
              "score change": "score", "rank change": "places", "rank": "rank"}


def metric_of(metric_id: str | None) -> metrics.Metric:
    metric = metrics.lookup(metric_id or metrics.MAP_DEFAULT)
    if metric is None:
        raise KeyError(metric_id)
    return metric


def plain_label(metric_id: str | None) -> str:
    """The label as it reads mid-sentence: 'female life expectancy', 'payments per weighted patient'."""
    metric = metric_of(metric_id)
    if metric.id not in metrics.REGISTRY:  # an area measure's label is not "measure, qualifier"
        return metric.label[0].lower() + metric.label[1:]
    head, _, qualifier = metric.label.partition(", ")
    head = head[0].lower() + head[1:]
    if qualifier and metric.unit != "£ per patient":
        return f"{qualifier} {head}"
    return head + (f", {qualifier}" if qualifier else "")


def axis_title(metric_id: str | None, note: str = "", wrap: int = 48) -> str:
    """'Payments per weighted patient (£)', broken onto two lines when long; note adds e.g. 'cash terms'."""
    metric = metric_of(metric_id)
    units = AXIS_UNITS.get(metric.unit, metric.unit)
    label = metric.label
    if len(label) > wrap and ", " in label:
        head, _, rest = label.partition(", ")
        label = f"{head},<br>{rest}"
    return f"{label} ({units}{', ' + note if note else ''})"


def hover_value(metric_id: str | None, variable: str = "y") -> str:
    """A hovertemplate fragment that prints the value with its unit, e.g. '£%{y:,.2f}'."""
    metric = metric_of(metric_id)
    unit, decimals = metric.unit, metric.decimals
    if unit == "£ per patient":
        return f"£%{{{variable}:,.2f}} {metric.per}"
    if unit == "£":
        return f"£%{{{variable}:,.0f}}"
    if unit == "%":
        return f"%{{{variable}:.{max(decimals, 1)}f}}%"
    if unit == "years":
        return f"%{{{variable}:.1f}} years"
    if unit == "count":
        return f"%{{{variable}:,.0f}}"
    return f"%{{{variable}:,.{decimals}f}}"


def colour_scale(metric: metrics.Metric):
    """Cividis (low navy to high yellow) for levels; for a gap, diverging with its worse side orange and its
    better side blue, as the metric declares (higher_is), so "worse than England" always looks the same."""
    if not metric.centred:
        return SEQUENTIAL
    if metric.higher_is == "worse":
        return [[1 - stop, colour] for stop, colour in reversed(DIVERGING)]
    return DIVERGING


def band_labels(n_bands: int) -> list[str]:
    """'1 (most deprived)' … '5 (least deprived)': the direction is on the axis, not only in a legend."""
    return [f"{band} (most deprived)" if band == 1 else f"{band} (least deprived)" if band == n_bands else str(band)
            for band in range(1, n_bands + 1)]

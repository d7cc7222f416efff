"""Figures for one practice: its payments by component and year, and where it sits among its neighbours."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..data.aggregates import COMPONENTS
from ..metrics import REGISTRY, format_money
from . import palette


def payments_by_year(table: pd.DataFrame, name: str) -> go.Figure:
    """Stacked bars of each component by year (relative mode: an adjustment can be negative).

    Components keep the colours and patterns of the explorer's component chart, so a reader who learnt
    "QOF is orange with slashes" there reads this one without the legend.
    """
    years = table["year"].astype(str).tolist()
    traces = []
    for column, label in COMPONENTS.items():
        values = table[column].astype(float)
        if not (values.abs() > 0).any():
            continue  # COVID and PCN are nothing before 2020-21: no empty legend entries
        traces.append(dict(
            type="bar", name=label, x=years, y=palette.plain_list(values, 0),
            marker={"color": palette.COMPONENT_COLOURS[label], "line": {"color": palette.INK, "width": 0.8},
                    "pattern": {"shape": palette.COMPONENT_PATTERNS[label], "fillmode": "overlay",
                                "fgcolor": "#ffffff", "solidity": 0.25}},
            hovertemplate=f"<b>{label}</b><br>%{{x}}<br>£%{{y:,.0f}}<extra></extra>",
        ))
    return palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, barmode="relative", height=380,
        xaxis={"title": {"text": "Financial year"}, "type": "category"},
        yaxis={"title": {"text": "Payments (£, cash terms)"}},
        legend={"traceorder": "normal"},
        meta={"alt": _payments_alt(table, name)},
    ))


def _payments_alt(table: pd.DataFrame, name: str) -> str:
    if table.empty:
        return f"Stacked bar chart of payments to {name} by component: no years with data."
    first, last = table.iloc[0], table.iloc[-1]
    largest = max(COMPONENTS, key=lambda c: float(last[c]) if math.isfinite(float(last[c])) else -math.inf)
    return (f"Stacked bar chart of payments to {name} by component, {first['year']} to {last['year']}, in cash "
            f"terms: {format_money(float(first['total_incl_covid_pcn']))} in {first['year']} and "
            f"{format_money(float(last['total_incl_covid_pcn']))} in {last['year']} including COVID and PCN "
            f"payments; the largest part in {last['year']} was {COMPONENTS[largest].lower()} "
            f"({format_money(float(last[largest]))}).")


def local_strip(distribution: dict, practice_code: str, practice_name: str, year: str) -> go.Figure:
    """Every practice of the local authority as a dot on one line, this one larger, darker and labelled.

    A strip rather than a histogram: with 20-60 practices each dot is a real practice a reader may know, and
    the highlighted one is told apart by size, symbol and label as well as colour.
    """
    metric = REGISTRY[distribution["metric_id"]]
    table = distribution["table"]
    others = table[table["practice_code"] != practice_code]
    mine = table[table["practice_code"] == practice_code]
    # A fixed, deterministic jitter keeps overlapping dots apart and the same figure byte-for-byte each time.
    jitter = (np.arange(len(others)) % 5 - 2) * 0.06
    traces = [dict(type="scatter", mode="markers", name=f"Other practices in {distribution['la_name']}",
                   x=palette.plain_list(others["value"], 2), y=jitter.round(2).tolist(),
                   text=others["practice_name"].tolist(),
                   marker={"color": palette.OKABE_ITO["sky_blue"], "size": 10, "symbol": "circle",
                           "line": {"color": palette.INK, "width": 0.6}},
                   hovertemplate=f"%{{text}}<br>{palette.hover_value(metric.id, 'x')}<extra></extra>")]
    if len(mine):
        traces.append(dict(type="scatter", mode="markers+text", name=practice_name,
                           x=palette.plain_list(mine["value"], 2), y=[0], text=[practice_name],
                           textposition="top center",
                           marker={"color": palette.OKABE_ITO["vermillion"], "size": 18, "symbol": "diamond",
                                   "line": {"color": palette.INK, "width": 1.5}},
                           hovertemplate=f"%{{text}}<br>{palette.hover_value(metric.id, 'x')}<extra></extra>"))
    return palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, height=260, hovermode="closest",
        xaxis={"title": {"text": palette.axis_title(metric.id, note=year)}},
        yaxis={"visible": False, "range": [-0.5, 0.8], "fixedrange": True},
        legend={"orientation": "h", "y": -0.45},
        margin={"l": 30, "r": 20, "t": 20, "b": 60},
        meta={"alt": _strip_alt(distribution, metric, practice_name, year)},
    ))


def _strip_alt(distribution: dict, metric, practice_name: str, year: str) -> str:
    table = distribution["table"]
    if table.empty:
        return f"Strip chart of {palette.plain_label(metric.id)}: no practices with data in {year}."
    where = distribution["la_name"]
    rank = distribution["rank"]
    place = (f"{practice_name} is ranked {rank} of {distribution['of']} (1 = highest)" if rank else
             f"{practice_name} has no value")
    return (f"Strip chart of {palette.plain_label(metric.id)} for the {distribution['of']} practices in {where} "
            f"in {year}, from {metric.format(table['value'].min())} to {metric.format(table['value'].max())}; "
            f"{place}.")

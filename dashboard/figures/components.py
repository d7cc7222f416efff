"""What the money per weighted patient is made of, quintile by quintile."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from ..data.aggregates import COMPONENTS
from . import palette


def component_bars(table, basis: str = "") -> go.Figure:
    """Stacked bars from aggregates.components_by_quintile (relative mode: some components are negative).

    `basis` (inequality.basis_text) names how the fifths were formed, on the axis and in the alternative text.
    """
    labels = dict(zip(range(1, 6), palette.band_labels(5), strict=True))
    traces = []
    for component in COMPONENTS.values():
        rows = table[table["component"] == component].set_index("band").reindex(range(1, 6))
        traces.append(dict(
            type="bar", name=component, x=[labels[b] for b in rows.index],
            y=palette.plain_list(rows["amount_per_weighted_patient"], 4),
            customdata=palette.plain_list(rows["amount"], 0),
            texttemplate="£%{y:,.0f}", textposition="inside", insidetextanchor="middle",
            marker={"color": palette.COMPONENT_COLOURS[component], "line": {"color": palette.INK, "width": 0.8},
                    "pattern": {"shape": palette.COMPONENT_PATTERNS[component], "fillmode": "overlay",
                                "fgcolor": "#ffffff", "solidity": 0.25}},
            hovertemplate=(f"<b>{component}</b><br>Quintile %{{x}}<br>£%{{y:,.2f}} per weighted patient<br>"
                           "£%{customdata:,.0f} in total<extra></extra>"),
        ))
    return palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, barmode="relative", uirevision="components",
        uniformtext={"minsize": 10, "mode": "hide"},
        xaxis={"title": {"text": f"Deprivation fifth ({basis or 'fifths of patients'}; 1 = most deprived)"},
               "type": "category"},
        yaxis={"title": {"text": "£ per weighted patient, by component"}},
        legend={"traceorder": "normal"},
        meta={"alt": _alt(table, basis)},
    ))


def _alt(table, basis: str = "") -> str:
    totals = table.groupby("band")["amount_per_weighted_patient"].sum(min_count=1)
    core = table[table["component"] == "Global sum and core"].set_index("band")["amount_per_weighted_patient"]
    parts = []
    for band, name in ((1, "most"), (5, "least")):
        total, core_part = totals.get(band, float("nan")), core.get(band, float("nan"))
        if pd.isna(total):
            parts.append(f"no practices in the {name} deprived quintile")
            continue
        parts.append(f"£{total:,.2f} in the {name} deprived quintile (£{core_part:,.2f} of it global sum and core)")
    return ("Stacked bar chart of payments per weighted patient, including COVID and PCN, split into eight "
            f"components for each deprivation quintile{f' ({basis})' if basis else ''}: {parts[0]}, against "
            f"{parts[1]}.")

"""Money (or any registry metric) by deprivation band, for all, dispensing and non-dispensing practices."""

from __future__ import annotations

import plotly.graph_objects as go

from ..data.aggregates import GROUPS
from . import palette


def deprivation_bars(table, band_label: str = "quintile", metric_id: str | None = None, sentence: str = "",
                     basis: str = "") -> go.Figure:
    """Grouped bars from aggregates.by_deprivation; each bar carries its practice count ('n=1,234').

    `sentence` is the engine's sentence for the same bands (inequality.sentence), put in the text alternative
    rather than written again here, so the chart's words and the page's cannot differ; `basis` names the bands
    (inequality.basis_text) on the axis.
    """
    metric_id = metric_id or table.attrs.get("metric_id")
    metric = palette.metric_of(metric_id)
    n_bands = 10 if band_label == "decile" else 5
    labels = palette.band_labels(n_bands)
    traces = []
    for group in GROUPS:
        rows = table[table["group"] == group].set_index("band").reindex(range(1, n_bands + 1))
        counts = rows["practices"].fillna(0).astype(int)
        values = rows["value"].astype(float)
        traces.append(dict(
            type="bar", name=group, x=list(labels), y=palette.plain_list(values, 4),
            text=[f"n={c:,}" if c else "" for c in counts],
            textposition="outside", textfont={"size": 10 if n_bands == 10 else 12},
            cliponaxis=False,
            customdata=counts.tolist(),
            marker={"color": palette.GROUP_COLOURS[group], "line": {"color": palette.INK, "width": 1},
                    "pattern": {"shape": palette.GROUP_PATTERNS[group], "fillmode": "overlay", "fgcolor": "#ffffff",
                                "solidity": 0.3}},
            hovertemplate=(f"<b>{group}</b><br>Deprivation {band_label} %{{x}}<br>"
                           f"{palette.hover_value(metric_id)}<br>%{{customdata:,}} practices<extra></extra>"),
        ))
    return palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, barmode="group", bargap=0.18, uirevision="deprivation",
        xaxis={"title": {"text": f"Deprivation {'tenth' if n_bands == 10 else 'fifth'} "
                                 f"({basis or 'fifths of patients'}; 1 = most deprived)"},
               "type": "category"},
        yaxis={"title": {"text": palette.axis_title(metric_id)}, "rangemode": "tozero"},
        meta={"alt": _alt(table, band_label, metric, sentence, basis)},
    ))


def _alt(table, band_label: str, metric, sentence: str, basis: str) -> str:
    counted = int(table.loc[table["group"] == "All practices", "practices"].sum())
    bands = f" ({basis})" if basis else ""
    return (f"Bar chart of {palette.plain_label(metric.id)} by deprivation {band_label}{bands} for {counted:,} "
            f"practices, split into all, dispensing and non-dispensing practices." + (f" {sentence}" if sentence
                                                                                        else ""))

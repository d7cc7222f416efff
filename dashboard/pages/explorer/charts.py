"""The explorer's cards, gap sentence and charts: each from the selection alone, memoised as plain data.

One callback per chart, each with only the inputs it depends on: the browser asks for them in parallel,
each draws as soon as it arrives, and the trend (every year) is not recomputed or re-sent when only the
year changes.
"""

from __future__ import annotations

import json

from dash import Input, Output, callback, html

from dashboard import boundary
from dashboard.cache import memoize
from dashboard.components.headline import patients_basis_note
from dashboard.data import aggregates
from dashboard.data.query import load_atlas
from dashboard.figures import components as component_figures
from dashboard.figures import deprivation as deprivation_figures
from dashboard.figures import scatter as scatter_figures
from dashboard.figures import trend as trend_figures
from dashboard.metrics import REGISTRY, compute, format_value, group_sums
from dashboard.state import ViewState

from . import ids
from .stores import SELECTION_STORE, TREND_STORE
from .view import selection, selection_name

CARD_METRICS = ["practices", "registered_patients", "total_payments", "payments_per_weighted_patient",
                "share_patients_dispensing", "life_expectancy_female", "life_expectancy_male"]


@boundary.accepts({f"{ids.SELECTION}.data": SELECTION_STORE})
@callback(Output(ids.CARDS, "children"), Output(ids.GAP_SENTENCE, "children"), Input(ids.SELECTION, "data"))
def update_headline(stored):
    """The cards and the sentence that reads the deprivation gap."""
    return headline_for(json.dumps(stored, sort_keys=True))


@memoize()
def headline_for(selection_json: str):
    atlas = load_atlas()
    state = ViewState(**json.loads(selection_json))
    practices = selection(atlas, state)
    name = selection_name(atlas, state)
    cards = headline_cards(atlas, practices, state, name)
    gap = aggregates.deprivation_gap(aggregates.by_deprivation(practices, band=state.band))
    sentence = html.P(f"{name}, {state.year}: {gap['sentence']}") if gap.get("sentence") else None
    return cards, sentence


def headline_cards(atlas, practices, state: ViewState, name: str) -> list:
    sums, england = group_sums(practices, None), atlas.england_sums(state.year)
    cards = [html.H2(f"{name}, {state.year}", className="cards-heading"), *patients_basis_note(atlas, state.year)]
    items = []
    for metric_id in CARD_METRICS:
        metric = REGISTRY[metric_id]
        value = float(compute(metric_id, sums, england).iloc[0])  # sums once for all the cards
        reference = float(compute(metric_id, england, england).iloc[0])
        comparison = "" if name == "England" else f"England: {format_value(reference, metric.unit, metric.decimals)}"
        items.append(html.Div(className="card", children=[
            html.Dt(metric.label), html.Dd(metric.format(value), className="card-value"),
            html.Dd(comparison, className="card-compare"),
        ]))
    cards.append(html.Dl(items, className="card-list"))
    return cards


def alt_text(fig) -> str:
    return fig.layout.meta.get("alt", "") if isinstance(fig.layout.meta, dict) else ""


def scatter_chart(atlas, state: ViewState, y: str, unit: str):
    frame = aggregates.scatter_frame(selection(atlas, state), y=y)
    fit = aggregates.fit_line(frame["imd_score"], frame["y"], frame["registered_patients"])
    return scatter_figures.deprivation_scatter(frame, fit, f"{REGISTRY[y].label} ({unit})")


# The charts drawn from the selection alone, by id; each has its own callback (chart_callback).
SELECTION_CHARTS = {
    "chart-deprivation": lambda atlas, state: deprivation_figures.deprivation_bars(
        aggregates.by_deprivation(selection(atlas, state), band=state.band), band_label=state.band),
    "chart-scatter-pay": lambda atlas, state: scatter_chart(atlas, state, "payments_per_weighted_patient", "£"),
    "chart-scatter-le": lambda atlas, state: scatter_chart(atlas, state, "life_expectancy_female", "years"),
    "chart-components": lambda atlas, state: component_figures.component_bars(
        aggregates.components_by_quintile(selection(atlas, state))),
}


@memoize()
def chart_for(chart_id: str, selection_json: str):
    """A chart as plain JSON-ready data (cheap to keep and to share through Redis) and its text alternative."""
    figure = SELECTION_CHARTS[chart_id](load_atlas(), ViewState(**json.loads(selection_json)))
    return figure.to_plotly_json(), alt_text(figure)


def chart_callback(chart_id: str):
    """Register chart_id's callback, named after it (update_scatter_pay, ...) in logs and the benchmark."""
    def update_chart(stored):
        return chart_for(chart_id, json.dumps(stored, sort_keys=True))

    update_chart.__name__ = update_chart.__qualname__ = f"update_{chart_id.removeprefix('chart-').replace('-', '_')}"
    boundary.accepts({f"{ids.SELECTION}.data": SELECTION_STORE})
    return callback(Output(chart_id, "figure"), Output(f"{chart_id}-alt", "children"),
                    Input(ids.SELECTION, "data"))(update_chart)


for _chart_id in SELECTION_CHARTS:
    chart_callback(_chart_id)


@boundary.accepts({f"{ids.TREND_SELECTION}.data": TREND_STORE})
@callback(Output("chart-trend", "figure"), Output("chart-trend-alt", "children"), Input(ids.TREND_SELECTION, "data"))
def update_trend(stored):
    """Every year for the selection's filters: the year shown does not change it."""
    return trend_for(json.dumps(stored, sort_keys=True))


@memoize()
def trend_for(trend_json: str):
    atlas = load_atlas()
    state = ViewState(**{**json.loads(trend_json), "year": atlas.latest_year})
    figure = trend_figures.trend_lines(aggregates.trend_by_quintile(selection(atlas, state, all_years=True),
                                                                    "payments_per_weighted_patient"))
    return figure.to_plotly_json(), alt_text(figure)

"""The explorer's cards, gap sentences and charts: each from the selection alone, memoised as plain data.

One callback per chart, each with only the inputs it depends on: the browser asks for them in parallel,
each draws as soon as it arrives, and the trend (every year) is not recomputed or re-sent when only the
year changes.

Every chart bands practices as the gap sentence does (inequality.bands_of, England-wide fifths or tenths of
patients or of practices, as the view's `fifths` says) and every sentence is inequality.sentence, so a bar
and the sentence under it can never disagree and the explorer says what the area page and the PDF say.
"""

from __future__ import annotations

import json
from functools import lru_cache

import pandas as pd
from dash import Input, Output, callback, html

from dashboard import boundary, inequality
from dashboard.cache import memoize
from dashboard.components.headline import patients_basis_note
from dashboard.data import aggregates
from dashboard.data.query import load_atlas
from dashboard.dimensions import FILTERS
from dashboard.figures import components as component_figures
from dashboard.figures import deprivation as deprivation_figures
from dashboard.figures import palette
from dashboard.figures import scatter as scatter_figures
from dashboard.figures import trend as trend_figures
from dashboard.metrics import REGISTRY, compute, denominator_definition, format_value, group_sums
from dashboard.state import ViewState

from . import ids
from .stores import SELECTION_STORE, TREND_STORE
from .view import chart_metric, chart_note, selection, selection_name

CARD_METRICS = ["practices", "registered_patients", "total_payments", "payments_per_weighted_patient",
                "share_patients_dispensing", "life_expectancy_female", "life_expectancy_male"]
N_BANDS = {"quintile": 5, "decile": 10}


# --- bands, formed once by the engine ---------------------------------------------------------------------
@lru_cache(maxsize=32)
def national_bands(atlas, fifths_of: str, bands: int, year: str | None = None) -> pd.Series:
    """England-wide bands of every practice in `year` (None: every year, ranked year by year), by practice row.

    Kept per process: fifths of practices rank all of England, and every chart and sentence of a view needs
    the same ranking, whichever practices the view selects. One year's ranking is a seventh of the work, so
    a chart of one year does not wait for every year's.
    """
    national = atlas.practices if year is None else atlas.year_practices(year)
    return inequality.bands_of(national, "england", fifths_of, bands)


def bands_for(atlas, practices: pd.DataFrame, fifths_of: str, bands: int = 5) -> pd.Series:
    """The selected practices' England-wide bands: the ranking of all England, not of the selection."""
    years = practices["year"].unique() if len(practices) else []
    year = str(years[0]) if len(years) == 1 else None
    return national_bands(atlas, fifths_of, bands, year).reindex(practices.index)


def basis(state: ViewState, bands: int | None = None) -> str:
    """'England-wide fifths of patients', as every title, alternative text and sentence of the explorer says."""
    return inequality.basis_text("england", state.fifths, bands or N_BANDS[state.band])


# --- the cards and the sentences --------------------------------------------------------------------------
@boundary.accepts({f"{ids.SELECTION}.data": SELECTION_STORE})
@callback(Output(ids.CARDS, "children"), Output(ids.GAP_SENTENCE, "children"), Input(ids.SELECTION, "data"))
def update_headline(stored):
    """The cards and the sentences that read the deprivation gap."""
    return headline_for(json.dumps(stored, sort_keys=True))


@memoize()
def headline_for(selection_json: str):
    atlas = load_atlas()
    state = ViewState(**json.loads(selection_json))
    practices = selection(atlas, state)
    name = selection_name(atlas, state)
    cards = headline_cards(atlas, practices, state, name)
    return cards, gap_sentences(atlas, state, practices, name)


def gap_comparisons(atlas, state: ViewState, practices: pd.DataFrame,
                    name: str, england_only: bool = False) -> list[inequality.Comparison]:
    """England-wide bands first (the explorer's default, as its charts), then, for a selected area, the
    area's own bands: the very comparison its profile page and briefing state (profiles.payment_gap).
    england_only: the first alone (the bar chart states only that one)."""
    metric_id, bands = chart_metric(state.metric), N_BANDS[state.band]
    national = atlas.year_practices(state.year) if state.fifths == "practices" else None
    area_name = name if state.area else None
    found = [inequality.fifth_gap(practices, metric_id, scope="england", fifths_of=state.fifths,
                                  area_name=area_name, bands=bands, national=national)]
    if state.area and not england_only:
        filtered = any(getattr(state, flt.key) for flt in FILTERS)
        local_name = f"the selected practices in {name}" if filtered else name
        found.append(inequality.fifth_gap(practices, metric_id, scope="area", fifths_of=state.fifths,
                                          area_name=local_name, bands=bands))
    return found


def gap_sentences(atlas, state: ViewState, practices: pd.DataFrame, name: str) -> list:
    comparisons = gap_comparisons(atlas, state, practices, name)
    children = [html.P(inequality.sentence(comparisons[0]), id=ids.GAP_ENGLAND)]
    if len(comparisons) > 1:
        children.append(html.P(inequality.sentence(comparisons[1]), id=ids.GAP_AREA))
    notes = [chart_note(state.metric), denominator_definition(chart_metric(state.metric))]
    children += [html.P(note, className="control-hint") for note in notes if note]
    return children


def headline_cards(atlas, practices, state: ViewState, name: str) -> list:
    sums, england = group_sums(practices, None), atlas.england_sums(state.year)
    cards = [html.H2(f"{name}, {state.year}", className="cards-heading"), *patients_basis_note(atlas, state.year)]
    items = []
    for metric_id in CARD_METRICS:
        metric = REGISTRY[metric_id]
        value = float(compute(metric_id, sums, england).iloc[0])  # sums once for all the cards
        reference = float(compute(metric_id, england, england).iloc[0])
        comparison = "" if name == "England" else f"England: {format_value(reference, metric.unit, metric.decimals)}"
        definition = denominator_definition(metric_id) if metric.denominator == "weighted" else ""
        items.append(html.Div(className="card", children=[
            html.Dt(metric.label), html.Dd(metric.format(value), className="card-value"),
            html.Dd(comparison, className="card-compare"),
            *([html.Dd(definition, className="card-definition")] if definition else []),
        ]))
    cards.append(html.Dl(items, className="card-list"))
    return cards


def alt_text(fig) -> str:
    return fig.layout.meta.get("alt", "") if isinstance(fig.layout.meta, dict) else ""


# --- the charts -----------------------------------------------------------------------------------------
def deprivation_table(atlas, state: ViewState, practices: pd.DataFrame) -> pd.DataFrame:
    n = N_BANDS[state.band]
    return aggregates.by_deprivation(practices, band=state.band, metric_id=chart_metric(state.metric),
                                     bands=bands_for(atlas, practices, state.fifths, n))


def trend_table(atlas, state: ViewState) -> pd.DataFrame:
    practices = selection(atlas, state, all_years=True)
    return aggregates.trend_by_quintile(practices, chart_metric(state.metric),
                                        bands=bands_for(atlas, practices, state.fifths, 5))


def components_table(atlas, state: ViewState, practices: pd.DataFrame) -> pd.DataFrame:
    return aggregates.components_by_quintile(practices, bands=bands_for(atlas, practices, state.fifths, 5))


def chart_tables(atlas, state: ViewState, practices: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The numbers behind each chart, exactly as the figures draw them (the downloads use this)."""
    return {
        "chart-deprivation": deprivation_table(atlas, state, practices),
        "chart-scatter-pay": aggregates.scatter_frame(practices, y=chart_metric(state.metric)),
        "chart-scatter-le": aggregates.scatter_frame(practices, y="life_expectancy_female"),
        "chart-trend": trend_table(atlas, state),
        "chart-components": components_table(atlas, state, practices),
    }


def chart_settings(state: ViewState) -> list[str]:
    """How the charts were drawn, for a download's provenance: a file read later says which fifths and measure."""
    lines = [f"Deprivation bands in charts and gap sentences: {basis(state)} (trend and components: "
             f"{basis(state, 5)}); the deprivation fifth filter is always England-wide fifths of patients",
             f"Measure in charts: {REGISTRY[chart_metric(state.metric)].label}"]
    note = chart_note(state.metric)
    return lines + ([note] if note else [])


def deprivation_chart(atlas, state: ViewState):
    practices = selection(atlas, state)
    name = selection_name(atlas, state)
    comparison = gap_comparisons(atlas, state, practices, name, england_only=True)[0]
    return deprivation_figures.deprivation_bars(deprivation_table(atlas, state, practices), band_label=state.band,
                                                sentence=inequality.sentence(comparison), basis=basis(state))


def scatter_chart(atlas, state: ViewState, y: str):
    frame = aggregates.scatter_frame(selection(atlas, state), y=y)
    fit, why_not = inequality.fitted_line(frame["imd_score"], frame["y"], frame["registered_patients"])
    return scatter_figures.deprivation_scatter(frame, fit, metric_id=y, no_fit=why_not)


def components_chart(atlas, state: ViewState):
    practices = selection(atlas, state)
    return component_figures.component_bars(components_table(atlas, state, practices), basis=basis(state, 5))


# The charts drawn from the selection alone, by id; each has its own callback (chart_callback).
SELECTION_CHARTS = {
    "chart-deprivation": deprivation_chart,
    "chart-scatter-pay": lambda atlas, state: scatter_chart(atlas, state, chart_metric(state.metric)),
    "chart-scatter-le": lambda atlas, state: scatter_chart(atlas, state, "life_expectancy_female"),
    "chart-components": components_chart,
}


def chart_title(chart_id: str, state: ViewState) -> str:
    """A chart's heading: which measure and which bands, since both now follow the view."""
    label = REGISTRY[chart_metric(state.metric)].label
    lower = label[0].lower() + label[1:]
    return {
        "chart-deprivation": f"{label}{',' if ',' in label else ''} by {basis(state)}",
        "chart-scatter-pay": f"Practice deprivation against {lower}",
        "chart-scatter-le": ids.CHARTS["chart-scatter-le"],
        "chart-trend": f"{label}{',' if ',' in label else ''} by {basis(state, 5)}, every year",
        "chart-components": f"What payments per weighted patient are made of, by {basis(state, 5)}",
    }[chart_id]


def chart_subtitle(chart_id: str, state: ViewState, alt: str) -> list:
    """The text alternative, then why the chart is not on the map's measure and what its denominator is."""
    metric_id = "payments_per_weighted_patient_incl_covid_pcn" if chart_id == "chart-components" else \
        "life_expectancy_female" if chart_id == "chart-scatter-le" else chart_metric(state.metric)
    notes = [chart_note(state.metric) if metric_id == chart_metric(state.metric) else "",
             denominator_definition(metric_id)]
    return [alt, *[html.Span(" " + note, className="chart-definition") for note in notes if note]]


@memoize()
def chart_for(chart_id: str, selection_json: str):
    """A chart as plain JSON-ready data (cheap to keep and to share through Redis), its text alternative and
    its title."""
    state = ViewState(**json.loads(selection_json))
    figure = SELECTION_CHARTS[chart_id](load_atlas(), state)
    return palette.figure_json(figure), alt_text(figure), chart_title(chart_id, state)


def chart_callback(chart_id: str):
    """Register chart_id's callback, named after it (update_scatter_pay, ...) in logs and the benchmark."""
    def update_chart(stored):
        figure, alt, title = chart_for(chart_id, json.dumps(stored, sort_keys=True))
        return figure, chart_subtitle(chart_id, ViewState(**stored), alt), title

    update_chart.__name__ = update_chart.__qualname__ = f"update_{chart_id.removeprefix('chart-').replace('-', '_')}"
    boundary.accepts({f"{ids.SELECTION}.data": SELECTION_STORE})
    return callback(Output(chart_id, "figure"), Output(f"{chart_id}-alt", "children"),
                    Output(f"{chart_id}-title", "children"), Input(ids.SELECTION, "data"))(update_chart)


for _chart_id in SELECTION_CHARTS:
    chart_callback(_chart_id)


@boundary.accepts({f"{ids.TREND_SELECTION}.data": TREND_STORE})
@callback(Output("chart-trend", "figure"), Output("chart-trend-alt", "children"), Output("chart-trend-title", "children"),
          Input(ids.TREND_SELECTION, "data"))
def update_trend(stored):
    """Every year for the selection's filters: the year shown does not change it."""
    figure, alt, title = trend_for(json.dumps(stored, sort_keys=True))
    state = ViewState(**{**stored, "year": ""})
    return figure, chart_subtitle("chart-trend", state, alt), title


@memoize()
def trend_for(trend_json: str):
    atlas = load_atlas()
    state = ViewState(**{**json.loads(trend_json), "year": atlas.latest_year})
    figure = trend_figures.trend_lines(trend_table(atlas, state), basis=basis(state, 5))
    return palette.figure_json(figure), alt_text(figure), chart_title("chart-trend", state)

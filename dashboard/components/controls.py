"""The explorer's filter panel: every control labelled, keyboard operable, and reflected in the URL."""

from __future__ import annotations

from dash import dcc, html

from ..data.query import CONTRACTS, DISPENSING, LEVELS, RURALITY
from ..metrics import REGISTRY
from ..state import SIZE_KEYS, ViewState

# Control id -> ViewState field; the order is the order of callback inputs and outputs.
CONTROL_FIELDS = {
    "f-year": "year", "f-level": "level", "f-metric": "metric", "f-band": "band", "f-region": "region",
    "f-icb": "icb", "f-la": "la", "f-marmot": "marmot", "f-rurality": "rurality", "f-dispensing": "dispensing",
    "f-contract": "contract", "f-quintile": "quintile", "f-size": "size",
}
QUINTILE_LABELS = {1: "1 (most deprived)", 2: "2", 3: "3", 4: "4", 5: "5 (least deprived)"}


def labelled(label: str, control_id: str, control, hint: str | None = None) -> html.Div:
    children = [html.Label(label, htmlFor=control_id, className="control-label", id=f"{control_id}-label")]
    if hint:
        children.append(html.Div(hint, className="control-hint"))
    children.append(control)
    return html.Div(className="control", children=children)


def checklist(control_id: str, legend: str, options, value) -> html.Fieldset:
    return html.Fieldset(className="control", children=[
        html.Legend(legend, className="control-label"),
        dcc.Checklist(id=control_id, options=options, value=value, inline=True, className="checklist",
                      inputClassName="checklist-input", labelClassName="checklist-label"),
    ])


def area_options(atlas, level: str) -> list[dict]:
    return [{"label": row.name, "value": row.code} for row in atlas.areas_at(level).itertuples()]


def filter_panel(atlas, state: ViewState) -> html.Div:
    marmot = atlas.marmot_places[atlas.marmot_places["mapped"]].sort_values("name")
    return html.Div(className="filter-panel", children=[
        html.H2("Choose what to see", className="panel-heading"),
        labelled("Year", "f-year", dcc.Dropdown(
            id="f-year", options=[{"label": y, "value": y} for y in reversed(atlas.years)], value=state.year,
            clearable=False, searchable=False)),
        html.Fieldset(className="control", children=[
            html.Legend("Map areas", className="control-label"),
            dcc.RadioItems(id="f-level", options=[{"label": label, "value": key} for key, label in LEVELS.items()],
                           value=state.level, className="radio", inputClassName="radio-input",
                           labelClassName="radio-label"),
        ]),
        labelled("Measure on the map", "f-metric", dcc.Dropdown(
            id="f-metric", options=[{"label": m.label, "value": m.id} for m in REGISTRY.values()],
            value=state.metric, clearable=False, optionHeight=50)),
        html.H2("Filter practices", className="panel-heading"),
        labelled("NHS region", "f-region", dcc.Dropdown(id="f-region", options=area_options(atlas, "region"),
                                                        value=state.region, multi=True, placeholder="All regions")),
        labelled("Integrated Care Board", "f-icb", dcc.Dropdown(id="f-icb", options=area_options(atlas, "icb"),
                                                                value=state.icb, multi=True, placeholder="All ICBs")),
        labelled("Local authority", "f-la", dcc.Dropdown(id="f-la", options=area_options(atlas, "la"), value=state.la,
                                                         multi=True, placeholder="All local authorities")),
        labelled("Marmot Place", "f-marmot", dcc.Dropdown(
            id="f-marmot", options=[{"label": r.name, "value": r.slug} for r in marmot.itertuples()],
            value=state.marmot, multi=True, placeholder="All areas")),
        checklist("f-rurality", "Rurality", [{"label": r, "value": r} for r in RURALITY], state.rurality),
        checklist("f-dispensing", "Dispensing practice", [{"label": d, "value": d} for d in DISPENSING],
                  state.dispensing),
        checklist("f-contract", "Contract type", [{"label": c, "value": c} for c in CONTRACTS], state.contract),
        checklist("f-quintile", "National deprivation fifth",
                  [{"label": label, "value": q} for q, label in QUINTILE_LABELS.items()], state.quintile),
        checklist("f-size", "Practice list size", [{"label": label, "value": key} for key, label in SIZE_KEYS.items()],
                  state.size),
        html.Fieldset(className="control", children=[
            html.Legend("Deprivation bands in charts", className="control-label"),
            dcc.RadioItems(id="f-band", options=[{"label": "Fifths (quintiles)", "value": "quintile"},
                                                 {"label": "Tenths (deciles)", "value": "decile"}],
                           value=state.band, className="radio", inputClassName="radio-input",
                           labelClassName="radio-label"),
        ]),
        html.P("No boxes ticked means no restriction.", className="control-hint"),
        html.Button("Reset all filters", id="f-reset", className="button button-secondary", n_clicks=0),
    ])

"""The explorer's filter panel: every control labelled, keyboard operable, and reflected in the URL."""

from __future__ import annotations

from functools import lru_cache

from dash import dcc, html

from ..data.query import LEVELS
from ..dimensions import FILTERS, LEVEL
from ..metrics import REGISTRY, Metric
from ..state import ViewState

# Control id -> ViewState field: the map's settings, then one control per declared filter.
CONTROL_FIELDS = {"f-year": "year", "f-level": "level", "f-metric": "metric", "f-band": "band",
                  "f-fifths": "fifths",
                  **{f"f-{flt.key}": flt.key for flt in FILTERS}}


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


def filter_control(atlas, flt, value, marmot):
    """A filter's control, as its declaration says: a searchable list of areas, or ticks for few choices."""
    control_id = f"f-{flt.key}"
    if flt.kind == "area":
        return labelled(flt.label, control_id, dcc.Dropdown(
            id=control_id, options=area_options(atlas, flt.level), value=value, multi=True,
            placeholder=f"All {LEVEL[flt.level].plural}"))
    if flt.kind == "marmot":
        return labelled(flt.label, control_id, dcc.Dropdown(
            id=control_id, options=[{"label": r.name, "value": r.slug} for r in marmot.itertuples()],
            value=value, multi=True, placeholder="All areas"))
    if flt.kind == "code":
        return labelled(flt.label, control_id, dcc.Dropdown(
            id=control_id, options=code_options(atlas, flt), value=value, multi=True,
            placeholder=f"All ({len(code_options(atlas, flt)):,} listed)"), hint=flt.description)
    return checklist(control_id, flt.label, [{"label": label, "value": v} for v, label in flt.choices], value)


EXCLUDING = ", excluding prescribing and dispensing"
MEASURE_HINT = ("Measures “excluding prescribing and dispensing” (listed first) leave out the money dispensing "
                "practices receive for supplying medicines, which inflates mostly rural practices' totals.")


def measure_options() -> list[dict]:
    """The measures with the prescribing-and-dispensing exclusions first, each beside the measure it trims.

    Why: the exclusion changes the answer for rural areas more than any other choice, and buried in a list of
    nineteen it went unnoticed; first, and labelled as such, it is found without scrolling.
    """
    def rank(metric: Metric) -> int:
        money = metric.unit == "£ per patient" and metric.id.startswith("payments_per_")
        return 0 if money and EXCLUDING in metric.label else 1 if money else 2

    ordered = sorted(REGISTRY.values(), key=rank)  # stable: the registry's order within each group
    return [{"label": m.label, "value": m.id} for m in ordered]


def code_options(atlas, flt) -> list[dict]:
    """Each code with its latest published name (a PCN's name can change between years)."""
    return _code_options(atlas, flt.column, flt.name_column)


@lru_cache(maxsize=8)
def _code_options(atlas, column: str, name_column: str | None) -> list[dict]:
    frame = atlas.practices[["year", column] + ([name_column] if name_column else [])].dropna(subset=[column])
    latest = frame.sort_values("year").drop_duplicates(column, keep="last")
    rows = [(str(code), f"{name} ({code})" if name_column and isinstance(name, str) else str(code))
            for code, name in zip(latest[column], latest[name_column] if name_column else latest[column], strict=True)]
    return [{"label": label, "value": code} for code, label in sorted(rows, key=lambda r: r[1].lower())]


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
        labelled("Measure on the map and charts", "f-metric", dcc.Dropdown(
            id="f-metric", options=measure_options(), value=state.metric, clearable=False, optionHeight=50),
            hint=MEASURE_HINT),
        html.H2("Filter practices", className="panel-heading"),
        *[filter_control(atlas, flt, getattr(state, flt.key), marmot) for flt in FILTERS],
        html.Fieldset(className="control", children=[
            html.Legend("Deprivation bands in charts", className="control-label"),
            dcc.RadioItems(id="f-band", options=[{"label": "Fifths (quintiles)", "value": "quintile"},
                                                 {"label": "Tenths (deciles)", "value": "decile"}],
                           value=state.band, className="radio", inputClassName="radio-input",
                           labelClassName="radio-label"),
        ]),
        html.Fieldset(className="control", children=[
            html.Legend("Deprivation bands formed from", className="control-label"),
            dcc.RadioItems(id="f-fifths", options=[
                {"label": "Equal numbers of patients", "value": "patients"},
                {"label": "Equal numbers of practices (as the Health Equity Evidence Centre)", "value": "practices"}],
                value=state.fifths, className="radio", inputClassName="radio-input", labelClassName="radio-label"),
            html.Div("Charts and the gap sentence use England-wide bands. The “National deprivation fifth” filter "
                     "above always means England-wide fifths of patients.", className="control-hint"),
        ]),
        html.P("No boxes ticked means no restriction.", className="control-hint"),
        html.Button("Reset all filters", id="f-reset", className="button button-secondary", n_clicks=0),
    ])

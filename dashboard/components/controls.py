"""The explorer's filter panel: every control labelled, keyboard operable, and reflected in the URL."""

from __future__ import annotations

from functools import lru_cache

from dash import dcc, html

from .. import area_metrics
from ..data.query import LEVELS
from ..dimensions import FILTERS, LEVEL
from ..metrics import REGISTRY, Metric
from ..state import FIFTHS_CHOICES, ViewState

# Control id -> ViewState field: the map's settings, then one control per declared filter.
CONTROL_FIELDS = {"f-year": "year", "f-level": "level", "f-metric": "metric", "f-band": "band",
                  "f-fifths": "fifths", "f-imd": "imd",
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


def marmot_options(atlas) -> list[dict]:
    marmot = atlas.marmot_places[atlas.marmot_places["mapped"]].sort_values("name")
    return [{"label": r.name, "value": r.slug} for r in marmot.itertuples()]


def dropdown_options(atlas, flt) -> list[dict]:
    """Every option of a filter shown as a searchable list (areas, Marmot Places or codes)."""
    if flt.kind == "area":
        return area_options(atlas, flt.level)
    if flt.kind == "marmot":
        return marmot_options(atlas)
    return code_options(atlas, flt)


def panel_lists(atlas) -> dict[str, list[dict]]:
    """Control id -> full options, for every dropdown in the filter panel.

    Why one table: the panel's dropdowns come with only their chosen options and get these lists once the
    map is drawn (see filter_panel), and what fills them must be what the page would have held.
    """
    return {"f-year": [{"label": y, "value": y} for y in reversed(atlas.years)],
            "f-metric": measure_options() + area_metrics.map_options(),
            **{f"f-{flt.key}": dropdown_options(atlas, flt) for flt in FILTERS if flt.kind != "choice"}}


def chosen_options(options: list[dict], value) -> list[dict]:
    """Only the chosen options: what a list filled later must show meanwhile (Dash's dropdown drops a
    chosen value that its options do not hold)."""
    chosen = set(value if isinstance(value, list) else [value])
    return [option for option in options if option["value"] in chosen]


def filter_control(flt, value, options: list[dict], full_length: int):
    """A filter's control, as its declaration says: a searchable list of areas, or ticks for few choices."""
    control_id = f"f-{flt.key}"
    if flt.kind == "choice":
        return checklist(control_id, flt.label, [{"label": label, "value": v} for v, label in flt.choices], value)
    placeholder = {"area": f"All {LEVEL[flt.level].plural}" if flt.level else "",
                   "marmot": "All areas", "code": f"All ({full_length:,} listed)"}[flt.kind]
    return labelled(flt.label, control_id, dcc.Dropdown(
        id=control_id, options=options, value=value, multi=True, placeholder=placeholder),
        hint=flt.description if flt.kind == "code" else None)


EXCLUDING = ", excluding prescribing and dispensing"
MEASURE_HINT = ("Measures “excluding prescribing and dispensing” (listed first) leave out the money dispensing "
                "practices receive for supplying medicines, which inflates mostly rural practices' totals. Measures "
                "starting “Area deprivation” or “Residents” (listed last) describe the people living in each area, "
                "not practices: the practice filters do not change them.")


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


def filter_panel(atlas, state: ViewState, fill_later: dict | None = None) -> html.Div:
    """The panel; with fill_later (data-* attributes of assets/lazy.js), its dropdowns hold only their chosen
    options until the map is drawn, and a callback then fills them from panel_lists.

    Why: Dash's dropdown indexes every option for search as it mounts (every substring of every word of
    every label and value); for the panel's lists, 1,326 PCNs above all, that took about 300 ms of the
    browser's one main thread, between the visitor and the first map.
    """
    lists = panel_lists(atlas)

    def options(control_id: str, value) -> list[dict]:
        return chosen_options(lists[control_id], value) if fill_later else lists[control_id]

    panel = html.Div(className="filter-panel", children=[
        html.H2("Choose what to see", className="panel-heading"),
        labelled("Year", "f-year", dcc.Dropdown(
            id="f-year", options=options("f-year", state.year), value=state.year,
            clearable=False, searchable=False)),
        html.Fieldset(className="control", children=[
            html.Legend("Map areas", className="control-label"),
            dcc.RadioItems(id="f-level", options=[{"label": label, "value": key} for key, label in LEVELS.items()],
                           value=state.level, className="radio", inputClassName="radio-input",
                           labelClassName="radio-label"),
        ]),
        labelled("Measure on the map and charts", "f-metric", dcc.Dropdown(
            id="f-metric", options=options("f-metric", state.metric), value=state.metric, clearable=False,
            optionHeight=50),
            hint=MEASURE_HINT),
        html.H2("Filter practices", className="panel-heading"),
        *[filter_control(flt, getattr(state, flt.key), options(f"f-{flt.key}", getattr(state, flt.key)) if
                         flt.kind != "choice" else [], len(lists.get(f"f-{flt.key}", []))) for flt in FILTERS],
        html.Fieldset(className="control", children=[
            html.Legend("Deprivation bands in charts", className="control-label"),
            dcc.RadioItems(id="f-band", options=[{"label": "Fifths (quintiles)", "value": "quintile"},
                                                 {"label": "Tenths (deciles)", "value": "decile"}],
                           value=state.band, className="radio", inputClassName="radio-input",
                           labelClassName="radio-label"),
        ]),
        html.Fieldset(className="control", children=[
            html.Legend("Deprivation bands formed from", className="control-label"),
            dcc.RadioItems(id="f-fifths", options=[{"label": label, "value": key} for key, label in FIFTHS_CHOICES.items()],
                value=state.fifths, className="radio", inputClassName="radio-input", labelClassName="radio-label"),
            html.Div("Charts and the gap sentence use England-wide bands. The “National deprivation fifth” filter "
                     "above always means England-wide fifths of patients.", className="control-hint"),
        ]),
        html.Fieldset(className="control", children=[
            html.Legend("Edition of area deprivation", className="control-label"),
            dcc.RadioItems(id="f-imd", options=[
                {"label": area_metrics.imd_edition_name(e), "value": e}
                for e in reversed(area_metrics.IMD_EDITIONS)],
                value=state.imd, className="radio", inputClassName="radio-input", labelClassName="radio-label"),
            html.Div("For the “Area deprivation” measures on the map. Practices' own deprivation (filters, charts) "
                     "stays the IMD 2019 practice scores until a 2025 series is published; editions are never "
                     "ranked together.", className="control-hint"),
        ]),
        html.P("No boxes ticked means no restriction.", className="control-hint"),
        html.Button("Reset all filters", id="f-reset", className="button button-secondary", n_clicks=0),
    ])
    return html.Div(panel, **fill_later) if fill_later else panel

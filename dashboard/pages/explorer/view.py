"""The explorer's view: which practices it covers, and how a new URL, control, click or reset changes it.

`decide` is pure (a request in, a decision out, no Dash callback context), so every way the view can
change is tested without a server; `sync_state` (callbacks.py) only reads the request off Dash.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dash import no_update

from dashboard import area_metrics
from dashboard.components.controls import CONTROL_FIELDS
from dashboard.dimensions import FILTERS
from dashboard.metrics import MAP_DEFAULT, REGISTRY
from dashboard.state import ViewState, default_state, parse_query, to_query

from . import ids


@dataclass(frozen=True)
class Request:
    """What changed and what the page holds: the callback's inputs, by name."""

    trigger: str | None  # the component id that fired (ids.URL, ids.RESET, ids.MAP, ids.CLEAR_AREA or a control)
    search: str | None = None
    controls: dict = field(default_factory=dict)  # ViewState field -> the control's value
    click: dict | None = None
    stored: dict | None = None
    pathname: str | None = "/"


@dataclass
class Decision:
    """What to write back. `controls` None leaves the controls as they are."""

    url: object = no_update
    controls: dict | None = None
    view: object = no_update
    notice: object = no_update


def decide(request: Request, atlas, notice=lambda messages: messages or None) -> Decision:
    """One place decides the view: a new URL sets the controls; a control or click writes the URL."""
    if request.pathname not in ("/", ""):
        return Decision()
    latest = atlas.latest_year
    if request.trigger == ids.URL:
        state, notices = parse_query(request.search, atlas)
        return Decision(controls=control_values(state), view=state.as_dict(), notice=notice(notices))
    if request.trigger == ids.RESET:
        state = default_state(latest)
        return Decision(url=to_query(state, latest), controls=control_values(state), view=state.as_dict(),
                        notice=None)
    state = ViewState(**request.stored) if request.stored else default_state(latest)
    if request.trigger == ids.MAP:
        code = clicked_area(request.click)
        if not code:
            return Decision()
        state.area = "" if state.area == code else code
        return Decision(url=to_query(state, latest), view=state.as_dict())
    if request.trigger == ids.CLEAR_AREA:
        state.area = ""
        return Decision(url=to_query(state, latest), view=state.as_dict())
    default = default_state(latest)
    for name, value in request.controls.items():
        setattr(state, name, value if value not in (None, "") else getattr(default, name))
    if state.area and not state.area.startswith("marmot:") and not area_at_level(atlas, state.area, state.level):
        state.area = ""  # the selected area belongs to another map level
    return Decision(url=to_query(state, latest), view=state.as_dict(), notice=None)


def control_values(state: ViewState) -> dict:
    return {name: getattr(state, name) for name in CONTROL_FIELDS.values()}


def clicked_area(click) -> str | None:
    if not click or not click.get("points"):
        return None
    location = click["points"][0].get("location")
    return location if isinstance(location, str) and location else None


def area_at_level(atlas, code: str, level: str) -> bool:
    area = atlas.area(code)
    return bool(area) and area["level"] == level


# --- which practices a view covers ----------------------------------------------------------------------
CHART_DEFAULT = MAP_DEFAULT


def chart_metric(metric_id: str) -> str:
    """The measure the bars, trend and payments scatter show for the map's measure.

    The map's own measure when each practice has a value of it in money per patient (a bar is then a ratio of
    the practices' sums and a scatter point is one practice); otherwise (totals, counts, shares, scores, life
    expectancy, gaps to England) payments per weighted patient, and chart_note says so.
    """
    metric = REGISTRY.get(metric_id)
    return metric_id if metric is not None and metric.unit == "£ per patient" else CHART_DEFAULT


def chart_note(metric_id: str) -> str:
    """Why a chart does not show the map's measure, or nothing when it does."""
    if area_metrics.is_option(metric_id):
        return (f"The map shows a statistic about each area's residents; these charts show "
                f"{REGISTRY[CHART_DEFAULT].label.lower()}, because they compare practices' money per patient.")
    if chart_metric(metric_id) == metric_id or metric_id not in REGISTRY:
        return ""
    return (f"The map shows {REGISTRY[metric_id].label.lower()}; these charts show "
            f"{REGISTRY[CHART_DEFAULT].label.lower()}, because they compare practices' money per patient.")


MAP_ONLY = ("level", "imd")  # the map's level and the edition of its area measures: nothing below the map reads them


def selection_part(state: ViewState) -> dict:
    """What the cards, charts and table depend on: not the map's level, and of its measure only the measure
    the charts show (chart_metric), so moving the map between two measures the charts do not follow (life
    expectancy to deprivation, say) recomputes and resends nothing below the map."""
    part = {k: v for k, v in state.as_dict().items() if k not in MAP_ONLY}
    part["metric"] = chart_metric(state.metric)
    return part


def trend_part(state: ViewState) -> dict:
    """What the trend depends on: the selection without its year or band (it is always by fifth); its measure
    and how fifths are formed stay."""
    return {k: v for k, v in selection_part(state).items() if k not in ("year", "band")}


def selection(atlas, state: ViewState, all_years: bool = False):
    """The practices the view covers: the filters, then the clicked area (in its year, or in every year)."""
    practices = atlas.select(state.filters(), all_years=all_years)
    if state.area:
        narrowing = atlas.area_filters(state.area, state.year)
        if narrowing is not None:
            practices = atlas.select(narrowing, all_years=all_years, within=practices)
    return practices


def selection_name(atlas, state: ViewState) -> str:
    if state.area and atlas.area(state.area):
        return atlas.area(state.area)["name"]
    return "Filtered practices" if any(getattr(state, flt.key) for flt in FILTERS) else "England"

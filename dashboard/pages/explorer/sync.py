"""Keeping the URL, the controls and the stored view in step: reads the request by name, asks view.decide."""

from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from dashboard import boundary
from dashboard.components.controls import CONTROL_FIELDS
from dashboard.data.query import load_atlas
from dashboard.state import ViewState

from . import ids
from .layout import notice
from .stores import VIEW_STORE
from .view import Request, decide, selection_part, trend_part

FIELD_OF = CONTROL_FIELDS  # control id -> ViewState field


@boundary.accepts({
    f"{ids.URL}.search": boundary.query, f"{ids.URL}.pathname": boundary.path,
    **{f"{cid}.value": boundary.view_control(name) for cid, name in FIELD_OF.items()},
    f"{ids.RESET}.n_clicks": boundary.n_clicks, f"{ids.MAP}.clickData": boundary.map_click,
    f"{ids.CLEAR_AREA}.n_clicks": boundary.n_clicks, f"{ids.VIEW}.data": VIEW_STORE,
}, notice=f"{ids.NOTICE}.children")
@callback(
    output={"url": Output(ids.URL, "search"),
            "controls": {name: Output(cid, "value") for cid, name in FIELD_OF.items()},
            "view": Output(ids.VIEW, "data"), "selection": Output(ids.SELECTION, "data"),
            "trend": Output(ids.TREND_SELECTION, "data"), "notice": Output(ids.NOTICE, "children")},
    inputs={"search": Input(ids.URL, "search"),
            "controls": {name: Input(cid, "value") for cid, name in FIELD_OF.items()},
            "reset": Input(ids.RESET, "n_clicks"), "click": Input(ids.MAP, "clickData"),
            "clear": Input(ids.CLEAR_AREA, "n_clicks"), "stored": State(ids.VIEW, "data"),
            "pathname": State(ids.URL, "pathname")},
    prevent_initial_call=True,
)
def sync_state(search, controls, reset, click, clear, stored, pathname):
    """Decide the view, then pass on only what changed (the page's own URL on load must not redraw the map)."""
    trigger = ctx.triggered_id
    decision = decide(Request(trigger=trigger if isinstance(trigger, str) else None, search=search,
                              controls=controls, click=click, stored=stored, pathname=pathname),
                      load_atlas(), notice=notice)
    changed = decision.controls or {}
    out_controls = {name: changed[name] if name in changed and changed[name] != controls.get(name) else no_update
                    for name in controls}
    new_view = decision.view if isinstance(decision.view, dict) else None
    old_view = ViewState(**stored) if stored else None
    parts = {}
    for key, part_of in (("selection", selection_part), ("trend", trend_part)):
        part = part_of(ViewState(**new_view)) if new_view else no_update
        parts[key] = part if old_view is None or part != part_of(old_view) else no_update
    return {"url": decision.url, "controls": out_controls,
            "view": no_update if new_view is not None and stored and new_view == stored else decision.view,
            **parts, "notice": decision.notice}

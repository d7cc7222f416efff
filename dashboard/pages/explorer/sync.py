"""Keeping the URL, the controls and the stored view in step: reads the request by name, asks view.decide."""

from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update

from dashboard import boundary
from dashboard.components.controls import CONTROL_FIELDS, panel_lists
from dashboard.data.query import load_atlas
from dashboard.state import ViewState

from . import ids
from .layout import notice
from .stores import VIEW_STORE
from .view import Request, decide, selection_part, trend_part

FIELD_OF = CONTROL_FIELDS  # control id -> ViewState field
# The panel's dropdowns get their lists after the map (controls.filter_panel): a value set here must come with
# its list, or a dropdown still holding only the chosen options would drop it.
LISTED = {FIELD_OF[control_id]: control_id for control_id in ids.PANEL_LISTS}


@boundary.accepts({
    f"{ids.URL}.search": boundary.query, f"{ids.URL}.pathname": boundary.path,
    **{f"{cid}.value": boundary.view_control(name) for cid, name in FIELD_OF.items()},
    f"{ids.RESET}.n_clicks": boundary.n_clicks, f"{ids.MAP}.clickData": boundary.map_click,
    f"{ids.CLEAR_AREA}.n_clicks": boundary.n_clicks, f"{ids.VIEW}.data": VIEW_STORE,
}, notice=f"{ids.NOTICE}.children")
@callback(
    output={"url": Output(ids.URL, "search"),
            "controls": {name: Output(cid, "value") for cid, name in FIELD_OF.items()},
            "options": {name: Output(cid, "options", allow_duplicate=True) for name, cid in LISTED.items()},
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
    lists = panel_lists(load_atlas()) if any(out_controls[name] is not no_update for name in LISTED) else {}
    options = {name: lists[cid] if out_controls[name] is not no_update else no_update for name, cid in LISTED.items()}
    return {"url": decision.url, "controls": out_controls, "options": options,
            "view": no_update if new_view is not None and stored and new_view == stored else decision.view,
            **parts, "notice": decision.notice}

"""The one check between the browser and the server callbacks: every callback request passes it before Dash runs it.

Why here and not in each callback: a callback trusts its arguments to have the shape its own page wrote
(a stored view is a dict of known fields, a map click has points, the grid asks for rows by number). A
tampered or broken request breaks that trust, and each broken assumption used to end in an exception: a
500 and a traceback in the log for what is the client's mistake. Guarding callbacks one by one repeats
itself and is easy to forget for the next input. So each component property a callback reads gets one
declared rule, written beside the callback with `accepts`, and `screen` (called from a Flask before_request hook, see install)
checks every request against the callback's own dependencies and those rules. An input without a rule is
refused, not waved through: forgetting a rule breaks that input visibly instead of opening a hole.

Two answers, neither with a traceback:
- a body that is not a request for one of this app's callbacks (not JSON, no inputs, inputs not a list,
  an unknown output, ids or properties that are not the callback's) → 400, before Dash reads it;
- a well-formed request carrying a value no page of ours sends (a year we have no data for, a number where
  a list belongs, a lone surrogate) → nothing changes: 204 (Dash's PreventUpdate), or, when the callback
  writes the page's notice area, a notice there. Logged at INFO in one line, for the curious operator.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Collection
from typing import Any

import flask
from dash.exceptions import PreventUpdate

log = logging.getLogger(__name__)

Rule = Callable[[Any], None]  # returns if the value is acceptable, raises Refused if not
RULES: dict[str, Rule] = {}  # "component-id.property"; a pattern-matching id by its "type"
ID_RULES: dict[str, dict[str, Rule]] = {}  # pattern type -> rule for each of its other id keys
NOTICE_AREAS: set[str] = set()  # "component-id.property" outputs that can tell the user why nothing changed
MAX_TEXT = 2_000
MAX_ITEMS = 1_000


class Refused(ValueError):
    """A value that no page of this app sends."""


def accepts(rules: dict[str, Rule], ids: dict[str, dict[str, Rule]] | None = None, notice: str | None = None):
    """Declare, beside a callback, the rule for each input and state it reads; the function is left as it is.

    `rules` is keyed "component-id.property" (a pattern-matching id by its "type"), `ids` gives rules for a
    pattern id's other keys, and `notice` names an output of the callback where a refusal is explained.
    One property has one rule however many callbacks read it: a second, different rule is a mistake.
    """
    for key, rule in rules.items():
        if RULES.setdefault(key, rule) is not rule:
            raise ValueError(f"{key} already has a different rule")
    for kind, keys in (ids or {}).items():
        if ID_RULES.setdefault(kind, keys) is not keys:
            raise ValueError(f"pattern ids of type {kind} already have different rules")
    if notice:
        NOTICE_AREAS.add(notice)
    return lambda function: function


# ---- rules ----------------------------------------------------------------------------------------------------
def _show(value) -> str:
    """A value as short ASCII for a reason or the log: it may be huge or hold lone surrogates."""
    text = ascii(value)
    return text if len(text) <= 60 else text[:59] + "…"


def check_text(value, max_length: int = MAX_TEXT) -> None:
    if not isinstance(value, str):
        raise Refused(f"expected text, got {_show(value)}")
    if len(value) > max_length:
        raise Refused(f"text longer than {max_length} characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: no browser types one, and it cannot be sent back
        raise Refused("text with a lone surrogate") from None


def text(max_length: int = MAX_TEXT, optional: bool = True) -> Rule:
    def rule(value):
        if value is None and optional:
            return
        check_text(value, max_length)

    return rule


def path(value) -> None:
    """A dcc.Location pathname: absent before the page knows it, else text starting with '/'."""
    if value is None:
        return
    check_text(value, 8_192)  # not_found() echoes a long path shortened: only absurd ones are refused
    if not value.startswith("/"):
        raise Refused(f"a path must start with '/', got {_show(value)}")


query = text(65_536)  # a dcc.Location search: parse_query and the pages read it leniently (with notices)


def scalar(max_length: int = 40) -> Rule:
    """One plain value (number, text, true/false or nothing) for a callback that reads it leniently itself.

    The what-if uplift is one: whatif.clamp_uplift turns 250, "1e9" or "abc" into a clamped figure or a
    notice of its own, better than a refusal could say. Only what it cannot take is refused here: lists and
    dicts, lone surrogates, long text, and integers too big to become a float.
    """
    def rule(value):
        if value is None or isinstance(value, (bool, float)):
            return
        if isinstance(value, int):
            if abs(value) > 10**300:
                raise Refused("an integer too large to be a number here")
            return
        check_text(value, max_length)

    return rule


def n_clicks(value) -> None:
    if value is None:
        return
    if type(value) is not int or not 0 <= value <= 10**9:
        raise Refused(f"n_clicks must be a count, got {_show(value)}")


def flag(value) -> None:
    if value is not None and not isinstance(value, bool):
        raise Refused(f"expected true or false, got {_show(value)}")


def number(low: float, high: float, optional: bool = True) -> Rule:
    def rule(value):
        if value is None and optional:
            return
        if type(value) not in (int, float) or not math.isfinite(value) or not low <= value <= high:
            raise Refused(f"expected a number from {low} to {high}, got {_show(value)}")

    return rule


def _members(values) -> Collection:
    return values() if callable(values) else values


def one_of(values: Collection | Callable[[], Collection], optional: bool = False) -> Rule:
    """One of a dropdown's or radio's options (`values` may be a function: the data is loaded later)."""
    def rule(value):
        if value is None and optional:
            return
        if not isinstance(value, (str, int)) or isinstance(value, bool) or value not in _members(values):
            raise Refused(f"not an option here: {_show(value)}")

    return rule


def many_of(values: Collection | Callable[[], Collection], max_items: int = MAX_ITEMS) -> Rule:
    """A multi-select's value: absent, or a list of its options."""
    single = one_of(values)

    def rule(value):
        if value is None:
            return
        if not isinstance(value, list) or len(value) > max_items:
            raise Refused(f"expected a list of at most {max_items} options, got {_show(value)}")
        for item in value:
            single(item)

    return rule


def _atlas():
    from .data.query import load_atlas

    return load_atlas()


def years() -> Collection:
    return _atlas().years


def area_code(value) -> None:
    if not isinstance(value, str) or _atlas().area(value) is None:
        raise Refused(f"no such area: {_show(value)}")


def practice_code(value) -> None:
    """A practice's page stores its code; only a code the data holds is one a page of ours sent."""
    from .data import practice_profile

    if not isinstance(value, str) or not practice_profile.exists(_atlas(), value):
        raise Refused(f"no such practice: {_show(value)}")


def area_codes(max_items: int) -> Rule:
    def rule(value):
        if value is None:
            return
        if not isinstance(value, list) or len(value) > max_items:
            raise Refused(f"expected a list of at most {max_items} area codes, got {_show(value)}")
        for item in value:
            area_code(item)

    return rule


# The view state: the rules of state.field_rules, the ones parse_query applies to a link.
def _check_field(name: str, value, rules: dict) -> None:
    from .state import LIST_KEYS

    if name in LIST_KEYS:
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise Refused(f"{name} must be a list, got {_show(value)}")
        bad = [item for item in value if not rules[name](item)]
    else:
        bad = [] if (name == "area" and value == "") or rules[name](value) else [value]
    if bad:
        raise Refused(f"{name} value(s) not accepted: {_show(bad[:3])}")


def view_control(name: str) -> Rule:
    """A filter control's value: cleared (the view's default), or what the view would accept for `name`."""
    def rule(value):
        from .state import field_rules

        if value is None or value == "" or value == []:
            return
        _check_field(name, value, field_rules(_atlas()))

    return rule


def view_store(without: tuple[str, ...] = ()) -> Rule:
    """A dcc.Store holding a ViewState (as_dict), less the fields named in `without`: the shape it was written with."""
    def rule(value):
        from dataclasses import fields

        from .state import ViewState, field_rules

        names = {f.name for f in fields(ViewState)} - set(without)
        if not isinstance(value, dict) or set(value) != names:
            raise Refused(f"expected a stored view with {sorted(names)}, got {_show(value)}")
        rules = field_rules(_atlas())
        for name, item in value.items():
            _check_field(name, item, rules)

    return rule


def map_click(value) -> None:
    """A map's clickData: points, each naming (if anything) an area we have."""
    if value is None:
        return
    if not isinstance(value, dict) or not isinstance(value.get("points"), list) or len(value["points"]) > 100:
        raise Refused(f"clickData needs a list of points, got {_show(value)}")
    for point in value["points"]:
        if not isinstance(point, dict):
            raise Refused(f"a clicked point must be a dict, got {_show(point)}")
        for key in ("curveNumber", "pointNumber"):
            if key in point and (type(point[key]) is not int or point[key] < 0):
                raise Refused(f"{key} must be a count, got {_show(point[key])}")
        if "location" in point:
            area_code(point["location"])


GRID_FILTER_KEYS = {"filterType", "type", "filter", "filterTo", "operator", "conditions", "dateFrom", "dateTo"}
GRID_FILTER_TYPES = {"equals", "notEqual", "contains", "notContains", "startsWith", "endsWith", "lessThan",
                     "lessThanOrEqual", "greaterThan", "greaterThanOrEqual", "inRange", "blank", "notBlank", "empty"}


def _grid_condition(spec, nested: bool) -> None:
    if not isinstance(spec, dict) or not set(spec) <= GRID_FILTER_KEYS:
        raise Refused(f"a column filter must be a dict of filter settings, got {_show(spec)}")
    one_of({"text", "number", "date", "set"}, optional=True)(spec.get("filterType"))
    one_of(GRID_FILTER_TYPES, optional=True)(spec.get("type"))
    one_of({"AND", "OR"}, optional=True)(spec.get("operator"))
    for key in ("filter", "filterTo"):
        item = spec.get(key)
        if isinstance(item, str):
            check_text(item, 200)
        elif item is not None:
            number(-1e15, 1e15)(item)
    for key in ("dateFrom", "dateTo"):
        text(40)(spec.get(key))
    conditions = spec.get("conditions")
    if conditions is not None:
        if nested or not isinstance(conditions, list) or len(conditions) > 10:
            raise Refused(f"filter conditions must be a short list, got {_show(conditions)}")
        for condition in conditions:
            _grid_condition(condition, nested=True)


def grid_rows_request(columns: Collection[str] | Callable[[], Collection[str]]) -> Rule:
    """AG Grid's infinite-model getRowsRequest for a grid with these columns: rows by number, sort and filters.

    Other keys are ignored, not refused: the grid sends its whole params object (an emptied "api", a
    "context"), which varies with its version, and table_rows reads none of them.
    """
    def rule(value):
        names = _members(columns)
        if value is None:
            return
        if not isinstance(value, dict):
            raise Refused(f"getRowsRequest must be the grid's request, got {_show(value)}")
        for key in ("startRow", "endRow"):
            item = value.get(key)
            if item is not None and (type(item) is not int or not 0 <= item <= 10**7):
                raise Refused(f"{key} must be a row number, got {_show(item)}")
        sort_model = value.get("sortModel") or []
        if not isinstance(sort_model, list) or len(sort_model) > len(names):
            raise Refused(f"sortModel must be a list, got {_show(sort_model)}")
        for item in sort_model:
            if not isinstance(item, dict) or not set(item) <= {"colId", "sort"}:
                raise Refused(f"a sort must be a column and a direction, got {_show(item)}")
            one_of(names)(item.get("colId"))
            one_of({"asc", "desc"}, optional=True)(item.get("sort"))
        filter_model = value.get("filterModel") or {}
        if not isinstance(filter_model, dict):
            raise Refused(f"filterModel must be a dict, got {_show(filter_model)}")
        for column, spec in filter_model.items():
            one_of(names)(column)
            _grid_condition(spec, nested=False)

    return rule


def grid_rows(columns: Collection[str] | Callable[[], Collection[str]], max_rows: int = 100) -> Rule:
    """AG Grid's selectedRows: rows the grid was sent, so plain values in its columns (a map point's lon/lat)."""
    def rule(value):
        names = _members(columns)
        if value is None:
            return
        if not isinstance(value, list) or len(value) > max_rows:
            raise Refused(f"selectedRows must be a list of rows, got {_show(value)}")
        for row in value:
            if not isinstance(row, dict) or not set(row) <= set(names):
                raise Refused(f"a row must hold the grid's columns, got {_show(row)}")
            for item in row.values():
                if isinstance(item, str):
                    check_text(item, 400)
                elif item is not None and not isinstance(item, bool):
                    number(-1e15, 1e15)(item)
            for key, (low, high) in (("lon", (-180, 180)), ("lat", (-90, 90))):
                number(low, high)(row.get(key))

    return rule


# ---- the check ------------------------------------------------------------------------------------------------
class Broken(ValueError):
    """A body that is not a request for one of this app's callbacks."""


def split_output(output: str) -> list[str]:
    """The "id.property" parts of a callback's output key ('..a.b...c.d..' for several outputs)."""
    return output[2:-2].split("...") if output.startswith("..") else [output]


def stringify_id(component_id) -> str:
    from dash._utils import stringify_id as dash_stringify

    return dash_stringify(component_id)


def _matches_pattern(concrete, wildcard: dict) -> bool:
    if not isinstance(concrete, dict) or set(concrete) != set(wildcard):
        return False
    for key, expected in wildcard.items():
        value = concrete[key]
        if isinstance(expected, list):  # ALL, MATCH or ALLSMALLER: any plain value the renderer could hold
            if not isinstance(value, (str, int, float, bool)) or (isinstance(value, str) and len(value) > 200):
                return False
        elif value != expected:
            return False
    return True


def _check_item(item, component_id: str, prop: str) -> list[dict]:
    """The dicts in one input, state or output slot of a body, checked against the dependency they stand for."""
    wildcard = json.loads(component_id) if component_id.startswith("{") else None
    many = wildcard is not None and any(v in (["ALL"], ["ALLSMALLER"]) for v in wildcard.values())
    entries = item if many else [item]
    if not isinstance(entries, list) or len(entries) > MAX_ITEMS:
        raise Broken(f"{component_id}.{prop} must be a list")
    for entry in entries:
        if not isinstance(entry, dict) or not set(entry) <= {"id", "property", "value"}:
            raise Broken(f"{component_id}.{prop} must be an id, a property and a value")
        if entry.get("property") != prop:
            raise Broken(f"expected the property {prop} of {component_id}")
        if wildcard is None and entry.get("id") != component_id:
            raise Broken(f"expected {component_id}, got {_show(entry.get('id'))}")
        if wildcard is not None and not _matches_pattern(entry.get("id"), wildcard):
            raise Broken(f"{_show(entry.get('id'))} does not match {component_id}")
    return entries


def _check_structure(body: dict, spec: dict, output: str) -> list[tuple[str, str, dict]]:
    """(dependency id, property, body entry) for every input and state value, once the body's shape is right."""
    parts = split_output(output)
    outputs = body.get("outputs")
    if output.startswith(".."):
        if not isinstance(outputs, list) or len(outputs) != len(parts):
            raise Broken("outputs must list the callback's outputs")
    else:
        outputs = [outputs]
    for entry, part in zip(outputs, parts, strict=True):
        component_id, prop = part.rsplit(".", 1)
        _check_item(entry, component_id, prop)
    values = []
    for key in ("inputs", "state"):
        items = body.get(key, [] if key == "state" else None)
        declared = spec.get(key) or []
        if not isinstance(items, list):
            raise Broken(f"{key} must be a list")
        if len(items) != len(declared):
            raise Broken(f"{key} must have {len(declared)} entries, not {len(items)}")
        for item, dep in zip(items, declared, strict=True):
            for entry in _check_item(item, dep["id"], dep["property"]):
                values.append((dep["id"], dep["property"], entry))
    changed = body.get("changedPropIds", [])
    names = {f"{stringify_id(entry['id'])}.{entry['property']}" for _id, _prop, entry in values[:_count(body)]}
    if not isinstance(changed, list) or not all(isinstance(c, str) and c in names for c in changed):
        raise Broken("changedPropIds must name the callback's inputs")
    return values


def _count(body: dict) -> int:
    """How many of the flattened values are inputs (the rest are state)."""
    return sum(len(item) if isinstance(item, list) else 1 for item in body["inputs"])


def _check_values(values: list[tuple[str, str, dict]]) -> None:
    for component_id, prop, entry in values:
        if component_id.startswith("{"):
            kind = json.loads(component_id).get("type")
            key = f"{kind}.{prop}"
            for id_key, id_value in entry["id"].items():
                if id_key != "type":
                    id_rule = ID_RULES.get(kind, {}).get(id_key)
                    if id_rule is None:
                        raise LookupError(f"no rule declared for the {id_key} of {kind} ids")
                    id_rule(id_value)
        else:
            key = f"{component_id}.{prop}"
        rule = RULES.get(key)
        if rule is None:
            raise LookupError(f"no rule declared for {key}")
        try:
            rule(entry.get("value"))
        except Refused as refused:
            raise Refused(f"{key}: {refused}") from None


def notice_answer(output: str) -> flask.Response | None:
    """The callback's notice area told why nothing changed, if it writes one; the rest left as it is."""
    from dash import html
    from dash._utils import to_json

    areas = [part for part in split_output(output) if part in NOTICE_AREAS]
    if not areas:
        return None
    notice = html.Div(className="notice", children=[
        html.Strong("Something on this page sent a setting we could not use, so nothing was changed. "),
        "Reloading the page puts it right."])
    response: dict = {}
    for part in areas:
        component_id, prop = part.rsplit(".", 1)
        response.setdefault(component_id, {})[prop] = notice
    return flask.Response(to_json({"multi": True, "response": response}), mimetype="application/json")


def bad_request(reason: str) -> flask.Response:
    log.info("Refused a callback request (400): %s", reason)
    return flask.Response(f"Bad callback request: {reason}", status=400, mimetype="text/plain")


def screen(app) -> flask.Response | None:
    """None if Dash may run the request; else the answer (400, a notice) or PreventUpdate (204)."""
    try:
        body = flask.request.get_json(silent=True)
    except RecursionError:  # JSON nested deeper than Python will parse
        body = None
    if not isinstance(body, dict):
        return bad_request("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in app.callback_map:
        return bad_request(f"no callback has the output {_show(output)}")
    if "callback" not in app.callback_map[output]:
        return bad_request(f"{_show(output)} is updated in the browser, not here")
    try:
        values = _check_structure(body, app.callback_map[output], output)
    except Broken as broken:
        return bad_request(str(broken))
    try:
        _check_values(values)
    except Refused as refused:
        log.info("Refused a callback value for %s: %s", _show(output), refused)
    except LookupError as missing:  # our mistake, not the client's: said loudly, but still no traceback
        log.warning("Refused a callback request: %s (declare it with dashboard.boundary.accepts)", missing)
    else:
        return None
    answer = notice_answer(output)
    if answer is None:
        raise PreventUpdate
    return answer


def install(app) -> None:
    """Screen every callback request, and refuse scripts Dash never registered, before Dash sees either.

    Flask before_request hooks, not an override of Dash's dispatch: Dash 4 moved dispatching into its
    server backends, where an override of Dash.dispatch is silently never called.
    """
    server = app.server
    update_path = f"{app.config.routes_pathname_prefix}_dash-update-component"
    suites_prefix = f"{app.config.routes_pathname_prefix}_dash-component-suites/"

    @server.before_request
    def screen_callbacks():
        path = flask.request.path
        if path == update_path and flask.request.method == "POST":
            try:
                return screen(app)
            except PreventUpdate:
                return flask.Response(status=204)
        if path.startswith(suites_prefix):
            return _unknown_script(app, path[len(suites_prefix):])
        return None


def _unknown_script(app, rest: str) -> flask.Response | None:
    """404 for /_dash-component-suites/<package>/<file> that Dash never registered (Dash itself answers 500)."""
    from dash.fingerprint import check_fingerprint

    package, _, fingerprinted = rest.partition("/")
    path_in_package, _ = check_fingerprint(fingerprinted)
    if path_in_package in app.registered_paths.get(package, ()):
        return None
    return flask.Response("No such script.", status=404, mimetype="text/plain")


def undeclared(app) -> list[str]:
    """Inputs and states of server callbacks that have no rule: each would be refused, so a test lists them."""
    missing = []
    for spec in app.callback_map.values():
        if "callback" not in spec:  # clientside: runs in the browser
            continue
        for dep in (spec.get("inputs") or []) + (spec.get("state") or []):
            component_id = dep["id"]
            if component_id.startswith("{"):
                wildcard = json.loads(component_id)
                key = f"{wildcard.get('type')}.{dep['property']}"
                missing += [f"{key} id key {k}" for k in wildcard if k != "type"
                            and k not in ID_RULES.get(wildcard.get("type"), {})]
            else:
                key = f"{component_id}.{dep['property']}"
            if key not in RULES:
                missing.append(key)
    return sorted(set(missing))

"""The tampered requests the hardening issue listed, one by one: each was a 500 with a traceback in the log.

The fuzz (test_fuzz_requests.py) finds such requests by chance; these keep the named ones answered as a
client's mistake however the fuzz's luck falls, and show what the answer is: 204, a notice, 400 or 404.
"""

from __future__ import annotations

import json

import pytest
from test_fuzz_requests import assert_clean, post


def body(output: str, inputs: list[tuple[str, str, object]], state: list[tuple[str, str, object]] = ()) -> dict:
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    outputs = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]
    return {"output": output, "outputs": outputs if output.startswith("..") else outputs[0],
            "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
            "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
            "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"]}


def answer(client, request: dict) -> tuple[int, str]:
    response, text, problems = post(client, request)
    assert_clean(response, text, problems, request)
    return response.status_code, text


@pytest.fixture(scope="module")
def atlas(app):
    from dashboard.data.query import load_atlas

    return load_atlas()


@pytest.fixture(scope="module")
def view(atlas):
    from dashboard.state import default_state

    return default_state(atlas.latest_year).as_dict()


ROUTER = "..page-content.children...page-title.data.."
COMPARE = "..compare-body.children...compare-url.search.."
WHATIF = ("..whatif-map.figure...whatif-bars.figure...whatif-summary.children...whatif-map-alt.children"
          "...whatif-bars-alt.children...whatif-methods.children...whatif-url.search...whatif-notice.children..")
MAP = "..ex-map.figure...map-title.children...ex-map-alt.children.."


def sync_state_body(app, view: dict, changes: dict) -> dict:
    """The explorer's state callback as the page sends it, with some values ("id.property": value) replaced."""
    from dashboard.components.controls import CONTROL_FIELDS

    (output,) = [o for o in app.callback_map if o.startswith("..ex-url.search...f-year.value")]
    inputs = {"ex-url.search": "", **{f"{cid}.value": view[name] for cid, name in CONTROL_FIELDS.items()},
              "f-reset.n_clicks": 0, "ex-map.clickData": None, "ex-clear-area.n_clicks": None}
    state = {"ex-state.data": view, "ex-url.pathname": "/"}
    for key, value in changes.items():
        (inputs if key in inputs else state)[key] = value
    request = body(output, [(*k.rsplit(".", 1), v) for k, v in inputs.items()],
                   [(*k.rsplit(".", 1), v) for k, v in state.items()])
    request["changedPropIds"] = [next((k for k in changes if k in inputs), "f-year.value")]
    return request


PATIENTS = ("compare-fifths", "value", "patients")


def test_compare_areas_not_a_list(client):
    assert answer(client, body(COMPARE, [("compare-areas", "value", 5), ("compare-imd", "value", "2025"), PATIENTS],
                               [("compare-url", "search", "")]))[0] == 204


def test_compare_edition_and_fifths_must_be_ones_the_page_offers(client):
    areas = ("compare-areas", "value", ["E09000028", "E09000022"])
    assert answer(client, body(COMPARE, [areas, ("compare-imd", "value", "2031"), PATIENTS],
                               [("compare-url", "search", "")]))[0] == 204
    assert answer(client, body(COMPARE, [areas, ("compare-imd", "value", "2019"), ("compare-fifths", "value", "gps")],
                               [("compare-url", "search", "")]))[0] == 204
    status, reply = answer(client, body(COMPARE, [areas, ("compare-imd", "value", "2019"), PATIENTS],
                                        [("compare-url", "search", "")]))
    assert status == 200 and "imd=2019" in reply and "25.8; rank 70 of 296" in reply
    status, reply = answer(client, body(COMPARE, [areas, ("compare-imd", "value", "2025"),
                                                  ("compare-fifths", "value", "practices")],
                                        [("compare-url", "search", "")]))
    assert status == 200 and "fifths=practices" in reply and "fifths of practices within the area" in reply


def test_pathname_not_text(client):
    assert answer(client, body(ROUTER, [("url", "pathname", 5)], [("url", "search", "")]))[0] == 204


def whatif_body(atlas, uplift, rule="deprivation_uplift") -> dict:
    return body(WHATIF, [("whatif-rule", "value", rule), ("whatif-uplift", "value", uplift),
                         ("whatif-year", "value", atlas.latest_year), ("whatif-level", "value", "la")],
                [("whatif-url", "search", "")])


@pytest.mark.parametrize("uplift, said", [("abc", "must be a number"), (1e308, "showing 20%"),
                                          (float("nan"), "must be a number"), (-1, "showing 0%"),
                                          (True, "must be a number"), ("1e400", "must be a number")])
def test_whatif_uplift_out_of_range_is_clamped_or_explained(client, atlas, uplift, said):
    """The what-if reads its uplift leniently itself (whatif.clamp_uplift): the boundary lets plain values by."""
    status, text = answer(client, whatif_body(atlas, uplift))
    assert status == 200 and said in json.dumps(json.loads(text)["response"]["whatif-notice"])


@pytest.mark.parametrize("uplift, rule", [([5], "deprivation_uplift"), ({"v": 5}, "deprivation_uplift"),
                                          (10**400, "deprivation_uplift"), ("\ud800", "deprivation_uplift"),
                                          (5, "no_such_rule"), (5, None)])
def test_whatif_refusals_say_so_in_its_notice(client, atlas, uplift, rule):
    status, text = answer(client, whatif_body(atlas, uplift, rule))
    response = json.loads(text)["response"]
    assert status == 200 and set(response) == {"whatif-notice"} and "could not use" in json.dumps(response)


def test_whatif_honest_request_still_runs(client, atlas):
    request = body(WHATIF, [("whatif-rule", "value", "deprivation_uplift"), ("whatif-uplift", "value", 10),
                            ("whatif-year", "value", atlas.latest_year), ("whatif-level", "value", "icb")],
                   [("whatif-url", "search", "")])
    status, text = answer(client, request)
    assert status == 200 and "whatif-summary" in json.loads(text)["response"]


@pytest.mark.parametrize("stored", [None, "abc", [1], {}])
def test_map_refuses_a_broken_stored_view(client, view, stored):
    request = body(MAP, [("ex-state", "data", stored), ("ex-show-practices", "value", [])])
    assert answer(client, request)[0] == 204


def test_map_refuses_an_unknown_metric(client, view):
    request = body(MAP, [("ex-state", "data", {**view, "metric": "no_such_metric"}), ("ex-show-practices", "value", [])])
    assert answer(client, request)[0] == 204


def test_map_draws_an_honest_view(client, view):
    request = body(MAP, [("ex-state", "data", {**view, "level": "icb"}), ("ex-show-practices", "value", ["on"])])
    status, text = answer(client, request)
    assert status == 200 and "ex-map" in json.loads(text)["response"]


@pytest.mark.parametrize("changes", [
    {"ex-state.data": {"metric": "no_such_metric"}},  # merged into the real view below
    {"ex-state.data": None},
    {"f-level.value": "\ud800"},
    {"f-level.value": "la\udfff"},
    {"ex-map.clickData": {"points": "abc"}},
    {"ex-map.clickData": {"points": [{"location": "E99999999"}]}},
    {"f-quintile.value": [True]},
    {"f-reset.n_clicks": -1},
])
def test_explorer_state_refusals_say_so_in_the_notice(client, app, view, changes):
    if isinstance(changes.get("ex-state.data"), dict):
        changes = {"ex-state.data": {**view, **changes["ex-state.data"]}}
    status, text = answer(client, sync_state_body(app, view, changes))
    assert status == 200
    response = json.loads(text)["response"]
    assert set(response) == {"ex-notice"}, "nothing but the notice changes"
    assert "could not use" in json.dumps(response["ex-notice"])


def test_explorer_state_honest_change_still_applies(client, app, view):
    status, text = answer(client, sync_state_body(app, view, {"f-level.value": "icb"}))
    assert status == 200
    response = json.loads(text)["response"]
    assert "level=icb" in response["ex-url"]["search"] and response["ex-state"]["data"]["level"] == "icb"


@pytest.mark.parametrize("rows_request", ["abc", {"startRow": "abc"}, {"startRow": 0, "endRow": 1e308},
                                          {"sortModel": "abc"}, {"filterModel": {"nope": {"type": "contains"}}}, {"startRow": 0, "endRow": 20, "api": {}, "sortModel": [1]},
                                          {"filterModel": {"practice_name": {"filter": "\ud800"}}}])
def test_table_refuses_a_broken_rows_request(client, view, rows_request):
    selection = {k: v for k, v in view.items() if k not in ("level", "metric")}
    request = body("ex-table.getRowsResponse", [("ex-table", "getRowsRequest", rows_request)],
                   [("ex-selection", "data", selection), ("ex-table-search", "value", None)])
    assert answer(client, request)[0] == 204


@pytest.mark.parametrize("rows", [[1], "abc", [{"lon": "abc", "lat": 52}], [{"no_such_column": 1}]])
def test_highlight_refuses_rows_the_grid_never_sent(client, app, rows):
    (output,) = [o for o in app.callback_map if o.startswith("ex-map.figure@")]
    assert answer(client, body(output, [("ex-table", "selectedRows", rows)]))[0] == 204


def test_download_refuses_an_unknown_chart(client, view):
    request = body("ex-download.data", [("ex-download-csv", "n_clicks", None), ("ex-download-xlsx", "n_clicks", None)],
                   [("ex-state", "data", view)])
    request["inputs"].append([{"id": {"type": "chart-csv", "chart": "no-such-chart"}, "property": "n_clicks",
                               "value": 1}])
    request["changedPropIds"] = ['{"chart":"no-such-chart","type":"chart-csv"}.n_clicks']
    assert answer(client, request)[0] == 204


def test_area_year_refuses_an_unknown_year(client, app):
    (output,) = [o for o in app.callback_map if o.startswith("..area-body.children")]
    request = body(output, [("area-year", "value", "1066-67")],
                   [("area-code", "data", "E08000026"), ("area-url", "search", "?fifths=practices")])
    assert answer(client, request)[0] == 204


def test_area_year_keeps_the_pages_fifths_in_its_link(client, app):
    """A new year on /area/<code>?fifths=practices keeps fifths of practices: in the body and in the link."""
    (output,) = [o for o in app.callback_map if o.startswith("..area-body.children")]
    request = body(output, [("area-year", "value", "2021-22")],
                   [("area-code", "data", "E09000028"), ("area-url", "search", "?year=2022-23&fifths=practices")])
    status, text = answer(client, request)
    assert status == 200
    assert "?year=2021-22&fifths=practices" in text and "fifths of practices within Southwark" in text


@pytest.mark.parametrize("broken", [
    "not json", "[1, 2]", "null", "[" * 50_000 + "]" * 50_000,
    json.dumps({"output": ROUTER, "outputs": [], "state": []}),  # no inputs
    json.dumps({"output": ROUTER, "inputs": {"0": {"id": "url", "property": "pathname", "value": "/"}}}),
    json.dumps({"output": "no-such.children", "inputs": []}),
    json.dumps({"output": "ex-copy-status.children", "outputs": {"id": "ex-copy-status", "property": "children"},
                "inputs": [{"id": "ex-copy-link", "property": "n_clicks", "value": 1}]}),  # runs in the browser
    json.dumps(body(ROUTER, [("no-such-id", "pathname", "/")], [("url", "search", "")])),
    json.dumps({**body(ROUTER, [("url", "pathname", "/")], [("url", "search", "")]), "changedPropIds": ["{bad"]}),
])
def test_broken_bodies_are_400(client, broken):
    response, text, problems = post(client, broken, raw=True)
    assert response.status_code == 400 and not problems and "Traceback" not in text, (response.status_code, text)


def test_unknown_component_suite_is_404(client):
    for url in ("/_dash-component-suites/x/y.js", "/_dash-component-suites/dash/no-such.js",
                "/_dash-component-suites/dashboard/static/../app.py"):
        assert client.get(url).status_code == 404, url


def test_every_server_callback_input_has_a_rule(app, client):
    from dashboard import boundary

    client.get("/_dash-layout")  # the app takes the pages' callbacks on its first request
    assert boundary.undeclared(app) == []


def test_an_undeclared_input_is_refused_not_run(client, caplog):
    """Forgetting a rule makes the input do nothing (and says so in the log), never lets it through unchecked."""
    from dash import Input, Output, html

    from dashboard.plotlyjs import AtlasDash

    client.get("/_dash-layout")  # the atlas app takes the pages' callbacks first, not the little app below

    lone = AtlasDash(__name__)
    lone.layout = html.Div([html.Button(id="t-undeclared"), html.Div(id="t-out")])
    ran = []

    @lone.callback(Output("t-out", "children"), Input("t-undeclared", "n_clicks"))
    def show(clicks):
        ran.append(clicks)
        return "ran"

    with caplog.at_level("WARNING", logger="dashboard.boundary"):
        response = lone.server.test_client().post("/_dash-update-component", json=body(
            "t-out.children", [("t-undeclared", "n_clicks", 1)]))
    assert response.status_code == 204 and not ran
    assert "no rule declared for t-undeclared.n_clicks" in caplog.text


def test_a_control_the_url_changes_comes_with_its_whole_list(client, app, view):
    """The panel's dropdowns hold only their chosen options until the map is drawn; a value the state
    callback sets must bring its list, or the dropdown would drop the value it does not list."""
    from dashboard.components.controls import panel_lists
    from dashboard.data.query import load_atlas

    status, text = answer(client, sync_state_body(app, view, {"ex-url.search": "?pcn=U60094&year=2019-20"}))
    assert status == 200
    response = json.loads(text)["response"]
    assert response["f-pcn"]["value"] == ["U60094"] and response["f-year"]["value"] == "2019-20"
    lists = panel_lists(load_atlas())
    assert response["f-pcn"]["options"] == lists["f-pcn"] and len(lists["f-pcn"]) > 1000
    assert response["f-year"]["options"] == lists["f-year"]
    assert "options" not in response.get("f-metric", {}) and "f-la" not in response  # unchanged: not re-sent

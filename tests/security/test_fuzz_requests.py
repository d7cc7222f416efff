"""Tampered requests: every server callback, fed the page's own values mutated, never answers 5xx or logs a traceback.

The callback bodies are built the way the browser builds them: each server callback's outputs, inputs and
state come from /_dash-dependencies, and each value starts from what the real pages hold (every page is
rendered through the router callback and its component tree walked for ids, values and options). Hypothesis
then mutates those values: wrong types, nulls, huge and tiny numbers, NaN and infinities, lone surrogates,
long strings, unknown ids, lists where dicts belong, and broken body structure. A client's mistake must come
back as 204, a notice or a 4xx: never a 500, never a traceback in the log.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# ---- URL and query-string fuzz (the router) -----------------------------------------------------------------
NASTY = ["<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "E08000026", "marmot:coventry",
         "marmot:<b>", "2022-23", "9999-00", "\u202e\u0000\ufeff", "🙂" * 50, "x" * 10_000, "%00", "la,icb",
         "E54000030,E40000007,E99999999", "&&&===", "?year=2022-23&year=2014-15"]
KEYS = ["year", "level", "area", "metric", "band", "fifths", "region", "icb", "la", "marmot", "rurality", "dispensing",
        "contract", "quintile", "size", "areas", "q", "practice", "unknown"]
PATHS = ["/", "/about", "/marmot", "/compare", "/search", "/whatif", "/area/E08000026", "/area/E54000030",
         "/area/marmot:coventry", "/area/E92000001", "/area/nope", "/no/such/page", "/practice/G85013",
         "/practice/G85112", "/practice/nope"]
# Pages whose component trees give the fuzz its real values.
PAGES = ["/", "/area/E08000026", "/area/marmot:coventry", "/area/E92000001", "/compare?areas=E08000026,E06000032",
         "/whatif", "/marmot", "/search?q=coventry", "/about", "/practice/G85013", "/search?q=SE5",
         "/fairness?level=la&place=E54000030"]

IN_CI = os.environ.get("CI") == "true"
settings.register_profile("fuzz-ci", max_examples=200, deadline=None, derandomize=False,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
settings.register_profile("fuzz-dev", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "30")), deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                                 HealthCheck.data_too_large])
FUZZ = settings.get_profile("fuzz-ci" if IN_CI else "fuzz-dev")
CI_TOTAL = 3000  # examples across all callbacks in CI: the fuzz ran 3,300


class LogWatch(logging.Handler):
    """Every record any logger writes while a request runs: an error or a traceback there fails the test."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def problems(self) -> list[str]:
        found = []
        for record in self.records:
            text = record.getMessage()
            if record.levelno >= logging.ERROR or record.exc_info or "Traceback" in text:
                found.append(f"{record.name} {record.levelname}: {text[:300]}")
        return found


@contextlib.contextmanager
def watched():
    """The log records and stderr text a request produces."""
    watch = LogWatch()
    root = logging.getLogger()
    root.addHandler(watch)
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            yield watch, stderr
    finally:
        root.removeHandler(watch)


def post(client, body, raw: bool = False):
    """POST a callback body (NaN and infinities kept: a tampered client can send them) and check it was clean."""
    data = body if raw else json.dumps(body, allow_nan=True)
    with watched() as (watch, stderr):
        response = client.post("/_dash-update-component", data=data, content_type="application/json")
    text = response.get_data(as_text=True)
    problems = watch.problems()
    if "Traceback" in stderr.getvalue():
        problems.append("stderr: " + stderr.getvalue()[-500:])
    return response, text, problems


def assert_clean(response, text, problems, body=None):
    shown = json.dumps(body, allow_nan=True)[:800] if body is not None else ""
    assert response.status_code < 500, f"{response.status_code} for {shown}\n{text[:300]}"
    assert "Traceback" not in text and 'File "/' not in text, shown
    assert not problems, f"logged {problems} for {shown}"


def render(client, pathname, search: str):
    body = {
        "output": "..page-content.children...page-title.data..",
        "outputs": [{"id": "page-content", "property": "children"}, {"id": "page-title", "property": "data"}],
        "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
        "state": [{"id": "url", "property": "search", "value": search}],
        "changedPropIds": ["url.pathname"],
    }
    return client.post("/_dash-update-component", json=body)


query_strings = st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(st.sampled_from(NASTY), st.text(max_size=60))),
                         max_size=6).map(lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs))


@settings(max_examples=300 if IN_CI else 60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.one_of(st.sampled_from(PATHS), st.sampled_from(NASTY).map(lambda s: "/area/" + s),
                      st.text(max_size=80).map(lambda s: "/" + s)),
       search=query_strings)
def test_any_page_and_query_renders(client, path, search):
    response = render(client, path, search)
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "File \"/" not in text
    if response.status_code == 200:
        assert "page-content" in json.loads(text)["response"]


# ---- the callbacks, from /_dash-dependencies and the real pages ---------------------------------------------
def split_output(output: str) -> list[tuple[str, str]]:
    """'..a.b...c.d..' or 'a.b' as [(id, property)], the way dash-renderer names a callback's outputs."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [tuple(part.rsplit(".", 1)) for part in parts]


def is_server_callback(dep: dict) -> bool:
    # Clientside callbacks run in the browser. Background ones (there are none since briefings became GET
    # downloads) and Dash's helper that cancels one (the only callback whose output is a component's "id")
    # answer through Dash's job manager, polled; this fuzz sends one request and reads one answer.
    return (dep.get("clientside_function") is None and not dep.get("background")
            and not any(prop == "id" for _id, prop in split_output(dep["output"])))


def component_nodes(tree):
    """Every component (as Dash serialises it) in a tree of JSON."""
    if isinstance(tree, dict):
        if "props" in tree and "type" in tree:
            yield tree
            yield from component_nodes(tree["props"])
        else:
            for value in tree.values():
                yield from component_nodes(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from component_nodes(item)


def id_key(component_id) -> str:
    if isinstance(component_id, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json.dumps(component_id[k])}" for k in sorted(component_id)) + "}"
    return component_id


class Layout:
    """Ids, property values and option values found in the rendered pages."""

    def __init__(self):
        self.values: dict[tuple[str, str], list] = {}
        self.ids: list = []

    def add(self, key: tuple[str, str], value) -> None:
        known = self.values.setdefault(key, [])
        if value not in known:
            known.append(value)

    def walk(self, tree) -> None:
        for node in component_nodes(tree):
            props = node["props"]
            if "id" not in props:
                continue
            cid = props["id"]
            if cid not in self.ids:
                self.ids.append(cid)
            key = id_key(cid)
            for prop, value in props.items():
                if prop != "children":
                    self.add((key, prop), value)
            options = [o["value"] if isinstance(o, dict) else o for o in props.get("options") or []]
            if options:
                if isinstance(props.get("value"), list) or props.get("multi"):
                    for picked in ([], options[:1], options[-2:], options[:4]):
                        self.add((key, "value"), picked)
                else:
                    for option in options:
                        self.add((key, "value"), option)
            if "min" in props and "max" in props:
                for number in (props["min"], props["max"], (props["min"] + props["max"]) // 2):
                    self.add((key, "value"), number)


@pytest.fixture(scope="module")
def dependencies(client):
    found = [dep for dep in client.get("/_dash-dependencies").get_json() if is_server_callback(dep)]
    missing = sorted(set(SERVER_OUTPUTS) - {dep["output"] for dep in found})
    assert not missing, f"the app serves no callback for {missing}"
    return found


def callback_response(client, output: str, inputs: list, state: list | None = None) -> dict:
    body = {"output": output, "outputs": [{"id": i, "property": p} for i, p in split_output(output)],
            "inputs": inputs, "state": state or [], "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"]}
    if not output.startswith(".."):
        body["outputs"] = body["outputs"][0]
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, (output, response.status_code)
    return response.get_json()["response"]


@pytest.fixture(scope="module")
def layout(client, dependencies):
    """Real values for every input and state of every server callback."""
    found = Layout()
    for page in PAGES:
        path, _, search = page.partition("?")
        response = render(client, path, "?" + search if search else "")
        assert response.status_code == 200, page
        found.walk(response.get_json()["response"])
        found.add(("url", "pathname"), path)
        found.add(("url", "search"), "?" + search if search else "")
    # The explorer's lazily mounted parts, as the browser mounts them when scrolled near.
    found.walk(callback_response(client, "ex-charts.children", [{"id": "ex-charts-seen", "property": "data",
                                                                 "value": True}]))
    found.walk(callback_response(client, "ex-table-part.children", [{"id": "ex-table-seen", "property": "data",
                                                                     "value": True}]))
    for key in ("ex-charts-seen", "ex-table-seen"):
        found.add((key, "data"), True)
    # What the browser sends that no layout holds: clicks, grid requests, a map click, a picked row, URLs.
    for cid in found.ids:
        for clicks in (None, 1, 3):
            found.add((id_key(cid), "n_clicks"), clicks)
    # As dash-ag-grid sends them: the grid's params object, its api emptied by JSON.
    for request in ({"startRow": 0, "endRow": 20, "sortModel": [], "filterModel": {}, "api": {}},
                    {"startRow": 20, "endRow": 40, "sortModel": [{"colId": "total_payments", "sort": "desc"}],
                     "filterModel": {"practice_name": {"filterType": "text", "type": "contains", "filter": "health"},
                                     "registered_patients": {"filterType": "number", "type": "greaterThan",
                                                             "filter": 5000}}}):
        found.add(("ex-table", "getRowsRequest"), request)
    selection = found.values[("ex-selection", "data")][0]
    rows = callback_response(client, "ex-table.getRowsResponse",
                             [{"id": "ex-table", "property": "getRowsRequest",
                               "value": found.values[("ex-table", "getRowsRequest")][0]}],
                             [{"id": "ex-selection", "property": "data", "value": selection},
                              {"id": "ex-table-search", "property": "value", "value": None}])
    row_data = rows["ex-table"]["getRowsResponse"]["rowData"]
    found.add(("ex-table", "selectedRows"), row_data[:1])
    found.add(("ex-table", "selectedRows"), [])
    figure = found.values[("ex-map", "figure")][0]
    locations = figure["data"][0]["locations"]
    for index in (0, len(locations) - 1):
        found.add(("ex-map", "clickData"), {"points": [{"curveNumber": 0, "pointNumber": index,
                                                        "location": locations[index], "z": 1.5}]})
    found.add(("ex-map", "clickData"), None)
    for key in ("ex-url", "compare-url", "whatif-url"):
        for search in ("", "?level=icb&year=2022-23", "?areas=E08000026,E06000032", "?rule=flat_per_patient"):
            found.add((key, "search"), search)
    found.add(("ex-url", "pathname"), "/")
    for search in ("", "?year=2022-23", "?year=2021-22&fifths=practices", "?fifths=households"):
        found.add(("area-url", "search"), search)
    for text in (None, "", "coventry", "A81001"):
        found.add(("ex-table-search", "value"), text)
    missing = [f"{dep['output']}: {item['id']}.{item['property']}" for dep in dependencies
               for item in dep["inputs"] + dep["state"] if not pattern(item["id"])
               and (item["id"], item["property"]) not in found.values]
    assert not missing, f"no real value for {missing}: add one to the layout fixture"
    return found


def pattern(component_id: str) -> dict | None:
    return json.loads(component_id) if component_id.startswith("{") else None


def matches(concrete, wildcard: dict) -> bool:
    return (isinstance(concrete, dict) and set(concrete) == set(wildcard)
            and all(isinstance(v, list) or concrete[k] == v for k, v in wildcard.items()))


# ---- mutations ------------------------------------------------------------------------------------------------
SURROGATES = ["\ud800", "a\udfffb", "\udc00" * 3, "E0800\ud83d0026"]
JUNK_TEXT = ["NaN", "Infinity", "-Infinity", "inf", "abc", "5", "", " ", "null", "E99999999", "marmot:nope",
             "<script>alert(1)</script>", "../../etc/passwd", "🙂" * 30, "x" * 20_000, "la", "2014-15", "__proto__"]
JUNK_NUMBERS = [0, -1, 5, 1e308, -1e308, 5e-324, 2**63, -(2**63) - 1, 10**40, 0.5, float("nan"), float("inf"),
                float("-inf")]
scalars = st.one_of(st.none(), st.booleans(), st.sampled_from(JUNK_NUMBERS), st.integers(), st.floats(),
                    st.sampled_from(JUNK_TEXT + SURROGATES), st.text(max_size=40))
junk = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.text(max_size=8), scalars, max_size=4),
    st.sampled_from([[1], [[]], {}, [], {"points": "abc"}, {"points": [1]}, {"points": [{"location": 5}]},
                     {"points": [None]}, {"startRow": "abc"}, {"startRow": 1e308, "endRow": -5},
                     {"sortModel": "abc"}, {"filterModel": []}, {"filterModel": {"x": 5}}, [{"lon": "a"}]]),
)


@st.composite
def mutated(draw, real_values: list, tamper: bool):
    """A real value; or, to tamper, the same value altered somewhere inside, or junk of any shape."""
    real = draw(st.sampled_from(real_values)) if real_values else None
    if not tamper:
        return real
    how = draw(st.sampled_from(["inside", "inside", "junk", "wrap"]))
    if how == "junk":
        return draw(junk)
    if how == "wrap":  # a list where one value belongs, or a dict where a list does
        return draw(st.sampled_from([[real], {"value": real}, {"0": real} if isinstance(real, list) else [real, real]]))
    return draw(alter(real))


@st.composite
def alter(draw, value, depth: int = 0):
    """One change somewhere inside a value: a key dropped, added or given junk; an item changed or added."""
    if isinstance(value, dict) and value and depth < 4:
        key = draw(st.sampled_from(sorted(value)))
        change = draw(st.sampled_from(["drop", "add", "junk", "deeper"]))
        altered = dict(value)
        if change == "drop":
            del altered[key]
        elif change == "add":
            altered[draw(st.sampled_from(["unknown", "__proto__", "", "\ud800"]))] = draw(scalars)
        elif change == "junk":
            altered[key] = draw(junk)
        else:
            altered[key] = draw(alter(value[key], depth + 1))
        return altered
    if isinstance(value, list) and value and depth < 4:
        index = draw(st.integers(0, len(value) - 1))
        change = draw(st.sampled_from(["junk", "deeper", "extend", "many"]))
        altered = list(value)
        if change == "junk":
            altered[index] = draw(junk)
        elif change == "deeper":
            altered[index] = draw(alter(value[index], depth + 1))
        elif change == "extend":
            altered.append(draw(scalars))
        else:
            altered = altered * 300
        return altered
    return draw(junk)


def slots(dep: dict, layout: Layout) -> list[tuple[str, str, list | None]]:
    """(id, property, concrete ids for a pattern) for each input then each state of a callback."""
    found = []
    for item in dep["inputs"] + dep["state"]:
        wildcard = pattern(item["id"])
        concrete = [cid for cid in layout.ids if matches(cid, wildcard)] if wildcard else None
        found.append((item["id"], item["property"], concrete))
    return found


@st.composite
def bodies(draw, dep: dict, layout: Layout):
    """A callback body as the browser would send it, with its values (and sometimes its structure) tampered."""
    found = slots(dep, layout)
    # A few values tampered, the rest as the page holds them: so the real values around a bad one are real,
    # and some bodies (nothing tampered) run the callback itself on the page's values.
    tampered = draw(st.one_of(st.sets(st.integers(0, len(found) - 1), max_size=3),
                              st.just(set(range(len(found))))))
    values = []
    for index, (cid, prop, concrete) in enumerate(found):
        tamper = index in tampered
        if concrete is None:
            values.append({"id": cid, "property": prop, "value": draw(mutated(layout.values[(cid, prop)], tamper))})
        else:
            ids = draw(st.permutations(concrete))  # the renderer sends every matching component, in any order
            values.append([{"id": c, "property": prop,
                            "value": draw(mutated(layout.values.get((id_key(c), prop), []), tamper))} for c in ids])
    count = len(dep["inputs"])
    inputs, state = values[:count], values[count:]
    outputs = [{"id": i, "property": p} for i, p in split_output(dep["output"])]
    flat = [v for item in inputs for v in (item if isinstance(item, list) else [item])]
    changed = draw(st.lists(st.sampled_from(flat), min_size=1, max_size=2, unique_by=lambda v: id_key(v["id"])) if flat
                   else st.just([]))
    body = {"output": dep["output"], "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": inputs, "state": state,
            "changedPropIds": [f"{id_key(v['id'])}.{v['property']}" for v in changed]}
    structure = draw(st.sampled_from(["as sent"] * 8 + ["drop inputs", "inputs as dict", "drop a slot",
                                                        "unknown id", "junk changed", "unknown output",
                                                        "drop state", "outputs junk", "inputs junk"]))
    if structure == "drop inputs":
        del body["inputs"]
    elif structure == "inputs as dict":
        body["inputs"] = {"0": inputs[0]} if inputs else {}
    elif structure == "drop a slot" and inputs:
        body["inputs"] = inputs[:-1]
    elif structure == "unknown id" and flat:
        first = dict(flat[0])
        first["id"] = draw(st.sampled_from(["no-such-id", {"type": "chart-csv", "chart": "nope"}, 5, None, ["x"]]))
        body["inputs"] = [first] + inputs[1:]
    elif structure == "junk changed":
        body["changedPropIds"] = draw(st.one_of(junk, st.lists(st.sampled_from(
            ["{bad.n_clicks", "nope.value", '{"type":"chart-csv","chart":"x"}.n_clicks', "."]), max_size=2)))
    elif structure == "unknown output":
        body["output"] = draw(st.sampled_from(["no-such.children", "", "..x.y..", 5]))
    elif structure == "drop state":
        body.pop("state")
    elif structure == "outputs junk":
        body["outputs"] = draw(junk)
    elif structure == "inputs junk":
        body["inputs"] = draw(st.lists(junk, max_size=3))
    return body


def server_callbacks() -> list[str]:
    """Each server callback's output key, read at collection so each gets its own test and its own examples.

    At collection no app has answered a request yet, so Dash's global registry still holds every page's
    callbacks (tests/security/conftest.py imports the pages and hands them to the app under test).
    """
    import dash._callback as registry

    return ["..page-content.children...page-title.data.."] + [
        entry["output"] for entry in registry.GLOBAL_CALLBACK_LIST if is_server_callback(entry)]


SERVER_OUTPUTS = server_callbacks()


def test_ci_runs_enough_examples():
    """CI asks for at least as many tampered requests as the issue's fuzz made, across every server callback."""
    per_callback = settings.get_profile("fuzz-ci").max_examples
    assert per_callback * len(SERVER_OUTPUTS) >= CI_TOTAL, (per_callback, len(SERVER_OUTPUTS))


@pytest.mark.parametrize("output", SERVER_OUTPUTS, ids=lambda o: o.strip(".").split(".")[0])
def test_tampered_callback_is_refused_cleanly(client, dependencies, layout, output):
    (dep,) = [d for d in dependencies if d["output"] == output]

    @FUZZ
    @given(body=bodies(dep, layout))
    def check(body):
        response, text, problems = post(client, body)
        assert_clean(response, text, problems, body)

    check()


# ---- bodies that are not callback bodies at all -------------------------------------------------------------
@settings(max_examples=200 if IN_CI else 40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
                 st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=5).map(json.dumps),
                 junk.map(lambda v: json.dumps(v, allow_nan=True))))
def test_broken_bodies_get_a_4xx(client, body):
    response, text, problems = post(client, body, raw=True)
    assert 400 <= response.status_code < 500, (response.status_code, body[:200])
    assert "Traceback" not in text and not problems, (body[:200], problems)


def test_unknown_area_page_is_friendly(client):
    response = render(client, "/area/E99999999", "")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "No such area" in text and "search" in text.lower()


def test_headers_on_every_response(client):
    for url in ("/", "/geo/la.geojson", "/_dash-layout"):
        response = client.get(url)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors" in response.headers["Content-Security-Policy"]
        assert response.headers["Referrer-Policy"]


def test_large_bodies_are_refused(client):
    response = client.post("/_dash-update-component", data="x" * (2 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413


def test_export_slots_are_bounded():
    from dashboard.security import ExportsBusy, _export_slots, export_slot

    held = []
    while _export_slots.acquire(blocking=False):
        held.append(1)
    try:
        with pytest.raises(ExportsBusy), export_slot():
            pass
    finally:
        for _ in held:
            _export_slots.release()
    with export_slot():
        pass

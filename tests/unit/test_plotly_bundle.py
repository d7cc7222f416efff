"""The partial plotly.js bundle: served instead of the full one, same version as plotly.py, every trace we draw,
through Dash's public API only."""

from __future__ import annotations

import ast
import gzip
import hashlib
import re
from functools import lru_cache
from importlib.resources import files

import dash
import flask
import plotly.graph_objects as go
import pytest
from dash import dcc, html
from helpers import PROJECT_ROOT
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

from dashboard import plotlyjs

DASHBOARD = PROJECT_ROOT / "dashboard"
TRACE_CLASSES = {name: getattr(go, name) for name in dir(go)  # go's classes load lazily: not in vars(go)
                 if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)}
TRACE_TYPES = {cls._path_str for cls in TRACE_CLASSES.values()}  # "bar" for go.Bar


@lru_cache(maxsize=1)
def full_bundle() -> bytes:
    """The full plotly.js Dash would send (plotly.py ships it; Dash serves it under the "plotly" namespace)."""
    return (files("plotly") / "package_data" / plotlyjs.FULL_BUNDLE).read_bytes()


def traces_in_source() -> dict[str, set[str]]:
    """Trace type -> files, from go.<Trace>(...), fig.add_<trace>(...) and {"type": "<trace>"} in dashboard/."""
    found: dict[str, set[str]] = {}
    for path in DASHBOARD.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            kind = None
            if isinstance(node, ast.Attribute):
                if node.attr in TRACE_CLASSES and isinstance(node.value, ast.Name) and node.value.id == "go":
                    kind = TRACE_CLASSES[node.attr]._path_str
                elif node.attr.startswith("add_") and node.attr[4:] in TRACE_TYPES:
                    kind = node.attr[4:]
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (isinstance(key, ast.Constant) and key.value == "type" and isinstance(value, ast.Constant)
                            and value.value in TRACE_TYPES):
                        kind = value.value
            elif isinstance(node, ast.keyword) and node.arg == "type" and isinstance(node.value, ast.Constant) \
                    and node.value.value in TRACE_TYPES:
                kind = node.value.value
            if kind:
                found.setdefault(kind, set()).add(str(path.relative_to(PROJECT_ROOT)))
    return found


def test_bundle_is_the_plotlyjs_version_plotly_py_was_built_for():
    # plotly.py validates figures against its own plotly.js schema: a different bundle version could
    # silently drop or misread attributes. Upgrading plotly means rebuilding scripts/plotly_bundle.
    assert plotlyjs.bundle_header()["version"] == get_plotlyjs_version()


def test_every_trace_type_the_app_draws_is_in_the_bundle():
    used = traces_in_source()
    assert {"bar", "scatter", "scattergl", "choroplethmap", "scattermap"} <= set(used), used  # the scan works
    missing = {kind: sorted(files) for kind, files in used.items() if kind not in plotlyjs.bundle_header()["traces"]}
    assert not missing, (f"traces drawn but not in {plotlyjs.BUNDLE}: {missing}; add them to TRACES in "
                         "scripts/plotly_bundle/build.mjs and rebuild")


def test_no_plotly_express_nor_calendars_the_scan_cannot_see():
    for path in DASHBOARD.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "plotly.express" not in text, f"{path}: plotly.express picks trace types this test cannot see"
        if "calendars" not in plotlyjs.bundle_header()["components"]:
            assert not re.search(r"\w*calendar\s*[=:]", text), f"{path} sets a calendar: build with 'calendars'"


def test_bundle_file_is_the_minified_plotly_bundle():
    text = plotlyjs.BUNDLE_FILE.read_text(encoding="utf-8")
    assert 1_000_000 < len(text) < 0.75 * len(full_bundle())  # neither a stub nor most of the full plotly.js
    assert text.rstrip().endswith("window.Plotly = Plotly;\nreturn Plotly;\n}));")


def test_only_dash_public_api_is_used():
    # Dash 3's version overrode _setup_plotlyjs, edited dcc._js_dist and called
    # _collect_and_register_resources; each Dash release could break that silently. The browser-side
    # window._dashPlotlyJSURL (assets/plotlyjs.js) is the one coupling left, and the e2e tests guard it.
    tree = ast.parse((DASHBOARD / "plotlyjs.py").read_text(encoding="utf-8"))
    private = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
               and node.attr.startswith("_") and not node.attr.startswith("__")}
    assert not private, private
    defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
    assert {name for name in defined if name.startswith("_")} <= {"__init__"}, defined  # no Dash internals overridden


def test_dash_registration_of_the_full_bundle_is_left_alone_and_never_a_script_tag():
    plain = dash.Dash(__name__)
    app = plotlyjs.AtlasDash(__name__)
    registered = [r for r in dcc._js_dist if r.get("namespace") == "plotly"]
    assert registered and all(r.get("async") == "eager" for r in registered)  # dcc.Graph fetches it lazily
    for each in (plain, app):
        each.layout = html.Div(dcc.Graph(id="g"))
        page = each.server.test_client().get("/").get_data(as_text=True)
        assert plotlyjs.FULL_BUNDLE not in " ".join(re.findall(r'<script src="([^"]+)"', page))
    assert plotlyjs.bundle_name() in app.server.test_client().get("/").get_data(as_text=True)


@pytest.mark.parametrize("pass_server_later", [False, True])
def test_bundle_route_follows_the_url_prefix_and_late_servers(pass_server_later):
    server = flask.Flask(__name__)
    if pass_server_later:
        app = plotlyjs.AtlasDash(__name__, server=False, url_base_pathname="/atlas/")
        app.init_app(server)
    else:
        app = plotlyjs.AtlasDash(__name__, server=server, url_base_pathname="/atlas/")
    app.layout = html.Div(dcc.Graph(id="g"))
    client = server.test_client()
    src = preloaded_bundle(client.get("/atlas/").get_data(as_text=True))
    assert src == f"/atlas/_atlas/{plotlyjs.bundle_name()}"
    assert client.get(src).status_code == 200


@pytest.fixture(scope="module")
def client(processed_dir):
    from dashboard.app import create_app

    return create_app(str(processed_dir)).server.test_client()


def preloaded_bundle(html: str) -> str:
    (src,) = re.findall(r'<link rel="preload" id="plotlyjs-src" href="([^"]+)" as="script">', html)
    return src


def test_page_preloads_the_atlas_bundle_and_loads_no_plotly_by_script_tag(client):
    html = client.get("/").get_data(as_text=True)
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert not [s for s in sources if "plotly.min.js" in s or "package_data" in s or "plotly-atlas" in s], sources
    src = preloaded_bundle(html)
    digest = hashlib.sha256(plotlyjs.BUNDLE_FILE.read_bytes()).hexdigest()[:12]
    assert src == f"/_atlas/plotly-atlas.{digest}.min.js", src  # a new build is a new URL
    assert html.index(src) < html.index("</head>")  # downloading while the other scripts run
    # assets/plotlyjs.js points dcc.Graph's lazy loader at it, before the renderer starts
    shim = next(s for s in sources if s.startswith("/assets/plotlyjs.js"))
    assert html.index(shim) < html.index("new DashRenderer")
    assert "_dashPlotlyJSURL" in (PROJECT_ROOT / "assets" / "plotlyjs.js").read_text()


def test_explorer_preloads_the_boundaries_its_first_map_draws(client):
    default = client.get("/").get_data(as_text=True)
    assert '<link rel="preload" href="/geo/la.geojson" as="fetch" crossorigin="anonymous">' in default
    assert 'href="/geo/marmot.geojson"' in default
    assert 'href="/geo/icb.geojson"' in client.get("/?level=icb").get_data(as_text=True)
    odd = client.get('/?level="><script>').get_data(as_text=True)
    assert "<script>" not in odd.split("</head>")[0] and 'href="/geo/la.geojson"' in odd
    assert "/geo/" not in client.get("/about").get_data(as_text=True).split("</head>")[0]


def test_bundle_is_served_fingerprinted_cached_for_a_year_and_compressed(client):
    src = preloaded_bundle(client.get("/").get_data(as_text=True))
    raw = plotlyjs.BUNDLE_FILE.read_bytes()
    plain = client.get(src, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and plain.get_data() == raw
    assert plain.mimetype == "application/javascript"
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert client.get(src, headers={"If-None-Match": plain.headers["ETag"]}).status_code == 304
    zipped = client.get(src, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()) == raw
    assert (src, "gzip") in {(path.rstrip("?"), encoding) for path, encoding, *_ in
                             client.application.extensions["compressed_static"]}  # compressed once, then kept
    full = len(gzip.compress(full_bundle(), compresslevel=9, mtime=0))
    assert len(zipped.get_data()) < 0.7 * full  # the full plotly.min.js is 1.47 MB gzipped, ours 0.96 MB


def test_an_older_fingerprint_redirects_to_the_current_bundle_and_other_names_are_not_found(client):
    current = preloaded_bundle(client.get("/").get_data(as_text=True))
    old = client.get("/_atlas/plotly-atlas.0123456789ab.min.js")  # a page from the previous release
    assert old.status_code == 302 and old.headers["Location"].endswith(current.rsplit("/", 1)[1])
    assert old.headers["Cache-Control"] == "no-cache"
    for name in ("plotly.min.js", "plotlyjs.py", "plotly-atlas.min.js", "plotly-atlas.0123456789AB.min.js"):
        assert client.get(f"/_atlas/{name}").status_code == 404, name

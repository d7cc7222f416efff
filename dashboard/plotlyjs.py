"""Serve our partial plotly.js bundle (static/plotly-atlas.min.js) and have dcc.Graph load it instead of Dash's.

Dash offers every app the whole of plotly.js (4.8 MB, 1.47 MB gzipped). The atlas draws five trace
types, so it ships a bundle of just those, built from the same plotly.js version by
scripts/plotly_bundle/build.mjs (3.2 MB, 0.96 MB gzipped; most of it MapLibre, which the maps need).
Dash 4 has no option for a partial bundle, so this module does it with public API only:

- the bundle is served by a route of our own, `<prefix>_atlas/plotly-atlas.<sha256 prefix>.min.js`:
  the name changes with the content, so it may be cached for a year, and cache.py compresses it once
  per worker (its STATIC_PREFIXES include `/_atlas/`);
- `AtlasDash.interpolate_index` (Dash's documented hook for the page's HTML) puts
  `<link rel="preload" id="plotlyjs-src" href="<that URL>" as="script">` in the head, so the download
  starts at once, while dash-renderer and the components load.

Dash's own registration of the full bundle is left as it is. Dash marks it `"async": "eager"`, so it
gets no <script> tag: dcc.Graph fetches plotly.js when the first graph renders (unless window.Plotly
exists), from `window._dashPlotlyJSURL`, which dash-renderer sets to the full bundle's path.
assets/plotlyjs.js pins that variable to the preload link's URL, so the full bundle is never fetched.
That browser-side variable is the one place the atlas still depends on Dash's internals: if a Dash
release renames it, dcc.Graph falls back to the full bundle (slower, still correct), and
tests/e2e/test_explorer.py's check that the page never requests plotly.min.js fails.

The explorer's head also preloads the boundaries its first map draws (/geo/<level>.geojson and the
Marmot outlines), so they arrive while the scripts start instead of after the first render.

Rebuild the bundle (after a plotly upgrade, or to add a trace type):
    cd scripts/plotly_bundle && npm ci && node build.mjs
tests/unit/test_plotly_bundle.py checks its version against plotly.py's and its traces against the figures.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import dash

BUNDLE = "static/plotly-atlas.min.js"
BUNDLE_FILE = Path(__file__).parent / BUNDLE
ROUTE = "_atlas/"  # under the app's routes_pathname_prefix; cache.STATIC_PREFIXES lists "/_atlas/"
FULL_BUNDLE = "plotly.min.js"  # Dash's full bundle (dash/.../package_data/plotly.min.js): never fetched
YEAR = 365 * 24 * 3600


@lru_cache(maxsize=1)
def bundle_header() -> dict:
    """{"version": "4.1.1", "traces": [...], "components": [...]} from the bundle's header comment."""
    head = BUNDLE_FILE.read_text(encoding="utf-8")[:1000]
    version = re.search(r"^\* plotly\.js \(equity-atlas[^)]*\) v(\S+)$", head, re.M)
    traces = re.search(r"^\* traces: (.*)$", head, re.M)
    components = re.search(r"^\* components: (.*)$", head, re.M)
    if not (version and traces and components):
        raise ValueError(f"{BUNDLE_FILE} has no Equity Atlas bundle header; rebuild it with scripts/plotly_bundle")

    def names(text: str) -> list[str]:
        return [] if text.strip() == "none" else [n.strip() for n in text.split(",") if n.strip()]

    return {"version": version.group(1), "traces": names(traces.group(1)), "components": names(components.group(1))}


@lru_cache(maxsize=1)
def bundle_name() -> str:
    """plotly-atlas.<first 12 hex digits of the bundle's sha256>.min.js: a new build is a new URL."""
    digest = hashlib.sha256(BUNDLE_FILE.read_bytes()).hexdigest()[:12]
    return f"plotly-atlas.{digest}.min.js"


def serve_bundle(server, routes_prefix: str = "/") -> None:
    """Add the bundle's route to a Flask server (once). Any older fingerprint redirects to the current one.

    A page rendered by the previous release (during a rolling deploy, or from a browser's cache) asks
    for the old name; it gets the new file through a redirect that is not cached, rather than the new
    bytes stored for a year under the old name.
    """
    from flask import abort, redirect, send_file

    endpoint = "atlas_plotlyjs"
    if endpoint in server.view_functions:
        return

    def plotlyjs(name: str):
        current = bundle_name()
        if name != current:
            if re.fullmatch(r"plotly-atlas\.[0-9a-f]{12}\.min\.js", name):
                response = redirect(current, code=302)  # relative: the same folder
                response.headers["Cache-Control"] = "no-cache"
                return response
            abort(404)
        response = send_file(BUNDLE_FILE, mimetype="application/javascript", etag=current, conditional=True,
                             max_age=YEAR)
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return response

    server.add_url_rule(f"{routes_prefix}{ROUTE}<name>", endpoint, plotlyjs, methods=["GET"])


class AtlasDash(dash.Dash):
    """dash.Dash that serves static/plotly-atlas.min.js and preloads it. Use exactly as dash.Dash.

    It also answers a client's mistakes as a client's mistakes, which plain Dash answers with a 500 and a
    traceback: every callback request passes dashboard/boundary.py before Dash runs it, and a script Dash
    never registered is a 404.
    """

    def init_app(self, app=None, **kwargs):
        # Dash calls init_app from __init__ when it makes the Flask server, and again if the caller
        # passes one later (server=False): either way the routes land on the server that answers.
        from . import boundary

        super().init_app(app, **kwargs)
        serve_bundle(self.server, self.config.routes_pathname_prefix)
        boundary.install(self)

    @property
    def plotlyjs_url(self) -> str:
        return self.get_relative_path(f"/{ROUTE}{bundle_name()}")

    def interpolate_index(self, **kwargs):
        kwargs["metas"] = kwargs.get("metas", "") + "".join(
            preload_links(self.plotlyjs_url, self.config.requests_pathname_prefix))
        return super().interpolate_index(**kwargs)


# dcc's code for graphs and dropdowns, which it fetches only once a page's layout has arrived and names
# one (webpack chunks of dash-core-components, at these paths in Dash 4.4). Preloaded, they arrive with
# the page's other scripts instead of a round trip later, just before the map. If a release renames them
# the preloads are wasted, and tests/e2e/test_explorer.py's check that each preload is used fails.
DCC_CHUNKS = ("async-graph.js", "async-dropdown.js")


def preload_links(plotlyjs_src: str, prefix: str = "/") -> list[str]:
    """<link rel=preload> tags for this request: plotly.js and dcc's chunks always, and the explorer's first
    boundaries."""
    from html import escape

    from flask import has_request_context, request

    from .state import LEVELS  # the explorer's map levels, each with its boundaries at /geo/<level>.geojson

    links = [f'<link rel="preload" id="plotlyjs-src" href="{escape(plotlyjs_src)}" as="script">']
    links += [f'<link rel="preload" href="{escape(prefix)}_dash-component-suites/dash/dcc/{chunk}" as="script">'
              for chunk in DCC_CHUNKS]
    if has_request_context() and request.path == "/":
        level = request.args.get("level", "la")
        for name in (level if level in LEVELS else "la", "marmot"):
            links.append(f'<link rel="preload" href="/geo/{name}.geojson" as="fetch" crossorigin="anonymous">')
    return links

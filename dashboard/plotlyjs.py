"""Serve our partial plotly.js bundle (static/plotly-atlas.min.js) instead of Dash's full one.

Dash registers the whole of plotly.js (4.8 MB, ~1.46 MB gzipped) for every app, in
`dash.Dash._setup_plotlyjs`. The atlas draws five trace types, so it ships a bundle of just those,
built from the same plotly.js version by scripts/plotly_bundle/build.mjs (~2.4 MB, ~0.74 MB gzipped).
`AtlasDash` is a `dash.Dash` that registers that bundle in its place; nothing else changes.

How it is loaded. Dash marks its plotly.js `"async": "eager"`: no <script> tag; dcc.Graph fetches it
when the first graph renders, from `window._dashPlotlyJSURL`, which dash-renderer sets to the full
bundle's path. The atlas keeps that lazy loading (the renderer starts without waiting for 2.4 MB of
JavaScript to download and run) but points it at our bundle: the page head carries
`<link rel="preload" id="plotlyjs-src" href="<fingerprinted bundle>" as="script">`, which starts
the download at once, and assets/plotlyjs.js makes `window._dashPlotlyJSURL` read that link. The
bundle is served by Dash's component-suites route, fingerprinted (cached for a year) and compressed
once by cache.cache_static_compression.

The explorer's head also preloads the boundaries its first map draws (/geo/<level>.geojson and the
Marmot outlines), so they arrive while the scripts start instead of after the first render.

Rebuild the bundle (after a plotly upgrade, or to add a trace type):
    cd scripts/plotly_bundle && npm ci && node build.mjs
tests/unit/test_plotly_bundle.py checks its version against plotly.py's and its traces against the figures.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import dash
from dash import dcc

NAMESPACE = "dashboard"  # this package: Dash serves the file with pkgutil.get_data(NAMESPACE, BUNDLE)
BUNDLE = "static/plotly-atlas.min.js"
BUNDLE_FILE = Path(__file__).parent / BUNDLE
FULL_BUNDLE = "package_data/plotly.min.js"  # what Dash registers under the "plotly" namespace


@lru_cache(maxsize=1)
def bundle_header() -> dict:
    """{"version": "3.7.0", "traces": [...], "components": [...]} from the bundle's header comment."""
    head = BUNDLE_FILE.read_text(encoding="utf-8")[:1000]
    version = re.search(r"^\* plotly\.js \(equity-atlas[^)]*\) v(\S+)$", head, re.M)
    traces = re.search(r"^\* traces: (.*)$", head, re.M)
    components = re.search(r"^\* components: (.*)$", head, re.M)
    if not (version and traces and components):
        raise ValueError(f"{BUNDLE_FILE} has no Equity Atlas bundle header; rebuild it with scripts/plotly_bundle")

    def names(text: str) -> list[str]:
        return [] if text.strip() == "none" else [n.strip() for n in text.split(",") if n.strip()]

    return {"version": version.group(1), "traces": names(traces.group(1)), "components": names(components.group(1))}


def _is_full_plotlyjs(resource: dict) -> bool:
    return resource.get("namespace") == "plotly" and resource.get("relative_package_path") == FULL_BUNDLE


class AtlasDash(dash.Dash):
    """dash.Dash serving static/plotly-atlas.min.js as plotly.js. Use exactly as dash.Dash.

    It also answers a client's mistakes as a client's mistakes, which plain Dash answers with a 500 and a
    traceback: every callback request passes dashboard/boundary.py before Dash runs it, and a script it
    never registered is a 404.
    """

    def dispatch(self):
        from .boundary import screen

        answer = screen(self)  # a 400, a notice, or PreventUpdate (204) for a request we will not run
        return answer if answer is not None else super().dispatch()

    def serve_component_suites(self, package_name, fingerprinted_path):
        from dash.fingerprint import check_fingerprint
        from flask import abort

        path_in_package, _fingerprinted = check_fingerprint(fingerprinted_path)
        if path_in_package not in self.registered_paths.get(package_name, ()):
            abort(404)  # Dash raises DependencyException (a 500) for a file it does not serve
        return super().serve_component_suites(package_name, fingerprinted_path)

    def _setup_plotlyjs(self):
        # dcc._js_dist is module-level state shared by every Dash app in the process, and
        # dash.Dash.__init__ appends the full bundle to it each time an app is built. Drop any such
        # entry (one from an earlier plain dash.Dash included): the page loads no plotly.js by itself.
        dcc._js_dist[:] = [r for r in dcc._js_dist if not _is_full_plotlyjs(r)]
        # Register ours with Dash's component-suites route (every worker, before any request) and keep
        # its fingerprinted URL for the preload link.
        (src,) = self._collect_and_register_resources([{"relative_package_path": BUNDLE, "namespace": NAMESPACE}])
        self._plotlyjs_url = src

    def interpolate_index(self, **kwargs):
        kwargs["metas"] = kwargs.get("metas", "") + "".join(preload_links(self._plotlyjs_url))
        return super().interpolate_index(**kwargs)


def preload_links(plotlyjs_src: str) -> list[str]:
    """<link rel=preload> tags for this request: plotly.js always, and the explorer's first boundaries."""
    from html import escape

    from flask import has_request_context, request

    from .state import LEVELS  # the explorer's map levels, each with its boundaries at /geo/<level>.geojson

    links = [f'<link rel="preload" id="plotlyjs-src" href="{escape(plotlyjs_src)}" as="script">']
    if has_request_context() and request.path == "/":
        level = request.args.get("level", "la")
        for name in (level if level in LEVELS else "la", "marmot"):
            links.append(f'<link rel="preload" href="/geo/{name}.geojson" as="fetch" crossorigin="anonymous">')
    return links

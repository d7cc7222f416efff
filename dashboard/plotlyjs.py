"""Serve our partial plotly.js bundle (static/plotly-atlas.min.js) instead of Dash's full one.

Dash registers the whole of plotly.js (4.8 MB, ~1.46 MB gzipped) for every app, in
`dash.Dash._setup_plotlyjs`. The atlas draws five trace types, so it ships a bundle of just those,
built from the same plotly.js version by scripts/plotly_bundle/build.mjs (~2.4 MB, ~0.74 MB gzipped).
`AtlasDash` is a `dash.Dash` that registers that bundle in its place; nothing else changes.

How it is loaded. Dash marks its plotly.js `"async": "eager"`, which (with `eager_loading=False`, the
default) means no <script> tag: dcc.Graph fetches it on first render from a URL dash-renderer
hard-codes to the full bundle (`_dash-component-suites/plotly/package_data/plotly.min.js`), so a
bundle registered the same way would never be fetched. Ours is registered as an ordinary script
instead: Dash writes a fingerprinted <script> tag for it (served with its one-year cache headers,
and compressed once by cache.cache_static_compression like every /_dash-component-suites/ file),
`window.Plotly` exists before the renderer starts, and dcc.Graph uses it rather than loading anything.
The browser fetches it alongside Dash's other scripts instead of after the first callback.

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
    """dash.Dash serving static/plotly-atlas.min.js as plotly.js. Use exactly as dash.Dash."""

    def _setup_plotlyjs(self):
        # dcc._js_dist is module-level state shared by every Dash app in the process, and
        # dash.Dash.__init__ appends the full bundle to it each time an app is built. Drop any such
        # entry (one from an earlier plain dash.Dash included) and register ours once.
        dcc._js_dist[:] = [r for r in dcc._js_dist if not _is_full_plotlyjs(r)]
        if not any(r.get("namespace") == NAMESPACE and r.get("relative_package_path") == BUNDLE
                   for r in dcc._js_dist):
            dcc._js_dist.append({"relative_package_path": BUNDLE, "namespace": NAMESPACE})
        # Where dash-renderer points dcc.Graph when serve_locally=False and Plotly is somehow absent:
        # our bundle, not the CDN's full one.
        self._plotlyjs_url = f"{self.config.requests_pathname_prefix}_dash-component-suites/{NAMESPACE}/{BUNDLE}"

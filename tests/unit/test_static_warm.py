"""A starting worker compresses the page's scripts once, in the background, before visitors ask."""

from __future__ import annotations

from dashboard import cache


def test_static_paths_reads_scripts_styles_and_preloads():
    html = ('<link rel="preload" id="plotlyjs-src" href="/_dash-component-suites/dashboard/static/p.v1.min.js" '
            'as="script"><link rel="stylesheet" href="/assets/atlas.css?m=1"><script src="/assets/a.js?m=2">'
            '</script><script src="https://cdn.example/x.js"></script><script src="/assets/a.js?m=2"></script>')
    assert cache.static_paths(html) == ["/_dash-component-suites/dashboard/static/p.v1.min.js",
                                        "/assets/atlas.css?m=1", "/assets/a.js?m=2"]


def test_warming_fills_the_compressed_store_for_every_script(processed_dir, monkeypatch):
    from dashboard.app import create_app

    server = create_app(str(processed_dir)).server
    store = server.extensions["compressed_static"]
    store.clear()
    thread = cache.warm_static_compression(server, env={})
    thread.join(120)
    assert not thread.is_alive()
    gzipped = {path for path, encoding, *_ in store if encoding == "gzip"}
    assert any("plotly-atlas" in p for p in gzipped) and any("dash_renderer" in p for p in gzipped)
    assert "/geo/la.geojson" in {p.rstrip("?") for p in gzipped}  # preloaded by the explorer page
    before = len(store)
    server.test_client().get(next(p for p in gzipped if "plotly-atlas" in p), headers={"Accept-Encoding": "gzip"})
    assert len(store) == before  # a visitor is served the stored bytes
    assert cache.warm_static_compression(server, env={cache.WARM_ENV: "0"}) is None

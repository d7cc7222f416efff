"""Every kind of response carries the security headers: pages, callbacks, scripts, assets, boundaries, errors.

Flask runs after-request hooks for error handlers' responses too, but a 404 from routing, a 413 from
the body limit or a 500 from a crashing view each take a different path through Flask and Dash, so
each is checked rather than assumed.
"""

from __future__ import annotations

import re

import pytest

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@pytest.fixture(scope="module")
def client(processed_dir):
    """A test app with one extra route that raises, registered before its first request (Flask's rule)."""
    from dashboard.app import create_app

    app = create_app(str(processed_dir))

    def crash():
        raise RuntimeError("planted failure with a secret path /srv/equity-atlas")

    app.server.add_url_rule("/_test-crash", "test_crash", crash)
    return app.server.test_client()


def callback_body(pathname: str = "/about") -> dict:
    return {"output": "..page-content.children...page-title.data..",
            "outputs": [{"id": "page-content", "property": "children"}, {"id": "page-title", "property": "data"}],
            "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
            "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}


def responses(client, base_url: str) -> dict:
    page = client.get("/", base_url=base_url)
    script = re.search(r'<script src="(/_dash-component-suites/[^"]+)"', page.get_data(as_text=True)).group(1)
    return {
        "page": (page, 200),
        "callback": (client.post("/_dash-update-component", json=callback_body(), base_url=base_url), 200),
        "layout": (client.get("/_dash-layout", base_url=base_url), 200),
        "dash script": (client.get(script, base_url=base_url), 200),
        "asset": (client.get("/assets/atlas.css", base_url=base_url), 200),
        "geo": (client.get("/geo/la.geojson", base_url=base_url), 200),
        "404 page": (client.get("/no/such/page", base_url=base_url), 404),
        "404 area": (client.get("/area/E99999999", base_url=base_url), 404),
        "404 geo": (client.get("/geo/nope.geojson", base_url=base_url), 404),
        "404 asset": (client.get("/assets/nope.js", base_url=base_url), 404),
        "405": (client.delete("/geo/la.geojson", base_url=base_url), 405),
        "413": (client.post("/_dash-update-component", data="x" * (512 * 1024), content_type="application/json",
                            base_url=base_url), 413),
        "500": (client.get("/_test-crash", base_url=base_url), 500),
    }


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_headers_on_every_response_type(client, scheme):
    for kind, (response, status) in responses(client, f"{scheme}://atlas.example").items():
        assert response.status_code == status, kind
        for header, value in EXPECTED.items():
            assert response.headers.get(header) == value, f"{kind}: {header}"
        assert "frame-ancestors" in response.headers.get("Content-Security-Policy", ""), kind
        assert "default-src 'self'" in response.headers["Content-Security-Policy"], kind
        assert response.headers.get("Permissions-Policy", "").startswith("geolocation=()"), kind
        hsts = response.headers.get("Strict-Transport-Security")
        assert (hsts is not None) == (scheme == "https"), f"{kind}: HSTS {hsts!r} over {scheme}"


def test_a_crash_shows_no_traceback_or_detail(client):
    response = client.get("/_test-crash")
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "text/plain"
    assert "Traceback" not in text and "/srv/equity-atlas" not in text and "RuntimeError" not in text


def test_callbacks_are_never_cached_and_nothing_names_its_version(client):
    response = client.post("/_dash-update-component", json=callback_body())
    assert response.headers["Cache-Control"] == "no-store"
    for kind, (response, _) in responses(client, "http://atlas.example").items():
        assert "X-Powered-By" not in response.headers, kind
        assert not re.search(r"\d+\.\d+", response.headers.get("Server", "")), kind

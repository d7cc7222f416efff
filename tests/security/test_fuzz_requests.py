"""Thousands of malformed paths, query strings and callback bodies: never a 500, never a traceback."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NASTY = ["<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "E08000026", "marmot:coventry",
         "marmot:<b>", "2022-23", "9999-00", "\u202e\u0000\ufeff", "🙂" * 50, "x" * 10_000, "%00", "la,icb",
         "E54000030,E40000007,E99999999", "&&&===", "?year=2022-23&year=2014-15"]
KEYS = ["year", "level", "area", "metric", "band", "region", "icb", "la", "marmot", "rurality", "dispensing",
        "contract", "quintile", "size", "areas", "q", "practice", "unknown"]
PATHS = ["/", "/about", "/marmot", "/compare", "/search", "/whatif", "/area/E08000026", "/area/E54000030",
         "/area/marmot:coventry", "/area/E92000001", "/area/nope", "/no/such/page"]


@pytest.fixture(scope="module")
def client(processed_dir):
    from dashboard.app import create_app

    app = create_app(str(processed_dir))
    return app.server.test_client()


def render(client, pathname: str, search: str):
    body = {
        "output": "..page-content.children...page-title.data..",
        "outputs": [{"id": "page-content", "property": "children"}, {"id": "page-title", "property": "data"}],
        "inputs": [{"id": "url", "property": "pathname", "value": pathname}],
        "state": [{"id": "url", "property": "search", "value": search}],
        "changedPropIds": ["url.pathname"],
    }
    return client.post("/_dash-update-component", json=body)


def assert_clean(response):
    assert response.status_code in (200, 204), response.get_data(as_text=True)[:500]
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "File \"/" not in text


query_strings = st.lists(st.tuples(st.sampled_from(KEYS), st.one_of(st.sampled_from(NASTY), st.text(max_size=60))),
                         max_size=6).map(lambda pairs: "?" + "&".join(f"{k}={v}" for k, v in pairs))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.one_of(st.sampled_from(PATHS), st.sampled_from(NASTY).map(lambda s: "/area/" + s),
                      st.text(max_size=80).map(lambda s: "/" + s)),
       search=query_strings)
def test_any_page_and_query_renders(client, path, search):
    response = render(client, path, search)
    assert_clean(response)
    if response.status_code == 200:
        payload = json.loads(response.get_data(as_text=True))
        assert "page-content" in payload["response"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
                 st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=5).map(json.dumps)))
def test_tampered_callback_bodies_get_a_clean_error(client, body):
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert response.status_code < 500 or "Traceback" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert render(client, "/", "").status_code == 200  # still serving


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

"""What the server says about itself: real 404s for missing pages, HSTS over HTTPS, no versions, no hot reload."""

from __future__ import annotations

import json
import re

import pytest


@pytest.fixture(scope="module")
def app(processed_dir):
    from dashboard.app import create_app

    return create_app(str(processed_dir))


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.mark.parametrize("path", ["/no/such/page", "/area/E99999999", "/area/nope", "/about/extra",
                                  "/area/E08000026/more", "/practice/NOPE1", "/practice/E08000026",
                                  "/practice/G85013/more"])
def test_missing_pages_answer_404_with_the_friendly_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    # The body is still the app's page: the browser's router then shows "Page not found" or "No such area".
    assert 'id="_dash-config"' in response.get_data(as_text=True)
    assert "nosniff" == response.headers["X-Content-Type-Options"]


@pytest.mark.parametrize("path", ["/", "/about", "/marmot", "/compare", "/search", "/whatif", "/area/E08000026",
                                  "/area/E54000030", "/area/E92000001", "/about/", "/area/E08000026?year=2022-23",
                                  "/practice/G85013", "/practice/g85013", "/practice/G85112?year=2022-23"])
def test_real_pages_answer_200(client, path):
    assert client.get(path).status_code == 200


def test_an_existing_marmot_place_is_found(client):
    from dashboard.data.query import load_atlas

    marmot = [c for c in load_atlas().areas["code"] if str(c).startswith("marmot:")]
    assert marmot, "the shipped data has Marmot Places"
    assert client.get(f"/area/{marmot[0]}").status_code == 200


def test_page_config_does_not_publish_versions(client):
    page = client.get("/").get_data(as_text=True)
    config = json.loads(re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', page,
                                  re.S).group(1))
    for key in ("python_version", "dash_version", "plotly_version", "ddk_version", "dash_version_url"):
        assert key not in config
    import sys

    assert sys.version.split()[0] not in page
    assert config["ui"] is False and "hot_reload" not in config


def test_no_hot_reload_endpoint_in_production(client):
    response = client.get("/_reload-hash")
    assert response.status_code == 404
    assert "packages" not in response.get_data(as_text=True)


def test_hot_reload_and_dev_tools_only_with_debug(monkeypatch):
    import dashboard.app
    from dashboard import __main__ as main

    calls = []

    class Fake:
        def run(self, **kwargs):
            calls.append(kwargs)

    monkeypatch.setattr(dashboard.app, "create_app", lambda: Fake())
    main.main(["--port", "1"])
    main.main(["--port", "1", "--debug"])
    assert [c["dev_tools_hot_reload"] for c in calls] == [False, True]
    assert [c["debug"] for c in calls] == [False, True]


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://atlas.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
    # An untrusted client cannot switch it on (nor claim any address) with a forwarded header.
    spoofed = client.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in spoofed.headers


def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(processed_dir, monkeypatch):
    from dashboard.app import create_app

    monkeypatch.setenv("EQUITY_ATLAS_TRUSTED_PROXIES", "1")
    client = create_app(str(processed_dir)).server.test_client()
    behind_proxy = client.get("/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"})
    assert behind_proxy.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_practice_payments_download(client):
    """The practice CSV is a plain GET download; an unknown code gets the friendly 404 page, not a 500."""
    response = client.get("/download/practice/G85013.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data().decode("utf-8-sig").startswith("# Equity Atlas")
    missing = client.get("/download/practice/NOPE1.csv")
    assert missing.status_code == 404 and "No such practice" in missing.get_data(as_text=True)

"""One app for the security tests, serving every page's callbacks whichever app in this process was served first.

dash.callback registers in Dash's global registry, and the first app to answer a request moves every entry
into itself: an app built later in the same pytest process (the whole suite builds several) would serve
pages whose callbacks it does not know, and the fuzz would test nothing. So the registry is copied here, at
collection, before any app has answered, and put back for this app before its first request.
"""

from __future__ import annotations

import importlib

import dash._callback as registry
import pytest

from dashboard.app import PAGE_MODULES

for _name in PAGE_MODULES:
    importlib.import_module(f"dashboard.pages.{_name}")
PAGE_CALLBACKS = list(registry.GLOBAL_CALLBACK_LIST)
PAGE_CALLBACK_MAP = dict(registry.GLOBAL_CALLBACK_MAP)


@pytest.fixture(scope="session")
def app(processed_dir):
    from dashboard.app import create_app

    missing = [entry for entry in PAGE_CALLBACKS if entry not in registry.GLOBAL_CALLBACK_LIST]
    registry.GLOBAL_CALLBACK_LIST.extend(missing)
    for key, value in PAGE_CALLBACK_MAP.items():
        registry.GLOBAL_CALLBACK_MAP.setdefault(key, value)
    atlas_app = create_app(str(processed_dir))
    atlas_app.server.test_client().get("/_dash-layout")  # takes the callbacks now, before any other app can
    return atlas_app




# ---- the same tests against a running server ------------------------------------------------------------------
# EQUITY_ATLAS_FUZZ_URL=http://127.0.0.1:8050 points the fuzz (and every test here that uses `client`) at a live
# server, e.g. gunicorn as the Procfile starts it: `tried as an attacker would`. Its log is the server's own, so
# check that for tracebacks separately; here any 5xx still fails.
class LiveResponse:
    def __init__(self, response):
        self.status_code = response.status_code
        self.headers = response.headers
        self.data = response.content

    def get_data(self, as_text: bool = False):
        return self.data.decode("utf-8", "replace") if as_text else self.data

    def get_json(self):
        import json

        return json.loads(self.data)


class LiveClient:
    def __init__(self, base: str):
        import requests

        self.base = base.rstrip("/")
        self.session = requests.Session()

    def get(self, path: str, headers=None):
        return LiveResponse(self.session.get(self.base + path, headers=headers, timeout=60))

    def post(self, path: str, data=None, json=None, content_type=None, headers=None):
        headers = dict(headers or {})
        if content_type:
            headers["Content-Type"] = content_type
        return LiveResponse(self.session.post(self.base + path, data=data, json=json, headers=headers, timeout=60))


@pytest.fixture(scope="session")
def client(app):
    import os

    live = os.environ.get("EQUITY_ATLAS_FUZZ_URL")
    return LiveClient(live) if live else app.server.test_client()

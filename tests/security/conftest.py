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


@pytest.fixture(scope="session")
def client(app):
    return app.server.test_client()

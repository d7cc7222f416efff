"""One app for every security test module: Dash hands the pages' callbacks to the first app that serves a request.

(dash.callback registers globally; the first app to answer a request takes them all. A second app built in
the same process would serve pages whose callbacks it does not know.)
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def app(processed_dir):
    from dashboard.app import create_app

    return create_app(str(processed_dir))


@pytest.fixture(scope="session")
def client(app):
    return app.server.test_client()

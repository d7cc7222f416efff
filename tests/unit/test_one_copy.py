"""Every worker holds one copy of the processed data, however it is asked for."""

from __future__ import annotations

from dashboard import config
from dashboard.data.query import load_atlas


def test_default_and_explicit_folder_are_the_same_atlas():
    folder = config.processed_dir()
    assert load_atlas() is load_atlas(str(folder)) is load_atlas(str(folder / ".." / folder.name))


def test_the_app_and_its_callbacks_share_the_atlas():
    from dashboard.app import create_app

    app = create_app()
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert load_atlas() is load_atlas(str(config.processed_dir()))

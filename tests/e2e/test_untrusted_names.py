"""Names from the data are text, never markup: a planted practice name cannot run script."""

from __future__ import annotations

import pytest
from fixtures.make_raw import FIXTURE_CHECKS, make_raw, make_reference
from support import reveal, start_app

from dashboard.data.build import build

pytestmark = pytest.mark.e2e
PLANTED = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def planted_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    out = root / "processed"
    build(raw_dir=make_raw(root / "raw"), out_dir=out, reference_dir=make_reference(root / "ref"),
          progress=lambda *_: None, checks=FIXTURE_CHECKS)
    process, url, _log = start_app(processed_dir=out)
    yield url
    process.terminate()
    process.wait(10)


@pytest.mark.parametrize("path", ["/?la=E07000222", "/search?q=onerror", "/area/E07000222"])
def test_planted_name_shows_literally(page, planted_app, path):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(planted_app + path)
    if path.startswith("/?"):  # the explorer builds its practice table when scrolled to
        reveal(page, "#ex-table-part")
    shown = page.get_by_text(PLANTED, exact=False).first
    shown.wait_for(state="attached", timeout=20_000)
    shown.scroll_into_view_if_needed()  # grids draw their rows when on screen
    shown.wait_for(timeout=20_000)
    page.wait_for_timeout(1000)
    assert dialogs == []
    assert page.evaluate("document.querySelectorAll('img[src=\"x\"]').length") == 0

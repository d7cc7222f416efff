"""Area profiles, Marmot Places, compare, search, briefings and the what-if, as a new user tries them."""

from __future__ import annotations

import fcntl
import io
import re
import time
import zipfile

import pypdf
import pytest
from support import screenshot, start_app, wait_painted

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("code, name", [("E08000026", "Coventry"), ("E54000030", "South East London"),
                                        ("marmot:greater-manchester", "Greater Manchester")])
def test_profiles_open(page, app_url, code, name):
    page.goto(f"{app_url}/area/{code}")
    page.locator("#area-headline").wait_for(timeout=20_000)
    assert name in page.locator("h1").inner_text()
    headline = page.locator("#area-headline").inner_text()
    assert "England" in headline and "Payments per weighted patient" in headline
    assert "Slope index" in page.locator("#area-sii").inner_text()
    # dcc.Graph mounts lazily (a placeholder first), so wait for the plot itself before scrolling to it.
    page.locator("#area-map .js-plotly-plot").wait_for(timeout=20_000)
    page.locator("#area-map").scroll_into_view_if_needed()
    wait_painted(page, "#area-map")
    screenshot(page, f"area-{code.replace(':', '-')}")


def test_unknown_area_is_friendly(page, app_url):
    page.goto(f"{app_url}/area/E99999999")
    page.get_by_role("heading", name="No such area").wait_for(timeout=15_000)
    assert page.get_by_role("search").count() >= 1


def test_search_coventry_lands_on_its_profile(page, app_url):
    page.goto(app_url + "/")
    box = page.get_by_label("Find an area or practice").first
    box.fill("Coventry")
    box.press("Enter")
    page.get_by_role("link", name=re.compile(r"^Coventry \(local authority\)")).click()
    page.wait_for_url(re.compile(r"/area/E08000026"), timeout=15_000)
    page.locator("#area-headline").wait_for(timeout=20_000)
    assert "Coventry" in page.locator("h1").inner_text()


def test_compare_coventry_with_luton(page, app_url):
    page.goto(f"{app_url}/compare?areas=E08000026,E06000032")
    table = page.locator("#compare-table")
    table.wait_for(timeout=20_000)
    text = table.inner_text()
    assert "Coventry" in text and "Luton" in text and "England" in text
    screenshot(page, "compare")


def test_marmot_places_page(page, app_url):
    page.goto(f"{app_url}/marmot")
    page.locator("#marmot-list").wait_for(timeout=20_000)
    listing = page.locator("#marmot-list").inner_text()
    for place in ("Coventry", "Greater Manchester", "Luton", "Leeds", "Waltham Forest"):
        assert place in listing
    assert "Rest of England" in page.locator("#marmot-together").inner_text()


def test_briefing_and_pack(page, app_url):
    page.goto(f"{app_url}/area/E08000026")
    page.locator("#area-headline").wait_for(timeout=20_000)
    per_patient = page.locator("#area-headline tr", has_text="Payments per weighted patient").first.inner_text()
    figure = re.search(r"£[\d,]+\.\d\d", per_patient).group(0)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download briefing (PDF)").click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Coventry" in text and figure in text and "Open Government Licence" in text
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Download pack (ZIP)").click()
    names = set(zipfile.ZipFile(info.value.path()).namelist())
    assert {"briefing.pdf", "README.txt", "practices.csv"} <= names
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".svg") for n in names)


def test_a_briefing_that_cannot_start_can_be_cancelled(page, tmp_path):
    """A job stuck before it starts (here: waiting for the only export slot, which the test holds; in
    production: queued with no Celery worker) must not leave the buttons disabled until a reload."""
    process, url, _log = start_app({"EQUITY_ATLAS_JOBS_DIR": str(tmp_path), "EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS": "1",
                                    "EQUITY_ATLAS_EXPORT_WAIT_SECONDS": "60"})
    (tmp_path / "slots").mkdir()
    slot = open(tmp_path / "slots" / "slot-0.lock", "a+b")
    fcntl.flock(slot, fcntl.LOCK_EX)
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    try:
        page.goto(f"{url}/area/E08000026")
        page.locator("#area-headline").wait_for(timeout=20_000)
        briefing = page.get_by_role("button", name="Download briefing (PDF)")
        cancel = page.get_by_role("button", name="Cancel")
        assert cancel.count() == 0, "Cancel is offered only while a job runs"
        briefing.click()
        cancel.wait_for(timeout=10_000)
        assert briefing.is_disabled()
        assert "Preparing the briefing" in page.locator("#area-download-status").inner_text()
        cancel.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("!document.querySelector('#area-briefing').disabled", timeout=10_000)
        page.wait_for_function("document.activeElement && document.activeElement.id === 'area-briefing'",
                               timeout=5_000)  # focus back where the job started, not at the page's top
        assert not page.get_by_role("button", name="Download pack (ZIP)").is_disabled()
        assert cancel.count() == 0 and page.locator("#area-download-status").inner_text().strip() == ""
        # The job was stopped, not merely forgotten: a live one, polling for the slot every 0.1 s, would
        # take it within moments of its release and hold it for the seconds a briefing takes.
        fcntl.flock(slot, fcntl.LOCK_UN)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            fcntl.flock(slot, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError: the cancelled job took it
            fcntl.flock(slot, fcntl.LOCK_UN)
            time.sleep(0.05)
        assert downloads == [] and page.locator("#area-download-status").inner_text().strip() == ""
        with page.expect_download(timeout=60_000) as info:  # and the next click works as usual
            briefing.click()
        assert open(info.value.path(), "rb").read().startswith(b"%PDF")
        assert page.locator("#area-download-status").inner_text() == "Briefing ready."
    finally:
        slot.close()
        process.terminate()
        process.wait(10)


def test_whatif_slider_changes_the_map(page, app_url):
    page.goto(f"{app_url}/whatif?rule=deprivation_uplift&uplift=0")
    page.locator("#whatif-summary .card").first.wait_for(timeout=20_000)
    wait_painted(page, "#whatif-map")
    before = page.evaluate("document.querySelector('#whatif-map .js-plotly-plot').data[0].z.slice(0, 20)")
    handle = page.locator("#whatif-uplift .rc-slider-handle")
    handle.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("new URLSearchParams(location.search).get('uplift') === '10'", timeout=15_000)
    page.wait_for_function(
        f"JSON.stringify(document.querySelector('#whatif-map .js-plotly-plot').data[0].z.slice(0, 20)) !== "
        f"'{__import__('json').dumps(before)}'", timeout=15_000)
    assert "unchanged" in page.locator("#whatif-summary").inner_text()
    screenshot(page, "whatif")

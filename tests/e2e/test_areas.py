"""Area profiles, Marmot Places, compare, search, briefings and the what-if, as a new user tries them."""

from __future__ import annotations

import io
import re
import zipfile

import pypdf
import pytest
from support import screenshot, wait_painted

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
    briefing = page.get_by_role("link", name="Download briefing (PDF)")
    assert briefing.get_attribute("href").startswith("/download/briefing/E08000026.pdf?year=")
    with page.expect_download(timeout=60_000) as info:
        briefing.click()
    data = open(info.value.path(), "rb").read()
    assert data.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Coventry" in text and figure in text and "Open Government Licence" in text
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("link", name="Download pack (ZIP)").click()
    names = set(zipfile.ZipFile(info.value.path()).namelist())
    assert {"briefing.pdf", "README.txt", "practices.csv"} <= names
    assert any(n.endswith(".png") for n in names) and any(n.endswith(".svg") for n in names)


def test_whatif_slider_changes_the_map(page, app_url):
    page.goto(f"{app_url}/whatif?rule=deprivation_uplift&uplift=0")
    page.locator("#whatif-summary .card").first.wait_for(timeout=20_000)
    wait_painted(page, "#whatif-map")
    before = page.evaluate("document.querySelector('#whatif-map .js-plotly-plot').data[0].z.slice(0, 20)")
    handle = page.locator("#whatif-uplift [role=slider]")
    handle.focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    page.wait_for_function("new URLSearchParams(location.search).get('uplift') === '10'", timeout=15_000)
    page.wait_for_function(
        f"JSON.stringify(document.querySelector('#whatif-map .js-plotly-plot').data[0].z.slice(0, 20)) !== "
        f"'{__import__('json').dumps(before)}'", timeout=15_000)
    assert "unchanged" in page.locator("#whatif-summary").inner_text()
    screenshot(page, "whatif")

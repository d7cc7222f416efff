"""Practice pages as a community researcher reaches them: a postcode district, a practice, its CSV."""

from __future__ import annotations

import re

import pytest
from support import screenshot

from dashboard import config

pytestmark = pytest.mark.e2e


def test_search_a_district_open_a_practice_and_take_its_csv(page, app_url):
    page.goto(app_url + "/")
    box = page.get_by_label("Find an area or practice").first
    box.fill("SE5")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=SE5"), timeout=15_000)
    results = page.locator(".search-results li")
    results.first.wait_for(timeout=20_000)
    listed = results.all_inner_texts()
    assert any("G85013" in item for item in listed) and any("G85127" in item for item in listed)
    assert "Southwark" in page.locator("#search-postcode").inner_text()

    page.get_by_role("link", name=re.compile(r"^DR RS DURSTON'S PRACTICE \(G85013")).click()
    page.wait_for_url(re.compile(r"/practice/G85013$"), timeout=15_000)
    page.locator("#practice-payments").wait_for(timeout=20_000)
    assert page.locator("h1").inner_text() == "DR RS DURSTON'S PRACTICE"
    assert page.locator("#practice-payments tbody tr").count() == 9
    assert "£161.46" in page.locator("#practice-compare").inner_text()
    assert "Ranked 8 of 33" in page.locator("#practice-rank").inner_text()

    # The chart is drawn, with bars from the data (not an empty plot).
    chart = page.locator("#practice-chart-payments .js-plotly-plot")
    chart.wait_for(timeout=20_000)
    page.locator("#practice-chart-payments .main-svg").first.wait_for(timeout=20_000)
    page.wait_for_function(
        "document.querySelectorAll('#practice-chart-payments .bars path').length >= 9", timeout=20_000)
    traces = page.evaluate("document.querySelector('#practice-chart-payments .js-plotly-plot').data.length")
    assert traces >= 6
    page.locator("#practice-chart-local .main-svg").first.wait_for(timeout=20_000)
    screenshot(page, "practice-G85013")

    with page.expect_download(timeout=30_000) as info:
        page.get_by_role("link", name="Download payments by year (CSV)").click()
    download = info.value
    assert download.suggested_filename.startswith("equity-atlas-practice-g85013-payments-")
    text = open(download.path(), encoding="utf-8-sig", newline="").read()
    header = [line.removeprefix("# ") for line in text.split("\r\n\r\n")[0].split("\r\n")]
    assert header[0] == "Equity Atlas"
    assert "Practice: DR RS DURSTON'S PRACTICE (G85013), SE5 7AF" in header
    assert any(line.startswith("Data sources:") for line in header)
    assert config.OGL_ATTRIBUTION in header
    assert "2022-23," in text.split("\r\n\r\n", 1)[1]


def test_the_area_grid_links_to_practice_pages(page, app_url):
    page.goto(f"{app_url}/area/E09000028")
    page.locator("#area-table .ag-row").first.wait_for(state="attached", timeout=25_000)
    page.locator("#area-table").scroll_into_view_if_needed()
    link = page.locator("#area-table a.practice-link:visible").first
    link.wait_for(timeout=25_000)
    name, href = link.inner_text(), link.get_attribute("href")
    assert re.fullmatch(r"/practice/[A-Z0-9]{6}", href)
    link.click()
    page.wait_for_url(re.compile(re.escape(href) + "$"), timeout=15_000)
    page.locator("#practice-payments").wait_for(timeout=20_000)
    assert page.locator("h1").inner_text() == name


def test_unknown_practice_is_friendly_and_404(page, app_url):
    response = page.goto(f"{app_url}/practice/NOPE1")
    assert response.status == 404
    page.get_by_role("heading", name="No such practice").wait_for(timeout=15_000)
    assert page.get_by_role("search").count() >= 2  # the header's and the notice's own

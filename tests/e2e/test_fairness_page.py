"""The fairness page and the area profile's spine section, in a real browser, as a reader uses them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from support import screenshot, wait_painted

pytestmark = pytest.mark.e2e

RANKS = "Array.from(document.querySelectorAll('#fair-table .ag-center-cols-container .ag-row'))" \
        ".sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)"


def column(page, field: str) -> list[str]:
    return page.evaluate(f"{RANKS}.map(r => r.querySelector('[col-id={field}]').innerText.trim())")


def test_icb_view_paints_lists_sorts_and_downloads(page, app_url):
    page.goto(app_url + "/fairness?level=icb")
    page.get_by_role("heading", name="Funding against deprivation by area").wait_for(timeout=25_000)
    page.locator("#fair-map .js-plotly-plot").wait_for(timeout=25_000)
    wait_painted(page, "#fair-map")
    assert "Integrated Care Boards" in page.locator("#fair-summary").inner_text()
    assert page.locator("#fair-notice .notice").count() == 0

    # the same ICBs against the share of residents in ethnic groups other than White, and in fifths by it
    minority = page.locator("#fair-minority-summary").inner_text()
    assert "each 10 percentage points more residents in ethnic groups other than White" in minority
    page.locator("#fair-minority-scatter .main-svg").first.wait_for(timeout=25_000)
    assert page.locator("#fair-minority-bands tbody tr").count() == 5
    assert "not the patients on its practices' lists" in page.locator(".fairness-page").inner_text()

    # every ICB, ranked 1 to 42, furthest below expected first
    page.wait_for_function("document.querySelectorAll('#fair-table .ag-center-cols-container .ag-row').length"
                           " === 42", timeout=25_000)
    ranks = column(page, "rank")
    assert [int(r) for r in ranks] == list(range(1, 43))
    differences = column(page, "difference")
    assert differences[0].startswith("−£") and differences[-1].startswith("+£")

    # sorting: the Difference heading once ascending, twice descending
    header = page.locator("#fair-table .ag-header-cell[col-id=difference] .ag-header-cell-label")
    header.click()
    page.wait_for_timeout(300)
    header.click()
    page.wait_for_function(f"{RANKS}[0].querySelector('[col-id=rank]').innerText.trim() === '42'", timeout=10_000)
    assert column(page, "difference")[0] == differences[-1]
    screenshot(page, "fairness-icb")

    with page.expect_download(timeout=30_000) as info:
        page.locator("#fair-csv").click()
    download = info.value
    assert download.suggested_filename.startswith("equity-atlas-fairness-icb-")
    text = open(download.path(), encoding="utf-8-sig", newline="").read()
    header_block, _, body = text.partition("\r\n\r\n")
    assert header_block.startswith("# Equity Atlas") and "Open Government Licence v3.0" in header_block
    assert "# Data sources:" in header_block and "Areas: every Integrated Care Board in England" in header_block
    rows = body.strip().splitlines()
    assert rows[0].startswith("Area code,Area,") and len(rows) == 43


def test_changing_measure_writes_the_url_and_a_bad_key_gets_a_notice(page, app_url):
    page.goto(app_url + "/fairness?level=nowhere&measure=payments_per_weighted_patient")
    page.locator("#fair-notice .notice").wait_for(timeout=25_000)
    assert "nowhere" in page.locator("#fair-notice").inner_text()
    page.get_by_label("Payments per weighted patient, excluding prescribing and dispensing").check()
    page.wait_for_function("new URLSearchParams(location.search).get('measure') === "
                           "'payments_per_weighted_patient_excl_prescribing'", timeout=20_000)
    query = {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}
    assert query["level"] == "icb"
    assert "excl_prescribing" in page.locator("#fair-csv").get_attribute("href")
    assert "excluding prescribing" in page.locator("#fair-scatter-title").inner_text()
    assert "Comparing like with like in England" in page.locator("#fair-dispensing-england").inner_text()


def test_southwark_profile_shows_the_spine(page, app_url):
    page.goto(app_url + "/area/E09000028")
    page.locator("#area-spine").wait_for(timeout=25_000)
    page.locator("#area-spine-chart .main-svg").first.wait_for(timeout=25_000)
    assert "Against England and all local authorities" in page.locator("#area-spine-title").inner_text()
    table = page.locator("#area-spine-table").inner_text()
    assert "Worse than England" in table and "Deprivation of practice populations" in table
    assert page.locator("#area-spine-table tbody tr").count() == 8
    assert page.locator("#area-spine-chart path.point").count() >= 8
    assert "Spine chart for Southwark" in page.locator("#area-spine .chart-alt").inner_text()

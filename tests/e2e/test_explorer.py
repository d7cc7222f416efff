"""The explorer as a person uses it: map painted, controls change what is shown, the URL keeps up."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import parse_qs, urlparse

import openpyxl
import pytest
from support import reveal, screenshot, wait_painted

pytestmark = pytest.mark.e2e

COVENTRY = ("E08000026", -1.52, 52.41)


def wait_for_map(page, timeout=20_000):
    """Until the WebGL canvas shows drawn areas, not just an empty div."""
    return wait_painted(page, "#ex-map", threshold=0.08, timeout=timeout / 1000)


def wait_for_charts(page):
    reveal(page, "#ex-charts")
    page.locator("#chart-deprivation .main-svg").first.wait_for(timeout=20_000)
    page.wait_for_function("document.querySelectorAll('#ex-cards .card').length >= 5", timeout=20_000)


def query(page) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def card_value(page, label: str) -> str:
    card = page.locator("#ex-cards .card").filter(has=page.locator("dt", has_text=re.compile(f"^{label}$")))
    return card.locator(".card-value").inner_text()


def map_trace_locations(page) -> int:
    return page.evaluate("document.querySelector('#ex-map .js-plotly-plot').data[0].locations.length")


def test_first_view_is_england_by_local_authority(page, app_url):
    page.goto(app_url + "/")
    fraction = wait_for_map(page)
    wait_for_charts(page)
    assert fraction > 0.08
    assert map_trace_locations(page) == 296
    assert "by local authority, 2022-23" in page.locator("#map-title").inner_text()
    assert card_value(page, "Practices") == "6,669"
    assert "England, 2022-23" in page.locator("#ex-cards").inner_text()
    gap = page.locator("#ex-gap-sentence").inner_text()
    assert "most deprived fifth" in gap and "£" in gap
    assert "areas" in page.locator("#ex-map-alt").inner_text()
    screenshot(page, "explorer-default")


def test_the_map_is_drawn_by_the_partial_bundle_and_the_full_one_is_never_fetched(page, app_url):
    """assets/plotlyjs.js points dcc.Graph at our bundle through window._dashPlotlyJSURL, the one Dash internal
    the atlas relies on (dashboard/plotlyjs.py): if a Dash release renames it, plotly.min.js appears here."""
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(app_url + "/")
    wait_for_map(page)
    page.wait_for_function("document.querySelectorAll('#ex-cards .card').length >= 5", timeout=20_000)
    reveal(page, "#ex-charts")
    page.locator("#chart-deprivation .main-svg").first.wait_for(timeout=20_000)
    assert not [url for url in requested if "plotly.min.js" in url or "/package_data/" in url], requested
    assert len([url for url in requested if "/_atlas/plotly-atlas." in url]) == 1  # the preload, reused
    version = page.evaluate("window.Plotly.version")
    from plotly.offline import get_plotlyjs_version

    assert version == get_plotlyjs_version()
    assert not [e for e in page.console_errors if "favicon" not in e], page.console_errors


def open_recording(page, app_url) -> list:
    """Open the explorer with every request it makes recorded (the list keeps filling), once the map is drawn."""
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.goto(app_url + "/")
    wait_for_map(page)
    return requests


def choose(page, control_id: str, option_text: str, search: bool = False):
    """Open a dcc.Dropdown (Dash 4: a button; its list opens in a popover beside it) and click an option.

    The panel's lists arrive once the map is drawn: a person who opens one sooner sees the chosen option only.
    """
    page.wait_for_selector("[data-lazy-store='ex-lists-seen'][data-lazy-revealed='true']", timeout=20_000)
    page.locator(f"#{control_id}").click()
    menu = page.locator(f".dash-dropdown-wrapper:has(#{control_id}) .dash-dropdown-content")
    if search:
        menu.locator("input.dash-dropdown-search").fill(option_text)
    menu.get_by_text(option_text, exact=True).click()


def test_the_filter_lists_arrive_after_the_map_and_a_pcn_can_be_chosen_from_them(page, app_url):
    """The panel's dropdowns come with the chosen options only (indexing 1,326 PCNs for search held up the
    first map); once the map is drawn their lists arrive, and a PCN found by typing filters everything."""
    requests = open_recording(page, app_url)
    page.wait_for_selector("[data-lazy-store='ex-lists-seen'][data-lazy-revealed='true']", timeout=20_000)
    page.wait_for_timeout(1000)
    fills = [r for r in requests if is_callback(r) and (r.post_data_json or {}).get("output", "").startswith(
        "..f-year.options...f-metric.options")]
    assert len(fills) == 1, [(r.post_data_json or {}).get("output") for r in requests if is_callback(r)]
    choose(page, "f-pcn", "SOUTH SOUTHWARK PCN (U60094)", search=True)
    page.keyboard.press("Escape")
    page.wait_for_function("document.querySelector('#ex-cards').innerText.includes('Filtered practices')",
                           timeout=15_000)
    assert query(page)["pcn"] == "U60094"
    assert int(card_value(page, "Practices")) < 30
    page.locator("#f-metric").click()  # a list filled later holds every measure
    menu = page.locator(".dash-dropdown-wrapper:has(#f-metric) .dash-dropdown-content")
    menu.get_by_text("Life expectancy, female", exact=True).wait_for(timeout=5_000)
    assert menu.locator(".dash-dropdown-option").count() == len(ids_of_measures())
    page.keyboard.press("Escape")


def ids_of_measures() -> list[str]:
    from dashboard.area_metrics import map_options
    from dashboard.metrics import REGISTRY

    return [*REGISTRY, *(option["value"] for option in map_options())]


def test_an_area_statistic_on_the_map_names_its_edition_and_what_it_describes(page, app_url):
    """Residents' ethnic groups and area deprivation, IMD 2025 or 2019 as the edition switch says."""
    page.goto(app_url + "/")
    wait_for_map(page)
    choose(page, "f-metric", "Residents (Census 2021): Black, Black British, Black Welsh, Caribbean or African",
           search=True)
    page.wait_for_function("document.querySelector('#map-title').innerText.includes('Census 2021')", timeout=15_000)
    assert query(page)["metric"] == "area:eth_black"
    note = page.locator("#ex-map-alt").inner_text()
    assert "not the patients of its practices" in note and "disclosure-control noise" in note
    assert wait_for_map(page) > 0.08
    choose(page, "f-metric", "Area deprivation: IMD average score (edition below)", search=True)
    page.wait_for_function("document.querySelector('#map-title').innerText.endsWith('IMD 2025')", timeout=15_000)
    page.locator("#f-imd").get_by_label("IMD 2019", exact=True).check()
    page.wait_for_function("document.querySelector('#map-title').innerText.endsWith('IMD 2019')", timeout=15_000)
    assert query(page)["imd"] == "2019" and "IMD 2025" not in page.locator("#ex-map-alt").inner_text()
    screenshot(page, "explorer-area-imd-2019")


def test_the_preloaded_scripts_are_the_ones_the_page_uses(page, app_url):
    """Each <link rel=preload> (plotly.js, dcc's graph and dropdown code, the boundaries) is fetched once and
    used: if Dash renamed its chunks, the preload would be wasted and the chunk fetched again."""
    requested, console = [], []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: console.append(message.text))
    page.goto(app_url + "/")
    wait_for_map(page)
    page.wait_for_timeout(3500)  # Chromium warns of a preload unused 3 s after the load event
    preloads = page.evaluate("[...document.querySelectorAll('link[rel=preload]')].map(l => l.href)")
    assert any(url.endswith("/async-graph.js") for url in preloads)
    assert any(url.endswith("/async-dropdown.js") for url in preloads)
    for url in preloads:
        assert requested.count(url) == 1, (url, requested)
    assert not [m for m in console if "preload" in m], console


def test_year_level_and_filters_update_everything(page, app_url):
    page.goto(app_url + "/")
    wait_for_map(page)
    wait_for_charts(page)
    before_title = page.locator("#map-title").inner_text()
    choose(page, "f-year", "2016-17")
    page.wait_for_function("document.querySelector('#map-title').innerText.includes('2016-17')", timeout=15_000)
    assert query(page)["year"] == "2016-17"
    page.wait_for_function("document.querySelector('#ex-cards').innerText.includes('2016-17')", timeout=15_000)
    assert card_value(page, "Practices") == "7,763"
    page.locator("#f-level").get_by_label("Integrated Care Board", exact=True).check()
    page.wait_for_function("document.querySelector('#ex-map .js-plotly-plot').data[0].locations.length === 42",
                           timeout=15_000)
    assert query(page)["level"] == "icb"
    assert page.locator("#map-title").inner_text() != before_title
    page.locator("#f-dispensing").get_by_label("Yes").check()
    page.wait_for_function("new URLSearchParams(location.search).get('dispensing') === 'Yes'", timeout=15_000)
    page.wait_for_function(
        "document.querySelector('#ex-cards').innerText.includes('Filtered practices')", timeout=15_000)
    practices = int(card_value(page, "Practices").replace(",", ""))
    assert 800 < practices < 1200  # dispensing practices only
    wait_for_map(page)
    screenshot(page, "explorer-filtered")
    page.go_back()
    page.wait_for_function("!new URLSearchParams(location.search).get('dispensing')", timeout=15_000)
    page.wait_for_function("document.querySelector('#ex-cards').innerText.includes('England, 2016-17')",
                           timeout=15_000)
    assert not page.locator("#f-dispensing").get_by_label("Yes").is_checked()
    page.locator("#f-reset").click()
    page.wait_for_function("new URLSearchParams(location.search).get('year') === '2022-23'", timeout=15_000)


def is_callback(request) -> bool:
    """A Dash callback request (Dash 4 adds a signed ?endId=… to the URL)."""
    return urlparse(request.url).path == "/_dash-update-component"


def callback_outputs(requests: list) -> list[str]:
    return [r.post_data_json.get("output", "") for r in requests if is_callback(r)]


def test_map_first_then_charts_and_table_as_they_are_reached(page, app_url):
    """Below the fold is built on the way down; a year change re-sends what changed, not the trend."""
    requests = open_recording(page, app_url)
    page.wait_for_function("document.querySelectorAll('#ex-cards .card').length >= 5", timeout=20_000)
    page.wait_for_timeout(500)
    assert page.locator("#ex-table").count() == 0  # far below: not built until scrolled near
    assert not any("async-community" in r.url for r in requests)  # nor is the grid's code fetched
    order = [r.url.rsplit("/", 1)[-1] if "/geo/" in r.url else (r.post_data_json or {}).get("output", "")
             for r in requests if "/geo/" in r.url or is_callback(r)]
    assert "ex-map.figure" not in " ".join(order)  # the map's values came with the page
    charts = [i for i, o in enumerate(order) if "chart-" in o or "ex-charts" in o]
    assert not charts or charts[0] > order.index("la.geojson")  # the charts wait for the map
    wait_for_charts(page)
    for chart in ("chart-deprivation", "chart-scatter-pay", "chart-scatter-le", "chart-trend", "chart-components"):
        page.locator(f"#{chart} .main-svg").first.wait_for(timeout=20_000)
    reveal(page, "#ex-table-part")
    page.wait_for_function("document.querySelectorAll('#ex-table .ag-row').length > 0", timeout=20_000)
    requests.clear()
    choose(page, "f-year", "2016-17")
    page.wait_for_function("document.querySelector('#ex-cards').innerText.includes('2016-17')", timeout=15_000)
    page.wait_for_timeout(1000)
    sent = " ".join(callback_outputs(requests))
    assert "chart-scatter-pay" in sent and "ex-map.figure" in sent
    assert "chart-trend" not in sent  # every year already: nothing to re-send


def test_clicking_an_area_narrows_the_view(page, app_url):
    page.goto(app_url + "/")
    wait_for_map(page)
    wait_for_charts(page)
    page.locator("#ex-map").scroll_into_view_if_needed()  # the charts are further down
    code, lon, lat = COVENTRY
    point = page.evaluate(
        "([lon, lat]) => { const gd = document.querySelector('#ex-map .js-plotly-plot');"
        " const map = gd._fullLayout.map._subplot.map;"
        " const p = map.project([lon, lat]); const r = map.getCanvas().getBoundingClientRect();"
        " return {x: r.left + p.x, y: r.top + p.y}; }", [lon, lat])
    page.wait_for_timeout(800)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function(f"new URLSearchParams(location.search).get('area') === '{code}'", timeout=15_000)
    page.wait_for_function("document.querySelector('#ex-cards').innerText.includes('Coventry, 2022-23')",
                           timeout=15_000)
    practices = int(card_value(page, "Practices").replace(",", ""))
    assert 40 < practices < 80
    # England-wide fifths leave Coventry's least deprived fifth empty: the sentence says so, by name
    page.wait_for_function("document.querySelector('#ex-gap-england').innerText.includes("
                           "\"none of Coventry's practices is in the least deprived fifth\")", timeout=15_000)
    assert "not enough practices" not in page.locator("#ex-gap-sentence").inner_text()
    screenshot(page, "explorer-coventry")


def test_the_explorer_and_the_profile_state_southwarks_gap_in_the_same_words(page, app_url):
    page.goto(app_url + "/?area=E09000028")
    sentence = page.locator("#ex-gap-area")
    sentence.wait_for(timeout=20_000)
    explorer = sentence.inner_text()
    assert "England-wide fifths of patients" in page.locator("#ex-gap-england").inner_text()
    page.goto(app_url + "/area/E09000028")
    page.locator("#area-gap").wait_for(timeout=20_000)
    profile = page.locator("#area-gap").inner_text()
    assert explorer == profile
    assert "fifths of patients within Southwark" in profile


def test_switching_to_fifths_of_practices_retitles_the_charts_and_writes_the_link(page, app_url):
    page.goto(app_url + "/")
    wait_for_map(page)
    wait_for_charts(page)
    title = page.locator("#chart-deprivation-title")
    page.wait_for_function("document.querySelector('#chart-deprivation-title').innerText.includes("
                           "'England-wide fifths of patients')", timeout=20_000)
    before = title.inner_text()
    page.locator("#f-fifths").get_by_label(re.compile("^Equal numbers of practices")).check()
    page.wait_for_function("new URLSearchParams(location.search).get('fifths') === 'practices'", timeout=15_000)
    page.wait_for_function("document.querySelector('#chart-deprivation-title').innerText.includes("
                           "'England-wide fifths of practices')", timeout=20_000)
    assert title.inner_text() != before
    page.wait_for_function("document.querySelector('#ex-gap-england').innerText.startsWith("
                           "'Using England-wide fifths of practices')", timeout=15_000)
    assert "fifths of practices" in page.locator("#chart-trend-title").inner_text()
    assert query(page)["fifths"] == "practices"


def test_a_link_reopens_the_view(page, app_url):
    page.goto(app_url + "/?year=2019-20&level=region&area=E40000007&metric=life_expectancy_female")
    wait_for_map(page)
    wait_for_charts(page)
    assert map_trace_locations(page) == 7
    assert "Life expectancy, female" in page.locator("#map-title").inner_text()
    assert "East of England, 2019-20" in page.locator("#ex-cards").inner_text()
    assert page.locator("#f-year").inner_text().strip().startswith("2019-20")


def test_a_malformed_link_shows_a_notice_and_defaults(page, app_url):
    page.goto(app_url + "/?year=2099-00&area=E99999999&metric=<b>bold</b>&level=ward")
    notice = page.locator("#ex-notice")
    notice.wait_for(timeout=15_000)
    text = notice.inner_text()
    assert "2099-00" in text and "E99999999" in text and "<b>bold</b>" in text
    wait_for_map(page)
    assert map_trace_locations(page) == 296
    assert page.locator("#ex-notice b").count() == 0  # shown as text, never as markup


def test_downloads_carry_rows_and_attribution(page, app_url):
    page.goto(app_url + "/?la=E08000026")
    wait_for_charts(page)
    reveal(page, "#ex-table-part")
    page.wait_for_function("document.querySelectorAll('#ex-table .ag-row').length > 0", timeout=20_000)
    buttons = page.get_by_role("button", name=re.compile("^Download"))
    assert buttons.count() >= 2 + 5 * 3
    with page.expect_download() as info:
        page.get_by_role("button", name="Download data (CSV)").click()
    text = open(info.value.path(), encoding="utf-8-sig").read()
    assert "Open Government Licence" in text and "Coventry" in text and "2022-23" in text
    table = [line for line in text.splitlines() if line and not line.startswith("#")]
    rows = list(csv.reader(io.StringIO("\n".join(table))))
    practices = int(card_value(page, "Practices").replace(",", ""))
    assert len(rows) - 1 == practices
    with page.expect_download() as info:
        page.get_by_role("button", name="Download data (Excel)").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    assert book.sheetnames[0] == "About"
    about = " ".join(str(c.value) for row in book["About"].iter_rows() for c in row if c.value)
    assert "Open Government Licence" in about and "Coventry" in about
    assert book["Practices"].max_row - 1 == practices
    assert book["Map areas"].cell(1, 3).value.startswith("Payments per weighted patient")
    with page.expect_download() as info:
        page.locator("section.chart-block", has=page.locator("#chart-deprivation")).get_by_role(
            "button", name="Download chart data (CSV)").click()
    assert "Open Government Licence" in open(info.value.path(), encoding="utf-8-sig").read()
    for fmt in ("PNG", "SVG"):
        with page.expect_download() as info:
            page.get_by_role("button", name=f"Download chart as {fmt}").first.click()
        data = open(info.value.path(), "rb").read()
        assert data[:4] == b"\x89PNG" if fmt == "PNG" else b"<svg" in data[:200]


def test_practices_layer_table_search_and_highlight(page, app_url):
    page.goto(app_url + "/?la=E08000026")
    page.wait_for_function("document.querySelector('#ex-map .js-plotly-plot')?.data?.[0]?.locations?.length === 1",
                           timeout=20_000)
    page.get_by_label("Show practices").check()
    page.wait_for_function("document.querySelector('#ex-map .js-plotly-plot').data[3].lon.length > 40",
                           timeout=15_000)
    reveal(page, "#ex-table-part")
    page.wait_for_function("document.querySelectorAll('#ex-table .ag-row').length > 0", timeout=20_000)
    search = page.get_by_label("Search practices by name, code or postcode")
    search.fill("M86001")
    page.wait_for_function(  # one row, and it is the one searched for (not a row left from before the search)
        "(() => { const rows = document.querySelectorAll('#ex-table .ag-pinned-left-cols-container .ag-row');"
        " return rows.length === 1 && rows[0].innerText.includes('M86001'); })()", timeout=15_000)
    page.locator("#ex-table .ag-center-cols-container .ag-row").first.click()
    page.wait_for_function("document.querySelector('#ex-map .js-plotly-plot').data[4].lon.length === 1",
                           timeout=15_000)
    highlighted = page.evaluate("document.querySelector('#ex-map .js-plotly-plot').data[4].text[0]")
    assert "M86001" in highlighted

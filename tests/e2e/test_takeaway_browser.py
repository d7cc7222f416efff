"""Taking the atlas away in the real browser: phones, printing, chart images and every page's download."""

from __future__ import annotations

import io

import pytest
from support import SCREENSHOTS, reveal, wait_painted

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
MAIN_PAGES = ["/", "/area/E08000026", "/area/marmot:coventry", "/marmot", "/compare?areas=E08000026,E06000032",
              "/whatif", "/about", "/search?q=coventry", "/practice/G85013"]
CHARTS = ["chart-deprivation", "chart-scatter-pay", "chart-scatter-le", "chart-trend", "chart-components"]


@pytest.fixture()
def phone(browser):
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_no_page_scrolls_sideways_on_a_phone(phone, app_url, path):
    phone.goto(app_url + path)
    phone.wait_for_load_state("networkidle")
    phone.wait_for_timeout(1500)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width}px wide at 390px"


def test_explorer_on_a_phone_map_first_filters_folded(phone, app_url):
    phone.goto(app_url + "/")
    wait_painted(phone, "#ex-map")
    top = phone.evaluate("document.querySelector('#ex-map').getBoundingClientRect().top + window.scrollY")
    assert top < PHONE["height"], f"the map starts {top}px down: below the fold"
    toggle = phone.locator("button.filters-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not phone.locator("aside.filters").is_visible()
    toggle.focus()
    phone.keyboard.press("Enter")  # a real button: the keyboard opens it
    assert toggle.get_attribute("aria-expanded") == "true"
    assert phone.locator("aside.filters").is_visible()
    phone.wait_for_function("document.querySelector('#ex-map .js-plotly-plot').data[0].colorbar.orientation === 'h'",
                            timeout=15_000)
    phone.evaluate("window.scrollTo(0, 0)")
    phone.screenshot(path=str(SCREENSHOTS / "phone-explorer.png"))


@pytest.fixture()
def short_window(browser):
    """A screen so short the charts and table are far below the fold: only printing can build them."""
    context = browser.new_context(viewport={"width": 1280, "height": 360})
    page = context.new_page()
    yield page
    context.close()


def test_printing_the_explorer_gives_every_chart_and_the_provenance(short_window, app_url):
    from pypdf import PdfReader

    page = short_window
    page.goto(app_url + "/")
    page.locator("#ex-map canvas").first.wait_for(timeout=25_000)
    page.wait_for_timeout(4500)  # lazy.js waits for the map (or 4 s) before watching the parts
    assert page.locator("#ex-charts .chart-block").count() == 0  # not built yet: lazily, below the fold
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    for chart in CHARTS:
        page.locator(f"#{chart} .main-svg").first.wait_for(timeout=25_000)
    page.wait_for_function("document.querySelectorAll('#ex-table .ag-row').length > 0", timeout=25_000)
    assert page.evaluate("getComputedStyle(document.querySelector('aside.filters')).display") == "none"
    assert page.evaluate("getComputedStyle(document.querySelector('.atlas-header nav')).display") == "none"
    printed = page.evaluate("document.querySelector('.atlas-footer').getAttribute('data-printed')")
    assert printed.startswith("Printed from Equity Atlas") and app_url in printed
    page.screenshot(path=str(SCREENSHOTS / "print-explorer.png"))
    pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "Open Government Licence" in " ".join(text.split())
    assert "Printed from Equity Atlas" in text
    assert len(reader.pages) >= 2


def test_downloaded_chart_image_stands_alone(page, app_url):
    page.goto(app_url + "/?dispensing=Yes")
    wait_painted(page, "#ex-map")
    reveal(page, "#ex-charts")
    page.locator("#chart-deprivation .main-svg").first.wait_for(timeout=25_000)
    page.wait_for_function("window.dash_clientside && document.querySelector('#chart-deprivation-title')")
    block = page.locator("section.chart-block", has=page.locator("#chart-deprivation-title"))
    with page.expect_download() as info:
        block.get_by_role("button", name="Download chart as SVG").click()
    svg = open(info.value.path(), encoding="utf-8").read()
    title = page.locator("#chart-deprivation-title").inner_text()
    for words in (title, "Filtered practices", "Dispensing", "Units:", "Open Government Licence", "View:"):
        assert words.replace("&", "&amp;") in svg, words
    assert "dispensing=Yes" in svg  # the link back to this view
    with page.expect_download() as info:
        block.get_by_role("button", name="Download chart as PNG").click()
    from PIL import Image

    image = Image.open(info.value.path())
    assert image.size == (1200, 800)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "downloaded-chart.png")


@pytest.mark.parametrize("path,button,ready", [
    ("/compare?areas=E08000026,E06000032", "Download comparison (CSV)", "#compare-table"),
    ("/marmot", "Download the list of places (CSV)", "#marmot-list"),
    ("/marmot", "Download Marmot Places against the rest of England, every year (CSV)", "#marmot-list"),
    ("/whatif", "Download change by area (CSV)", "#whatif-summary .card"),
])
def test_every_page_has_a_download_with_provenance(page, app_url, path, button, ready):
    page.goto(app_url + path)
    page.locator(ready).first.wait_for(timeout=25_000)
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    text = open(info.value.path(), encoding="utf-8-sig", newline="").read()
    assert text.startswith("# Equity Atlas\r\n")
    assert "Open Government Licence v3.0" in text and "# Made: " in text
    header = text.split("\r\n\r\n", 1)[1].split("\r\n")[0]
    assert "value" not in header.split(",")


def test_marmot_place_opens_on_the_map_with_the_place(page, app_url):
    page.goto(app_url + "/area/marmot:coventry")
    page.get_by_role("link", name="Open on the map").click()
    page.wait_for_url("**/?marmot=coventry**", timeout=15_000)


def test_hover_labels_get_a_real_minus(page, app_url):
    page.goto(app_url + "/")
    wait_painted(page, "#ex-map")
    page.evaluate("""() => {
        const layer = document.createElementNS('http://www.w3.org/2000/svg', 'g');
        layer.setAttribute('class', 'hoverlayer');
        document.querySelector('#ex-map .main-svg').appendChild(layer);
        const text = document.createElementNS('http://www.w3.org/2000/svg', 'text');
        text.textContent = 'Change -£3.20 in 2023-24 (-1.5%)';
        layer.appendChild(text);
    }""")
    page.wait_for_function("document.querySelector('#ex-map .hoverlayer text').textContent"
                           " === 'Change \\u2212£3.20 in 2023-24 (\\u22121.5%)'", timeout=5_000)

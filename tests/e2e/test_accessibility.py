"""Accessibility and CSP in the real browser: axe-core on every page, the explorer by keyboard alone, and
no Content-Security-Policy violations with the policy enforced.

axe-core is vendored in tests/e2e/vendor/axe-core (see its README for version and licence): nothing is
downloaded when these tests run.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from support import SCREENSHOTS, reveal, wait_painted

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]  # axe has no separate "wcag22a" tag
BLOCKING = ("serious", "critical")
# Exact selectors inside third-party widgets (Plotly, AG Grid, MapLibre) whose violations cannot be fixed
# from our code. Each entry needs a comment saying why and which text alternative covers it
# (.chart-alt under every chart, #ex-map-alt for the explorer map). Nothing needs excluding today.
THIRD_PARTY_EXCLUSIONS: dict[str, list[str]] = {}


# --- waiting until a page is fully drawn -------------------------------------------------------------
def wait_graphs(page, *selectors: str) -> None:
    for selector in selectors:
        page.locator(f"{selector} .main-svg").first.wait_for(timeout=25_000)


def settle(page) -> None:
    """No Dash callback still running, no loading spinner showing."""
    page.wait_for_function("!document.querySelector('._dash-loading, [data-dash-is-loading=\"true\"]')",
                           timeout=25_000)
    page.wait_for_load_state("networkidle")


def explorer_ready(page):
    wait_painted(page, "#ex-map", threshold=0.08)
    reveal(page, "#ex-charts", "#ex-table-part")
    wait_graphs(page, "#chart-deprivation", "#chart-scatter-pay", "#chart-scatter-le", "#chart-trend",
                "#chart-components")
    page.wait_for_function("document.querySelectorAll('#ex-cards .card').length >= 5", timeout=25_000)
    page.wait_for_function("document.querySelectorAll('#ex-table .ag-row').length > 0", timeout=25_000)
    page.locator("#ex-map-alt .chart-alt").wait_for(timeout=25_000)


def profile_ready(page):
    page.locator("#area-headline").wait_for(timeout=25_000)
    wait_graphs(page, "#area-chart-pay", "#area-chart-le", "#area-chart-trend")
    wait_painted(page, "#area-map")
    page.wait_for_function("document.querySelectorAll('#area-table .ag-row').length > 0", timeout=25_000)


def marmot_ready(page):
    page.locator("#marmot-list").wait_for(timeout=25_000)
    wait_graphs(page, "#marmot-multiples", "#marmot-together-chart")


def compare_ready(page):
    page.locator("#compare-table").wait_for(timeout=25_000)
    wait_graphs(page, "#compare-trend")


def whatif_ready(page):
    page.locator("#whatif-summary .card").first.wait_for(timeout=25_000)
    wait_graphs(page, "#whatif-bars")
    wait_painted(page, "#whatif-map")


def practice_ready(page):
    page.locator("#practice-payments").wait_for(timeout=25_000)
    wait_graphs(page, "#practice-chart-payments", "#practice-chart-local")


def fairness_ready(page):
    wait_painted(page, "#fair-map")
    wait_graphs(page, "#fair-scatter")
    page.wait_for_function("document.querySelectorAll('#fair-table .ag-row').length > 0", timeout=25_000)
    page.locator("#fair-dispensing-table").wait_for(timeout=25_000)


def heading(name: str):
    return lambda page: page.get_by_role("heading", name=name, exact=True).wait_for(timeout=25_000)


def search_ready(page):
    page.locator(".search-results li").first.wait_for(timeout=25_000)


PAGES = {
    "explorer": ("/", explorer_ready),
    "la-profile": ("/area/E08000026", profile_ready),
    "icb-profile": ("/area/E54000030", profile_ready),
    "marmot-place-profile": ("/area/marmot:coventry", profile_ready),
    "marmot-places": ("/marmot", marmot_ready),
    "compare": ("/compare?areas=E08000026,E06000032", compare_ready),
    "whatif": ("/whatif", whatif_ready),
    "about": ("/about", heading("Methods and sources")),
    "search": ("/search?q=coventry", search_ready),
    "no-such-area": ("/area/E99999999", heading("No such area")),
    "practice": ("/practice/G85013", practice_ready),
    "no-such-practice": ("/practice/NOPE1", heading("No such practice")),
    "search-postcode": ("/search?q=SE5", search_ready),
    "fairness": ("/fairness?level=icb", fairness_ready),
}


def open_page(page, app_url: str, name: str) -> None:
    path, ready = PAGES[name]
    page.goto(app_url + path)
    ready(page)
    settle(page)


# --- axe -----------------------------------------------------------------------------------------------
@pytest.fixture()
def axe_page(browser):
    # The app's Content-Security-Policy allows no inline scripts except Dash's own (by hash), so the
    # inline <script> that add_script_tag() writes would be refused. This context alone bypasses CSP
    # to inject axe; test_no_csp_violations below checks every page with the policy enforced.
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    page = context.new_page()
    page.page_errors = []
    page.on("pageerror", lambda exc: page.page_errors.append(str(exc)))
    yield page
    context.close()


def run_axe(page, exclude: list[str]) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async ([tags, exclude]) => {
            const context = exclude.length ? {exclude: exclude.map(selector => [selector])} : document;
            const result = await axe.run(context, {runOnly: {type: 'tag', values: tags},
                                                   resultTypes: ['violations']});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(' ')),
            }));
        }""", [WCAG_TAGS, exclude])


def describe(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['targets'])} nodes) {v['helpUrl']}")
        lines += [f"      {target}" for target in v["targets"][:3]]
    return "\n".join(lines)


# Common sizes: a laptop, a larger laptop, a phone. Layouts change with width (the folded filter panel, one
# column of charts, tables that scroll inside themselves), and so can contrast, names and target sizes.
VIEWPORTS = {"1280x720": (1280, 720), "1366x900": (1366, 900), "390x844": (390, 844)}


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_axe_violations(axe_page, app_url, name, size):
    width, height = VIEWPORTS[size]
    axe_page.set_viewport_size({"width": width, "height": height})
    open_page(axe_page, app_url, name)
    violations = run_axe(axe_page, THIRD_PARTY_EXCLUSIONS.get(name, []))
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    if violations:
        print(f"\naxe on {PAGES[name][0]} at {size}:\n{describe(violations)}")
    assert not blocking, (f"axe found serious or critical violations on {PAGES[name][0]} at {size}:\n"
                          f"{describe(blocking)}")
    assert not axe_page.page_errors


def year_menu(page):
    """The open Year list: Dash 4 renders it in a popover (role="dialog") beside the #f-year button."""
    return page.locator(".dash-dropdown-wrapper:has(#f-year) .dash-dropdown-content[role=dialog]")


def test_no_serious_axe_violations_with_the_year_menu_open(axe_page, app_url):
    """The open dropdown list is checked too, not only the closed control."""
    open_page(axe_page, app_url, "explorer")
    axe_page.locator("#f-year").focus()
    axe_page.keyboard.press("ArrowDown")
    # Native radios named by their labels, in a group named by the control's label (assets/a11y.js).
    year_menu(axe_page).locator("[role=group][aria-labelledby] input[type=radio]").first.wait_for(timeout=10_000)
    blocking = [v for v in run_axe(axe_page, []) if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


# --- keyboard ------------------------------------------------------------------------------------------
def query(page) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def active(page, script: str):
    """Evaluate `script` with `el` bound to the focused element."""
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {script}; }})()")


def tab_until(page, script: str, limit: int = 60) -> int:
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if active(page, script):
            return presses
    raise AssertionError(f"never reached ({script}) in {limit} presses of Tab; stuck at "
                         f"{active(page, 'el.outerHTML.slice(0, 200)')}")


FOCUS_STYLE = """(el) => { const s = getComputedStyle(el);
    const width = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
    return {outline: width ? `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}` : 'none',
            shadow: s.boxShadow}; }"""


def visible_ring(style: dict) -> bool:
    """An outline at least 2px wide, or a box shadow."""
    width = float(style["outline"].split()[1].removesuffix("px")) if style["outline"] != "none" else 0
    return width >= 2 or style["shadow"] != "none"


# The option a screen reader announces: in Dash 4's open dropdown focus moves onto each option's radio,
# named by the label around it.
FOCUSED_OPTION = ("(() => { const el = document.activeElement;"
                  " return el && el.type === 'radio' && el.closest('.dash-dropdown-content')"
                  " ? el.closest('label').textContent : null; })()")


def announced_option(page) -> str:
    page.wait_for_function(FOCUSED_OPTION, timeout=5_000)
    return page.evaluate(FOCUSED_OPTION)


def accessible_name(page) -> str:
    """The focused element's name from aria-labelledby, as a screen reader computes it."""
    return page.evaluate("document.activeElement.getAttribute('aria-labelledby').split(' ')"
                         ".map(id => document.getElementById(id).textContent).join(' ')")


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(page, app_url):
    page.goto(app_url + "/")
    explorer_ready(page)
    page.keyboard.press("Tab")
    assert active(page, "el.textContent.trim()") == "Skip to main content"
    box = page.locator(".skip-link").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0, "the focused skip link must be on screen"
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'main'", timeout=5_000)
    page.keyboard.press("Tab")
    assert active(page, "!!el.closest('main')"), "the next Tab after the skip link should land inside main"


def test_explorer_year_and_level_by_keyboard_alone(page, app_url):
    page.goto(app_url + "/")
    explorer_ready(page)
    settle(page)
    before_title = page.locator("#map-title").inner_text()
    page.locator("body").focus()

    # Year: a button that opens a list of radios; the arrow keys move through them and Enter chooses.
    tab_until(page, "el.id === 'f-year'")
    assert active(page, "el.tagName") == "BUTTON"
    assert active(page, "el.getAttribute('aria-haspopup')") == "dialog"
    name = accessible_name(page)
    assert name.startswith("Year"), f"the Year dropdown's accessible name is {name!r}"
    page.keyboard.press("ArrowDown")
    year_menu(page).wait_for(timeout=10_000)
    current = announced_option(page)
    assert name.endswith(current), (name, current)  # the chosen year, focused first
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_function(f"{FOCUSED_OPTION} !== {current!r}", timeout=5_000)
    chosen = announced_option(page)
    page.keyboard.press("Enter")
    page.wait_for_function(f"new URLSearchParams(location.search).get('year') === '{chosen}'", timeout=15_000)
    page.wait_for_function(f"document.querySelector('#map-title').innerText.includes('{chosen}')",
                           timeout=15_000)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-year'", timeout=5_000)
    assert accessible_name(page) == f"Year {chosen}", "focus should come back to the Year control, named anew"

    # Map areas: a radio group; Tab reaches the checked radio, the arrow keys move the choice.
    tab_until(page, "!!el.closest('#f-level') && el.type === 'radio'", limit=5)
    assert active(page, "el.checked && el.closest('label').textContent.trim()") == "Local authority"
    for _ in range(5):
        if active(page, "el.closest('label').textContent.trim()") == "Integrated Care Board":
            break
        page.keyboard.press("ArrowDown")
    assert active(page, "el.checked && el.closest('label').textContent.trim()") == "Integrated Care Board"
    page.wait_for_function("new URLSearchParams(location.search).get('level') === 'icb'", timeout=15_000)
    page.wait_for_function("document.querySelector('#map-title').innerText.includes('Integrated Care Board')",
                           timeout=15_000)
    assert query(page)["year"] == chosen and query(page)["level"] == "icb"
    title = page.locator("#map-title").inner_text()
    assert title != before_title and chosen in title
    page.wait_for_function("document.querySelector('#ex-map .js-plotly-plot').data[0].locations.length === 42",
                           timeout=15_000)


def test_focus_is_visible(page, app_url):
    page.goto(app_url + "/")
    explorer_ready(page)
    settle(page)
    button = page.locator("header button", has_text="Search")
    year = page.locator("#f-year")
    radio = page.locator("#f-level input[type=radio]:checked")
    unfocused = {"button": button.evaluate(FOCUS_STYLE), "year": year.evaluate(FOCUS_STYLE),
                 "radio": radio.evaluate(FOCUS_STYLE)}
    page.locator("body").focus()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    tab_until(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Search'")
    focused = button.evaluate(FOCUS_STYLE)
    page.locator("header").screenshot(path=str(SCREENSHOTS / "focus-header-search-button.png"))
    assert focused != unfocused["button"] and visible_ring(focused), (unfocused["button"], focused)

    tab_until(page, "el.id === 'f-year'")
    focused = year.evaluate(FOCUS_STYLE)
    page.locator(".filters").screenshot(path=str(SCREENSHOTS / "focus-year-dropdown.png"))
    assert focused != unfocused["year"] and visible_ring(focused), (unfocused["year"], focused)

    tab_until(page, "!!el.closest('#f-level') && el.type === 'radio'", limit=5)
    focused = radio.evaluate(FOCUS_STYLE)
    page.locator(".filters").screenshot(path=str(SCREENSHOTS / "focus-level-radio.png"))
    assert focused != unfocused["radio"] and visible_ring(focused), (unfocused["radio"], focused)

    # In the open Year list focus sits on a radio Dash hides; the option around it shows the ring.
    page.locator("#f-year").focus()
    page.keyboard.press("ArrowDown")
    announced_option(page)
    option = page.evaluate_handle("document.activeElement.closest('label')")
    focused = option.evaluate(FOCUS_STYLE)
    year_menu(page).screenshot(path=str(SCREENSHOTS / "focus-year-option.png"))
    assert visible_ring(focused), focused
    page.keyboard.press("Escape")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-year'", timeout=5_000)


# --- Content-Security-Policy, enforced ----------------------------------------------------------------
CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "Refused to")


@pytest.mark.parametrize("name", list(PAGES))
def test_no_csp_violations(browser, app_url, name):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})  # CSP enforced, as for users
    page = context.new_page()
    messages, errors = [], []
    page.on("console", lambda msg: messages.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(app_url + PAGES[name][0])
        response_csp = page.evaluate("fetch(location.href).then(r => r.headers.get('content-security-policy'))")
        assert response_csp and "script-src" in response_csp, "the page must be served with a CSP"
        PAGES[name][1](page)
        settle(page)
        page.wait_for_timeout(500)
    finally:
        context.close()
    refused = [m for m in messages if any(word in m for word in CSP_WORDS)]
    assert not refused, f"CSP violations on {PAGES[name][0]}:\n" + "\n".join(refused)
    assert not errors, f"page errors on {PAGES[name][0]}:\n" + "\n".join(errors)

"""What a person's browser sees, in headless Chromium: bytes on the wire, first map painted, real payloads.

Every response is counted at its transferred (compressed) body size from Chromium's own accounting
(`request.sizes()["responseBodySize"]`), falling back to Content-Length. The browser asks for gzip
only (`Accept-Encoding: gzip`), so the numbers do not depend on brotli or zstd being installed.
Before each interaction the page is scrolled to the bottom and back, so the parts built only when a
reader reaches them (charts, table) are live and their responses counted.
The callback requests each interaction sends are saved, as the browser sent them, to
bench/payloads/<app>/<interaction>.json; bench/callbacks.py and the locust users replay them.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from .support import CHROMIUM_FLAGS, PAYLOADS, VIEWPORT, chromium_path, painted_fraction, wait_until_quiet

CALLBACK_PATH = "/_dash-update-component"
ACCEPT = {"Accept-Encoding": "gzip"}
COVENTRY = ("E08000026", -1.52, 52.41)


@dataclass
class Record:
    url: str
    method: str
    status: int | None = None
    encoding: str | None = None
    body_bytes: int = 0
    header_bytes: int = 0
    post_data: str | None = None
    resource_type: str = ""

    @property
    def path(self) -> str:
        return urlparse(self.url).path

    @property
    def is_callback(self) -> bool:
        return self.path == CALLBACK_PATH

    def short(self) -> dict:
        out = {"path": self.path, "status": self.status, "encoding": self.encoding, "bytes": self.body_bytes}
        if self.is_callback and self.post_data:
            out["output"] = json.loads(self.post_data).get("output", "")[:120]
        return out


class Recorder:
    """Every http(s) request a page makes, with its transferred size once it has finished."""

    def __init__(self, page):
        self.page = page
        self.records: list[Record] = []
        self.pending = 0
        self.last_activity = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)

    @staticmethod
    def _counted(request) -> bool:
        return request.url.startswith(("http://", "https://"))

    def _started(self, request):
        if self._counted(request):
            self.pending += 1
            self.last_activity = time.monotonic()

    def _failed(self, request):
        if self._counted(request):
            self.pending -= 1
            self.last_activity = time.monotonic()
            self.records.append(Record(request.url, request.method, None, post_data=request.post_data,
                                       resource_type=request.resource_type))

    def _finished(self, request):
        if not self._counted(request):
            return
        response = request.response()
        sizes = request.sizes()
        headers = response.headers if response else {}
        body = sizes.get("responseBodySize", -1)
        if body is None or body < 0:
            body = int(headers.get("content-length", 0) or 0)
        self.records.append(Record(
            request.url, request.method, response.status if response else None, headers.get("content-encoding"),
            int(body), max(int(sizes.get("responseHeadersSize", 0) or 0), 0), request.post_data,
            request.resource_type))
        self.pending -= 1
        self.last_activity = time.monotonic()

    def clear(self) -> None:
        self.records = []

    def touch(self) -> None:
        """Something happened (e.g. a click): settle() waits its quiet period from now."""
        self.last_activity = time.monotonic()

    def settle(self, quiet: float = 1.0, timeout: float = 60) -> None:
        """Until nothing has been in flight for `quiet` seconds (Dash chains callbacks within milliseconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pending <= 0 and time.monotonic() - self.last_activity >= quiet:
                return
            self.page.wait_for_timeout(100)
        raise TimeoutError(f"the page was still loading after {timeout}s ({self.pending} requests in flight)")

    def callbacks(self) -> list[Record]:
        return [r for r in self.records if r.is_callback]


def launch(playwright):
    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)


def new_page(browser, map_selector: str, gzip_only: bool = True):
    context = browser.new_context(viewport=VIEWPORT, extra_http_headers=ACCEPT if gzip_only else None)
    context.add_init_script(PAINT_WATCH.replace("SELECTOR", json.dumps(map_selector)))
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    return context, page


PAINT_WATCH = """
(() => {
  // When the map's own area trace has features in maplibre's render tree, wait two animation frames
  // (the frame is on screen) and note the time since navigation started. `state` says what it waits for.
  window.__bench = {mapPainted: null, features: 0, state: 'no page yet'};
  const timer = setInterval(() => {
    const bench = window.__bench;
    const gd = document.querySelector(SELECTOR + ' .js-plotly-plot');
    const subplot = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    const map = subplot && subplot.map;
    if (!map || !gd._fullData || !gd._fullData.length) { bench.state = gd ? 'no map yet' : 'no graph yet'; return; }
    let count = 0;
    try {
      const layer = 'plotly-trace-layer-' + gd._fullData[0].uid + '-fill';
      if (!map.getLayer(layer)) { bench.state = 'no area layer yet'; return; }
      count = map.queryRenderedFeatures({layers: [layer]}).length;
    } catch (e) { bench.state = 'error: ' + e; return; }
    bench.state = 'areas rendered: ' + count;
    if (count > 0) {
      clearInterval(timer);
      bench.seen = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        bench.features = count;
        bench.mapPainted = performance.now();
      }));
    }
  }, 50);
})();
"""


TIMELINE = """
[...performance.getEntriesByType('resource').map(e => ({
   what: new URL(e.name).pathname.slice(-48), start: Math.round(e.startTime), end: Math.round(e.responseEnd),
   bytes: e.encodedBodySize})),
 {what: 'map painted', start: Math.round(window.__bench.mapPainted), end: Math.round(window.__bench.mapPainted)}]
"""


def map_clip(page, selector: str) -> dict | None:
    box = page.locator(selector).first.bounding_box()
    if not box or box["width"] < 10 or box["height"] < 10:
        return None
    # The left three quarters: the colour bar (SVG, drawn before any area) sits at the right edge.
    return {"x": box["x"], "y": box["y"], "width": box["width"] * 0.75, "height": box["height"]}


def wait_for_map(page, selector: str, threshold: float = 0.08, timeout: float = 90) -> tuple[float, float]:
    """(seconds from navigation start until the map's areas were on screen, painted share of the map).

    The time comes from the page's own clock (PAINT_WATCH, installed by new_context); a screenshot
    then confirms that real pixels were drawn (as tests/e2e do), so a blank canvas cannot pass.
    """
    try:
        # Normally two animation frames after the areas were seen; a page that draws no further frame
        # (it happened once on a busy machine) is taken at the moment they were seen, 5 s later.
        page.wait_for_function("window.__bench && (window.__bench.mapPainted !== null || (window.__bench.seen"
                               " && performance.now() - window.__bench.seen > 5000))", timeout=timeout * 1000,
                               polling=100)
    except Exception:
        state = page.evaluate("window.__bench ? window.__bench.state : 'watcher not installed'")
        raise TimeoutError(f"the map at {selector} was not drawn within {timeout:.0f} s (last seen: {state})") from None
    painted_ms = page.evaluate("window.__bench.mapPainted === null ? window.__bench.seen : window.__bench.mapPainted")
    deadline = time.monotonic() + 15
    fraction = 0.0
    while time.monotonic() < deadline:
        clip = map_clip(page, selector)
        if clip:
            fraction = painted_fraction(page.screenshot(clip=clip))
            if fraction > threshold:
                return painted_ms / 1000, fraction
        page.wait_for_timeout(200)
    raise TimeoutError(f"maplibre drew the areas of {selector} but only {fraction:.1%} of its pixels differ "
                       "from white")


def choose(page, control_id: str, option_text: str, search: bool = False, attempts: int = 3) -> None:
    """Open a dcc.Dropdown and pick an option (typing first where a long list renders only its top).

    Dash 4's dropdown is a button whose list opens in a popover beside it, with its own search box. The
    explorer's lists arrive once the map is drawn (assets/lazy.js marks the panel revealed): wait for that,
    and if the list opened before it arrived, close it and open it again.
    """
    page.wait_for_function(
        "id => { const part = document.getElementById(id).closest('[data-lazy-store]');"
        " return !part || part.getAttribute('data-lazy-revealed') === 'true'; }", arg=control_id, timeout=30_000)
    menu = page.locator(f".dash-dropdown-wrapper:has(#{control_id}) .dash-dropdown-content")
    for attempt in range(attempts):
        page.locator(f"#{control_id}").click()
        if search:
            menu.locator("input.dash-dropdown-search").fill(option_text)
        try:
            menu.get_by_text(option_text, exact=True).click(timeout=5_000)
            return
        except Exception:
            if attempt == attempts - 1:
                raise
            page.keyboard.press("Escape")
            page.wait_for_timeout(1_000)


def click_map(page, selector: str, lon: float, lat: float) -> None:
    page.locator(selector).scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    point = page.evaluate(
        "([sel, lon, lat]) => { const gd = document.querySelector(sel + ' .js-plotly-plot');"
        " const map = gd._fullLayout.map._subplot.map;"
        " const p = map.project([lon, lat]); const r = map.getCanvas().getBoundingClientRect();"
        " return {x: r.left + p.x, y: r.top + p.y}; }", [selector, lon, lat])
    page.mouse.move(point["x"] - 3, point["y"] - 3)
    page.wait_for_timeout(300)
    page.mouse.move(point["x"], point["y"])  # plotly picks the clicked area from the last hover
    page.wait_for_timeout(300)
    page.mouse.click(point["x"], point["y"])


@dataclass
class AppUnderTest:
    """An app as the browser meets it: where its map is and how a person changes each thing."""

    name: str
    map_selector: str
    interactions: dict[str, Callable] = field(default_factory=dict)
    # Which callback outputs draw the map (for the map-only share of a year change).
    map_outputs: tuple[str, ...] = ()


OURS = AppUnderTest(
    name="ours",
    map_selector="#ex-map",
    interactions={
        "filter": lambda page: page.locator("#f-rurality").get_by_label("Rural", exact=True).check(),
        "level": lambda page: page.get_by_role("radio", name="Integrated Care Board", exact=True).check(),
        "metric": lambda page: choose(page, "f-metric", "Life expectancy, female", search=True),
        "year": lambda page: choose(page, "f-year", "2019-20"),
        "area": lambda page: click_map(page, "#ex-map", COVENTRY[1], COVENTRY[2]),
    },
    map_outputs=("ex-url.search", "ex-map.figure"),
)
NAIVE = AppUnderTest(
    name="naive",
    map_selector="#n-map",
    interactions={
        "filter": lambda page: page.locator("#n-rurality").get_by_label("Rural", exact=True).check(),
        "level": lambda page: page.get_by_role("radio", name="Integrated Care Board", exact=True).check(),
        "metric": lambda page: choose(page, "n-metric", "Life expectancy, female", search=True),
        "year": lambda page: choose(page, "n-year", "2019-20"),
        "area": lambda page: click_map(page, "#n-map", COVENTRY[1], COVENTRY[2]),
    },
    map_outputs=("n-map.figure",),
)


def first_visits(browser, url: str, app: AppUnderTest, runs: int) -> dict:
    """Fresh browser profile each run: time to a painted map, and every byte the first load took.

    The runs ask for gzip only; one more run with Chromium's own Accept-Encoding (zstd, br, gzip)
    shows what a current browser actually downloads (reported, not held against the target).
    """
    times, loads = [], []
    for run in range(runs + 1):
        gzip_only = run < runs
        context, page = new_page(browser, app.map_selector, gzip_only=gzip_only)
        page.goto("about:blank")  # the window opens and settles first, as a visitor's already has
        settled = wait_until_quiet()
        recorder = Recorder(page)
        try:
            page.goto(url + "/", wait_until="commit")
            seconds, fraction = wait_for_map(page, app.map_selector)
            timeline = page.evaluate(TIMELINE)
            recorder.settle(quiet=1.5)
            if not gzip_only:
                default_encoding = {"bytes": sum(r.body_bytes for r in recorder.records), "first_map_s": seconds,
                                    "encodings": sorted({str(r.encoding) for r in recorder.records})}
                continue
            times.append(seconds)
            loads.append({
                "window_settled_s": None if settled is None else round(settled, 2),
                "bytes": sum(r.body_bytes for r in recorder.records),
                "header_bytes": sum(r.header_bytes for r in recorder.records),
                "requests": len(recorder.records),
                "errors": [r.short() for r in recorder.records if not r.status or r.status >= 400] + page.errors,
                "responses": [r.short() for r in recorder.records],
                "painted_fraction": round(fraction, 3),
                "timeline_until_map_ms": timeline,
                "initial_callbacks": [json.loads(r.post_data) for r in recorder.callbacks() if r.post_data],
            })
        finally:
            context.close()
    first = loads[0]
    return {
        "first_map_s": statistics.median(times), "first_map_runs_s": [round(t, 3) for t in times],
        "first_load_bytes": int(statistics.median(load["bytes"] for load in loads)),
        "first_load_runs_bytes": [load["bytes"] for load in loads],
        "first_load_header_bytes": first["header_bytes"], "first_load_requests": first["requests"],
        "first_load_errors": first["errors"], "first_load_responses": first["responses"],
        "encodings": sorted({str(r["encoding"]) for r in first["responses"]}),
        "asset_paths": sorted({urlparse(r["path"]).path for r in first["responses"]
                               if r["path"] != CALLBACK_PATH and r["status"] == 200}),
        "initial_callbacks": first["initial_callbacks"],
        "timeline_until_map_ms": first["timeline_until_map_ms"],
        "browser_default_encoding": default_encoding,
    }


def interactions(browser, url: str, app: AppUnderTest) -> dict:
    """Each interaction from a freshly loaded default view: every response it caused and the payloads sent.

    One page in one profile (static files come from its cache, as they would; a background page
    would get no animation frames), reloaded to the default view before each interaction.
    """
    results = {}
    context, page = new_page(browser, app.map_selector)
    recorder = Recorder(page)
    try:
        for name, act in app.interactions.items():
            try:
                results[name] = one_interaction(page, recorder, url, app, name, act)
            except Exception as exc:  # one broken interaction must not lose the others
                results[name] = {"failed": f"{type(exc).__name__}: {exc}"[:1000], "errors": [str(exc)[:300]]}
    finally:
        context.close()
    return results


def one_interaction(page, recorder: Recorder, url: str, app: AppUnderTest, name: str, act: Callable) -> dict:
    page.goto(url + "/")
    wait_for_map(page, app.map_selector)
    recorder.settle(quiet=1.5)
    reveal_everything(page, recorder)
    recorder.clear()
    del page.errors[:]
    started = time.perf_counter()
    act(page)
    recorder.touch()
    recorder.settle(quiet=1.5)
    settled = time.perf_counter() - started - 1.5
    callbacks = recorder.callbacks()
    errors = [r.short() for r in recorder.records if not r.status or r.status >= 400] + list(page.errors)
    if not callbacks:
        errors.append(f"the {name} interaction sent no callback request")
    map_bytes = sum(r.body_bytes for r in callbacks
                    if any(o in json.loads(r.post_data or "{}").get("output", "") for o in app.map_outputs))
    return {
        "bytes": sum(r.body_bytes for r in recorder.records),
        "callback_bytes": sum(r.body_bytes for r in callbacks),
        "map_bytes": map_bytes,
        "settled_s": round(settled, 2),
        "requests": [r.short() for r in recorder.records],
        "errors": errors,
        "payloads": [json.loads(r.post_data) for r in callbacks if r.post_data],
    }


def reveal_everything(page, recorder: Recorder) -> None:
    """Scroll to the bottom and back, so parts built only when scrolled near (the charts and the table) are
    on the page before an interaction: its bytes then count every chart a reader who scrolled would get."""
    if not page.locator("[data-lazy-store]").count():
        return
    for _ in range(20):
        page.mouse.wheel(0, 900)
        page.wait_for_timeout(150)
    recorder.touch()
    recorder.settle(quiet=1.5)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    hidden = page.evaluate("[...document.querySelectorAll('[data-lazy-store]')]"
                           ".filter(e => e.getAttribute('data-lazy-revealed') !== 'true').map(e => e.id)")
    if hidden:
        raise RuntimeError(f"scrolling did not build {hidden}")


def save_payloads(app_name: str, visit: dict, measured: dict, folder: Path = PAYLOADS) -> Path:
    target = folder / app_name
    target.mkdir(parents=True, exist_ok=True)
    (target / "initial.json").write_text(json.dumps(visit["initial_callbacks"], indent=1) + "\n")
    for name, result in measured.items():
        if result.get("payloads") and not result.get("failed"):
            (target / f"{name}.json").write_text(json.dumps(result["payloads"], indent=1) + "\n")
    return target


def load_payloads(app_name: str, folder: Path = PAYLOADS) -> dict[str, list[dict]]:
    target = folder / app_name
    return {path.stem: json.loads(path.read_text()) for path in sorted(target.glob("*.json"))}


def measure(url: str, app: AppUnderTest, runs: int = 3, save: bool = True) -> dict:
    """First visits and interactions in one browser; saves the payloads as fixtures."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            visit = first_visits(browser, url, app, runs)
            measured = interactions(browser, url, app)
        finally:
            browser.close()
    if save:
        save_payloads(app.name, visit, measured)
    for result in measured.values():
        result.pop("payloads", None)
    visit.pop("initial_callbacks")
    return {"first_visit": visit, "interactions": measured}

"""Real app, real headless Chromium: a server per session and a fresh page per test."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from helpers import IN_CI, PROJECT_ROOT

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                  "--disable-background-networking", "--disable-component-update", "--no-first-run",
                  "--disable-dev-shm-usage"]
SCREENSHOTS = Path(os.environ.get("EQUITY_ATLAS_SCREENSHOTS", Path(tempfile.gettempdir()) / "equity-atlas-shots"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"app did not answer at {url} within {seconds}s")


def start_app(env_extra: dict | None = None, processed_dir: Path | None = None):
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if processed_dir:
        env["EQUITY_ATLAS_PROCESSED_DIR"] = str(processed_dir)
    env.update(env_extra or {})
    log = tempfile.NamedTemporaryFile(prefix="equity-atlas-app-", suffix=".log", delete=False)
    process = subprocess.Popen([sys.executable, "-m", "dashboard", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/", process)
    except RuntimeError:
        process.kill()
        raise RuntimeError(Path(log.name).read_text()[-3000:]) from None
    return process, url, Path(log.name)


@pytest.fixture(scope="session")
def app_url():
    process, url, _log = start_app()
    yield url
    process.terminate()
    process.wait(10)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    executable = chromium_path()
    if executable is None:
        if IN_CI:
            pytest.fail("CI=true but Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium not installed: apt-get install chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda msg: page.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def painted_fraction(png: bytes, background=(255, 255, 255), tolerance: int = 12) -> float:
    """Share of pixels that differ from the background: a WebGL map that drew nothing scores ~0."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    pixels = list(image.get_flattened_data() if hasattr(image, 'get_flattened_data') else image.getdata())
    differs = sum(1 for p in pixels if max(abs(p[i] - background[i]) for i in range(3)) > tolerance)
    return differs / len(pixels)


def distinct_colours(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=64)
    return len(set(image.getdata()))


def wait_painted(page, selector: str, threshold: float = 0.03, timeout: float = 25) -> float:
    """Until a WebGL map shows drawn areas, not just an empty div; returns the painted share.

    Only the left three quarters count: the colour bar is SVG and is drawn even when WebGL is not.
    """
    import time

    page.locator(f"{selector} canvas").first.wait_for(timeout=timeout * 1000)
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    clip = {"x": box["x"], "y": box["y"], "width": box["width"] * 0.75, "height": box["height"]}
    start, fraction = time.time(), 0.0
    while time.time() - start < timeout:
        fraction = painted_fraction(page.screenshot(clip=clip))
        if fraction > threshold:
            return fraction
        page.wait_for_timeout(250)
    raise AssertionError(f"{selector} never painted (only {fraction:.1%} of its pixels differ from white)")


def reveal(page, *selectors: str, timeout: float = 20) -> None:
    """Scroll lazily built parts of a page (data-lazy-store) into view, as a reader does, until they are built.

    Scrolls again while waiting: the page above them may still be growing (the map drawing) and push
    them back below the fold.
    """
    import time

    for selector in selectors:
        part = page.locator(selector).first
        deadline = time.time() + timeout
        while part.get_attribute("data-lazy-revealed", timeout=timeout * 1000) != "true":
            if time.time() > deadline:
                raise AssertionError(f"{selector} was not built within {timeout} s of being scrolled to")
            part.scroll_into_view_if_needed()
            page.wait_for_timeout(250)

"""The app starts on the shipped data and a browser sees the national headline figures."""

from __future__ import annotations

import pytest
from support import screenshot

pytestmark = pytest.mark.e2e


def test_headline_figures_in_the_page(page, app_url):
    page.goto(app_url + "/")
    headline = page.locator("#national-headline")
    headline.wait_for(timeout=20_000)
    text = headline.inner_text()
    assert "2022-23" in text
    assert "6,669" in text
    assert "£10.23bn" in text
    assert "£11.01bn" in text
    assert "£870.3m" in text
    assert "944" in text and "9.5m" in text
    assert "Open Government Licence" in page.locator(".atlas-footer").inner_text()
    screenshot(page, "smoke-home")
    assert not [e for e in page.console_errors if "favicon" not in e]

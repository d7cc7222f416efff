"""The what-if uplift: any value a link or a tampered request carries is clamped to the slider, with a notice."""

from __future__ import annotations

import json
import math

import pytest

from dashboard import whatif

OUTPUTS = [("whatif-map", "figure"), ("whatif-bars", "figure"), ("whatif-summary", "children"),
           ("whatif-map-alt", "children"), ("whatif-bars-alt", "children"), ("whatif-methods", "children"),
           ("whatif-url", "search"), ("whatif-notice", "children")]  # the callback's outputs, in order


@pytest.mark.parametrize("value, expected", [
    (None, 5), ("", 5), (0, 0), (7, 7), ("7", 7), (20, 20), (20.0, 20),
])
def test_values_in_range_pass_without_notice(value, expected):
    assert whatif.clamp_uplift(value) == (expected, None)


@pytest.mark.parametrize("value, expected", [
    (21, 20), (250, 20), ("250", 20), ("1e9", 20), (1e308, 20), (-1, 0), (-100, 0), (-1e300, 0), ("-5", 0),
    (5.5, 6), ("4.5", 5), (0.4, 0),
])
def test_out_of_range_or_fractional_values_are_clamped_with_a_notice(value, expected):
    uplift, notice = whatif.clamp_uplift(value)
    assert uplift == expected and whatif.UPLIFT_MIN <= uplift <= whatif.UPLIFT_MAX
    assert notice and f"{expected}%" in notice


@pytest.mark.parametrize("value", ["abc", "5%", "nan", "inf", "-inf", float("nan"), math.inf, True, [5], {"a": 1},
                                   "<b>9</b>"])
def test_non_numbers_are_rejected_with_a_notice(value):
    uplift, notice = whatif.clamp_uplift(value)
    assert uplift is None and "must be a number" in notice


def test_a_link_with_a_nonsense_uplift_opens_clamped_and_says_so():
    from dashboard.data.query import load_atlas
    from dashboard.pages import whatif as page

    atlas = load_atlas()
    view = page.parse("?rule=deprivation_uplift&uplift=250", atlas)
    assert view["uplift"] == 20 and "250%" in view["notice"]
    view = page.parse("?uplift=lots", atlas)
    assert view["uplift"] == whatif.UPLIFT_DEFAULT and "must be a number" in view["notice"]
    assert page.parse("?uplift=12", atlas)["notice"] is None
    rendered = json.dumps(page.layout(search="?uplift=-40").to_plotly_json(), default=str)
    assert "showing 0%" in rendered and "whatif-notice" in rendered


def call(uplift, triggered: str | None = "whatif-uplift.value"):
    """The page's callback as Dash runs it, in a callback context (Dash's documented way to test one)."""
    from contextvars import copy_context

    from dash._callback_context import context_value
    from dash._utils import AttributeDict

    from dashboard.data.query import load_atlas
    from dashboard.pages import whatif as page

    def run():
        context_value.set(AttributeDict(triggered_inputs=[{"prop_id": triggered, "value": uplift}] if triggered
                                        else []))
        return page.update("deprivation_uplift", uplift, load_atlas().latest_year, "region", "")

    return dict(zip([i for i, _ in OUTPUTS], copy_context().run(run), strict=True))


def text(component) -> str:
    return json.dumps(component.to_plotly_json() if hasattr(component, "to_plotly_json") else component,
                      default=lambda c: c.to_plotly_json() if hasattr(c, "to_plotly_json") else str(c))


def test_callback_clamps_a_tampered_uplift_and_shows_the_notice():
    response = call(5000)
    assert "(20% per fifth)" in text(response["whatif-summary"])
    assert "5,000%" in text(response["whatif-notice"]) and "showing 20%" in text(response["whatif-notice"])
    assert "uplift=20" in response["whatif-url"]


def test_callback_rejects_a_non_number_and_keeps_the_figures():
    from dash import no_update

    response = call("DROP TABLE")
    assert all(response[i] is no_update for i, _ in OUTPUTS[:-1])  # nothing else is redrawn
    assert "must be a number" in text(response["whatif-notice"])


def test_a_valid_move_clears_the_notice_but_the_first_call_keeps_the_links():
    from dash import no_update

    response = call(10)
    assert response["whatif-notice"] is None
    assert "(10% per fifth)" in text(response["whatif-summary"])
    assert call(20, triggered=None)["whatif-notice"] is no_update  # the page's notice about its link stays

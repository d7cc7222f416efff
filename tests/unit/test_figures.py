"""Figures built from small synthetic tables: traces, units, text alternatives, payload size."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.io.json import to_json_plotly

from dashboard.data import aggregates
from dashboard.figures import (
    AREA_TRACE,
    HIGHLIGHT_TRACE,
    MARMOT_TRACE,
    PRACTICE_TRACE,
    SELECTED_TRACE,
    choropleth_map,
    component_bars,
    deprivation_bars,
    deprivation_scatter,
    palette,
    practice_points,
    trend_lines,
)
from dashboard.figures import map as map_module
from dashboard.figures.scatter import NAMED_POINTS_LIMIT


def practices(rows) -> pd.DataFrame:
    """Minimal practice rows: (code, quintile, dispensing, registered, weighted, total, imd, year)."""
    records = []
    for code, quintile, dispensing, registered, weighted, total, imd, year in rows:
        records.append({
            "year": year, "practice_code": code, "practice_name": f"Practice {code}", "dispensing": dispensing,
            "registered_patients": float(registered), "weighted_patients": float(weighted),
            "total_payments": float(total), "total_incl_covid_pcn": float(total),
            "pay_core": 0.7 * total, "pay_qof": 0.1 * total, "pay_enhanced": 0.1 * total, "pay_premises": 0.0,
            "pay_prescribing_dispensing": 0.1 * total, "pay_dispensing_fee": 0.04 * total, "pay_other": 0.0, "pay_covid": 0.0, "pay_pcn": 0.0,
            "imd_quintile": quintile, "imd_decile": None if quintile is None else 2 * quintile,
            "imd_score": imd, "life_expectancy_female": np.nan, "life_expectancy_male": np.nan,
            "lon": -1.5, "lat": 52.5})
    out = pd.DataFrame(records)
    out["imd_quintile"] = out["imd_quintile"].astype("Int64")
    out["imd_decile"] = out["imd_decile"].astype("Int64")
    return out


@pytest.fixture
def sample():
    return practices([
        ("A", 1, "No", 1000, 1000, 150_000, 45.0, "2022-23"),
        ("B", 1, "Yes", 2000, 1000, 250_000, 40.0, "2022-23"),
        ("C", 5, "No", 1000, 2000, 300_000, 8.0, "2022-23"),
        ("D", 3, "No", 1500, 1500, 240_000, 20.0, "2022-23"),
        ("A", 1, "No", 1000, 1000, 120_000, 45.0, "2021-22"),
        ("C", 5, "No", 1000, 2000, 280_000, 8.0, "2021-22"),
    ])


def latest(frame):
    return frame[frame["year"] == "2022-23"]


def alt(fig: go.Figure) -> str:
    return fig.layout.meta["alt"]


def test_deprivation_bars(sample):
    said = "Using England-wide fifths of patients, practices serving the most deprived fifth received £200.00."
    fig = deprivation_bars(aggregates.by_deprivation(latest(sample)), sentence=said,
                           basis="England-wide fifths of patients")
    assert [t.name for t in fig.data] == ["All practices", "Dispensing", "Non-dispensing"]
    assert all(t.type == "bar" for t in fig.data) and fig.layout.barmode == "group"
    assert list(fig.data[0].x) == ["1 (most deprived)", "2", "3", "4", "5 (least deprived)"]
    assert fig.data[0].y[0] == pytest.approx(200.0) and fig.data[0].y[4] == pytest.approx(150.0)
    assert list(fig.data[0].text) == ["n=2", "", "n=1", "", "n=1"]
    assert "£" in fig.layout.yaxis.title.text and "weighted patient" in fig.layout.yaxis.title.text
    assert alt(fig).endswith(said)  # the engine's sentence, not a second wording of it
    assert "England-wide fifths of patients" in fig.layout.xaxis.title.text
    assert fig.layout.title.text is None
    assert len({t.marker.pattern.shape for t in fig.data}) == 3  # not colour alone
    assert "£%{y:,.2f}" in fig.data[0].hovertemplate


def test_deprivation_bars_deciles(sample):
    fig = deprivation_bars(aggregates.by_deprivation(latest(sample), band="decile"), band_label="decile",
                           basis="England-wide tenths of practices")
    assert fig.data[0].x[-1] == "10 (least deprived)" and len(fig.data[0].x) == 10
    assert "tenths of practices" in alt(fig) and "tenth" in fig.layout.xaxis.title.text
    assert "tenths of practices" in fig.layout.xaxis.title.text


def test_deprivation_bars_thousands_separator():
    rows = practices([(f"P{i}", 1, "No", 1000, 1000, 100_000, 40.0, "2022-23") for i in range(1234)])
    fig = deprivation_bars(aggregates.by_deprivation(rows))
    assert fig.data[0].text[0] == "n=1,234"


def test_scatter(sample):
    frame = aggregates.scatter_frame(latest(sample))
    fit = aggregates.fit_line(frame["imd_score"], frame["y"], frame["registered_patients"])
    fig = deprivation_scatter(frame, fit, "Payments per weighted patient (£)")
    names = [t.name for t in fig.data]
    assert names == ["Non-dispensing", "Dispensing", "Fitted line (weighted by list size)"]
    assert fig.data[0].type == "scattergl" and fig.data[0].marker.symbol != fig.data[1].marker.symbol
    assert fig.layout.yaxis.title.text == "Payments per weighted patient (£)"
    assert "IMD score" in fig.layout.xaxis.title.text
    note = fig.layout.annotations[0].text
    assert "R²" in note and f"£{abs(fit['slope']):,.2f}" in note
    assert "4 practices" in alt(fig)
    line = fig.data[2]
    assert line.y[0] == pytest.approx(fit["intercept"] + fit["slope"] * 8.0, abs=1e-3)


def test_scatter_known_slope():
    x = np.linspace(5, 60, 60)
    frame = pd.DataFrame({"practice_code": [f"P{i}" for i in range(60)], "practice_name": "x", "imd_score": x,
                          "y": 100 + 2 * x, "registered_patients": 5000.0, "dispensing": "No"})
    frame.attrs["metric_id"] = "payments_per_weighted_patient"
    fit = aggregates.fit_line(frame["imd_score"], frame["y"], frame["registered_patients"])
    fig = deprivation_scatter(frame, fit, None)
    assert "+£2.00 per weighted patient per IMD point" in fig.layout.annotations[0].text
    assert "R² = 1.00" in fig.layout.annotations[0].text
    assert "rises by £2.00" in alt(fig) and "60 practices" in alt(fig)


def test_trend(sample):
    table = aggregates.trend_by_quintile(sample, "payments_per_weighted_patient")
    fig = trend_lines(table)
    assert [t.name for t in fig.data] == ["Quintile 1 (most deprived)", "Quintile 3", "Quintile 5 (least deprived)"]
    assert len({t.marker.symbol for t in fig.data}) == 3
    assert "cash terms" in fig.layout.yaxis.title.text and "£" in fig.layout.yaxis.title.text
    assert list(fig.data[0].x) == ["2021-22", "2022-23"] and list(fig.data[0].y) == pytest.approx([120, 200])
    assert "£120.00 to £200.00" in alt(fig) and "£140.00 to £150.00" in alt(fig)


def test_components(sample):
    table = aggregates.components_by_quintile(latest(sample))
    fig = component_bars(table)
    assert [t.name for t in fig.data] == list(aggregates.COMPONENTS.values())
    assert fig.layout.barmode == "relative"
    stacked = sum(np.nan_to_num(np.asarray(t.y, dtype=float)) for t in fig.data)
    assert stacked[0] == pytest.approx(200.0) and stacked[4] == pytest.approx(150.0)
    assert "£200.00" in alt(fig) and "£140.00" in alt(fig)  # 0.7 × £200 is global sum and core
    assert "£" in fig.layout.yaxis.title.text
    assert len({t.marker.pattern.shape for t in fig.data}) == 8


def area_inputs(n=300):
    codes = [f"E{6000001 + i:08d}" for i in range(n)]
    names = [f"Borough of Somewhere {i}" for i in range(n)]
    values = list(np.linspace(120.123456, 240.987654, n))
    values[5] = np.nan
    return codes, values, names


def test_choropleth_uses_url_and_fixed_traces():
    codes, values, names = area_inputs()
    fig = choropleth_map("la", codes, values, names, "payments_per_weighted_patient", "2022-23", "/geo/la.geojson",
                         marmot_outline_url="/geo/marmot.geojson", selected=codes[3],
                         marmot_codes=["marmot:coventry", "marmot:luton"])
    assert (AREA_TRACE, MARMOT_TRACE, SELECTED_TRACE, PRACTICE_TRACE) == (0, 1, 2, 3)
    assert [t.type for t in fig.data] == ["choroplethmap"] * 3 + ["scattermap"] * 2
    assert fig.data[HIGHLIGHT_TRACE].name == "Chosen practice"
    area = fig.data[AREA_TRACE]
    assert area.geojson == "/geo/la.geojson" and area.featureidkey == "id"
    assert list(area.locations) == codes and area.z[5] is None and area.z[0] == pytest.approx(120.12)
    assert fig.data[MARMOT_TRACE].geojson == "/geo/marmot.geojson"
    assert list(fig.data[MARMOT_TRACE].locations) == ["marmot:coventry", "marmot:luton"]
    assert fig.data[MARMOT_TRACE].visible is True
    assert list(fig.data[SELECTED_TRACE].locations) == [codes[3]]
    assert fig.data[SELECTED_TRACE].marker.line.width > fig.data[MARMOT_TRACE].marker.line.width
    assert fig.data[PRACTICE_TRACE].name == "Practices" and len(fig.data[PRACTICE_TRACE].lon) == 0
    assert fig.layout.map.style == "white-bg"
    assert fig.layout.map.center.lat == 52.7 and fig.layout.map.center.lon == -1.5
    assert 5 <= fig.layout.map.zoom <= 5.5 and fig.layout.uirevision
    title = area.colorbar.title.text
    assert "Payments per weighted" in title and "£" in title and "2022-23" in title
    payload = fig.to_json()
    assert "coordinates" not in payload
    assert len(payload.encode()) < 20_000, len(payload.encode())
    assert "300 local authorities" in alt(fig) and "£120.12" in alt(fig) and "£240.99" in alt(fig)
    assert "1 without data" in alt(fig)


def test_choropleth_without_marmot_or_selection_keeps_order():
    codes, values, names = area_inputs(10)
    fig = choropleth_map("icb", codes, values, names, "payments_per_weighted_patient", "2022-23", "/geo/icb.geojson")
    assert len(fig.data) == 5 and fig.data[MARMOT_TRACE].visible is False
    assert len(fig.data[SELECTED_TRACE].locations) == 0


def test_traces_with_nothing_to_draw_are_hidden_until_a_patch_fills_them():
    """maplibre builds no layers (and compiles no shaders) for hidden traces before the first map."""
    codes, values, names = area_inputs(10)
    fig = choropleth_map("la", codes, values, names, "payments_per_weighted_patient", "2022-23", "/geo/la.geojson")
    assert [fig.data[i].visible for i in (AREA_TRACE, SELECTED_TRACE, PRACTICE_TRACE, HIGHLIGHT_TRACE)] == [
        None, False, False, False]
    chosen = choropleth_map("la", codes, values, names, "payments_per_weighted_patient", "2022-23",
                            "/geo/la.geojson", selected=codes[0])
    assert chosen.data[SELECTED_TRACE].visible is True
    rows = practices([("A1", 1, "No", 10_000, 8000, 1_200_000, 45.0, "2022-23")])
    assert practice_points(rows)["visible"] is True and map_module.no_points()["visible"] is False
    assert map_module.highlight_point({"lon": -1.5, "lat": 52.4, "practice_code": "A1"})["visible"] is True
    assert map_module.highlight_point(None)["visible"] is False


def test_choropleth_gap_metric_is_diverging_and_centred():
    codes, values, names = area_inputs(30)
    values = list(np.linspace(-3, 2, 30))
    fig = choropleth_map("la", codes, values, names, "life_expectancy_gap_female", "2022-23", "/geo/la.geojson")
    area = fig.data[AREA_TRACE]
    assert area.zmid == 0 and area.zmin == -area.zmax
    colours = [c for _, c in area.colorscale]
    assert colours[0].lower() == palette.DIVERGING[0][1] and colours[-1].lower() == palette.DIVERGING[-1][1]
    assert "years" in area.colorbar.title.text


def test_practice_points():
    frame = practices([("A", 1, "No", 10_000, 8000, 1_200_000, 45.0, "2022-23"),
                       ("B", 5, "Yes", 40_000, 40_000, 6_000_000, 8.0, "2022-23"),
                       ("C", None, "Unknown", 0, 0, 1000, np.nan, "2022-23"),
                       ("D", 3, "No", 90_000, 90_000, 1, 20.0, "2022-23")])
    frame.loc[3, "lon"] = np.nan  # not located: dropped
    points = practice_points(frame)
    assert len(points["lon"]) == 3 and points["text"] == ["Practice A", "Practice B", "Practice C"]
    sizes = points["marker"]["size"]
    assert sizes == pytest.approx([8.5, 14.0, 3.0])  # 3 + 11·√(patients / 40,000)
    assert all(3 <= s <= 14 for s in sizes)
    colours = points["marker"]["color"]
    assert colours == [palette.MAP_DISPENSING_COLOURS[s] for s in ("No", "Yes", "Unknown")]
    assert set(colours) <= set(palette.OKABE_ITO.values())
    assert points["customdata"][0] == ["A", "10,000", "£150.00", "2", "Non-dispensing"]
    assert points["customdata"][2][2:4] == ["n/a", "n/a"]
    assert points["hovertemplate"] == map_module.PRACTICE_HOVER
    json.dumps(points)  # plain JSON for a dash.Patch
    fig = choropleth_map("la", ["E06000001"], [1.0], ["X"], "payments_per_weighted_patient", "2022-23", "/g.json")
    fig.data[PRACTICE_TRACE].update(points)
    assert len(fig.data[PRACTICE_TRACE].lat) == 3


def test_palette_is_colour_blind_safe():
    assert len(set(palette.CATEGORICAL)) == 8 and set(palette.CATEGORICAL) == set(palette.OKABE_ITO.values())
    assert palette.SEQUENTIAL.lower() in ("cividis", "viridis")
    assert "rdbu" not in json.dumps(palette.DIVERGING).lower()
    assert set(palette.QUINTILE_COLOURS) == {1, 2, 3, 4, 5}


def test_every_figure_has_alt_and_small_template(sample):
    figures = [
        deprivation_bars(aggregates.by_deprivation(latest(sample))),
        trend_lines(aggregates.trend_by_quintile(sample, "payments_per_weighted_patient")),
        component_bars(aggregates.components_by_quintile(latest(sample))),
    ]
    for fig in figures:
        assert alt(fig).endswith(".") and any(ch.isdigit() for ch in alt(fig))
        assert fig.layout.uirevision
        assert len(fig.to_json()) < 15_000


def test_area_values_carry_no_geometry():
    from dashboard.figures.map import area_values

    update = area_values("la", ["E1", "E2"], [1.234, 5.0], ["A", "B"], "payments_per_weighted_patient", "2022-23",
                         "/geo/la.geojson")
    assert update["geojson"] == "/geo/la.geojson" and update["locations"] == ["E1", "E2"]
    assert update["z"] == [1.23, 5.0] and "2022-23" in update["colorbar_title"]
    assert len(str(update)) < 2000


def big_scatter_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"practice_code": [f"P{i:05d}" for i in range(n)], "practice_name": "Surgery",
                          "imd_score": rng.random(n) * 60, "y": 150 + rng.standard_normal(n) * 20,
                          "registered_patients": 5000.0, "dispensing": rng.choice(["No", "Yes"], n)})
    frame.attrs["metric_id"] = "payments_per_weighted_patient"
    return frame


def test_scatter_points_in_imd_order_and_every_point_drawn_once():
    frame = big_scatter_frame(300)
    fig = deprivation_scatter(frame, aggregates.fit_line(frame["imd_score"], frame["y"]), None)
    points = [t for t in fig.data if t.type == "scattergl"]
    assert sum(len(t.x) for t in points) == 300
    for trace in points:
        assert list(trace.x) == sorted(trace.x)  # sorted x compresses to a tenth
        assert all(text.startswith("Surgery (P") for text in trace.text)  # small selections name practices


def test_large_scatter_sends_no_names_and_says_so():
    limit = NAMED_POINTS_LIMIT
    frame = big_scatter_frame(limit + 1)
    fig = deprivation_scatter(frame, aggregates.fit_line(frame["imd_score"], frame["y"]), None)
    points = [t for t in fig.data if t.type == "scattergl"]
    assert all(t.text is None and t.customdata is None for t in points)
    assert all("%{text}" not in t.hovertemplate for t in points)
    assert f"{limit:,} practices or fewer" in alt(fig)
    assert len(to_json_plotly(fig)) < 40 * (limit + 1)  # about 25 bytes a point: x, y and commas


def test_unvalidated_figures_serialise_like_validated_ones(sample, monkeypatch):
    """The app builds figures unchecked; what reaches the browser must be the same."""
    table = aggregates.by_deprivation(latest(sample))
    checked = deprivation_bars(table).to_plotly_json()
    monkeypatch.setattr(palette, "VALIDATE_FIGURES", False)
    unchecked = deprivation_bars(table).to_plotly_json()
    assert json.loads(to_json_plotly(checked)) == json.loads(to_json_plotly(unchecked))


def test_figure_json_is_to_plotly_json_without_the_copy():
    """The charts' callbacks send palette.figure_json(figure); it must equal what plotly itself would send."""
    frame = practices([("A", 1, "No", 10_000, 8000, 1_200_000, 45.0, "2022-23"),
                       ("B", 5, "Yes", 40_000, 40_000, 6_000_000, 8.0, "2022-23")])
    figure = deprivation_scatter(aggregates.scatter_frame(frame, y="payments_per_weighted_patient"), None,
                                 metric_id="payments_per_weighted_patient", no_fit="two practices")
    expected = json.loads(to_json_plotly(figure.to_plotly_json()))
    assert json.loads(to_json_plotly(palette.figure_json(figure))) == expected
    bars = go.Figure(go.Bar(x=[1, 2], y=[3, 4]), frames=[go.Frame(data=[go.Bar(x=[1], y=[2])])])
    assert palette.figure_json(bars) == bars.to_plotly_json()  # frames: plotly's own copy

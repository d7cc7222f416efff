"""The naive baseline: the dashboard as most people would first write it.

A Plotly Express choropleth that embeds the full-resolution boundaries
(../shared/data/boundaries/boundaries_ltla24.geojson, not simplified) in every figure, and one
callback that filters and aggregates the whole practice table again on every interaction. It is
here only so the benchmark can say how far the real app is from the obvious approach; nothing in
the app imports it.

    python -m bench.naive_app [--port 8060]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import dash
import pandas as pd
import plotly.express as px
from dash import Input, Output, dcc, html

from dashboard import config

LEVELS = {
    "la": ("la_code", "boundaries_ltla24.geojson", "properties.ltla24_code", "ltla24_name"),
    "icb": ("icb_code", "boundaries_icb22.geojson", "properties.icb22_code", "icb22_name"),
}
# The same definitions as dashboard/metrics.py, written out the obvious way.
METRICS = {
    "payments_per_weighted_patient": ("Payments per weighted patient", "total_payments", "weighted_patients"),
    "payments_per_registered_patient": ("Payments per registered patient", "total_payments",
                                        "registered_patients"),
    "total_payments": ("Total payments", "total_payments", None),
    "life_expectancy_female": ("Life expectancy, female", "life_expectancy_female", "weighted mean"),
    "life_expectancy_male": ("Life expectancy, male", "life_expectancy_male", "weighted mean"),
}


def compute(frame: pd.DataFrame, by: str, metric: str) -> pd.DataFrame:
    _, column, denominator = METRICS[metric]
    if denominator == "weighted mean":
        has = frame[column].notna()
        frame = frame.assign(_x=(frame[column] * frame["registered_patients"]).where(has, 0),
                             _w=frame["registered_patients"].where(has, 0))
        sums = frame.groupby(by, observed=True)[["_x", "_w"]].sum()
        sums["value"] = sums["_x"] / sums["_w"]
    else:
        sums = frame.groupby(by, observed=True)[[column] + ([denominator] if denominator else [])].sum()
        sums["value"] = sums[column] / sums[denominator] if denominator else sums[column]
    return sums.reset_index()


def create_app(processed_dir: str | None = None, raw_dir: str | None = None) -> dash.Dash:
    processed = Path(processed_dir or config.processed_dir())
    boundaries = Path(raw_dir or config.raw_dir()) / "boundaries"
    practices = pd.read_parquet(processed / "practices.parquet")
    geojson = {level: json.loads((boundaries / file).read_text(encoding="utf-8"))
               for level, (_, file, _, _) in LEVELS.items()}
    names = {level: {f["properties"][key.removeprefix("properties.")]: f["properties"][name]
                     for f in geojson[level]["features"]} for level, (_, _, key, name) in LEVELS.items()}
    years = sorted(practices["year"].unique())

    app = dash.Dash(__name__, title="Naive baseline", compress=True)  # fair: compressed like ours
    app.layout = html.Div([
        html.H1("NHS payments to general practice (naive baseline)"),
        html.Label("Year", htmlFor="n-year"),
        dcc.Dropdown(id="n-year", options=years[::-1], value=years[-1], clearable=False),
        dcc.RadioItems(id="n-level", options=[{"label": "Local authority", "value": "la"},
                                              {"label": "Integrated Care Board", "value": "icb"}], value="la"),
        html.Label("Measure", htmlFor="n-metric"),
        dcc.Dropdown(id="n-metric", options=[{"label": label, "value": key} for key, (label, _, _) in METRICS.items()],
                     value="payments_per_weighted_patient", clearable=False),
        dcc.Checklist(id="n-rurality", options=["Urban", "Rural", "Unknown"], value=[], inline=True),
        dcc.Graph(id="n-map", style={"height": "620px"}),
        dcc.Graph(id="n-bars"),
    ])

    @app.callback(Output("n-map", "figure"), Output("n-bars", "figure"), Input("n-year", "value"),
                  Input("n-level", "value"), Input("n-metric", "value"), Input("n-rurality", "value"),
                  Input("n-map", "clickData"))
    def update(year, level, metric, rurality, click):
        column, _, key, _ = LEVELS[level]
        frame = practices[practices["year"] == year]
        if rurality:
            frame = frame[frame["rurality"].isin(rurality)]
        areas = compute(frame, column, metric)
        areas["name"] = areas[column].map(names[level])
        label = METRICS[metric][0]
        fig = px.choropleth_map(areas, geojson=geojson[level], locations=column, featureidkey=key, color="value",
                                hover_name="name", labels={"value": label}, color_continuous_scale="Viridis",
                                map_style="white-bg", center={"lat": 52.7, "lon": -1.5}, zoom=5.2)
        fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
        if click and click.get("points") and dash.ctx.triggered_id == "n-map":
            frame = frame[frame[column] == click["points"][0].get("location")]
        bands = compute(frame.dropna(subset=["imd_quintile"]), "imd_quintile", metric)
        bars = px.bar(bands, x="imd_quintile", y="value", labels={"imd_quintile": "Deprivation fifth",
                                                                   "value": label})
        return fig, bars

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.naive_app")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8060)
    args = parser.parse_args(argv)
    create_app().run(host=args.host, port=args.port)


def __getattr__(name: str):
    """`bench.naive_app:server` for gunicorn, built on first use."""
    if name == "server":
        global _app
        if _app is None:
            _app = create_app()
        return _app.server
    raise AttributeError(name)


_app = None


if __name__ == "__main__":
    main()

"""/compare?areas=A,B,C&imd=2025: two to four places side by side on the same measures, shareable as a link.

`imd` chooses the deprivation edition (2019 or 2025) of the area statistics: one edition at a time, so
no ranking on the page mixes them.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import area_metrics, boundary, inequality
from dashboard.components.downloads_section import downloads_section
from dashboard.data import profiles
from dashboard.data.query import load_atlas
from dashboard.figures import palette
from dashboard.metrics import REGISTRY, denominator_definition
from dashboard.pages import route
from dashboard.pages.area import requested_fifths
from dashboard.state import FIFTHS, FIFTHS_CHOICES, shorten

MAX_AREAS = 4
IMD_DEFAULT = "2025"


def parse_edition(search: str) -> tuple[str, list[str]]:
    raw = (parse_qs((search or "").lstrip("?")).get("imd") or [""])[-1]
    if not raw or raw in area_metrics.IMD_EDITIONS:
        return raw or IMD_DEFAULT, []
    return IMD_DEFAULT, [f"There is no IMD edition “{shorten(raw)}”; showing IMD {IMD_DEFAULT}."]


def parse_areas(search: str, atlas) -> tuple[list[str], list[str]]:
    raw = (parse_qs((search or "").lstrip("?")).get("areas") or [""])[-1]
    codes, notices = [], []
    for code in [c.strip() for c in raw.split(",") if c.strip()][:10]:
        if atlas.area(code) is None:
            notices.append(f"We could not find an area with the code “{shorten(code)}”.")
        elif code not in codes:
            codes.append(code)
    if len(codes) > MAX_AREAS:
        notices.append(f"Only the first {MAX_AREAS} areas are compared.")
        codes = codes[:MAX_AREAS]
    return codes, notices


def area_options(atlas) -> list[dict]:
    areas = atlas.areas[atlas.areas["level"] != "country"].sort_values(["level", "name"])
    return [{"label": f"{r.name} ({profiles.LEVEL_NAMES[r.level]})", "value": r.code} for r in areas.itertuples()]


@route("/compare", "Compare areas · Equity Atlas")
def layout(search: str = "", **_params):
    atlas = load_atlas()
    codes, notices = parse_areas(search, atlas)
    edition, problems = parse_edition(search)
    notices += problems
    fifths, fifths_problem = requested_fifths(search)
    notices += [fifths_problem] if fifths_problem else []
    return html.Div(className="compare-page", children=[
        dcc.Location(id="compare-url", refresh="callback-nav"),
        html.H1("Compare areas"),
        html.Div(role="status", children=html.Div(html.Ul([html.Li(n) for n in notices]), className="notice")
                 if notices else None),
        html.Div(className="control", children=[
            html.Label("Areas to compare (two to four)", htmlFor="compare-areas", className="control-label"),
            dcc.Dropdown(id="compare-areas", options=area_options(atlas), value=codes, multi=True,
                         placeholder="Choose areas, e.g. Coventry and Luton"),
        ]),
        html.Fieldset(className="control", children=[
            html.Legend("Deprivation edition (area statistics)", className="control-label"),
            dcc.RadioItems(id="compare-imd", value=edition, className="radio", inputClassName="radio-input",
                           labelClassName="radio-label", inline=True,
                           options=[{"label": f"IMD {e}", "value": e} for e in reversed(area_metrics.IMD_EDITIONS)]),
        ]),
        html.Fieldset(className="control", children=[
            html.Legend("Each area's deprivation fifths formed from", className="control-label"),
            dcc.RadioItems(id="compare-fifths", value=fifths, className="radio", inputClassName="radio-input",
                           labelClassName="radio-label", inline=True,
                           options=[{"label": label, "value": key} for key, label in FIFTHS_CHOICES.items()]),
        ]),
        html.Div(id="compare-body", children=compare_body(atlas, codes, edition, fifths)),
        downloads_section("compare", "Take this comparison with you",
                          [("compare-download-csv", "Download comparison (CSV)")],
                          "The file carries its sources, the areas and year compared, the date made and the Open "
                          "Government Licence attribution."),
    ])


def compare_query(codes: list[str], edition: str, fifths: str = FIFTHS[0]) -> str:
    pairs = ([f"areas={','.join(codes)}"] if codes else []) + ([f"imd={edition}"] if edition != IMD_DEFAULT else []) \
        + ([f"fifths={fifths}"] if fifths != FIFTHS[0] else [])
    return "?" + "&".join(pairs) if pairs else ""


def lens_comparison(atlas, codes: list[str], names: list[str], edition: str) -> list:
    """Deprivation (one edition) and who lives there (Census 2021) for each area, beside England."""
    tables = [profiles.lens_table(atlas, code, ("deprivation", "ethnicity"), (edition, area_metrics.CENSUS))
              for code in codes]
    england = profiles.lens_table(atlas, "E92000001", ("deprivation", "ethnicity"), (edition, area_metrics.CENSUS))
    keys = [m.key for m in area_metrics.AREA_MEASURES if m.group in ("deprivation", "ethnicity")
            and m.edition in (edition, area_metrics.CENSUS) and any(
                ((t["measure"] == m.id) & (t["edition"] == m.edition)).any() for t in tables)]
    blocks = []
    for group in ("deprivation", "ethnicity"):
        rows = []
        for key in keys:
            measure = area_metrics.AREA_MEASURE[key]
            if measure.group != group:
                continue
            cells = [html.Th(measure.label, scope="row")]
            for table in tables:
                hit = table[(table["measure"] == key[0]) & (table["edition"] == key[1])]
                cells.append(html.Td("n/a" if hit.empty else hit["shown"].iloc[0] + (
                    f"; {hit['rank_text'].iloc[0]}" if hit["rank_text"].iloc[0] else "")))
            hit = england[(england["measure"] == key[0]) & (england["edition"] == key[1])]
            cells.append(html.Td("" if hit.empty else hit["shown"].iloc[0]))
            rows.append(html.Tr(cells))
        if not rows:
            continue
        edition_text = area_metrics.AREA_MEASURE[next(k for k in keys if area_metrics.AREA_MEASURE[k].group == group)
                                                 ].edition_text(atlas.manifest)
        heading = (f"Deprivation of each area ({edition_text})" if group == "deprivation"
                   else f"Who lives there: ethnic group ({edition_text})")
        note = ("Rank 1 is the most deprived; areas are ranked among areas of the same kind, within this edition "
                "only. English Indices of Deprivation, MHCLG." if group == "deprivation" else
                area_metrics.RESIDENTS_NOT_PATIENTS + " ONS Census 2021, TS021.")
        blocks += [html.H2(heading), html.P(note, className="control-hint"),
                   html.Table(className="data-table", id=f"compare-{group}", children=[
                       html.Caption(heading),
                       html.Thead(html.Tr([html.Th("Measure", scope="col"),
                                           *[html.Th(n, scope="col") for n in names], html.Th("England", scope="col")])),
                       html.Tbody(rows)])]
    return blocks


def compare_body(atlas, codes: list[str], edition: str = IMD_DEFAULT, fifths: str = FIFTHS[0]) -> list:
    if len(codes) < 2:
        return [html.P("Choose at least two areas to compare them side by side.", className="lede")]
    year = atlas.latest_year
    data = [profiles.profile(atlas, code, year) for code in codes]
    header = [html.Th("Measure", scope="col")] + [html.Th(d["name"], scope="col") for d in data] + [
        html.Th("England", scope="col")]
    rows = []
    for metric_id in profiles.PROFILE_METRICS:
        metric = REGISTRY[metric_id]
        rows.append(html.Tr([html.Th(metric.label, scope="row")]
                            + [html.Td(metric.format(d["values"][metric_id])) for d in data]
                            + [html.Td(metric.format(data[0]["england"][metric_id]))]))
    trends = [profiles.trend(atlas, code) for code in codes]
    trend_fig = trend_comparison([d["name"] for d in data], trends)
    # Each area's own fifths: the comparison its profile page and briefing state, in their words.
    gaps = [html.Li(inequality.sentence(profiles.payment_gap(profiles.area_practices(atlas, code, year), d["name"],
                                                             fifths_of=fifths)))
            for d, code in zip(data, codes, strict=True)]
    return [
        html.Table(className="data-table", id="compare-table", children=[
            html.Caption(f"{year}"), html.Thead(html.Tr(header)), html.Tbody(rows)]),
        html.P(denominator_definition("payments_per_weighted_patient"), className="control-hint",
               id="compare-definition"),
        *lens_comparison(atlas, codes, [d["name"] for d in data], edition),
        html.H2("Every year"),
        html.P(trend_fig.layout.meta["alt"], className="chart-alt"),
        html.P(denominator_definition("payments_per_weighted_patient"), className="control-hint"),
        dcc.Graph(id="compare-trend", figure=trend_fig, config={"displaylogo": False}),
        html.H2("Across each area's own deprivation gradient"),
        html.P(f"Each area's own {inequality.basis_text('area', fifths, 5, 'the area')}, ranked by the "
               "deprivation of their practices' patients, as on each area's page.", className="control-hint",
               id="compare-fifths-basis"),
        html.Ul(gaps),
        html.P(dcc.Link("Share this comparison: copy the address bar", href=f"/compare{compare_query(codes, edition)}")),
    ]


def trend_comparison(names: list[str], trends: list[pd.DataFrame]):
    import plotly.graph_objects as go

    metric = REGISTRY["payments_per_weighted_patient"]
    fig = go.Figure()
    symbols = ["circle", "square", "diamond", "triangle-up"]
    for index, (name, table) in enumerate(zip(names, trends, strict=True)):
        fig.add_scatter(x=table["year"], y=table["area"], name=name, mode="lines+markers",
                        line={"color": palette.CATEGORICAL[index], "width": 3},
                        marker={"symbol": symbols[index], "size": 8})
    fig.add_scatter(x=trends[0]["year"], y=trends[0]["england"], name="England", mode="lines",
                    line={"color": palette.GREY, "dash": "dash"})
    fig.update_layout(template=palette.TEMPLATE, height=360, margin={"l": 60, "r": 10, "t": 20, "b": 60},
                      yaxis_title=palette.axis_title("payments_per_weighted_patient", "cash terms", wrap=28),
                      legend={"orientation": "h", "y": -0.25})
    fig.layout.meta = {"alt": "Payments per weighted patient each year: " + "; ".join(
        f"{n} {metric.format(t['area'].iloc[0])} to {metric.format(t['area'].iloc[-1])}" for n, t in
        zip(names, trends, strict=True)) + f"; England {metric.format(trends[0]['england'].iloc[-1])} in the latest year."}
    return fig


def comparison_table(atlas, codes: list[str], year: str) -> pd.DataFrame:
    """The page's table as numbers: one row per measure, its unit, each area and England, rounded as shown,
    then each area's payments per weighted patient every year (what the trend chart draws)."""
    from dashboard import downloads

    data = [profiles.profile(atlas, code, year) for code in codes]
    rows = []
    for metric_id in profiles.PROFILE_METRICS:
        metric = REGISTRY[metric_id]
        places = downloads.shown_decimals(metric.unit, metric.decimals)
        row = {"Measure": f"{metric.label}, {year}", "Unit": downloads.unit_words(metric.unit)}
        row.update({f"{d['name']} ({code})": _rounded(d["values"][metric_id], places) for d, code in zip(
            data, codes, strict=True)})
        row["England"] = _rounded(data[0]["england"][metric_id], places)
        rows.append(row)
    trends = [profiles.trend(atlas, code) for code in codes]
    for index, year_label in enumerate(trends[0]["year"] if trends else []):
        row = {"Measure": f"Payments per weighted patient, {year_label} (cash terms)", "Unit": "£"}
        for d, code, trend in zip(data, codes, trends, strict=True):
            match = trend[trend["year"] == year_label]["area"]
            row[f"{d['name']} ({code})"] = _rounded(match.iloc[0], 2) if len(match) else None
        row["England"] = _rounded(trends[0]["england"].iloc[index], 2)
        rows.append(row)
    return pd.DataFrame(rows)


def _rounded(value, places: int):
    value = pd.to_numeric(value, errors="coerce")
    return None if pd.isna(value) else round(float(value), places)


AREAS_RULE = boundary.area_codes(max_items=100)  # one rule per input, shared by both callbacks


@boundary.accepts({"compare-download-csv.n_clicks": boundary.n_clicks, "compare-areas.value": AREAS_RULE})
@callback(Output("compare-download", "data"), Input("compare-download-csv", "n_clicks"),
          State("compare-areas", "value"), prevent_initial_call=True)
def download(clicks, codes):
    """The comparison as a CSV with the same provenance header as every other download."""
    from datetime import datetime

    from dashboard import downloads

    atlas = load_atlas()
    codes = [c for c in (codes or []) if atlas.area(c) is not None][:MAX_AREAS]
    if not clicks or len(codes) < 2:
        return no_update
    year = atlas.latest_year
    names = [atlas.area(c)["name"] for c in codes]
    provenance = downloads.provenance_lines(
        [f"Areas compared: {', '.join(f'{n} ({c})' for n, c in zip(names, codes, strict=True))}", f"Year: {year}"],
        datetime.now(), atlas.manifest)
    return dcc.send_bytes(downloads.table_csv(comparison_table(atlas, codes, year), provenance),
                          downloads.safe_filename(f"equity-atlas-compare-{'-'.join(names)}-{year}", "csv"))


@boundary.accepts({"compare-areas.value": AREAS_RULE, "compare-url.search": boundary.query,
                   "compare-imd.value": boundary.one_of(area_metrics.IMD_EDITIONS),
                   "compare-fifths.value": boundary.one_of(FIFTHS)})
@callback(Output("compare-body", "children"), Output("compare-url", "search"), Input("compare-areas", "value"),
          Input("compare-imd", "value"), Input("compare-fifths", "value"), State("compare-url", "search"),
          prevent_initial_call=True)
def choose(codes, edition, fifths, search):
    atlas = load_atlas()
    codes = [c for c in (codes or []) if atlas.area(c) is not None][:MAX_AREAS]
    edition = edition if edition in area_metrics.IMD_EDITIONS else IMD_DEFAULT
    fifths = fifths if fifths in FIFTHS else FIFTHS[0]
    query = compare_query(codes, edition, fifths)
    if query == (search or ""):
        return no_update, no_update
    return compare_body(atlas, codes, edition, fifths), query

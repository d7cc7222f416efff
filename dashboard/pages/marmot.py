"""/marmot: every Marmot Place, how each has fared, and all of them together against the rest of England."""

from __future__ import annotations

from dash import Input, Output, callback, ctx, dcc, html, no_update

from dashboard import boundary, metrics
from dashboard.components.downloads_section import downloads_section
from dashboard.data import profiles
from dashboard.data.query import load_atlas
from dashboard.figures import marmot as marmot_figures
from dashboard.metrics import REGISTRY
from dashboard.pages import route

TOGETHER_METRICS = ["payments_per_weighted_patient", "payments_per_weighted_patient_excl_prescribing",
                    "life_expectancy_female", "life_expectancy_male", "practice_imd_score"]


def together_table(atlas):
    """Per year: Marmot Places together (any member authority) against the rest of England."""
    import pandas as pd

    members = set(atlas.marmot_members["la_code"])
    rows = []
    for year in atlas.years:
        practices = atlas.year_practices(year)
        inside = practices["la_code"].isin(members)
        england = atlas.england_sums(year)
        row = {"year": year}
        for metric_id in TOGETHER_METRICS:
            for key, part in (("marmot", practices[inside]), ("rest", practices[~inside])):
                row[f"{metric_id}:{key}"] = float(metrics.compute(metric_id, metrics.group_sums(part, None),
                                                                  england).iloc[0])
        rows.append(row)
    return pd.DataFrame(rows)


@route("/marmot", "Marmot Places · Equity Atlas")
def layout(search: str = "", **_params):
    atlas = load_atlas()
    places = atlas.marmot_places.sort_values(["year_joined", "name"])
    names = atlas.area_by_code["name"].to_dict()
    member_lists = atlas.marmot_members.groupby("slug")["la_code"].apply(list).to_dict()
    rows = []
    for place in places.itertuples():
        members = member_lists.get(place.slug, [])
        member_cell = ([dcc.Link(names.get(c, c), href=f"/area/{c}") for c in members] if members
                       else [place.member_la_names or "Outside England: listed, not mapped"])
        joined_members = []
        for index, item in enumerate(member_cell):
            joined_members += ([", "] if index else []) + [item]
        rows.append(html.Tr([
            html.Th(dcc.Link(place.name, href=f"/area/marmot:{place.slug}") if place.mapped else place.name,
                    scope="row"),
            html.Td(str(place.year_joined)), html.Td(place.status), html.Td(place.country),
            html.Td(joined_members),
            html.Td(html.A("Source", href=place.source_url, rel="noopener noreferrer", target="_blank",
                           title=place.notes or place.source_url)),
        ]))
    mapped = places[places["mapped"]]
    trends = {p.name: profiles.trend(atlas, f"marmot:{p.slug}") for p in mapped.itertuples()}
    joined = {p.name: int(p.year_joined) for p in mapped.itertuples()}
    multiples = marmot_figures.small_multiples(trends, joined, "payments_per_weighted_patient")
    together = together_table(atlas)
    latest = together.iloc[-1]
    summary_rows = [html.Tr([html.Th(REGISTRY[m].label, scope="row"),
                             html.Td(REGISTRY[m].format(latest[f"{m}:marmot"])),
                             html.Td(REGISTRY[m].format(latest[f"{m}:rest"]))]) for m in TOGETHER_METRICS]
    together_fig = marmot_figures.together_vs_rest(
        together.rename(columns={"payments_per_weighted_patient:marmot": "marmot",
                                 "payments_per_weighted_patient:rest": "rest"}), "payments_per_weighted_patient")
    return html.Div(className="marmot-page", children=[
        html.H1("Marmot Places"),
        html.P("Areas that have worked with the UCL Institute of Health Equity to act on the social determinants "
               "of health. The list is compiled by this project from public sources, one source per place; it is "
               "not complete, and places whose current status we could not confirm say so.", className="lede"),
        html.Table(className="data-table", id="marmot-list", children=[
            html.Caption(f"{len(places)} places ({int(places['mapped'].sum())} in England and mapped)"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in
                                ("Place", "Joined", "Status", "Country", "Member authorities", "Source")])),
            html.Tbody(rows)]),
        html.Section(**{"aria-labelledby": "marmot-multiples-title"}, children=[
            html.H2("Payments per weighted patient, each place against England", id="marmot-multiples-title"),
            html.P(multiples.layout.meta["alt"], className="chart-alt"),
            dcc.Graph(id="marmot-multiples", figure=multiples, config={"displaylogo": False}),
        ]),
        html.Section(**{"aria-labelledby": "marmot-together-title"}, children=[
            html.H2("Marmot Places together against the rest of England", id="marmot-together-title"),
            html.Table(className="data-table", id="marmot-together", children=[
                html.Caption(f"{latest['year']}: practices in any member authority against all other practices"),
                html.Thead(html.Tr([html.Th("Measure", scope="col"), html.Th("Marmot Places", scope="col"),
                                    html.Th("Rest of England", scope="col")])),
                html.Tbody(summary_rows)]),
            html.P(together_fig.layout.meta["alt"], className="chart-alt"),
            dcc.Graph(id="marmot-together-chart", figure=together_fig, config={"displaylogo": False}),
            html.P("Places joined in different years, so this comparison describes where Marmot Places are, not "
                   "what the partnership achieved.", className="control-hint"),
        ]),
        downloads_section("marmot", "Take these figures with you",
                          [("marmot-download-list", "Download the list of places (CSV)"),
                           ("marmot-download-together",
                            "Download Marmot Places against the rest of England, every year (CSV)")],
                          "Each file carries its sources, the date made and the Open Government Licence attribution."),
    ])


def places_table(atlas):
    """The list as a reader would type it up: names, not codes, and the source of each place."""
    import pandas as pd

    names = atlas.area_by_code["name"].to_dict()
    members = atlas.marmot_members.groupby("slug")["la_code"].apply(list).to_dict()
    rows = []
    for place in atlas.marmot_places.sort_values(["year_joined", "name"]).itertuples():
        codes = members.get(place.slug, [])
        rows.append({
            "Place": place.name, "Joined": int(place.year_joined), "Status": place.status, "Country": place.country,
            "Member authorities": "; ".join(names.get(c, c) for c in codes) or (place.member_la_names or ""),
            "Member authority codes": "; ".join(codes), "Mapped": "Yes" if place.mapped else "No",
            "Page": f"/area/marmot:{place.slug}" if place.mapped else "", "Source": place.source_url,
        })
    return pd.DataFrame(rows)


def together_download(atlas):
    """together_table with its columns named and rounded as the page shows them."""
    from dashboard import downloads

    table = together_table(atlas)
    columns = [("year", "Year", None)]
    for metric_id in TOGETHER_METRICS:
        header, places = downloads.measure_header(metric_id)
        columns += [(f"{metric_id}:marmot", f"Marmot Places: {header}", places),
                    (f"{metric_id}:rest", f"Rest of England: {header}", places)]
    return downloads.labelled(table, columns)


@boundary.accepts({"marmot-download-list.n_clicks": boundary.n_clicks,
                   "marmot-download-together.n_clicks": boundary.n_clicks})
@callback(Output("marmot-download", "data"), Input("marmot-download-list", "n_clicks"),
          Input("marmot-download-together", "n_clicks"), prevent_initial_call=True)
def download(list_clicks, together_clicks):
    """The page's list or its every-year comparison, with the provenance header every download has."""
    from datetime import datetime

    from dashboard import downloads

    if not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update
    atlas = load_atlas()
    if ctx.triggered_id == "marmot-download-list":
        described = ["Marmot Places: every place on this project's list (compiled from public sources, one per place)"]
        table, stem = places_table(atlas), "equity-atlas-marmot-places"
    else:
        described = ["Marmot Places together (practices in any member authority) against all other practices "
                     "in England", f"Years: {atlas.years[0]} to {atlas.years[-1]}, cash terms"]
        table, stem = together_download(atlas), "equity-atlas-marmot-places-against-england"
    provenance = downloads.provenance_lines(described, datetime.now(), atlas.manifest)
    return dcc.send_bytes(downloads.table_csv(table, provenance), downloads.safe_filename(stem, "csv"))

"""/search?q=…: areas and practices by name, code, postcode or postcode district; one exact hit goes straight there."""

from __future__ import annotations

from urllib.parse import parse_qs

from dash import dcc, html

from dashboard.components.search import find, place_summary, postcode_place, results_list, search_form
from dashboard.data.query import load_atlas
from dashboard.pages import route


@route("/search", "Search · Equity Atlas")
def layout(search: str = "", **_params):
    text = (parse_qs(search.lstrip("?")).get("q") or [""])[-1][:100]
    atlas = load_atlas()
    results = find(atlas, text)
    exact = [r for r in results if r["code"].lower() == text.strip().lower().replace(" ", "")]
    redirect = [dcc.Location(id="search-redirect", href=exact[0]["href"], refresh=True)] if len(exact) == 1 else []
    return html.Div(className="search-page", children=[
        *redirect,
        html.H1("Search"),
        search_form(text, "search-page"),
        html.H2(f"{len(results)} result{'s' if len(results) != 1 else ''}" if text else "", className="results-count"),
        place_summary(postcode_place(atlas, text) if text else None),
        results_list(results, text),
    ])

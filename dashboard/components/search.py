"""Find an area or a practice by name, code or postcode: shared by the header, /search and 404s."""

from __future__ import annotations

import re

import pandas as pd
from dash import dcc, html

from ..data.profiles import LEVEL_NAMES

MAX_RESULTS = 30


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().lower())[:100]


def find(atlas, text: str) -> list[dict]:
    """Areas first (exact code, then name matches), then practices (code, postcode, name)."""
    query = normalise(text)
    if len(query) < 2:
        return []
    results = []
    areas = atlas.areas
    names = areas["name"].str.lower()
    codes = areas["code"].str.lower()
    hits = areas[(codes == query) | (codes == f"marmot:{query}") | names.str.contains(query, regex=False)]
    hits = hits.assign(exact=(hits["name"].str.lower() == query) | (hits["code"].str.lower() == query))
    for row in hits.sort_values(["exact", "name"], ascending=[False, True]).itertuples():
        results.append({"kind": "area", "label": f"{row.name} ({LEVEL_NAMES[row.level]})",
                        "href": f"/area/{row.code}", "code": row.code})
    latest = atlas.year_practices()
    compact = query.replace(" ", "").upper()
    postcode = latest["postcode"].astype(str).str.replace(" ", "", regex=False)
    mask = ((latest["practice_code"].astype(str) == compact) | (postcode == compact)
            | latest["practice_name"].astype(str).str.lower().str.contains(query, regex=False))
    for row in latest[mask].sort_values("practice_name").head(MAX_RESULTS).itertuples():
        if pd.isna(row.la_code):
            continue
        la = atlas.area(row.la_code)
        results.append({"kind": "practice", "label": f"{row.practice_name} ({row.practice_code}, {row.postcode}), "
                                                     f"in {la['name'] if la else row.la_code}",
                        "href": f"/area/{row.la_code}?practice={row.practice_code}", "code": row.practice_code})
    return results[:MAX_RESULTS]


def search_form(value: str = "", form_id: str = "search",
                landmark: str = "Area and practice search") -> html.Form:
    """A plain GET form: works with a keyboard, a screen reader and even without JavaScript.

    `landmark` names the search landmark, so a page with two forms (header and page) tells them apart.
    """
    return html.Form(action="/search", method="GET", role="search", className="search-form",
                     **{"aria-label": landmark}, children=[
        html.Label("Find an area or practice", htmlFor=f"{form_id}-q", className="search-label"),
        dcc.Input(id=f"{form_id}-q", name="q", type="search", value=value, placeholder="e.g. Coventry, E54000030, "
                  "A81001 or TS18 1HU", autoComplete="off", debounce=True),
        html.Button("Search", type="submit", className="button"),
    ])


def results_list(results: list[dict], text: str):
    if not text:
        return html.P("Type a place, ICB, Marmot Place, practice name, practice code or postcode.")
    if not results:
        return html.P(f"Nothing matched “{text[:60]}”. Try part of a name, an ONS code or a postcode.")
    return html.Ul(className="search-results", children=[
        html.Li(dcc.Link(r["label"], href=r["href"])) for r in results])

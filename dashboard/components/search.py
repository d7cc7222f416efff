"""Find an area or a practice by name, code or postcode: shared by the header, /search and 404s."""

from __future__ import annotations

import re

from dash import dcc, html

from ..data import practice_profile
from ..data.profiles import LEVEL_NAMES

MAX_RESULTS = 30
# A postcode district or sector lists every practice in it: a district holds at most a few dozen, and a
# partial list would read as "these are all the practices near me".
MAX_PLACE_PRACTICES = 100


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().lower())[:100]


def find(atlas, text: str) -> list[dict]:
    """Areas first (exact code, then name matches), then the practices of a postcode district or sector, then
    practices by code, full postcode or name. Practices link to their own pages."""
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
    place = postcode_place(atlas, text)
    listed = set()
    if place:
        for row in place["practices"].itertuples():
            results.append(practice_result(atlas, row))
            listed.add(row.practice_code)
    everyone = practice_profile.latest_rows(atlas)
    compact = query.replace(" ", "").upper()
    mask = ((everyone["practice_code"] == compact) | (everyone["postcode_compact"] == compact)
            | everyone["practice_name"].str.lower().str.contains(query, regex=False))
    matched = everyone[mask & ~everyone["practice_code"].isin(listed)]
    # Practices still paid in the latest year first: a closed practice is rarely the one meant.
    matched = matched.assign(closed=matched["year"] != atlas.latest_year).sort_values(
        ["closed", "practice_name"], kind="stable")
    for row in matched.head(MAX_RESULTS).itertuples():
        results.append(practice_result(atlas, row))
    return results[:MAX_RESULTS + len(listed)]


def practice_result(atlas, row) -> dict:
    la = atlas.area(row.la_code) if isinstance(row.la_code, str) else None
    where = f", in {la['name']}" if la else ""
    postcode = f", {row.postcode}" if isinstance(row.postcode, str) and row.postcode else ""
    last = f"; last paid in {row.year}" if row.year != atlas.latest_year else ""
    return {"kind": "practice", "label": f"{row.practice_name} ({row.practice_code}{postcode}){where}{last}",
            "href": f"/practice/{row.practice_code}", "code": row.practice_code}


def postcode_place(atlas, text: str) -> dict | None:
    """The postcode district ("SE5") or sector ("SE5 8") the text names, with its practices and their areas.

    Case and spacing are forgiven: "se5", " SE5 " and "se58" all work. Without a space the text is read as a
    district first (SE18 is Woolwich) and only then as a sector (se58 is SE5 8, as there is no SE58).
    Practices that have closed are listed too, after those paid in the latest year and marked with their last
    year: their pages still hold the money they were paid, and a sector with only a closed practice (SE5 8)
    should not answer "nothing found".
    """
    raw = re.sub(r"\s+", " ", (text or "").strip().upper())[:20]
    compact = raw.replace(" ", "")
    if not 2 <= len(compact) <= 5 or not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?( ?[0-9])?", raw):
        return None
    current = practice_profile.latest_rows(atlas)
    if " " in raw:
        outward, _, digit = raw.partition(" ")
        sector = f"{outward} {digit}"
        chosen, kind, name = current[current["sector"] == sector], "sector", sector
    else:
        chosen, kind, name = current[current["district"] == compact], "district", compact
        if chosen.empty and len(compact) >= 3 and compact[-1].isdigit():
            sector = f"{compact[:-1]} {compact[-1]}"
            chosen, kind, name = current[current["sector"] == sector], "sector", sector
    if chosen.empty:
        return None
    chosen = chosen.assign(closed=chosen["year"] != atlas.latest_year).sort_values(
        ["closed", "practice_name"], kind="stable").head(MAX_PLACE_PRACTICES)
    areas = []
    for column in ("la_code", "icb_code"):
        for code in chosen[column].dropna().unique():
            area = atlas.area(code)
            if area:
                areas.append({"code": code, "name": area["name"], "level": area["level"]})
    return {"kind": kind, "name": name, "practices": chosen, "areas": areas, "latest_year": atlas.latest_year}


def search_form(value: str = "", form_id: str = "search",
                landmark: str = "Area and practice search") -> html.Form:
    """A plain GET form: works with a keyboard, a screen reader and even without JavaScript.

    `landmark` names the search landmark, so a page with two forms (header and page) tells them apart.
    """
    return html.Form(action="/search", method="GET", role="search", className="search-form",
                     **{"aria-label": landmark}, children=[
        html.Label("Find an area or practice", htmlFor=f"{form_id}-q", className="search-label"),
        dcc.Input(id=f"{form_id}-q", name="q", type="search", value=value, placeholder="e.g. Coventry, E54000030, "
                  "A81001, SE5 or TS18 1HU", autoComplete="off", debounce=True),
        html.Button("Search", type="submit", className="button"),
    ])


def place_summary(place: dict | None):
    """One sentence naming the postcode district or sector found and the areas its practices are in (links)."""
    if not place:
        return None
    count = len(place["practices"])
    paid = int((~place["practices"]["closed"]).sum())
    areas: list = []
    for index, area in enumerate(place["areas"]):
        if index:
            areas.append(", " if index < len(place["areas"]) - 1 else " and ")
        areas.append(dcc.Link(f"{area['name']} ({LEVEL_NAMES[area['level']]})", href=f"/area/{area['code']}"))
    return html.P(id="search-postcode", className="lede", children=[
        f"Postcode {place['kind']} {place['name']}: {count} practice{'' if count == 1 else 's'} ({paid} of them paid "
        f"in {place['latest_year']})", *([", in "] + areas if areas else []), ". They are listed below."])


def results_list(results: list[dict], text: str):
    if not text:
        return html.P("Type a place, ICB, Marmot Place, practice name, practice code, postcode district (SE5) or "
                      "postcode.")
    if not results:
        return html.P(f"Nothing matched “{text[:60]}”. Try part of a name, an ONS code, a practice code or a "
                      "postcode.")
    return html.Ul(className="search-results", children=[
        html.Li(dcc.Link(r["label"], href=r["href"])) for r in results])

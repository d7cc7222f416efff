"""The explorer: England at a glance (the map, filters and charts build on this page)."""

from __future__ import annotations

import dash
from dash import html

from dashboard.components.headline import national_headline
from dashboard.data.query import load_atlas

dash.register_page(__name__, path="/", title="Equity Atlas: explorer", name="Explorer")


def layout(**_query):
    atlas = load_atlas()
    return html.Div([national_headline(atlas.national_summary(atlas.latest_year))])

"""The page shown for a code we do not have: what was asked, what codes look like, a search, a way back."""

from __future__ import annotations

from dash import dcc, html

from ..state import shorten
from .search import search_form


def missing(title: str, what: str, code: str, looks_like: str, search_id: str) -> html.Div:
    """e.g. missing("No such area", "an area", "E99", "Codes look like …", "area-missing")."""
    return html.Div(className="not-found", children=[
        html.H1(title),
        html.P(f"We have no {what} with the code “{shorten(code)}”. {looks_like}"),
        search_form("", search_id),
        html.P(dcc.Link("Back to the map of England", href="/")),
    ])

"""create_app(): the Dash instance, its pages, static geometry, compression and headers."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from urllib.parse import unquote

import dash
from dash import Input, Output, State, dcc, html
from flask import abort, request, send_from_directory

from . import boundary, config, export_routes, fairness_routes, security
from .components.search import search_form
from .data import sources
from .data.query import ProcessedDataError, load_atlas
from .dimensions import GEO_LEVELS  # every level the build writes boundaries for is served
from .pages import resolve
from .plotlyjs import AtlasDash

PAGE_MODULES = ["explorer", "about", "area", "marmot", "compare", "search", "whatif", "practice", "fairness"]
# Dash's own page, with the language declared for screen readers and the scripts outside a <footer>
# (Dash's default wraps them in one, a second "contentinfo" landmark beside ours).
INDEX_STRING = """<!DOCTYPE html>
<html lang="en-GB">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        {%config%}
        {%scripts%}
        {%renderer%}
    </body>
</html>"""


def navigation() -> html.Header:
    links = [("Explorer", "/"), ("Marmot Places", "/marmot"), ("Compare", "/compare"), ("Funding what-if", "/whatif"),
             ("Funding against deprivation", "/fairness"), ("Methods and sources", "/about")]
    return html.Header(className="atlas-header", children=[
        html.A("Skip to main content", href="#main", className="skip-link"),
        html.Div(className="atlas-brand", children=[
            html.A("Equity Atlas", href="/", className="atlas-title"),
            html.Span("NHS money for general practice in England, against deprivation and life expectancy",
                      className="atlas-strapline"),
        ]),
        html.Nav(html.Ul([html.Li(dcc.Link(label, href=href)) for label, href in links]),
                 **{"aria-label": "Main"}),
        search_form("", "header-search", landmark="Site search"),
    ])


def footer(atlas) -> html.Footer:
    """Credits come from the manifest of the data being shown, so they name the editions it was built from."""
    return html.Footer(className="atlas-footer", children=[
        html.P(config.OGL_ATTRIBUTION),
        html.P(["Sources: " + "; ".join(sources.credits(atlas.manifest)) + ". ",
                dcc.Link("Methods, definitions and sources", href="/about"),
                f". Data built {atlas.manifest['built_at'][:10]}."]),
    ])


def not_found(pathname: str | None) -> html.Div:
    from .state import shorten

    return html.Div(className="not-found", children=[
        html.H1("Page not found"),
        html.P(f"There is no page at “{shorten(pathname or '')}”."),
        html.P([dcc.Link("Go to the explorer", href="/"), " or ", dcc.Link("read the methods", href="/about"), "."]),
    ])


def page_exists(path: str, atlas) -> bool:
    """Whether the router has a page for this (decoded) path, and, for an area's or a practice's page, whether
    the area or practice exists."""
    from .data import practice_profile

    page, params = resolve(path)
    if page is None:
        return False
    if "practice" in params:
        return practice_profile.exists(atlas, params["practice"])
    return "code" not in params or atlas.area(params["code"]) is not None


def answer_404_for_missing_pages(app, atlas) -> None:
    """Dash serves its page for every path with 200; search engines and link checkers need a real 404.

    The body is unchanged, so the browser still shows the friendly "Page not found", "No such area" or
    "No such practice".
    """
    prefix = app.config.routes_pathname_prefix
    index_endpoints = {prefix, prefix + "<path:path>"}

    @app.server.after_request
    def missing_page_status(response):
        if (request.endpoint in index_endpoints and response.status_code == 200
                and not page_exists(request.path, atlas)):
            response.status_code = 404
        return response


class CannotStart(RuntimeError):
    """Raised (not exited) so gunicorn marks the worker as failing to boot and stops, not respawns it."""


def create_app(processed_dir: str | None = None) -> dash.Dash:
    from . import memory

    memory.limit_arenas()  # before any request thread allocates
    try:
        atlas = load_atlas(processed_dir or str(config.processed_dir()))
    except ProcessedDataError as exc:
        print(f"Equity Atlas cannot start: {exc}", file=sys.stderr)
        raise CannotStart(str(exc)) from None

    for name in PAGE_MODULES:
        try:
            importlib.import_module(f"dashboard.pages.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"dashboard.pages.{name}":
                raise
    app = AtlasDash(  # dash.Dash serving our partial plotly.js bundle (see plotlyjs.py)
        __name__,
        assets_folder=str(config.PROJECT_ROOT / "assets"),
        title="Equity Atlas",
        update_title=None,
        index_string=INDEX_STRING,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "description", "content": "Where NHS money for general practice goes in England."}],
    )
    app.layout = html.Div(className="atlas", children=[
        navigation(),
        dcc.Location(id="url", refresh="callback-nav"),
        dcc.Store(id="page-title"),
        html.Div(id="title-sink", hidden=True),
        html.Main(id="main", tabIndex="-1", children=html.Div(id="page-content")),
        footer(atlas),
    ])

    @boundary.accepts({"url.pathname": boundary.path, "url.search": boundary.query})
    @app.callback(Output("page-content", "children"), Output("page-title", "data"),
                  Input("url", "pathname"), State("url", "search"))
    def render_page(pathname, search):
        page, params = resolve(pathname)
        if page is None:
            return not_found(pathname), "Page not found · Equity Atlas"
        params = {k: unquote(v) for k, v in params.items()}
        return page.render(search=search or "", **params), page.title

    app.clientside_callback(
        "function(title) { if (title) { document.title = title; } return window.dash_clientside.no_update; }",
        Output("title-sink", "children"), Input("page-title", "data"))

    security.install(app)
    export_routes.install(app.server)  # briefings and packs: GET downloads, bounded (jobs.py)
    fairness_routes.install(app.server)  # the fairness table as a CSV
    answer_404_for_missing_pages(app, atlas)
    from .cache import init_cache

    init_cache(app.server)  # in-process by default; shared Redis when REDIS_URL is set
    server = app.server
    geo_folder = Path(atlas.folder) / "geo"

    @server.route("/geo/<level>.geojson")
    def geometry(level: str):
        """Boundaries go to the browser once, as a static file it may keep for a day."""
        if level not in GEO_LEVELS:
            abort(404)
        response = send_from_directory(geo_folder, f"{level}.geojson", mimetype="application/geo+json",
                                       max_age=86400)
        return response

    from . import health

    health.install(server, atlas)  # GET /healthz: a real query, 200 or 503
    try:
        from flask_compress import Compress

        server.config["COMPRESS_MIMETYPES"] = ["text/html", "text/css", "application/json", "application/javascript",
                                               "text/javascript", "application/geo+json", "text/csv"]
        Compress(server)
        from .cache import cache_static_compression, warm_static_compression

        cache_static_compression(server)  # gzip each static file once, not once per visitor
        warm_static_compression(server)  # ... starting now, in the background
    except ImportError:  # compression is an optimisation, not a requirement
        pass
    memory.give_back_free_memory()  # loading and building leave freed pages behind
    return app


def __getattr__(name: str):
    """`dashboard.app:server` for gunicorn, built on first use so importing this module stays cheap."""
    if name in ("app", "server"):
        global _app
        if _app is None:
            _app = create_app()
        return _app if name == "app" else _app.server
    raise AttributeError(name)


_app = None

"""GET /download/fairness/<level>.csv?year=…&measure=…: the fairness table as a plain, linkable download.

Why a GET link and not a Dash download callback: like the practice CSV and the briefings, a link can be
shared, retried and cached, and it opens the same table a page URL shows. Every part is checked against
what exists before any work; an unknown one gets the same friendly 404 page as other downloads.
"""

from __future__ import annotations

import io

from flask import Flask, request, send_file

from .data import fairness
from .data.query import load_atlas
from .export_routes import notice_page
from .state import shorten


def install(server: Flask) -> None:
    @server.route("/download/fairness/<level>.csv", methods=["GET", "HEAD"])
    def fairness_csv(level: str):
        from .downloads import safe_filename

        atlas = load_atlas()
        year = request.args.get("year", "") or atlas.latest_year
        measure = request.args.get("measure", "") or fairness.MEASURES[0]
        if level not in fairness.LEVELS:
            return notice_page(404, "No such table", f"There is no fairness table for “{shorten(level)}”; "
                               f"levels: {', '.join(fairness.LEVELS)}.")
        if year not in atlas.years:
            return notice_page(404, "No such year", f"There is no data for the year “{shorten(year)}”. "
                               f"Years available: {atlas.years[0]} to {atlas.latest_year}.")
        if measure not in fairness.MEASURES:
            return notice_page(404, "No such measure", f"The measure “{shorten(measure)}” is not offered here.")
        body = fairness.csv_bytes(atlas, level, year, measure)
        name = safe_filename(f"equity-atlas-fairness-{level}-{year}-{measure}", "csv")
        response = send_file(io.BytesIO(body), mimetype="text/csv", as_attachment=True, download_name=name,
                             max_age=3600)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

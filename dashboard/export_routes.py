"""GET /download/<kind>/<area>.<ext>?year=…: briefings and packs as plain, linkable, cacheable downloads;
GET /download/practice/<code>.csv: a practice's payments by year.

Every part of the request is checked against what exists (the kind, the area, the year) before any
work; an unknown one gets a friendly 404 page, a busy machine a 503 with Retry-After.
"""

from __future__ import annotations

import hashlib
import html
import io

from flask import Flask, Response, request, send_file

from . import exports, jobs
from .data.query import load_atlas
from .security import ExportsBusy
from .state import FIFTHS, shorten


def notice_page(status: int, title: str, message: str, headers: dict | None = None) -> Response:
    """A small page a person can read when a download link cannot be served (user text escaped)."""
    body = (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8"><title>{html.escape(title)} · '
            f'Equity Atlas</title><meta name="viewport" content="width=device-width, initial-scale=1"></head>'
            f'<body><main><h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>'
            '<p><a href="javascript:history.back()">Back to the page you were on</a> · '
            '<a href="/">Go to the explorer</a></p></main></body></html>')
    return Response(body, status=status, mimetype="text/html", headers=headers or {})


def install(server: Flask) -> None:
    @server.route("/download/practice/<code>.csv", methods=["GET", "HEAD"])
    def practice_payments(code: str):
        """A practice's payments by year: small and built in the request (no job), with the usual provenance."""
        from .data import practice_profile
        from .downloads import safe_filename

        atlas = load_atlas()
        if not practice_profile.exists(atlas, code):
            return notice_page(404, "No such practice", f"We have no practice with the code “{shorten(code)}”.")
        body = practice_profile.payments_csv(atlas, code)
        name = safe_filename(f"equity-atlas-practice-{practice_profile.normalise_code(code)}-payments", "csv")
        response = send_file(io.BytesIO(body), mimetype="text/csv", as_attachment=True, download_name=name,
                             max_age=3600)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    @server.route("/download/<kind>/<path:filename>", methods=["GET", "HEAD"])
    def download(kind: str, filename: str):
        spec = exports.KINDS.get(kind)
        suffix = f".{spec.extension}" if spec else ""
        if spec is None or not filename.endswith(suffix):
            return notice_page(404, "No such download",
                               "Briefings end in .pdf and packs in .zip, under /download/briefing/ or /download/pack/.")
        code = filename[: -len(suffix)]
        atlas = load_atlas()
        if atlas.area(code) is None:
            return notice_page(404, "No such area", f"We have no area with the code “{shorten(code)}”.")
        year = request.args.get("year", "") or atlas.latest_year
        if year not in atlas.years:
            return notice_page(404, "No such year", f"There is no data for the year “{shorten(year)}”. "
                               f"Years available: {atlas.years[0]} to {atlas.latest_year}.")
        fifths = request.args.get("fifths", "") or "patients"
        if fifths not in FIFTHS:
            return notice_page(404, "No such way of forming fifths",
                               f"“{shorten(fifths)}” is not a way of forming deprivation fifths: use patients or "
                               "practices.")
        try:
            body = jobs.export_bytes(atlas, kind, code, year, fifths=fifths)
        except ExportsBusy as busy:
            return notice_page(503, "Please try again in a minute", str(busy),
                               {"Retry-After": str(jobs.RETRY_AFTER_SECONDS)})
        response = send_file(io.BytesIO(body), mimetype=spec.mimetype, as_attachment=True,
                             download_name=exports.filename(atlas, kind, code, year),
                             etag=hashlib.sha256(body).hexdigest()[:32], max_age=3600, conditional=True)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

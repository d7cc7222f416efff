"""GET /healthz: is this worker able to answer a real data question, not merely to serve its page shell.

A worker whose data broke after start (or whose query code fails on it) still serves GET / with 200,
so a load balancer probing / keeps sending visitors to it. This endpoint runs the same query the app and
the `summary` command use, the latest year's national summary, uncached, and says 503 when it fails.
"""

from __future__ import annotations

import sys

from flask import Flask, Response, jsonify


def install(server: Flask, atlas) -> None:
    """Register /healthz on server, answering from atlas (the app's own loaded data)."""

    @server.route("/healthz")
    def healthz():
        try:
            summary = atlas.national_summary(atlas.latest_year)
            body = {"status": "ok", "year": summary["year"], "practices": summary["practices"]}
            if body["practices"] <= 0:
                raise ValueError(f"no practices in {summary['year']}")
        except Exception as exc:  # any failure is the answer: the worker cannot serve data
            print(f"/healthz: data query failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            response = Response(f"unhealthy: the data query failed ({type(exc).__name__})\n", status=503,
                                mimetype="text/plain")
        else:
            response = jsonify(body)
        response.headers["Cache-Control"] = "no-store"  # a cached "ok" would hide a failure
        return response

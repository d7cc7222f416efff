"""Response headers and request limits: a public, read-only app that partners may embed if allowed."""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager

from flask import Flask, Response, request

MAX_REQUEST_BYTES = 256 * 1024  # the largest honest callback request is a few KB
HSTS = "max-age=31536000"  # a year; no includeSubDomains: the operator's other hosts are not ours to pin
# What Dash's page config tells every visitor about the server's software, used only by its dev tools UI.
VERSION_KEYS = ("python_version", "dash_version", "dash_version_url", "plotly_version", "ddk_version")
TRUSTED_PROXIES_ENV = "EQUITY_ATLAS_TRUSTED_PROXIES"


def frame_ancestors() -> str:
    """Who may embed the app in a frame: 'self' unless the operator lists partner origins."""
    return os.environ.get("EQUITY_ATLAS_FRAME_ANCESTORS", "'self'").strip() or "'self'"


def content_security_policy(script_hashes: list[str]) -> str:
    # Plotly's WebGL traces compile shaders with Function() and the map draws in blob: workers, so
    # 'unsafe-eval' and blob: workers are needed; inline scripts are allowed only by their hashes.
    scripts = " ".join(["'self'", "'unsafe-eval'", *script_hashes])  # Dash returns them quoted
    return "; ".join([
        "default-src 'self'",
        f"script-src {scripts}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors()}",
    ])


def trust_proxies(server: Flask, env=None) -> int:
    """Believe X-Forwarded-For/-Proto from N proxies only when the operator says so (EQUITY_ATLAS_TRUSTED_PROXIES=N).

    Without it a client could claim HTTPS or any address; with it, behind nginx that sets those
    headers, request.is_secure is true for HTTPS visitors and HSTS is sent.
    """
    env = os.environ if env is None else env
    try:
        count = int(env.get(TRUSTED_PROXIES_ENV, "0") or 0)
    except ValueError:
        count = 0
    if count > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=count, x_proto=count)
    return max(count, 0)


def hide_versions(app) -> None:
    """Keep the Python, Dash and Plotly versions out of every page unless Dash's dev tools UI shows them."""
    full_config = app._config

    def public_config():
        config = full_config()
        if not app._dev_tools.get("ui"):
            for key in VERSION_KEYS:
                config.pop(key, None)
        return config

    app._config = public_config


def install(app) -> None:
    """Headers on every response, a cap on request bodies, and no tracebacks to clients."""
    server: Flask = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    server.config["PROPAGATE_EXCEPTIONS"] = False
    policy: dict[str, str] = {}
    hide_versions(app)
    trust_proxies(server)
    reload_hash = app.config.routes_pathname_prefix + "_reload-hash"

    @server.before_request
    def no_hot_reload_in_production():
        # Dash always registers /_reload-hash; it lists the app's packages and serves a purpose only
        # while hot reload runs under `python -m dashboard --debug`.
        if request.path == reload_hash and not (server.debug and app._dev_tools.get("hot_reload")):
            return Response("Not found.", status=404, mimetype="text/plain")
        return None

    @server.after_request
    def add_headers(response: Response) -> Response:
        if "csp" not in policy:
            policy["csp"] = content_security_policy(app.csp_hashes())
        response.headers["Content-Security-Policy"] = policy["csp"]
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "geolocation=(), camera=(), microphone=()"
        if request.is_secure:
            response.headers["Strict-Transport-Security"] = HSTS
        if request.path.startswith("/_dash-update-component"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @server.errorhandler(413)
    def too_large(_error):
        return Response("Request too large.", status=413, mimetype="text/plain")

    @server.errorhandler(500)
    def server_error(_error):
        return Response("Something went wrong on our side. Please reload the page.", status=500,
                        mimetype="text/plain")


class ExportsBusy(RuntimeError):
    """Too many expensive exports at once in this process: the user is asked to try again."""


_export_slots = threading.BoundedSemaphore(int(os.environ.get("EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS", "2")))


@contextmanager
def export_slot():
    """At most N briefings, packs or workbooks built at once per process, so one user cannot starve others."""
    if not _export_slots.acquire(timeout=float(os.environ.get("EQUITY_ATLAS_EXPORT_WAIT_SECONDS", "5"))):
        raise ExportsBusy("Many downloads are being prepared right now; please try again in a minute.")
    try:
        yield
    finally:
        _export_slots.release()

"""Server time of single callbacks, in-process: the browser's own requests replayed through Flask's test client.

Each saved request (bench/payloads/<app>/<interaction>.json, as Chromium sent it) is POSTed to
/_dash-update-component with `Accept-Encoding: gzip`, so the time covers Dash's dispatch, the
callback, JSON encoding, compression and the response headers: everything but the network.

"cold": before every call the app's shared cache (dashboard.cache) and every functools.lru_cache
defined in a dashboard module are cleared, except the per-process data and the tables derived from it
alone (KEEP), so a repeated request cannot be answered from memory: what a new view costs. This is the
figure held against the target. "warm": the same request again with the caches kept, which is
what a popular view costs.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable

from .support import percentile

HEADERS = {"Content-Type": "application/json", "Accept-Encoding": "gzip"}


def callback_name(app, output: str) -> str:
    """The Python function behind a callback output string, e.g. 'update_charts'."""
    entry = app.callback_map.get(output) or {}
    function = entry.get("callback")
    name = getattr(function, "__name__", None)
    if name and name not in ("add_context", "wrapper"):
        return name
    return output.strip(".").split(".")[0][:40]


# Not result caches: loading the data once, and tables each worker derives from the data alone (per-year totals,
# England-wide bands per year, the rules a request is checked against, the lists of codes, the plotly.js
# bundle's name). A new view never pays for them in a running server; only a fresh worker does, once.
KEEP = {"_load_atlas", "_england_sums", "national_bands", "_field_rules", "_code_options", "_known_codes",
        "latest_rows", "bundle_header", "bundle_name"}


def result_caches() -> list:
    """Every functools.lru_cache defined in a loaded dashboard.* module, but those in KEEP."""
    import sys

    found = {}
    for name, module in list(sys.modules.items()):
        if not (name == "dashboard" or name.startswith("dashboard.")) or module is None:
            continue
        for value in list(vars(module).values()):
            # functools.lru_cache and functools.cache both make a _lru_cache_wrapper (type checked, never
            # getattr: a module may hold proxies such as flask.request that fail outside a request)
            if (type(value).__name__ == "_lru_cache_wrapper" and value.__module__ == name
                    and value.__name__ not in KEEP):
                found[f"{name}.{value.__name__}"] = value
    return [found[key] for key in sorted(found)]


def cache_clearer() -> Callable[[], None]:
    functions = result_caches()
    try:
        from dashboard import cache
    except ImportError:
        cache = None
    shared = getattr(cache, "clear", None) if cache else None

    def clear() -> None:
        for function in functions:
            function.cache_clear()
        if callable(shared):
            shared()

    clear.names = [f"{f.__module__}.{f.__name__}" for f in functions]
    return clear


def cache_configured() -> bool:
    """Whether the app wired dashboard.cache (init_cache called), so warm calls can differ from cold."""
    try:
        from dashboard import cache
    except ImportError:
        return False
    return bool(getattr(cache, "is_configured", lambda: False)())


def time_request(client, body: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = client.post("/_dash-update-component", data=body, headers=HEADERS)
    data = response.get_data()
    return time.perf_counter() - started, response.status_code, len(data)


def measure(app, payloads: dict[str, list[dict]], calls: int, budget_s: float, warm_calls: int = 0,
            clear: Callable[[], None] | None = None, interactions: list[str] | None = None) -> dict:
    """{interaction: {"callbacks": [...], "p95_ms": slowest callback's p95, "slowest": name}}.

    Each callback request is timed `calls` times, or fewer if they take longer than `budget_s`
    together (the number of calls actually made is reported beside the figure).
    """
    clear = clear or (lambda: None)
    client = app.server.test_client()
    client.get("/")  # the first request pays for lazy imports; nobody's interaction does
    results = {}
    gc.collect()
    order = ["initial", "filter", "level", "metric", "year", "area"]
    for interaction in interactions or sorted(payloads, key=lambda k: order.index(k) if k in order else 99):
        rows = []
        for request in payloads.get(interaction, []):
            body = json.dumps(request)
            name = callback_name(app, request.get("output", ""))
            clear()
            _, status, size = time_request(client, body)  # warm-up: imports, first-use caches
            times, statuses = [], {status}
            spent = 0.0
            for _ in range(calls):
                clear()
                seconds, status, _ = time_request(client, body)
                times.append(seconds)
                statuses.add(status)
                spent += seconds
                if spent > budget_s and len(times) >= 20:
                    break
            warm = []
            for _ in range(warm_calls):
                seconds, status, _ = time_request(client, body)
                warm.append(seconds)
            rows.append({
                "callback": name, "statuses": sorted(statuses), "calls": len(times),
                "p50_ms": round(1000 * percentile(times, 50), 1), "p95_ms": round(1000 * percentile(times, 95), 1),
                "max_ms": round(1000 * max(times), 1), "response_bytes_gzip": size,
                "warm_p95_ms": round(1000 * percentile(warm, 95), 1) if warm else None,
            })
        if not rows:
            results[interaction] = {"callbacks": [], "p95_ms": None, "slowest": None, "errors": ["no payloads"]}
            continue
        slowest = max(rows, key=lambda r: r["p95_ms"])
        errors = [f"{r['callback']} answered HTTP {s}" for r in rows for s in r["statuses"] if s >= 400]
        results[interaction] = {"callbacks": rows, "p95_ms": slowest["p95_ms"], "slowest": slowest["callback"],
                                "calls": min(r["calls"] for r in rows), "errors": errors}
    return results


def stale_payloads(app, payloads: dict[str, list[dict]]) -> list[str]:
    """Why saved payloads no longer fit the app (an interaction without requests, an output it no longer has)."""
    problems = []
    app.server.test_client().get("/")  # Dash merges page callbacks into callback_map on the first request
    for interaction, requests in payloads.items():
        if not requests and interaction != "initial":
            problems.append(f"{interaction}: no requests saved")
        for request in requests:
            if request.get("output", "") not in app.callback_map:
                problems.append(f"{interaction}: the app has no callback for {request.get('output', '')[:80]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """`python -m bench.callbacks --app ours|naive`: one app per process, results as JSON on stdout."""
    import argparse
    import sys

    from .browser import load_payloads

    parser = argparse.ArgumentParser(prog="python -m bench.callbacks")
    parser.add_argument("--app", choices=["ours", "naive"], default="ours")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--budget", type=float, default=12.0, help="seconds per callback before stopping early")
    parser.add_argument("--warm", type=int, default=5, help="extra calls with the cache kept (if configured)")
    args = parser.parse_args(argv)
    if args.app == "ours":
        from dashboard.app import create_app
    else:
        from .naive_app import create_app
    app = create_app()
    payloads = load_payloads(args.app)
    stale = stale_payloads(app, payloads)
    if stale:
        print(json.dumps({"stale": stale}))
        return 3
    app.server.test_client().get("/")  # imports every page, so their caches can be found
    clear, configured = cache_clearer(), cache_configured()
    results = measure(app, payloads, args.calls, args.budget, warm_calls=args.warm, clear=clear)
    print(json.dumps({"results": results, "cache_configured": configured, "cleared_caches": clear.names}))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

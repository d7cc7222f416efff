"""From results.json to rows with targets, PASS/FAIL and ratios to the naive baseline, as Markdown and text."""

from __future__ import annotations

INTERACTIONS = [("filter", "filter change"), ("level", "level change"), ("metric", "metric change"),
                ("year", "year change"), ("area", "area click")]
KB, MB = 1000, 1_000_000  # decimal units: the stricter reading of the targets


def _get(data, *keys):
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _row(rows, id_, what, value, unit, target, baseline=None, note="", errors=None, missing="not measured",
         ratio=True):
    errors = [str(e)[:200] for e in (errors or [])]
    if value is None:
        status = "NOT RUN"
    elif errors:
        status = "FAIL"
    else:
        status = "PASS" if value <= target else "FAIL"
    rows.append({
        "id": id_, "what": what, "value": value, "unit": unit, "target": target, "status": status,
        "baseline": baseline, "ratio": (value / baseline if ratio and value is not None and baseline else None),
        "note": note if value is not None else (note or missing), "errors": errors,
    })


def rows(results: dict) -> list[dict]:
    ours, naive = results.get("ours", {}), results.get("naive", {})
    out: list[dict] = []
    callbacks = _get(ours, "callbacks", "results") or {}
    naive_callbacks = _get(naive, "callbacks", "results") or {}
    for key, label in INTERACTIONS:
        mine, base = callbacks.get(key) or {}, naive_callbacks.get(key) or {}
        note = ""
        if mine.get("slowest"):
            calls = mine.get("calls")
            note = f"slowest: {mine['slowest']}" + (f" (n={calls})" if calls else "")
        _row(out, f"callback_{key}", f"Callback server time p95, {label}", mine.get("p95_ms"), "ms", 50,
             base.get("p95_ms"), note, mine.get("errors"))
    visits = _get(ours, "browser", "interactions") or {}
    naive_visits = _get(naive, "browser", "interactions") or {}
    for key, label in INTERACTIONS:
        mine, base = visits.get(key) or {}, naive_visits.get(key) or {}
        biggest = max(mine.get("requests") or [{}], key=lambda r: r.get("bytes", 0))
        note = ""
        if biggest.get("bytes"):
            name = (biggest.get("output") or biggest.get("path") or "")[:40]
            note = f"largest: {name.strip('.')} {biggest['bytes'] / KB:,.1f} KB"
        _row(out, f"bytes_{key}", f"Bytes per interaction, {label} (all responses)",
             _kb(mine.get("bytes")), "KB", 50, _kb(base.get("bytes")), note, mine.get("errors"))
    metric, base_metric = visits.get("metric") or {}, naive_visits.get("metric") or {}
    _row(out, "map_bytes_metric", "Bytes per map-only change: metric (all responses)", _kb(metric.get("bytes")),
         "KB", 5, _kb(base_metric.get("bytes")), "only the map should change", metric.get("errors"))
    year, base_year = visits.get("year") or {}, naive_visits.get("year") or {}
    _row(out, "map_bytes_year", "Bytes per map-only change: year (map callbacks only)", _kb(year.get("map_bytes")),
         "KB", 5, _kb(base_year.get("map_bytes")), "URL/state and map responses of a year change",
         year.get("errors"))
    first, base_first = _get(ours, "browser", "first_visit") or {}, _get(naive, "browser", "first_visit") or {}
    _row(out, "first_load", "First load of the explorer, all assets (compressed)",
         _mb(first.get("first_load_bytes")), "MB", 2, _mb(base_first.get("first_load_bytes")),
         f"{first.get('first_load_requests', '?')} requests" if first else "", first.get("first_load_errors"))
    runs = first.get("first_map_runs_s") or []
    busy = (results.get("loadavg") or {}).get("before_browser_ours")
    _row(out, "first_map", "First map drawn in headless Chromium", first.get("first_map_s"), "s", 2.5,
         base_first.get("first_map_s"), f"median of {len(runs)}: {', '.join(f'{r:.1f}' for r in runs)} s"
         + (f"; load average {busy[0]:.1f} on {results['machine'].get('cpus')} CPUs" if busy else "")
         if runs else "")
    load = ours.get("load") or {}
    _row(out, "load_errors", f"{load.get('users', 50)} users {load.get('seconds', 60)} s: errors",
         load.get("failures"), "errors", 0, note=f"{load.get('requests', 0):,} requests" if load else "",
         ratio=False)
    _row(out, "load_p95", f"{load.get('users', 50)} users {load.get('seconds', 60)} s: p95 (all requests)",
         load.get("p95_ms"), "ms", 300, note=(f"worst p95 of one kind: interaction callbacks "
                                               f"{load['callback_p95_ms']:.0f} ms, first-visit requests "
                                               f"{load.get('first_visit_p95_ms') or 0:.0f} ms")
         if load.get("callback_p95_ms") else "", ratio=False)
    def largest(workers, key="rss_mb"):
        values = [w.get(key, 0) for w in workers or []]
        return max(values) if values else None

    started, loaded = ours.get("memory_after_start"), ours.get("memory_after_load")
    _row(out, "memory_start", "Memory per worker once the data is loaded (RSS, largest worker)", largest(started),
         "MB", 400, largest(naive.get("memory_after_start")),
         f"{len(started or [])} workers; PSS {largest(started, 'pss_mb'):.0f} MB; after warm-up visits "
         f"{largest(ours.get('memory_after_first_visits')) or 0:.0f} MB" if started else "")
    _row(out, "memory_load", "Memory per worker after the load test (RSS, largest worker)", largest(loaded), "MB",
         400, largest(naive.get("memory_after_browser")),
         f"PSS {largest(loaded, 'pss_mb'):.0f} MB; baseline after its browser visits" if loaded else "")
    build = results.get("build") or {}
    _row(out, "build", "python -m dashboard.data build from raw", build.get("seconds"), "s", 60,
         note=build.get("skipped", "into a temporary folder"), errors=[build["error"]] if build.get("error") else [],
         ratio=False)
    return out


def _kb(value):
    return None if value is None else round(value / KB, 1)


def _mb(value):
    return None if value is None else round(value / MB, 2)


def _fmt(value, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("errors",):
        return f"{value:,.0f}"
    if unit == "MB" and value < 10:
        return f"{value:,.2f} {unit}"
    if unit == "s":
        return f"{value:,.2f} {unit}"
    return f"{value:,.1f} {unit}"


def _ratio(row) -> str:
    ratio = row.get("ratio")
    if ratio is None:
        return "n/a" if row.get("baseline") is None else "-"
    return f"{ratio:.2f}×" if ratio >= 0.01 else f"{ratio:.3f}×"


def _target(row) -> str:
    if row["unit"] == "errors":
        return "0 errors"
    return f"≤ {_fmt(row['target'], row['unit'])}"


def markdown(results: dict) -> str:
    table = results.get("rows") or rows(results)
    load = results.get("loadavg", {})
    lines = [
        "# Benchmark results",
        "",
        f"`python -m bench{' --quick' if results.get('mode') == 'quick' else ''}` on "
        f"{results['machine'].get('cpus')} CPUs ({results['machine'].get('cpu') or 'unknown CPU'}, "
        f"{results['machine'].get('memory_gb')} GB), {results.get('started_at')}, commit {results.get('commit')}, "
        f"{results.get('wall_s', 0):.0f} s. Load average (1 min) before the run {_load(load.get('start'))}, "
        f"at the end {_load(load.get('end'))}"
        + (" — **the machine was busy with other work, so times are pessimistic**."
           if _busy(results) else "."),
        "",
        "| What | Ours | Target | Result | Naive baseline | Ours / baseline |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in table:
        result = f"**{row['status']}**" if row["status"] != "PASS" else "PASS"
        note = f"<br><sub>{row['note']}</sub>" if row.get("note") else ""
        if row.get("errors"):
            note += f"<br><sub>errors: {'; '.join(row['errors'][:2])}</sub>"
        lines.append(f"| {row['what']}{note} | {_fmt(row['value'], row['unit'])} | {_target(row)} | {result} | "
                     f"{_fmt(row['baseline'], row['unit'])} | {_ratio(row)} |")
    lines += ["", *method_notes(results), *details(results)]
    return "\n".join(lines) + "\n"


def _load(values) -> str:
    return "n/a" if not values else f"{values[0]:.1f}"


def _busy(results) -> bool:
    """Other work on the machine: judged before our own servers and browsers add to the load average."""
    cpus = results["machine"].get("cpus") or 1
    load = results.get("loadavg", {})
    start, browser = load.get("start"), load.get("before_browser_ours")
    return bool((start and start[0] > 0.75 * cpus) or (browser and browser[0] > cpus))


def method_notes(results: dict) -> list[str]:
    profile = results.get("profile", {})
    return [
        "## How each row is measured",
        "",
        f"- **Callback p95**: the requests Chromium sent for that interaction (saved in `bench/payloads/`) are "
        f"replayed in-process through Flask's test client with `Accept-Encoding: gzip`, up to {profile.get('calls')} "
        f"times per callback (fewer if one callback uses more than {profile.get('budget_s')} s; n is shown), with "
        "the app's result caches cleared before every call (cold; what a worker derives once from the data alone, "
        "such as the checking rules and England-wide bands per year, is kept: see `bench/callbacks.py` KEEP). The "
        "row shows the slowest callback of the interaction.",
        "- **Bytes**: transferred (compressed) body sizes as Chromium counted them, browser asking for gzip only, "
        "from a freshly loaded default view scrolled to the bottom and back (so the charts and table, built only "
        "when a reader reaches them, are on the page and answer too); every response the interaction caused is "
        "counted (callbacks, boundary files, the favicon Chromium re-requests when the URL changes). "
        "KB = 1,000 bytes.",
        "- **Map-only change**: a metric change (all responses; only the map depends on the metric) and the "
        "map's share of a year change (the state/URL callback and the map callback; charts and table "
        "legitimately change with the year and are counted in the year row above).",
        "- **First load / first map**: a fresh browser profile per visit, its window opened on about:blank and "
        "left until the machine is quiet (a new Chromium window spends about two CPU-seconds building its own "
        "UI; a visitor's window is already open), then the explorer's address (first load: until the map is "
        "drawn and the network is quiet, without scrolling); first map = time from navigation start "
        "until maplibre has the area trace's features in its render tree and two animation frames have passed "
        "(page clock), confirmed by a screenshot with painted pixels. Software WebGL (SwiftShader) on the same "
        "two CPUs as the server.",
        f"- **Load**: locust (headless, FastHttpUser) against `gunicorn dashboard.app:server -w 2 --threads 4` on "
        f"127.0.0.1; {profile.get('users')} users for {profile.get('load_s')} s, each arriving once with an empty "
        "cache (page, every static file, layout, initial callbacks, boundaries), then repeating a random "
        "recorded interaction with 1-3 s of reading time. Locust runs on the same two CPUs.",
        "- **Memory**: VmRSS from /proc of each gunicorn worker after warm-up and after the load test (largest).",
        "- **Naive baseline**: `bench/naive_app.py`, a Plotly Express `choropleth_map` embedding the "
        "full-resolution `boundaries_ltla24.geojson` in every figure, one callback recomputing from the practice "
        "table, compressed like ours (`Dash(compress=True)`); the same interactions in the same browser.",
        "",
    ]


def details(results: dict) -> list[str]:
    out = ["## Detail", ""]
    callbacks = ((results.get("ours") or {}).get("callbacks") or {}).get("results") or {}
    if callbacks:
        out += ["Callbacks (ours; cold = caches cleared before each call, warm = the same request again; "
                "`initial` is the page load, for information):", "",
                "| Interaction | Callback | cold p50 ms | cold p95 ms | n | warm p95 ms | response (gzip) | status |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for key in ["initial"] + [k for k, _ in INTERACTIONS]:
            for row in (callbacks.get(key) or {}).get("callbacks", []):
                out.append(f"| {key} | {row['callback']} | {row['p50_ms']} | {row['p95_ms']} | {row['calls']} | "
                           f"{row.get('warm_p95_ms') if row.get('warm_p95_ms') is not None else 'n/a'} | "
                           f"{row['response_bytes_gzip'] / KB:,.1f} KB | {', '.join(map(str, row['statuses']))} |")
        out.append("")
    visits = (((results.get("ours") or {}).get("browser") or {}).get("interactions")) or {}
    if visits:
        out += ["Responses per interaction (ours, in the browser):", ""]
        for key, _label in INTERACTIONS:
            parts = [f"{(r.get('output') or r['path']).strip('.')[:32]} {r['bytes'] / KB:,.1f} KB"
                     for r in (visits.get(key) or {}).get("requests", [])]
            out.append(f"- {key}: " + "; ".join(parts))
        out.append("")
    first = (((results.get("ours") or {}).get("browser") or {}).get("first_visit")) or {}
    if first.get("first_load_responses"):
        largest = sorted(first["first_load_responses"], key=lambda r: -r["bytes"])[:6]
        out += ["Largest first-load responses (ours): " + "; ".join(
            f"{r['path'].rsplit('/', 1)[-1][:40]} {r['bytes'] / KB:,.0f} KB" for r in largest), ""]
    default = first.get("browser_default_encoding") or {}
    if default.get("bytes"):
        out += [f"First load with Chromium's own Accept-Encoding ({', '.join(e for e in default['encodings'] if e != 'None')}"
                f"): {default['bytes'] / MB:,.2f} MB, map drawn at {default['first_map_s']:.2f} s (for information; "
                "the row above asks for gzip only).", ""]
    if first.get("timeline_until_map_ms"):
        keep = [e for e in first["timeline_until_map_ms"]
                if e["what"].endswith(("update-component", ".geojson", "plotly.min.js", "map painted", "_dash-layout"))]
        out += ["First visit timeline (ms from navigation start, first run): " + "; ".join(
            f"{e['what'].rsplit('/', 1)[-1]} {e['start']}–{e['end']}" for e in keep), ""]
    load = (results.get("ours") or {}).get("load") or {}
    if load.get("by_kind"):
        out += [f"Load test: {load['requests']:,} requests, {load.get('requests_per_s')} per second, p50 "
                f"{load.get('p50_ms')} ms, p95 {load.get('p95_ms')} ms, p99 {load.get('p99_ms')} ms. Slowest kinds "
                "(p95): " + "; ".join(f"{k['name']} {k['p95_ms']:.0f} ms (n={k['requests']})"
                                      for k in load["by_kind"][:6]), ""]
        if load.get("failure_messages"):
            out += ["Load test failures: " + "; ".join(f"{f['name']}: {f['error']} ×{f['count']}"
                                                       for f in load["failure_messages"][:5]), ""]
    if results.get("failures"):
        out += ["Measurements that did not complete: " + "; ".join(
            f"{f['step']}: {f['error'][:300]}" for f in results["failures"]), ""]
    out += ["Reproduce: `python -m bench` (full: 200 calls per callback, 3 first visits, 60 s load) or "
            "`python -m bench --quick`; needs Debian's chromium and the `scale` extra (`pip install -e '.[scale]'`)."]
    return out


def console_table(results: dict) -> str:
    table = results.get("rows") or rows(results)
    width = max(len(r["what"]) for r in table)
    lines = [f"{'what'.ljust(width)}  {'ours':>12}  {'target':>12}  {'result':7}  {'baseline':>12}  ratio"]
    for row in table:
        lines.append(f"{row['what'].ljust(width)}  {_fmt(row['value'], row['unit']):>12}  {_target(row):>12}  "
                     f"{row['status']:7}  {_fmt(row['baseline'], row['unit']):>12}  {_ratio(row)}")
    return "\n".join(lines)

"""`python -m bench [--quick]`: every target of issue 5 measured in one run, beside a naive baseline.

Writes bench/results.json (every number and the detail behind it) and bench/RESULTS.md (the table).

Order: gunicorn (ours) -> Chromium (first visits, interactions; saves the callback payloads) ->
locust -> worker memory; in-process callback timings (a subprocess per app); gunicorn (naive) ->
Chromium -> memory; naive callback timings; the data build into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime

from . import browser, buildtime, loadtest, report
from .support import BENCH_DIR, PAYLOADS, PROJECT_ROOT, chromium_path, gunicorn

PROFILES = {
    # calls per callback, seconds per callback before stopping early, first visits, load seconds
    "full": {"calls": 200, "budget_s": 12.0, "warm": 5, "visits": 5, "users": 50, "load_s": 60},
    "quick": {"calls": 20, "budget_s": 2.0, "warm": 2, "visits": 1, "users": 50, "load_s": 10},
}
STEPS = ("browser", "load", "callbacks", "naive", "build")


def machine() -> dict:
    cpu = ""
    try:
        cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                   "")
    except OSError:
        pass
    try:
        memory = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        memory = 0
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gb": round(memory / 1024 / 1024, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("dash", "plotly", "pandas", "flask", "flask-compress", "flask-caching", "gunicorn", "locust",
                 "playwright"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip() or None
    except OSError:
        return None


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def warm_workers(url: str, app: str, requests: int = 8) -> None:
    """Both gunicorn workers load the data and answer a first visit (the page callbacks) before anything is
    measured: a server that has been up for a minute, not one still importing on its first request."""
    import urllib.request

    initial = PAYLOADS / app / "initial.json"
    bodies = []
    if initial.exists() and not loadtest.stale_payloads(url, PAYLOADS / app):
        bodies = [json.dumps(body).encode() for body in json.loads(initial.read_text())]
    for _ in range(requests):
        with urllib.request.urlopen(url + "/_dash-layout", timeout=60) as response:
            response.read()
        for body in bodies:
            request = urllib.request.Request(url + "/_dash-update-component", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    response.read()
            except OSError:
                pass  # a broken callback shows up in the measurements, not here


def memory_once_booted(master_pid: int, workers: int = 2, timeout: float = 90) -> list[dict]:
    """Worker memory once every worker has booted (each loads the data as it boots) and stopped growing."""
    deadline = time.monotonic() + timeout
    previous: list[dict] = []
    while time.monotonic() < deadline:
        current = loadtest.workers_memory(master_pid)
        if (len(current) == workers and len(previous) == workers
                and all(abs(a.get("rss_mb", 0) - b.get("rss_mb", 0)) < 2 for a, b in zip(current, previous, strict=True))):
            return current
        previous = current
        time.sleep(1.0)
    return previous


def callback_timings(app: str, profile: dict) -> dict:
    """In-process timings in a fresh interpreter (one Dash app per process, nothing shared with the others)."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # in-process cache: what is timed is our code
    argv = [sys.executable, "-m", "bench.callbacks", "--app", app, "--calls", str(profile["calls"]), "--budget",
            str(profile["budget_s"]), "--warm", str(profile["warm"])]
    process = subprocess.run(argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    lines = [line for line in process.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"bench.callbacks --app {app} failed (exit {process.returncode}):\n"
                           f"{process.stderr[-3000:]}")
    answer = json.loads(lines[-1])
    if "stale" in answer:
        raise RuntimeError(f"saved payloads for {app} no longer fit the app: {answer['stale'][:5]}; run the "
                           "benchmark with Chromium available to capture them again")
    return answer


def run_browser(server_url: str, app: browser.AppUnderTest, profile: dict, results: dict, key: str) -> None:
    if chromium_path() is None:
        results[key]["browser_skipped"] = "chromium not installed (apt-get install chromium)"
        log(f"{key}: chromium missing, browser rows not measured; replaying saved payloads")
        return
    log(f"{key}: Chromium: {profile['visits']} first visit(s) and {len(app.interactions)} interactions")
    results["loadavg"][f"before_browser_{key}"] = os.getloadavg()
    results[key]["browser"] = browser.measure(server_url, app, runs=profile["visits"])


def measure_ours(profile: dict, steps: set[str], results: dict) -> None:
    ours = results["ours"]
    log("ours: starting gunicorn dashboard.app:server -w 2 --threads 4 on 127.0.0.1")
    with gunicorn("dashboard.app:server", name="ours") as server:
        ours["memory_after_start"] = memory_once_booted(server.pid)
        warm_workers(server.url, "ours")
        ours["memory_after_first_visits"] = loadtest.workers_memory(server.pid)
        if "browser" in steps:
            step(results, "ours browser", run_browser, server.url, browser.OURS, profile, results, "ours")
        if "load" in steps:
            assets = (ours.get("browser") or {}).get("first_visit", {}).get("asset_paths") or ["/"]
            log(f"ours: locust, {profile['users']} users for {profile['load_s']} s")
            results["loadavg"]["before_load"] = os.getloadavg()
            ours["load"] = step(results, "load test", loadtest.run, server.url, profile["users"], profile["load_s"],
                                assets)
        ours["memory_after_load"] = loadtest.workers_memory(server.pid)
    if "callbacks" in steps:
        log(f"ours: in-process callback timings ({profile['calls']} calls each)")
        results["loadavg"]["before_callbacks"] = os.getloadavg()
        ours["callbacks"] = step(results, "ours callbacks", callback_timings, "ours", profile)


def measure_naive(profile: dict, steps: set[str], results: dict) -> None:
    naive = results["naive"]
    log("naive: starting gunicorn bench.naive_app:server -w 2 --threads 4")
    with gunicorn("bench.naive_app:server", name="naive") as server:
        naive["memory_after_start"] = memory_once_booted(server.pid)
        warm_workers(server.url, "naive")
        if "browser" in steps:
            step(results, "naive browser", run_browser, server.url, browser.NAIVE, profile, results, "naive")
        naive["memory_after_browser"] = loadtest.workers_memory(server.pid)
    if "callbacks" in steps:
        log("naive: in-process callback timings")
        naive["callbacks"] = step(results, "naive callbacks", callback_timings, "naive", profile)


def step(results: dict, name: str, function, *args):
    """Run one measurement; a failure is recorded (and shown in the table) instead of ending the run."""
    started = time.perf_counter()
    try:
        return function(*args)
    except Exception as exc:  # noqa: BLE001 - one broken measurement must not hide the others
        results["failures"].append({"step": name, "error": f"{type(exc).__name__}: {exc}"[:3000],
                                    "traceback": traceback.format_exc()[-4000:]})
        log(f"{name} FAILED: {type(exc).__name__}: {str(exc)[:300]}")
        return None
    finally:
        results["durations_s"][name] = round(time.perf_counter() - started, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer calls, one first visit, a 10 s load test")
    parser.add_argument("--skip", nargs="*", default=[], choices=STEPS, help="leave out some measurements")
    parser.add_argument("--out", default=str(BENCH_DIR), help="folder for results.json and RESULTS.md")
    parser.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                        help="first wait up to this long for the 1-minute load average to fall below the CPU count")
    args = parser.parse_args(argv)
    if args.wait_quiet:
        deadline = time.monotonic() + args.wait_quiet
        while os.getloadavg()[0] >= (os.cpu_count() or 1) and time.monotonic() < deadline:
            log(f"waiting for a quieter machine (load average {os.getloadavg()[0]:.1f})")
            time.sleep(15)
    profile = dict(PROFILES["quick" if args.quick else "full"])
    steps = set(STEPS) - set(args.skip)
    started = time.perf_counter()
    results = {
        "mode": "quick" if args.quick else "full", "profile": profile, "steps": sorted(steps),
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(),
        "machine": machine(), "versions": versions(), "loadavg": {"start": os.getloadavg()},
        "ours": {}, "naive": {}, "failures": [], "durations_s": {},
    }
    log(f"{results['mode']} run on {results['machine']['cpus']} CPUs, load average {os.getloadavg()[0]:.1f}")
    measure_ours(profile, steps, results)
    if "naive" in steps:
        measure_naive(profile, steps, results)
    if "build" in steps:
        log("python -m dashboard.data build into a temporary folder")
        results["build"] = step(results, "build", buildtime.run)
    results["loadavg"]["end"] = os.getloadavg()
    results["wall_s"] = round(time.perf_counter() - started, 1)
    results["rows"] = report.rows(results)
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=1, default=str)
        handle.write("\n")
    markdown = report.markdown(results)
    with open(os.path.join(out, "RESULTS.md"), "w") as handle:
        handle.write(markdown)
    print()
    print(report.console_table(results))
    log(f"done in {results['wall_s']:.0f} s: {os.path.join(out, 'results.json')}, {os.path.join(out, 'RESULTS.md')}")
    return 0

"""Many users at once: locust (headless) against gunicorn on 127.0.0.1, then worker memory from /proc."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .support import BENCH_DIR, PAYLOADS


def locust_executable() -> str:
    candidate = Path(sys.executable).with_name("locust")
    return str(candidate) if candidate.exists() else "locust"


def stale_payloads(url: str, payloads: Path = PAYLOADS / "ours") -> list[str]:
    """Saved requests whose output the running app no longer has (its /_dash-dependencies)."""
    import urllib.request

    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=60) as response:
        outputs = {entry["output"] for entry in json.loads(response.read())}
    problems = []
    for path in sorted(payloads.glob("*.json")):
        for body in json.loads(path.read_text()):
            if body.get("output") not in outputs:
                problems.append(f"{path.stem}: no callback for {body.get('output', '')[:80]}")
    return problems


def run(url: str, users: int, seconds: int, asset_paths: list[str], payloads: Path = PAYLOADS / "ours") -> dict:
    """Run locust and read its CSV: totals, the slowest request kinds and the error messages."""
    stale = stale_payloads(url, payloads)
    if stale:
        raise RuntimeError(f"saved payloads no longer fit the app, load test not run: {stale[:3]}")
    folder = Path(tempfile.mkdtemp(prefix="bench-locust-"))
    assets = folder / "assets.json"
    assets.write_text(json.dumps(asset_paths))
    prefix = folder / "run"
    argv = [locust_executable(), "-f", str(BENCH_DIR / "locustfile.py"), "--headless", "-u", str(users),
            "-r", str(max(1, users // 5)), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix),
            "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    env = dict(os.environ, BENCH_PAYLOADS=str(payloads), BENCH_ASSETS=str(assets))
    started = time.perf_counter()
    process = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 180)
    elapsed = time.perf_counter() - started
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        raise RuntimeError(f"locust wrote no statistics (exit {process.returncode}):\n{process.stderr[-3000:]}")
    rows = list(csv.DictReader(stats_file.open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    kinds = [{"name": f"{r['Type']} {r['Name']}", "requests": int(r["Request Count"]),
              "failures": int(r["Failure Count"]), "p50_ms": _number(r["50%"]), "p95_ms": _number(r["95%"]),
              "max_ms": _number(r["Max Response Time"]), "avg_bytes": _number(r["Average Content Size"])}
             for r in rows if r["Name"] != "Aggregated"]
    failures_file = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_file.open())) if failures_file.exists() else []
    return {
        "users": users, "seconds": seconds, "wall_s": round(elapsed, 1),
        "requests": int(total["Request Count"]), "failures": int(total["Failure Count"]),
        "p50_ms": _number(total["50%"]), "p95_ms": _number(total["95%"]), "p99_ms": _number(total["99%"]),
        "max_ms": _number(total["Max Response Time"]), "requests_per_s": _number(total["Requests/s"]),
        "by_kind": sorted(kinds, key=lambda k: -(k["p95_ms"] or 0)),
        "failure_messages": [{"name": f["Name"], "error": f["Error"][:300], "count": int(f["Occurrences"])}
                             for f in failures][:20],
        "callback_p95_ms": _max_p95([k for k in kinds if " initial " not in k["name"]], "callback "),
        "first_visit_p95_ms": max((k["p95_ms"] or 0 for k in kinds if " initial " in k["name"]
                                   or k["name"].startswith("GET ")), default=None),
        "locust_exit": process.returncode,
    }


def _number(text: str) -> float | None:
    try:
        return round(float(text), 1)
    except (TypeError, ValueError):
        return None


def _max_p95(kinds: list[dict], prefix: str) -> float | None:
    """The largest p95 among some request kinds (locust's CSV has no p95 for a subset of kinds)."""
    values = [k["p95_ms"] for k in kinds if k["name"].split(" ", 1)[-1].startswith(prefix) and k["p95_ms"]]
    return max(values) if values else None


# --- memory ----------------------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def memory_mb(pid: int) -> dict:
    """RSS (what the issue asks) and PSS (shared pages split between processes) of one process, in MB."""
    out = {"pid": pid}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            out["rss_mb"] = round(int(line.split()[1]) / 1024, 1)
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                out["pss_mb"] = round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return out


def workers_memory(master_pid: int) -> list[dict]:
    return [memory_mb(pid) for pid in children(master_pid)]

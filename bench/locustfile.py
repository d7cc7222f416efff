"""Simulated visitors for `locust --headless` (bench/loadtest.py starts it against gunicorn).

Each user arrives once like a browser with an empty cache (the page, every static file the
browser fetched in this run's Chromium pass, the layout, the initial callbacks and the boundary
files), then keeps interacting: a random interaction from bench/payloads/ours/ (filter, level,
metric, year or area click), sending that interaction's callback requests exactly as Chromium
sent them, one after another, with 1-3 s of reading time between interactions.

Environment: BENCH_PAYLOADS (folder of <interaction>.json), BENCH_ASSETS (JSON list of paths).
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

from locust import FastHttpUser, between, task

PAYLOADS = Path(os.environ.get("BENCH_PAYLOADS", Path(__file__).resolve().parent / "payloads" / "ours"))
ASSETS = json.loads(Path(os.environ["BENCH_ASSETS"]).read_text()) if os.environ.get("BENCH_ASSETS") else []
REQUESTS = {path.stem: [json.dumps(body) for body in json.loads(path.read_text())]
            for path in sorted(PAYLOADS.glob("*.json"))}
INITIAL = REQUESTS.pop("initial", [])
INTERACTIONS = {name: bodies for name, bodies in REQUESTS.items() if bodies}
HEADERS = {"Accept-Encoding": "gzip"}
JSON_HEADERS = {**HEADERS, "Content-Type": "application/json"}


def short(body: str) -> str:
    output = json.loads(body).get("output", "")
    return output.strip(".").split(".")[0]


class Visitor(FastHttpUser):
    wait_time = between(1, 3)

    def on_start(self):
        self.client.get("/", headers=HEADERS, name="page /")
        for path in ASSETS:
            if path in ("/", "/_dash-update-component"):
                continue
            self.client.get(path, headers=HEADERS, name="static file" if not path.startswith("/_dash-")
                            else path)
        for body in INITIAL:
            self.client.post("/_dash-update-component", data=body, headers=JSON_HEADERS,
                             name=f"callback initial {short(body)}")

    @task
    def interact(self):
        name = random.choice(list(INTERACTIONS))
        for body in INTERACTIONS[name]:
            self.client.post("/_dash-update-component", data=body, headers=JSON_HEADERS,
                             name=f"callback {name} {short(body)}")

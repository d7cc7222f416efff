"""No request can signal a process, and a crowd of downloads creates no process at all.

Dash's background-callback managers read `cancelJob`, `oldJob` and `job` from the query string of
/_dash-update-component and kill the process they name. These tests send those keys, naming a process
the test started and the server's own processes, to every server callback of the real app served as
the Procfile serves it (gunicorn) and by the dev server, and check that every process survives.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from bench.support import Server, free_port, gunicorn

JOB_KEYS = ("cancelJob", "oldJob", "job")


def request(url: str, body: bytes | None = None, timeout: float = 60):
    """(status, headers, body) of a GET or a JSON POST, errors included."""
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"} if body else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def split_outputs(output: str) -> list[dict]:
    """Dash's output key ('a.b' or '..a.b...c.d..') as the list of {id, property} the browser sends."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)) for part in parts]


def callback_bodies(url: str) -> list[dict]:
    """One request body per server callback, as the browser would send it, read from /_dash-dependencies."""
    _, _, raw = request(url + "/_dash-dependencies")
    bodies = []
    for dependency in json.loads(raw):
        if dependency.get("clientside_function"):
            continue
        outputs = split_outputs(dependency["output"])
        inputs = [{"id": i["id"], "property": i["property"], "value": 1} for i in dependency["inputs"]]
        bodies.append({"output": dependency["output"], "outputs": outputs if len(outputs) > 1 else outputs[0],
                       "inputs": inputs, "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
                       "state": [{"id": s["id"], "property": s["property"], "value": None}
                                 for s in dependency.get("state", [])]})
    return bodies


def server_processes(server) -> dict[int, float]:
    """pid → start time of the server and every process under it (a restarted worker gets a new pair)."""
    master = psutil.Process(server.pid)
    return {p.pid: p.create_time() for p in [master, *master.children(recursive=True)]}


@pytest.fixture(scope="module", params=["gunicorn", "dev-server"])
def server(request, tmp_path_factory):
    env = {"EQUITY_ATLAS_JOBS_DIR": str(tmp_path_factory.mktemp("jobs")), "REDIS_URL": "",
           "EQUITY_ATLAS_EXPORT_WAIT_SECONDS": "1"}
    if request.param == "gunicorn":
        started = gunicorn("dashboard.app:server", workers=2, threads=4, env_extra=env, name="pid-safety")
    else:
        port = free_port()
        started = Server([sys.executable, "-m", "dashboard", "--port", str(port)], port, env, name="pid-safety-dev")
    started.jobs_dir = env["EQUITY_ATLAS_JOBS_DIR"]
    yield started
    started.stop()


def test_no_request_can_signal_a_process(server):
    bystander = subprocess.Popen(["sleep", "600"])
    try:
        before = server_processes(server)
        targets = [bystander.pid, *before]
        bodies = callback_bodies(server.url)
        assert len(bodies) >= 10, "every page's server callbacks should be listed"
        for body in bodies:
            data = json.dumps(body).encode()
            for key in JOB_KEYS:
                for pid in targets:
                    request(f"{server.url}/_dash-update-component?{key}={pid}&cacheKey=x", data)
        time.sleep(0.5)  # a kill would have landed by now
        assert bystander.poll() is None, "a request killed a process the server does not own"
        assert server_processes(server) == before, "a request killed or restarted a server process"
        assert request(server.url + "/")[0] == 200
    finally:
        bystander.kill()
        bystander.wait(5)


def test_a_crowd_of_england_packs_creates_no_process_and_is_bounded(server):
    """20 at once: built in the web workers' own threads (at most EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS at a
    time); the rest are served from the cache once it is built, or told to come back (503 + Retry-After)."""
    before = server_processes(server)
    extra, stop = {}, threading.Event()

    def watch():
        while not stop.is_set():
            for process in psutil.Process(server.pid).children(recursive=True):
                if process.pid not in before:
                    try:
                        extra[process.pid] = " ".join(process.cmdline())
                    except psutil.Error:
                        extra[process.pid] = "(ended before it could be named)"
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with ThreadPoolExecutor(20) as pool:
            answers = list(pool.map(lambda _: request(f"{server.url}/download/pack/E92000001.zip", timeout=120),
                                    range(20)))
    finally:
        stop.set()
        watcher.join()
    assert not extra, f"process(es) were created for downloads: {extra}"
    assert server_processes(server) == before
    statuses = [status for status, _, _ in answers]
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) >= 1
    for status, headers, body in answers:
        if status == 503:
            assert headers["Retry-After"].isdigit() and b"try again" in body
        else:
            assert body[:2] == b"PK" and headers["Content-Type"] == "application/zip"
    assert len({body for status, _, body in answers if status == 200}) == 1, "every pack should be the same file"


def test_a_busy_machine_says_so_before_doing_any_work(server):
    """With every build slot held (here by the test), a download is refused at once with Retry-After."""
    from pathlib import Path

    folder = Path(server.jobs_dir) / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    held = [open(folder / f"slot-{n}.lock", "a+b") for n in range(2)]
    try:
        for handle in held:
            fcntl.flock(handle, fcntl.LOCK_EX)
        started = time.monotonic()
        status, headers, body = request(f"{server.url}/download/briefing/E09000022.pdf")
        assert status == 503 and headers["Retry-After"].isdigit(), (status, body[:300])
        assert time.monotonic() - started < 10 and b"try again" in body
    finally:
        for handle in held:
            handle.close()
    status, headers, body = request(f"{server.url}/download/briefing/E09000022.pdf")
    assert status == 200 and body.startswith(b"%PDF")

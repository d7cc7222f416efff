"""Slow clients against gunicorn as the Procfile starts it: the app keeps answering everyone else.

A slowloris attack (16 connections sending headers a line at a time) once held every thread for 20 s.
These start the real server with dashboard/gunicorn_config.py on a free loopback port and the shipped
data, attack it from this process only, and bound every loop in count and time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from helpers import PROJECT_ROOT

ATTACKERS = 16
ANSWER_WITHIN = 3.0  # seconds for an honest request while the attack runs


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("slow") / "gunicorn.log"
    argv = [sys.executable, "-m", "gunicorn", "dashboard.app:server", "-c", "python:dashboard.gunicorn_config",
            "-b", f"127.0.0.1:{port}", "--log-level", "warning"]
    env = dict(os.environ, WEB_CONCURRENCY="2", PYTHONUNBUFFERED="1")
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        yield {"port": port, "url": url}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the group this Popen created
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def slowloris(port: int, stop: threading.Event, opened: list) -> None:
    """One attacker: a request whose headers never end, a line every 0.3 s, reopened whenever dropped."""
    sock = None
    for _ in range(400):  # at most ~400 × 0.3 s
        if stop.is_set():
            break
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                opened.append(1)
            sock.sendall(b"X-Slow: %d\r\n" % time.monotonic_ns())
        except OSError:
            if sock is not None:
                sock.close()
            sock = None
        stop.wait(0.3)
    if sock is not None:
        sock.close()


def timed(request: urllib.request.Request | str) -> tuple[float, int]:
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=ANSWER_WITHIN + 7) as response:
            response.read()
            status = response.status
    except OSError as exc:
        return time.monotonic() - start, getattr(exc, "code", 0) or -1
    return time.monotonic() - start, status


def callback_request(url: str) -> urllib.request.Request:
    body = {"output": "..page-content.children...page-title.data..",
            "outputs": [{"id": "page-content", "property": "children"}, {"id": "page-title", "property": "data"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/about"}],
            "state": [{"id": "url", "property": "search", "value": ""}], "changedPropIds": ["url.pathname"]}
    return urllib.request.Request(url + "/_dash-update-component", data=json.dumps(body).encode(),
                                  headers={"Content-Type": "application/json"}, method="POST")


def test_pages_and_callbacks_answer_during_a_slowloris_attack(server):
    stop, opened = threading.Event(), []
    attackers = [threading.Thread(target=slowloris, args=(server["port"], stop, opened), daemon=True)
                 for _ in range(ATTACKERS)]
    for thread in attackers:
        thread.start()
    try:
        time.sleep(1.5)  # every attacker connected and holding whatever it can
        assert len(opened) >= ATTACKERS
        timings = []
        end = time.monotonic() + 9  # past the read deadline, so reconnecting attackers are included
        while time.monotonic() < end and len(timings) < 20:
            timings.append(("/", *timed(server["url"] + "/")))
            timings.append(("callback", *timed(callback_request(server["url"]))))
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(5)
    slow = [t for t in timings if t[2] != 200 or t[1] > ANSWER_WITHIN]
    assert len(timings) >= 6 and not slow, f"slow or failed answers under attack: {slow} of {timings}"


def test_a_request_that_never_finishes_is_dropped(server):
    """The read deadline (5 s) frees the thread: the server closes a connection still sending headers."""
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=2) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        start = time.monotonic()
        closed_after = None
        for _ in range(60):  # ≤ 60 × 0.25 s
            try:
                sock.sendall(b"X-Slow: 1\r\n")
                sock.settimeout(0.25)
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - start
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - start
                break
    assert closed_after is not None and closed_after < 8, f"still open after {time.monotonic() - start:.1f} s"

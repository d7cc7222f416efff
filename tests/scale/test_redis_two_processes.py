"""Two app processes and one real Redis: a result one process computed is served by the other.

Each process is the real entry point (`python -m dashboard`) with REDIS_URL set and the read-only
cache probe switched on (EQUITY_ATLAS_CACHE_PROBE=1). The probe answers with the memoised value,
the pid that computed it, the pid that served it and whether it was a cache hit. Process B can
only answer "hit, computed by A" if A's result reached B through Redis: without a shared cache
each process computes for itself, and once the key is deleted from Redis B computes again.

With a real Celery worker (`celery -A dashboard.jobs:celery_app worker`) on the same Redis, a
briefing PDF asked for from A (GET /download/briefing/...) is built by the worker and served by A.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers import IN_CI, PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def need(condition: bool, reason: str) -> None:
    """Skip with the reason on a developer machine; under CI=true a missing piece is a failure."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def redis_url():
    executable = shutil.which("redis-server")
    need(executable is not None, "redis-server is not installed (apt-get install redis-server)")
    try:
        import redis
    except ImportError:
        need(False, "the redis client is not installed (pip install -e '.[scale]')")
    port = free_port()
    folder = tempfile.mkdtemp(prefix="equity-atlas-redis-")
    log = open(Path(folder) / "redis.log", "wb")
    process = subprocess.Popen([executable, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", folder], stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    deadline = time.time() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail(f"redis-server did not start: {(Path(folder) / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.1)
    yield url
    client.close()
    process.terminate()
    process.wait(10)
    log.close()
    shutil.rmtree(folder, ignore_errors=True)


def start_app(redis_url: str, env_extra: dict | None = None):
    port = free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", REDIS_URL=redis_url, EQUITY_ATLAS_CACHE_PROBE="1",
               EQUITY_ATLAS_JOBS_DIR=tempfile.mkdtemp(prefix="equity-atlas-jobs-"), **(env_extra or {}))
    log = tempfile.NamedTemporaryFile(prefix="equity-atlas-scale-", suffix=".log", delete=False)
    process = subprocess.Popen([sys.executable, "-m", "dashboard", "--port", str(port)], cwd=PROJECT_ROOT,
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/", timeout=5):
                return process, url
        except OSError:
            if process.poll() is not None or time.time() > deadline:
                process.kill()
                pytest.fail(f"app did not start:\n{Path(log.name).read_text()[-3000:]}")
            time.sleep(0.3)


@pytest.fixture(scope="module")
def two_apps(redis_url):
    started = []
    try:
        for _ in range(2):
            started.append(start_app(redis_url))
        yield started
    finally:
        for process, _url in started:
            process.terminate()
            process.wait(15)


NOT_WIRED = ("GET /_cache-probe/<year> gave no probe answer with EQUITY_ATLAS_CACHE_PROBE=1: create_app() must call "
             "dashboard.cache.init_cache(app.server)")


def probe(url: str, year: str) -> dict:
    try:
        with urllib.request.urlopen(f"{url}/_cache-probe/{year}", timeout=30) as response:
            if response.headers.get_content_type() != "application/json":  # Dash's catch-all page
                pytest.fail(NOT_WIRED)
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            pytest.fail(NOT_WIRED)
        raise


def latest_year() -> str:
    import pandas as pd

    years = pd.read_parquet(PROJECT_ROOT / "data" / "processed" / "practices.parquet", columns=["year"])["year"]
    return str(sorted(years.astype(str).unique())[-1])


def test_a_result_computed_by_one_process_is_served_by_the_other(two_apps, redis_url):
    import redis

    (process_a, url_a), (process_b, url_b) = two_apps
    assert process_a.pid != process_b.pid
    year = latest_year()
    client = redis.Redis.from_url(redis_url)

    first = probe(url_a, year)
    assert first["backend"] == "RedisCache"
    assert first["hit"] is False
    assert first["served_by"] == process_a.pid == first["value"]["computed_by"]
    assert first["value"]["year"] == year and first["value"]["practices"] > 1000
    assert client.exists(first["key"]) == 1, "A's result is not in Redis"

    second = probe(url_b, year)
    assert second["served_by"] == process_b.pid
    assert second["hit"] is True, "B computed the result itself instead of reading A's from Redis"
    assert second["value"] == first["value"]  # the very value A computed, its pid and timestamp included
    assert second["value"]["computed_by"] == process_a.pid
    assert second["stats"]["misses"] == 0 and second["stats"]["hits"] >= 1

    # Take the key out of Redis and B has nothing to reuse: the hit above came from Redis and nowhere else.
    client.delete(first["key"])
    third = probe(url_b, year)
    assert third["hit"] is False
    assert third["value"]["computed_by"] == process_b.pid
    assert client.exists(third["key"]) == 1


def test_keys_live_under_the_app_prefix_and_clear_removes_only_ours(two_apps, redis_url):
    import redis
    from flask import Flask

    from dashboard import cache

    client = redis.Redis.from_url(redis_url)
    client.set("someone-else:key", b"keep")
    (_, url_a), _ = two_apps
    probe(url_a, latest_year())
    keys = sorted(k.decode() for k in client.keys("*"))
    assert any(k.startswith("equity-atlas:") for k in keys)
    assert all(k == "someone-else:key" or k.startswith("equity-atlas:") for k in keys)

    saved = dict(cache._state)  # this test process joins the same Redis for a moment, then leaves
    try:
        cache._state["backend"] = None
        cache.init_cache(Flask("scale-test"), env={"REDIS_URL": redis_url})
        assert cache.backend_kind() == "RedisCache"
        cache.clear()
    finally:
        cache._state.clear()
        cache._state.update(saved)
    assert [k.decode() for k in client.keys("*")] == ["someone-else:key"]
    assert client.get("someone-else:key") == b"keep"


def test_static_files_are_compressed_once_per_worker(monkeypatch):
    """Many first visits at once: each script is compressed once, not once per visitor (no Redis needed)."""
    import gzip

    from flask import Flask, Response

    from dashboard.cache import cache_static_compression

    server = Flask("static-test")
    script = b"function plot() { return 1; }\n" * 20_000

    @server.route("/_dash-component-suites/lib/bundle.js")
    def bundle():
        return Response(script, mimetype="application/javascript", headers={"ETag": '"v1"'})

    @server.route("/_dash-update-component", methods=["POST"])
    def update():
        return Response(b'{"response": {}}' * 100, mimetype="application/json")

    cache_static_compression(server)
    calls = []
    real = gzip.compress
    monkeypatch.setattr(gzip, "compress", lambda data, **kw: calls.append(len(data)) or real(data, **kw))
    client = server.test_client()
    for _ in range(3):
        response = client.get("/_dash-component-suites/lib/bundle.js", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["ETag"] == '"v1:gzip"' and "Accept-Encoding" in response.headers["Vary"]
        assert gzip.decompress(response.get_data()) == script
        assert int(response.headers["Content-Length"]) == len(response.get_data()) < len(script) // 10
    assert calls == [len(script)]  # compressed once, then served from memory
    plain = client.get("/_dash-component-suites/lib/bundle.js", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.get_data() == script
    posted = client.post("/_dash-update-component", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in posted.headers  # callbacks are left to flask-compress


# Briefings on Celery: asked for from a web process, built by a worker, ids never leaving the server.


def start_worker(redis_url: str):
    """A real worker (`celery -A dashboard.jobs:celery_app worker`) on one Redis, one job at a time."""
    try:
        import celery  # noqa: F401
    except ImportError:
        need(False, "celery is not installed (pip install -e '.[scale]')")
    log_path = Path(tempfile.mkdtemp(prefix="equity-atlas-worker-")) / "worker.log"
    log = open(log_path, "wb")
    env = dict(os.environ, PYTHONUNBUFFERED="1", REDIS_URL=redis_url)
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "dashboard.jobs:celery_app", "worker", "--pool", "solo",
         "--concurrency", "1", "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", f"scale-test-{os.getpid()}-{time.monotonic_ns()}@127.0.0.1"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log_file = log
    deadline = time.time() + 120
    while " ready." not in log_path.read_text(errors="replace"):
        if process.poll() is not None or time.time() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)
    return process, log_path


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
    if getattr(process, "log_file", None):
        process.log_file.close()


@pytest.fixture(scope="module")
def celery_worker(redis_url):
    process, log_path = start_worker(redis_url)
    yield process, log_path
    stop(process)


def get(url: str, timeout: float = 150):
    """(status, headers, body) of a GET, errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_a_briefing_asked_of_a_web_process_is_built_by_the_worker(two_apps, redis_url, celery_worker):
    import io

    import pypdf
    import redis

    (_, url_a), _ = two_apps
    worker, worker_log = celery_worker
    year = latest_year()
    status, headers, pdf = get(f"{url_a}/download/briefing/E08000026.pdf?year={year}")
    assert status == 200, pdf[:500]
    assert headers["Content-Type"] == "application/pdf"
    assert f"equity-atlas-coventry-{year}-briefing" in headers["Content-Disposition"]
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "Coventry" in text and "Open Government Licence" in text
    # The worker built it (the web process only queued it and waited), and no task id reached the client.
    log = worker_log.read_text(errors="replace")
    assert "equity_atlas.build_export" in log and "succeeded" in log, log[-3000:]
    assert not any(key in headers for key in ("X-Job", "X-Task")) and b"celery" not in pdf.lower()
    client = redis.Redis.from_url(redis_url)
    assert all(k.decode().startswith("equity-atlas:") or k == b"someone-else:key" for k in client.keys("*"))


def test_celery_is_used_with_redis_and_nothing_needs_it_without(tmp_path):
    """Which way a build goes, from the environment alone; the worker knows the one task by name."""
    from dashboard import jobs

    assert jobs.redis_url({"EQUITY_ATLAS_JOBS_DIR": str(tmp_path)}) == ""
    try:
        import celery  # noqa: F401
    except ImportError:
        need(False, "celery is not installed (pip install -e '.[scale]')")
    remote = jobs.celery_for("redis://127.0.0.1:1/3")
    assert remote.conf.broker_url == remote.conf.result_backend == "redis://127.0.0.1:1/3"
    assert jobs.TASK_NAME in remote.tasks
    assert jobs.celery_for("redis://127.0.0.1:1/3") is remote  # one per process


def test_local_builds_are_bounded_across_processes(tmp_path):
    """Builds run in the web workers' own threads: the bound on them must hold across worker processes."""
    from dashboard import jobs
    from dashboard.security import ExportsBusy

    env = {"EQUITY_ATLAS_JOBS_DIR": str(tmp_path), "EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS": "1",
           "EQUITY_ATLAS_EXPORT_WAIT_SECONDS": "0.3"}
    other = [sys.executable, "-c",
             "import os, sys\nfrom dashboard import jobs\nfrom dashboard.security import ExportsBusy\n"
             "try:\n    with jobs.machine_slot(os.environ): print('got a slot')\n"
             "except ExportsBusy: print('busy')\n"]
    sub_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"} | env  # local mode in the other too
    with jobs.machine_slot(env):
        held = subprocess.run(other, env=sub_env, capture_output=True, text=True, timeout=60)
        with pytest.raises(ExportsBusy), jobs.machine_slot(env):
            pass
    assert held.stdout.strip() == "busy", held.stderr
    free = subprocess.run(other, env=sub_env, capture_output=True, text=True, timeout=60)
    assert free.stdout.strip() == "got a slot", free.stderr


def test_a_job_no_worker_takes_is_answered_busy_and_later_dropped_not_run(redis_url):
    """No worker on the queue: the download is answered 503 with Retry-After once the wait is over (not a
    page polling for ever), and a worker started after the job's queue time drops it instead of building a
    briefing nobody is waiting for."""
    queue = redis_url.rsplit("/", 1)[0] + "/2"  # a database of its own, no worker on it yet
    process, url = start_app(queue, {"EQUITY_ATLAS_JOB_QUEUE_SECONDS": "1", "EQUITY_ATLAS_JOB_SECONDS": "2"})
    worker = None
    try:
        started = time.monotonic()
        status, headers, body = get(f"{url}/download/briefing/E08000026.pdf?year={latest_year()}")
        assert status == 503 and headers["Retry-After"].isdigit(), (status, body[:300])
        assert b"try again" in body and time.monotonic() - started < 30
        worker, worker_log = start_worker(queue)
        deadline = time.time() + 60
        while "Discarding revoked task" not in worker_log.read_text(errors="replace"):
            if time.time() > deadline:
                pytest.fail(f"the worker never dealt with the queued job:\n{worker_log.read_text()[-3000:]}")
            time.sleep(0.3)
        assert "succeeded" not in worker_log.read_text(errors="replace")
    finally:
        if worker is not None:
            stop(worker)
        stop(process)

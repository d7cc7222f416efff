"""Where briefings and packs are built: in the web process under a bounded slot, or on Celery (REDIS_URL).

Nothing a client sends names a job, a task or a process. A download is asked for by kind, area and
year (each checked against the Atlas); any id the server needs it makes itself and keeps to itself.
(Dash's background callbacks took a process id from the query string and killed that process: they are
not used.) The bound on concurrent builds is taken before any work starts, so a crowd of requests is
answered "busy, try again" (503 with Retry-After), never queued into memory or forked into processes.

Without REDIS_URL a build runs in the request's own thread, at most EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS
at once on the machine (file locks shared by every web worker, released by the system if a worker
dies), and finished files are kept in a size-bounded disk cache shared by the workers. With REDIS_URL
the build is queued to a Celery worker,

    REDIS_URL=redis://cache.internal:6379/0 celery -A dashboard.jobs:celery_app worker --concurrency 2 --loglevel INFO

whose --concurrency bounds the builds; the web thread waits for the result (at most
EQUITY_ATLAS_EXPORT_WAIT_SECONDS for a slot, JOB_SECONDS for the build). Every key the jobs put in
Redis starts with "equity-atlas:jobs:".
"""

from __future__ import annotations

import base64
import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

from .security import ExportsBusy, export_slot

KEY_PREFIX = "equity-atlas:jobs:"
RESULT_SECONDS = 3600  # a result nobody fetched is dropped after an hour
JOB_SECONDS = 120  # a briefing takes seconds; two minutes means something is wrong
# A job still queued after this long is dropped by the worker that finally takes it (Celery "expires"):
# whoever asked has long given up, and a worker started late should not work through a stale backlog.
QUEUE_SECONDS_ENV = "EQUITY_ATLAS_JOB_QUEUE_SECONDS"
JOB_SECONDS_ENV = "EQUITY_ATLAS_JOB_SECONDS"  # how long a web thread waits for a worker's build, after queueing
EXPORT_CACHE_BYTES = 128 * 2**20  # finished briefings and packs kept on disk, shared by the web workers
RETRY_AFTER_SECONDS = 20
WORKER_HELP = ("REDIS_URL=redis://HOST:6379/0 celery -A dashboard.jobs:celery_app worker "
               "--concurrency 2 --loglevel INFO")
TASK_NAME = "equity_atlas.build_export"

_lock = threading.RLock()
_celery_apps: dict[str, object] = {}
_caches: dict[str, object] = {}


def redis_url(env: Mapping[str, str] | None = None) -> str:
    return ((os.environ if env is None else env).get("REDIS_URL") or "").strip()


def jobs_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("EQUITY_ATLAS_JOBS_DIR") or Path(tempfile.gettempdir()) / "equity-atlas-jobs")


def max_exports(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    return max(1, int(env.get("EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS", "2")))


def _wait_seconds(env: Mapping[str, str]) -> float:
    return float(env.get("EQUITY_ATLAS_EXPORT_WAIT_SECONDS", "5"))


def _flock(path: Path, deadline: float):
    """An exclusive lock on a file, polled until the deadline; None when it could not be had."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        handle = open(path, "a+b")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            handle.close()
        if time.monotonic() > deadline:
            return None
        time.sleep(0.1)


def _unlock(handle) -> None:
    import fcntl

    fcntl.flock(handle, fcntl.LOCK_UN)
    handle.close()


@contextlib.contextmanager
def machine_slot(env: Mapping[str, str] | None = None) -> Iterator[None]:
    """At most max_exports() builds at once on this machine, however many web workers it runs.

    A per-process semaphore (security.export_slot) cannot count other processes: file locks in the jobs
    folder do, and the system releases a lock if its process dies. Raises ExportsBusy after waiting
    EQUITY_ATLAS_EXPORT_WAIT_SECONDS for a free slot.
    """
    env = os.environ if env is None else env
    deadline = time.monotonic() + _wait_seconds(env)
    folder = jobs_dir(env) / "slots"
    while True:
        for number in range(max_exports(env)):
            handle = _flock(folder / f"slot-{number}.lock", 0)
            if handle is None:
                continue
            try:
                yield
            finally:
                _unlock(handle)
            return
        if time.monotonic() > deadline:
            raise ExportsBusy("Many downloads are being prepared right now; please try again in a minute.")
        time.sleep(0.1)


@contextlib.contextmanager
def one_build_of(key: str, env: Mapping[str, str]) -> Iterator[None]:
    """Requests for the same file wait for the one build already under way instead of making another."""
    import hashlib

    name = hashlib.sha256(key.encode()).hexdigest()[:32]
    handle = _flock(jobs_dir(env) / "building" / f"{name}.lock", time.monotonic() + JOB_SECONDS)
    if handle is None:
        raise ExportsBusy("This download is taking longer than usual to prepare; please try again in a minute.")
    try:
        yield
    finally:
        _unlock(handle)


def export_cache(env: Mapping[str, str] | None = None):
    """Finished files on local disk, bounded in bytes, shared by every web worker on the machine."""
    import diskcache

    folder = str(jobs_dir(env) / "exports")
    with _lock:
        if folder not in _caches:
            _caches[folder] = diskcache.Cache(folder, size_limit=EXPORT_CACHE_BYTES, eviction_policy="least-recently-used")
        return _caches[folder]


def cache_key(atlas, kind: str, code: str, year: str, fifths: str = "patients") -> str:
    """A file depends on the data build and, through its "made on" line, on the day."""
    return (f"{KEY_PREFIX}{kind}:{code}:{year}:{fifths}:{atlas.manifest.get('built_at', '')}:"
            f"{date.today().isoformat()}")


def export_bytes(atlas, kind: str, code: str, year: str, env: Mapping[str, str] | None = None,
                 fifths: str = "patients") -> bytes:
    """The file, from the cache or built now within the bounds. Raises ExportsBusy when none is free.

    kind, code and year must already be checked against exports.KINDS and the Atlas.
    """
    env = os.environ if env is None else env
    cache = export_cache(env)
    key = cache_key(atlas, kind, code, year, fifths)
    cached = cache.get(key)
    if cached is not None:
        return cached
    with export_slot(), one_build_of(key, env):
        cached = cache.get(key)  # built by the request this one waited for
        if cached is not None:
            return cached
        if redis_url(env):
            body = _build_on_celery(kind, code, year, env, fifths)
        else:
            with machine_slot(env):
                from . import exports

                body = exports.build(atlas, kind, code, year, fifths)
        cache.set(key, body, expire=24 * 3600)  # before the build lock is released, so waiters find it
    return body


def _build_on_celery(kind: str, code: str, year: str, env: Mapping[str, str], fifths: str = "patients") -> bytes:
    """Queue the build on a worker and wait for it; the task id never leaves this function.

    The caller holds export_slot(), which bounds the web threads waiting on workers.
    """
    from celery.exceptions import TimeoutError as CeleryTimeout

    app = celery_for(redis_url(env))
    expires = float(env.get(QUEUE_SECONDS_ENV) or JOB_SECONDS)
    result = app.send_task(TASK_NAME, args=(kind, code, year, fifths), expires=expires)
    try:
        encoded = result.get(timeout=expires + float(env.get(JOB_SECONDS_ENV) or JOB_SECONDS), propagate=True)
    except CeleryTimeout:
        result.revoke()
        raise ExportsBusy("The briefing took too long to prepare; please try again in a minute.") from None
    finally:
        result.forget()
    return base64.b64decode(encoded)


def _build_export_task(kind: str, code: str, year: str, fifths: str = "patients") -> str:
    """On a worker: check the request again (a queue is not trusted either), build, return base64."""
    from . import exports
    from .data.query import load_atlas

    atlas = load_atlas()
    if kind not in exports.KINDS or atlas.area(code) is None or year not in atlas.years or \
            fifths not in ("patients", "practices"):
        raise ValueError("unknown download")
    return base64.b64encode(exports.build(atlas, kind, code, year, fifths)).decode("ascii")


def celery_for(url: str):
    """The Celery app for one Redis (one per process, so the web and worker sides name the same task)."""
    from celery import Celery, signals

    with _lock:
        if url not in _celery_apps:
            app = Celery("equity-atlas", broker=url or None, backend=url or None, set_as_current=False)
            app.conf.update(
                task_serializer="json", result_serializer="json", accept_content=["json"],
                result_expires=RESULT_SECONDS,
                worker_prefetch_multiplier=1,  # long jobs: a busy worker does not hoard queued ones
                task_time_limit=JOB_SECONDS,  # a stuck job is killed (prefork pool)
                broker_connection_retry_on_startup=True,
                broker_transport_options={"global_keyprefix": KEY_PREFIX},
                result_backend_transport_options={"global_keyprefix": KEY_PREFIX},
                redis_socket_connect_timeout=5,
            )
            app.task(name=TASK_NAME)(_build_export_task)
            signals.worker_init.connect(_boot_worker, weak=False, dispatch_uid="equity-atlas-jobs")
            _celery_apps[url] = app
        return _celery_apps[url]


def _boot_worker(sender=None, **_kwargs) -> None:
    """Before a worker takes its first job: load the data, so a worker that cannot serve stops at once."""
    app = getattr(sender, "app", None)
    if app is None or app not in _celery_apps.values():
        return
    if not redis_url():
        raise SystemExit("Equity Atlas jobs: REDIS_URL is not set, so there is no queue to work on. Start the "
                         f"worker with the web processes' REDIS_URL:\n    {WORKER_HELP}")
    try:
        from .data.query import load_atlas

        load_atlas()
    except Exception as exc:  # Celery would log it and start a worker that cannot build: stop instead
        raise SystemExit(f"Equity Atlas jobs: the worker cannot start: {exc!r}") from exc


def __getattr__(name: str):
    """`dashboard.jobs:celery_app` for the worker command, made on first use (the web needs no Celery without Redis).

    Without REDIS_URL it is an unconfigured app: importing it works, and a worker started from it
    stops at once with a message naming the missing variable.
    """
    if name == "celery_app":
        return celery_for(redis_url())
    raise AttributeError(name)

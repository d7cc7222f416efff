"""Long jobs (briefing PDFs, packs) as Dash background callbacks: on Celery with Redis, or beside the web process.

With REDIS_URL set, a job is queued in Redis by whichever web process the browser asked, run by any
Celery worker started from the same code and environment,

    REDIS_URL=redis://cache.internal:6379/0 celery -A dashboard.jobs:celery_app worker --concurrency 2 --loglevel INFO

and its result is read back from Redis by whichever web process the browser polls next. Every key the
jobs put in Redis (queue, task states, results) starts with "equity-atlas:jobs:".

Without REDIS_URL each job runs in a child process of the web worker (dash.DiskcacheManager), with
results in a diskcache folder (EQUITY_ATLAS_JOBS_DIR, default <system temp dir>/equity-atlas-jobs)
that every web worker on the machine shares, so one machine needs nothing extra.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import dash

KEY_PREFIX = "equity-atlas:jobs:"
RESULT_SECONDS = 3600  # a result nobody fetched (the tab was closed) is dropped after an hour
JOB_SECONDS = 300  # a briefing takes seconds; five minutes means something is wrong
# A job still queued after this long is dropped by the worker that finally takes it (Celery "expires"):
# whoever asked has long given up, and a worker started late should not work through a stale backlog.
QUEUE_SECONDS_ENV = "EQUITY_ATLAS_JOB_QUEUE_SECONDS"
WORKER_HELP = ("REDIS_URL=redis://HOST:6379/0 celery -A dashboard.jobs:celery_app worker "
               "--concurrency 2 --loglevel INFO")

_lock = threading.RLock()
_celery_apps: dict[str, object] = {}
_managers: dict[tuple[str, str], object] = {}


def redis_url(env: Mapping[str, str] | None = None) -> str:
    return ((os.environ if env is None else env).get("REDIS_URL") or "").strip()


def jobs_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("EQUITY_ATLAS_JOBS_DIR") or Path(tempfile.gettempdir()) / "equity-atlas-jobs")


class _OneKeyPerRequest:
    """Each click gets its own result key.

    Dash's default key is a hash of the callback's arguments, so two people asking for the same
    area's briefing at the same moment would share one key, and whoever polled first would take the
    result away from the other. The key is removed once read (cache_by stays None).
    """

    def build_cache_key(self, fn, args, cache_args_to_ignore, triggered):
        return f"{KEY_PREFIX}{uuid.uuid4().hex}"


class RedisJobs(_OneKeyPerRequest, dash.CeleryManager):
    """dash.CeleryManager: Redis is the broker and the result store, Celery workers run the jobs."""

    def terminate_job(self, job):
        """Stop a job on whichever worker runs it, and mark it revoked in Redis.

        Celery's terminate only reaches workers. A job no worker has taken (none is started on this
        queue) would stay PENDING, Dash would count it as running, and the page's Cancel would leave
        the page polling forever.
        """
        if job is None:
            return
        super().terminate_job(job)
        self.handle.backend.mark_as_revoked(job, reason="cancelled from the page")

    def call_job_fn(self, key, job_fn, args, context):
        """As dash.CeleryManager queues a job, with an expiry (QUEUE_SECONDS_ENV, default JOB_SECONDS)."""
        expires = float(os.environ.get(QUEUE_SECONDS_ENV) or JOB_SECONDS)
        task = job_fn.apply_async(args=(key, self._make_progress_key(key), args, context), expires=expires)
        return task.task_id


class LocalJobs(_OneKeyPerRequest, dash.DiskcacheManager):
    """dash.DiskcacheManager: each job in a child process of the web worker, results on local disk."""


def celery_for(url: str):
    """The Celery app for one Redis (one per process, so the web and worker sides name the same tasks)."""
    from celery import Celery, signals

    with _lock:
        if url not in _celery_apps:
            app = Celery("equity-atlas", broker=url or None, backend=url or None, set_as_current=False)
            app.conf.update(
                task_serializer="json", result_serializer="json", accept_content=["json"],
                result_expires=RESULT_SECONDS,
                worker_prefetch_multiplier=1,  # long jobs: a busy worker does not hoard queued ones
                task_time_limit=JOB_SECONDS,  # a stuck job is killed (prefork pool) and the page stops waiting
                broker_connection_retry_on_startup=True,
                broker_transport_options={"global_keyprefix": KEY_PREFIX},
                result_backend_transport_options={"global_keyprefix": KEY_PREFIX},
                redis_socket_connect_timeout=5,
            )
            signals.worker_init.connect(_boot_worker, weak=False, dispatch_uid="equity-atlas-jobs")
            _celery_apps[url] = app
        return _celery_apps[url]


def _boot_worker(sender=None, **_kwargs) -> None:
    """Before a worker takes its first job: build the app, which defines (and so registers) every job."""
    app = getattr(sender, "app", None)
    if app is None or app not in _celery_apps.values():
        return
    if not redis_url():
        raise SystemExit("Equity Atlas jobs: REDIS_URL is not set, so there is no queue to work on. Start the "
                         f"worker with the web processes' REDIS_URL:\n    {WORKER_HELP}")
    try:
        from .app import create_app
        from .cache import WARM_ENV

        os.environ.setdefault(WARM_ENV, "0")  # a worker serves no pages: no scripts to compress ahead
        create_app()  # imports the pages: each background callback becomes a Celery task on this app
    except Exception as exc:  # Celery would log it and start a worker that knows no job: stop instead
        raise SystemExit(f"Equity Atlas jobs: the worker cannot start: {exc!r}") from exc


def background_callback_manager(env: Mapping[str, str] | None = None) -> dash.CeleryManager | dash.DiskcacheManager:
    """Celery on REDIS_URL when it is set, else child processes and a diskcache folder (one per process)."""
    url = redis_url(env)
    key = ("celery", url) if url else ("disk", str(jobs_dir(env)))
    with _lock:  # each manager registers every job for good (Dash keeps a list), so make only one
        if key not in _managers:
            if url:
                _managers[key] = RedisJobs(celery_for(url))
            else:
                import diskcache

                folder = jobs_dir(env)
                folder.mkdir(parents=True, exist_ok=True)
                _managers[key] = LocalJobs(diskcache.Cache(str(folder / "results"), size_limit=512 * 2**20))
        return _managers[key]


@contextlib.contextmanager
def job_slot(env: Mapping[str, str] | None = None) -> Iterator[None]:
    """At most EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS jobs at once on this machine when they run beside the web.

    Those jobs are separate processes, so security.export_slot (a per-process semaphore) cannot count
    them: file locks in the jobs folder do, and the system releases a lock if its process dies. On
    Celery the worker's --concurrency is the bound and this does nothing.
    """
    env = os.environ if env is None else env
    try:
        import fcntl
    except ImportError:  # not POSIX: only security.export_slot bounds them
        fcntl = None
    if redis_url(env) or fcntl is None:
        yield
        return
    from .security import ExportsBusy

    slots = max(1, int(env.get("EQUITY_ATLAS_MAX_CONCURRENT_EXPORTS", "2")))
    deadline = time.monotonic() + float(env.get("EQUITY_ATLAS_EXPORT_WAIT_SECONDS", "5"))
    folder = jobs_dir(env) / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    while True:
        for number in range(slots):
            handle = open(folder / f"slot-{number}.lock", "a+b")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() > deadline:
            raise ExportsBusy("Many downloads are being prepared right now; please try again in a minute.")
        time.sleep(0.1)


def __getattr__(name: str):
    """`dashboard.jobs:celery_app` for the worker command, made on first use (the web needs no Celery without Redis).

    Without REDIS_URL it is an unconfigured app: importing it works, and a worker started from it
    stops at once with a message naming the missing variable.
    """
    if name == "celery_app":
        return celery_for(redis_url())
    raise AttributeError(name)

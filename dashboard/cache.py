"""One cache for every worker that serves the app: in-process by default, Redis when REDIS_URL is set.

    from dashboard.cache import init_cache, memoize
    init_cache(app.server)                      # once, in create_app()

    @memoize()                                  # or memoize(timeout=600)
    def chart_tables(view_json: str) -> dict:   # arguments: plain values with a stable repr
        ...

Configuration (environment):
  REDIS_URL                      e.g. redis://10.0.0.5:6379/0: flask-caching RedisCache, shared by every
                                 gunicorn worker and every machine that points at it. Unset: SimpleCache,
                                 private to each worker process.
  EQUITY_ATLAS_CACHE_TIMEOUT     seconds a result is kept (default 86400; keys carry the data version, so
                                 a rebuilt dataset never meets results computed from the old one).
  EQUITY_ATLAS_CACHE_ENTRIES     in-process cache size (default 300 results per worker).
  EQUITY_ATLAS_CACHE_MB          bytes every in-process cache in a worker may hold together (default 48 MB):
                                 half for memoised results (unless on Redis), a quarter for area pages, a
                                 fifth for practice tables, the rest for area trends (BUDGET_SHARES). A worker
                                 holds its data (~295 MB RSS, bench/RESULTS.md) plus these, so it stays under 400 MB whatever
                                 sequence of requests arrives: entry counts alone let an attack reach 506 MB,
                                 since one entry may be 40 KB or 7 MB.
  EQUITY_ATLAS_CACHE_PROBE=1     adds GET /_cache-probe/<year>, a read-only endpoint the scale-out test
                                 uses to show one process serving a result another computed. Off by default.

Keys are "<prefix><module.function>:<sha256 of repr(args, kwargs)>", identical in every process, so
arguments must have a value-based repr (str, int, float, tuples, frozen dataclasses of those; not
the Atlas or a DataFrame: let the function call load_atlas() itself). A Redis outage never breaks a
page: the call is computed directly and the error is logged once.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from flask_caching import Cache
from flask_caching.backends.simplecache import SimpleCache

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 86400
DEFAULT_ENTRIES = 300
DEFAULT_MEGABYTES = 48
BUDGET_SHARES = {"results": 0.5, "area_pages": 0.25, "tables": 0.2, "trends": 0.05}
PROBE_ENV = "EQUITY_ATLAS_CACHE_PROBE"
_MISSING = object()

cache = Cache()
_state: dict = {"backend": None, "kind": None, "prefix": "", "timeout": DEFAULT_TIMEOUT, "warned": False}
_counts = {"hits": 0, "misses": 0, "errors": 0}
_lock = threading.Lock()


def data_version(processed_dir=None) -> str:
    """A short fingerprint of the processed data (its manifest), so keys change when the data does."""
    from . import config

    folder = Path(processed_dir or config.processed_dir())
    try:
        basis = (folder / "manifest.json").read_bytes()
    except OSError:
        basis = b"unknown"
    return hashlib.sha256(basis).hexdigest()[:12]


def cache_config(env=None, namespace: str | None = None) -> dict:
    """flask-caching settings from the environment (see the module docstring)."""
    env = os.environ if env is None else env
    timeout = int(env.get("EQUITY_ATLAS_CACHE_TIMEOUT", DEFAULT_TIMEOUT))
    prefix = f"equity-atlas:{namespace or data_version()}:"
    url = (env.get("REDIS_URL") or "").strip()
    if url:
        database = urlparse(url).path.strip("/")
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_REDIS_DB": int(database or 0),
                "CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_KEY_PREFIX": prefix,
                "CACHE_OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2, "health_check_interval": 30}}
    return {"CACHE_TYPE": "dashboard.cache.BoundedSimpleCache", "CACHE_DEFAULT_TIMEOUT": timeout,
            "CACHE_KEY_PREFIX": prefix, "CACHE_THRESHOLD": int(env.get("EQUITY_ATLAS_CACHE_ENTRIES", DEFAULT_ENTRIES)),
            "CACHE_MAX_BYTES": budget_bytes("results", env)}


def init_cache(server, env=None, namespace: str | None = None) -> Cache:
    """Attach the cache to the Flask server (idempotent); memoize() uses it from then on, in this process."""
    env = os.environ if env is None else env
    if cache in server.extensions.get("cache", {}):
        return cache
    config = cache_config(env, namespace)
    cache.init_app(server, config=dict(config))
    with server.app_context():
        backend = cache.cache
    # SimpleCache keys carry no prefix of their own: ours keeps them apart from anyone else's entries.
    kind = config["CACHE_TYPE"].rsplit(".", 1)[-1].replace("Bounded", "")  # 'RedisCache' or 'SimpleCache'
    _state.update(backend=backend, kind=kind, timeout=config["CACHE_DEFAULT_TIMEOUT"],
                  prefix="" if kind == "RedisCache" else config.get("CACHE_KEY_PREFIX", ""))
    if env.get(PROBE_ENV) == "1":
        _install_probe(server)
    return cache


def is_configured() -> bool:
    return _state["backend"] is not None


def backend_kind() -> str | None:
    """'RedisCache', 'SimpleCache' or None before init_cache()."""
    return _state["kind"]


def clear() -> None:
    """Forget every cached result (benchmarks use it to time cold calls). Redis: only this app's keys."""
    backend = _state["backend"]
    if backend is not None:
        backend.clear()
    for local in LOCAL_CACHES:
        local.cache_clear()


# --- in-process caches bounded by bytes -----------------------------------------------------------------------
def budget_bytes(part: str, env=None) -> int:
    """This part's share of EQUITY_ATLAS_CACHE_MB, in bytes."""
    env = os.environ if env is None else env
    try:
        megabytes = float(env.get("EQUITY_ATLAS_CACHE_MB", DEFAULT_MEGABYTES))
    except ValueError:
        megabytes = DEFAULT_MEGABYTES
    return int(max(megabytes, 0) * 1024 * 1024 * BUDGET_SHARES[part])


class _SizedDict(dict):
    """SimpleCache's store, counting the bytes of the pickled values it holds as they come and go."""

    def __init__(self):
        super().__init__()
        self.nbytes = 0

    def __setitem__(self, key, item):
        self.nbytes -= len(self[key][1]) if key in self else 0
        super().__setitem__(key, item)
        self.nbytes += len(item[1])

    def __delitem__(self, key):
        self.nbytes -= len(self[key][1])
        super().__delitem__(key)

    def pop(self, key, *default):
        if key in self:
            self.nbytes -= len(self[key][1])
        return super().pop(key, *default)

    def popitem(self):
        key, item = super().popitem()
        self.nbytes -= len(item[1])
        return key, item

    def clear(self):
        super().clear()
        self.nbytes = 0


class BoundedSimpleCache(SimpleCache):
    """flask-caching's SimpleCache (it stores pickled values) that also drops its oldest entries past a byte budget."""

    def __init__(self, threshold: int = DEFAULT_ENTRIES, default_timeout: int = 300, max_bytes: int | None = None,
                 **kwargs):
        super().__init__(threshold=threshold, default_timeout=default_timeout, **kwargs)
        self._cache = _SizedDict()
        self.max_bytes = budget_bytes("results") if max_bytes is None else max_bytes

    @classmethod
    def factory(cls, app, config, args, kwargs):
        kwargs.update(threshold=config["CACHE_THRESHOLD"], max_bytes=config.get("CACHE_MAX_BYTES"))
        return cls(*args, **kwargs)

    @property
    def nbytes(self) -> int:
        return self._cache.nbytes

    def _over_threshold(self) -> bool:
        return super()._over_threshold() or self._cache.nbytes > self.max_bytes

    def set(self, key, value, timeout=None):
        with self._lock:
            stored = super().set(key, value, timeout)
            if len(self._cache[key][1]) > self.max_bytes:  # never worth evicting everything else for
                self._cache.pop(key, None)
                return False
            self._prune()  # SimpleCache prunes before adding: after, too, so the budget holds at every moment
            return stored

    def add(self, key, value, timeout=None):
        with self._lock:
            added = super().add(key, value, timeout)
            self._prune()
            return added


def approximate_size(value) -> int:
    """Bytes a cached value keeps alive: exact for pandas and numpy (deep), pickled length otherwise."""
    import pickle
    import sys

    import numpy as np
    import pandas as pd

    if isinstance(value, bytes | bytearray | str):
        return sys.getsizeof(value)
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        usage = value.memory_usage(index=True, deep=True)
        return int(usage.sum() if hasattr(usage, "sum") else usage)
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, tuple | list) and len(value) <= 16:
        return sys.getsizeof(value) + sum(approximate_size(v) for v in value)
    return len(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


class ByteBudgetLRU:
    """A least-recently-used map that holds at most `max_bytes` of values, by their measured size."""

    def __init__(self, name: str, max_bytes: int):
        self.name, self.max_bytes = name, max_bytes
        self._items: OrderedDict = OrderedDict()  # key -> (value, size)
        self.nbytes = 0
        self.hits = self.misses = 0
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return _MISSING
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key, value, size: int) -> bool:
        with self._lock:
            if key in self._items:
                self.nbytes -= self._items.pop(key)[1]
            if size > self.max_bytes:
                return False
            self._items[key] = (value, size)
            self.nbytes += size
            while self.nbytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.nbytes -= dropped
            return True

    def cache_clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.nbytes = 0

    def info(self) -> dict:
        return {"name": self.name, "entries": len(self._items), "bytes": self.nbytes, "max_bytes": self.max_bytes,
                "hits": self.hits, "misses": self.misses}


LOCAL_CACHES: list[ByteBudgetLRU] = []


def bytes_cache(part: str, *, pickled: bool = False):
    """functools.lru_cache with a byte budget (part: a key of BUDGET_SHARES) instead of an entry count.

    Arguments must be hashable, as for lru_cache. pickled=True keeps each value as its pickle and gives
    every caller a fresh copy: Dash component trees take 5-6 times their pickled size as live objects,
    and unpickling one (~1 ms) costs far less than building it again.
    """
    import pickle

    def decorate(func: Callable) -> Callable:
        store = ByteBudgetLRU(f"{func.__module__}.{func.__qualname__}", budget_bytes(part))
        LOCAL_CACHES.append(store)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
            value = store.get(key)
            if value is not _MISSING:
                return pickle.loads(value) if pickled else value
            value = func(*args, **kwargs)
            if pickled:
                data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
                store.put(key, data, len(data))
            else:
                store.put(key, value, approximate_size(value))
            return value

        wrapper.cache_clear = store.cache_clear
        wrapper.cache_info = store.info
        wrapper.store = store
        return wrapper

    return decorate


def local_cache_bytes() -> int:
    """Bytes held by this process's in-process caches now (the memoised results too, unless on Redis)."""
    backend = _state["backend"]
    return sum(c.nbytes for c in LOCAL_CACHES) + int(getattr(backend, "nbytes", 0) or 0)


def stats() -> dict:
    """Hits, misses and backend errors in this process since it started."""
    return {**_counts, "backend": _state["kind"]}


def make_key(func: Callable, args: tuple, kwargs: dict) -> str:
    try:
        hash((args, tuple(sorted(kwargs.items()))))
    except TypeError as exc:
        raise TypeError(f"memoize: {func.__qualname__} was called with an unhashable argument ({exc}); pass "
                        "a frozen dataclass, tuple or JSON string instead") from None
    digest = hashlib.sha256(repr((args, sorted(kwargs.items()))).encode()).hexdigest()[:32]
    return f"{_state['prefix']}{func.__module__}.{func.__qualname__}:{digest}"


def stored_key(key: str) -> str:
    """The key as the backend stores it (RedisCache adds its own prefix), e.g. to look it up in redis-cli."""
    return f"{getattr(_state['backend'], 'key_prefix', '') or ''}{key}"


def _get(key: str):
    try:
        stored = _state["backend"].get(key)
    except Exception as exc:  # a Redis outage must not take the page down
        _backend_error(exc)
        return _MISSING
    # Values are stored as 1-tuples so a cached None is told apart from a miss.
    return stored[0] if isinstance(stored, tuple) and len(stored) == 1 else _MISSING


def _set(key: str, value, timeout: int | None) -> None:
    try:
        _state["backend"].set(key, (value,), timeout=timeout if timeout is not None else _state["timeout"])
    except Exception as exc:
        _backend_error(exc)


def _backend_error(exc: Exception) -> None:
    with _lock:
        _counts["errors"] += 1
        first = not _state["warned"]
        _state["warned"] = True
    if first:
        log.warning("cache backend %s failed (%s: %s); computing results directly", _state["kind"],
                    type(exc).__name__, exc)


def memoize(timeout: int | None = None):
    """Cache a pure function's result under its arguments; a no-op until init_cache() has run.

    The wrapped function also has `.cached_call(*args, **kwargs) -> (value, hit)`, `.cache_key(...)`
    and `.uncached` (the original), for tests and diagnostics.
    """

    def decorate(func: Callable) -> Callable:
        def cached_call(*args, **kwargs):
            if _state["backend"] is None:
                return func(*args, **kwargs), False
            key = make_key(func, args, kwargs)
            value = _get(key)
            if value is not _MISSING:
                with _lock:
                    _counts["hits"] += 1
                return value, True
            with _lock:
                _counts["misses"] += 1
            value = func(*args, **kwargs)
            _set(key, value, timeout)
            return value, False

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return cached_call(*args, **kwargs)[0]

        wrapper.cached_call = cached_call
        wrapper.cache_key = lambda *args, **kwargs: make_key(func, args, kwargs)
        wrapper.uncached = func
        return wrapper

    return decorate


# --- the probe (only with EQUITY_ATLAS_CACHE_PROBE=1) ---------------------------------------------------------
@memoize()
def probe_summary(year: str) -> dict:
    """A real query, memoised: England's figures for a year, stamped with the process that computed them."""
    from .data.query import load_atlas

    summary = load_atlas().national_summary(year)
    return {"practices": summary["practices"], "total_payments": summary["total_payments"], "year": year,
            "computed_by": os.getpid(), "computed_at": time.time()}


def _install_probe(server) -> None:
    from flask import abort, jsonify

    if "cache_probe" in server.view_functions:
        return

    def cache_probe(year: str):
        from .data.query import load_atlas

        if year not in load_atlas().years:
            abort(404)
        value, hit = probe_summary.cached_call(year)
        response = jsonify({"value": value, "hit": hit, "served_by": os.getpid(), "backend": _state["kind"],
                            "key": stored_key(probe_summary.cache_key(year)), "stats": stats()})
        response.headers["Cache-Control"] = "no-store"
        return response

    server.add_url_rule("/_cache-probe/<year>", "cache_probe", cache_probe, methods=["GET"])


# --- static files compressed once per worker ------------------------------------------------------------------
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/", "/geo/", "/_atlas/")  # /_atlas/: plotlyjs.py
STATIC_TYPES = {"application/javascript", "text/javascript", "text/css", "application/json", "application/geo+json"}
try:  # flask-compress depends on brotli; without it, gzip only
    import brotli as _brotli  # noqa: F401

    _HAS_BROTLI = True
except ImportError:
    _HAS_BROTLI = False


def _static_algorithm(accept_encoding: str) -> str | None:
    offered = {}
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        offered[name.strip()] = quality
    for algorithm in ("br", "gzip") if _HAS_BROTLI else ("gzip",):
        if offered.get(algorithm, offered.get("*", 0)) > 0:
            return algorithm
    return None


def cache_static_compression(server, max_bytes: int = 32 * 1024 * 1024) -> None:
    """Compress each static file (Dash's scripts, /assets, /geo) once per worker instead of once per visitor.

    flask-compress compresses every response as it goes out: plotly.min.js alone is 4.8 MB and costs
    ~0.15 s of CPU per visitor, so a crowd arriving at once queues every callback behind script
    compression. This keeps the compressed bytes (brotli 6 or gzip 9, keyed by path, query, encoding
    and ETag) in a bounded in-process store. Register it after flask-compress (Flask runs after-request
    functions last-registered first, so this one runs before flask-compress, which then leaves
    responses that already carry a Content-Encoding alone).
    """
    import gzip
    from collections import OrderedDict

    from flask import request

    store: OrderedDict = OrderedDict()
    state = {"bytes": 0}
    lock = threading.Lock()
    server.extensions["compressed_static"] = store  # (full path, encoding, etag, modified) -> bytes

    @server.after_request
    def compressed_static(response):
        if (request.method != "GET" or response.status_code != 200 or "Content-Encoding" in response.headers
                or not request.path.startswith(STATIC_PREFIXES) or response.mimetype not in STATIC_TYPES):
            return response
        algorithm = _static_algorithm(request.headers.get("Accept-Encoding", ""))
        if algorithm is None:
            return response
        etag = response.headers.get("ETag", "")
        key = (request.full_path, algorithm, etag, response.headers.get("Last-Modified", ""))
        with lock:
            body = store.get(key)
            if body is not None:
                store.move_to_end(key)
        if body is None:
            response.direct_passthrough = False
            raw = response.get_data()
            if algorithm == "br":
                import brotli

                body = brotli.compress(raw, quality=6)
            else:
                body = gzip.compress(raw, compresslevel=9, mtime=0)
            with lock:
                if key not in store and len(body) < max_bytes:
                    store[key] = body
                    state["bytes"] += len(body)
                    while state["bytes"] > max_bytes:
                        _, dropped = store.popitem(last=False)
                        state["bytes"] -= len(dropped)
        response.direct_passthrough = False
        response.set_data(body)
        response.headers["Content-Encoding"] = algorithm
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "Accept-Encoding"
        elif "accept-encoding" not in vary.lower():
            response.headers["Vary"] = f"{vary}, Accept-Encoding"
        if etag:  # the same tag for different bytes would confuse caches: mark it, as flask-compress does
            response.headers["ETag"] = f'{etag[:-1]}:{algorithm}"' if etag.endswith('"') else f"{etag}:{algorithm}"
        return response


WARM_ENV = "EQUITY_ATLAS_WARM_STATIC"


def static_paths(html: str) -> list[str]:
    """The scripts, stylesheets and preloads a page's HTML asks for (same-origin paths only)."""
    import re

    found = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="(/[^"]+)"', html)
    return [path.replace("&amp;", "&") for path in dict.fromkeys(found)]


def warm_static_compression(server, env=None) -> threading.Thread | None:
    """Compress the first page's static files in the background as the worker starts, so the first visitors
    (a crowd arriving at once, say) are not each made to wait while a worker compresses 3 MB of scripts.

    Off with EQUITY_ATLAS_WARM_STATIC=0 (the tests, which start many apps).
    """
    env = os.environ if env is None else env
    if env.get(WARM_ENV, "1") == "0":
        return None

    def warm() -> None:
        try:
            client = server.test_client()
            page = client.get("/", headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
            for path in static_paths(page):
                if path.startswith(STATIC_PREFIXES):
                    for encoding in ("br", "gzip") if _HAS_BROTLI else ("gzip",):
                        client.get(path, headers={"Accept-Encoding": encoding}).close()
        except Exception as exc:  # noqa: BLE001 - warming is an optimisation; the files are still served
            log.warning("could not warm the static file cache: %s: %s", type(exc).__name__, exc)

    thread = threading.Thread(target=warm, name="warm-static-compression", daemon=True)
    thread.start()
    return thread

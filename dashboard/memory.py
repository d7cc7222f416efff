"""Keep a worker's memory near what its data needs (glibc only; elsewhere these do nothing).

Each gunicorn thread gets its own malloc arena by default (up to 8 per core), and pandas' short-lived
frames leave every arena holding freed pages, so a worker's resident memory creeps up under load
although the live data does not grow. Two arenas are enough for four threads that spend their time
in numpy, and handing freed pages back after loading keeps the baseline honest.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8
DEFAULT_ARENAS = 2


def _libc():
    name = ctypes.util.find_library("c")
    if not name or os.name != "posix":
        return None
    try:
        libc = ctypes.CDLL(name)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def limit_arenas(count: int | None = None) -> bool:
    """Cap malloc arenas (EQUITY_ATLAS_MALLOC_ARENAS, default 2) unless MALLOC_ARENA_MAX is already set."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    libc = _libc()
    if libc is None:
        return False
    count = count or int(os.environ.get("EQUITY_ATLAS_MALLOC_ARENAS", DEFAULT_ARENAS))
    return bool(libc.mallopt(M_ARENA_MAX, count))


def give_back_free_memory() -> bool:
    """Return freed heap pages to the system (after the data is loaded, or after a large export)."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False

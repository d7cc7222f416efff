"""In-process caches are bounded by bytes, so no sequence of requests grows a worker past its budget.

An attack run reached 506 MB with caches bounded by entry counts (one entry may be 40 KB, another 7 MB).
Sizes here are measured with tracemalloc (numpy and pandas report their buffers to it), not taken
from the caches' own accounting.
"""

from __future__ import annotations

import gc
import json
import tracemalloc

import numpy as np
import pandas as pd
import pytest

from dashboard import cache

MB = 1024 * 1024


def retained(fill) -> int:
    """Bytes still allocated after fill() returns and garbage is collected."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        fill()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_default_budget_is_48_mb_split_between_the_caches():
    assert 48 * MB - 4 <= sum(cache.budget_bytes(part, env={}) for part in cache.BUDGET_SHARES) <= 48 * MB
    assert cache.budget_bytes("results", env={"EQUITY_ATLAS_CACHE_MB": "10"}) == 5 * MB
    config = cache.cache_config(env={}, namespace="t")
    assert config["CACHE_TYPE"] == "dashboard.cache.BoundedSimpleCache" and config["CACHE_MAX_BYTES"] == 24 * MB


def test_memoised_results_stay_under_their_byte_budget():
    backend = cache.BoundedSimpleCache(threshold=300, default_timeout=0, max_bytes=8 * MB)
    rng = np.random.default_rng(1)

    def fill():
        for i in range(120):  # 120 distinct ~0.5 MB results: 60 MB offered, well under the 300-entry count
            backend.set(f"k{i}", (rng.random(64 * 1024),))
            assert backend.nbytes <= backend.max_bytes

    held = retained(fill)
    assert held <= 8 * MB + 1 * MB, f"{held / MB:.1f} MB held"
    assert backend.get("k119") is not None and backend.get("k0") is None  # the oldest went first
    backend.set("huge", (rng.random(2 * MB),))  # larger than the whole budget: not kept, nothing evicted for it
    assert backend.get("huge") is None and backend.get("k119") is not None


def test_a_bytes_cache_stays_under_its_budget_with_large_distinct_entries():
    @cache.bytes_cache("tables")
    def frame(i: int) -> pd.DataFrame:
        return pd.DataFrame({"x": np.full(32768, float(i)), "name": [f"practice {i}-{j}" for j in range(8192)] * 4})

    budget = frame.store.max_bytes
    try:
        held = retained(lambda: [frame(i) for i in range(25)])  # ~3 MB each: 75 MB offered
        assert frame.store.nbytes <= budget
        assert held <= budget + 2 * MB, f"{held / MB:.1f} MB held for a {budget / MB:.1f} MB budget"
        assert frame.cache_info()["entries"] >= 1 and frame(24) is frame(24)  # the newest is still served
    finally:
        frame.cache_clear()
        cache.LOCAL_CACHES.remove(frame.store)


def test_pickled_component_trees_are_held_as_bytes_and_copied_out():
    from dash import dcc, html

    @cache.bytes_cache("area_pages", pickled=True)
    def body(i: int) -> list:
        figure = {"data": [{"type": "scatter", "x": list(range(20_000)), "y": [i] * 20_000}]}
        return [html.H2(f"Area {i}"), dcc.Graph(figure=figure)]

    budget = body.store.max_bytes
    try:
        held = retained(lambda: [body(i) for i in range(200)])
        assert body.store.nbytes <= budget and held <= budget + 2 * MB, f"{held / MB:.1f} MB held"
        first, again = body(199), body(199)
        assert first is not again and first[0].children == "Area 199"  # a fresh copy for each caller
        assert body.cache_info()["hits"] >= 2
    finally:
        body.cache_clear()
        cache.LOCAL_CACHES.remove(body.store)


def test_practice_tables_for_every_year_stay_under_budget(processed_dir):
    """The explorer's real table cache: one England table is ~7 MB, so 16 entries could hold 110 MB."""
    from dashboard.data.query import load_atlas
    from dashboard.pages.explorer import table as explorer
    from dashboard.state import ViewState

    atlas = load_atlas(str(processed_dir))
    explorer.table_for.cache_clear()
    states = [json.dumps(vars(ViewState(year=year, band=band)), sort_keys=True)
              for year in atlas.years for band in ("quintile", "decile")]
    try:
        held = retained(lambda: [explorer.table_for(state) for state in states])
        budget = explorer.table_for.store.max_bytes
        assert explorer.table_for.store.nbytes <= budget
        assert held <= budget + 4 * MB, f"{held / MB:.1f} MB held for {len(states)} tables"
    finally:
        explorer.table_for.cache_clear()


def test_clear_forgets_local_caches_too():
    @cache.bytes_cache("trends")
    def square(x: int) -> int:
        return x * x

    try:
        square(3)
        assert square.cache_info()["entries"] == 1
        cache.clear()
        assert square.cache_info()["entries"] == 0
    finally:
        cache.LOCAL_CACHES.remove(square.store)


@pytest.mark.parametrize("value, low, high", [(pd.DataFrame({"a": np.zeros(1000)}), 8000, 9000),
                                               (np.zeros(1000), 8000, 8000), (b"x" * 1000, 1000, 1100)])
def test_sizes_are_measured_not_guessed(value, low, high):
    assert low <= cache.approximate_size(value) <= high

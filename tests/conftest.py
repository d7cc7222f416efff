"""Shared fixtures; helpers live in tests/helpers.py so test modules can import them by name."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# The app builds figures without plotly's property checks (they cost more than the rest of a callback);
# every test builds them checked, so a misspelt property still fails here. Set before dashboard imports.
os.environ.setdefault("EQUITY_ATLAS_VALIDATE_FIGURES", "1")
# Apps started by tests do not pre-compress their scripts in the background (tests start many of them).
os.environ.setdefault("EQUITY_ATLAS_WARM_STATIC", "0")

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import PROJECT_ROOT  # noqa: E402
from hypothesis import settings  # noqa: E402

# Speed is measured by `python -m bench`, not by tests: a per-example deadline only fails a correct test on a
# busy machine (CI shares two cores with Chromium and the app servers).
settings.register_profile("atlas", deadline=None)
settings.load_profile("atlas")


@pytest.fixture(scope="session")
def processed_dir() -> Path:
    folder = PROJECT_ROOT / "data" / "processed"
    if not (folder / "practices.parquet").is_file():
        pytest.fail(f"{folder} is missing: the processed data ships with the repository")
    return folder

"""Where the real raw data is, and whether a test may skip without it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent

IN_CI = os.environ.get("CI", "").lower() == "true"


def real_raw_dir() -> Path:
    return Path(os.environ.get("EQUITY_ATLAS_RAW_DIR", PROJECT_ROOT.parent / "shared" / "data"))


def require_real_data() -> Path:
    """Skip with a reason on a machine without ../shared/data; under CI its absence is a failure."""
    raw = real_raw_dir()
    if not (raw / "nhs_payments").is_dir():
        if IN_CI:
            pytest.fail(f"CI=true but the real data folder {raw} is missing")
        pytest.skip(f"real published data not found at {raw} (set EQUITY_ATLAS_RAW_DIR)")
    return raw



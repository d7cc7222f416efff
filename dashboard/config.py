"""Paths and settings, read from the environment so deployments and tests can point elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def raw_dir() -> Path:
    """Where the published source files live; never inside the repository."""
    return Path(os.environ.get("EQUITY_ATLAS_RAW_DIR", PROJECT_ROOT.parent / "shared" / "data")).resolve()


def processed_dir() -> Path:
    """Where the build writes, and the app reads, the small processed files."""
    return Path(os.environ.get("EQUITY_ATLAS_PROCESSED_DIR", PROJECT_ROOT / "data" / "processed")).resolve()


def reference_dir() -> Path:
    """Hand-compiled facts no published file holds (e.g. Marmot Places), each row with its source."""
    return PROJECT_ROOT / "data" / "reference"


OGL_ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Contains OS data © Crown copyright and database right; contains ONS data © Crown copyright."
)

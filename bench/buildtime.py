"""`python -m dashboard.data build` from the raw files into a temporary folder (never data/processed)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .support import PROJECT_ROOT


def fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of every file: proof the shipped data was not touched."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def run(raw_dir: Path | None = None) -> dict:
    from dashboard import config

    raw = Path(raw_dir or config.raw_dir())
    if not (raw / "nhs_payments").is_dir():
        return {"skipped": f"raw data not found at {raw} (set EQUITY_ATLAS_RAW_DIR)"}
    shipped = config.processed_dir()
    before = fingerprint(shipped) if shipped.exists() else None
    folder = Path(tempfile.mkdtemp(prefix="bench-build-"))
    out = folder / "processed"
    env = dict(os.environ, EQUITY_ATLAS_PROCESSED_DIR=str(out), EQUITY_ATLAS_RAW_DIR=str(raw), PYTHONUNBUFFERED="1")
    try:
        started = time.perf_counter()
        process = subprocess.run([sys.executable, "-m", "dashboard.data", "build", "--raw-dir", str(raw),
                                  "--out-dir", str(out)], cwd=PROJECT_ROOT, env=env, capture_output=True,
                                 text=True, timeout=1800)
        seconds = time.perf_counter() - started
        result = {"seconds": round(seconds, 2), "exit": process.returncode, "raw_dir": str(raw),
                  "files": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
                  if out.exists() else []}
        if process.returncode != 0:
            result["error"] = (process.stderr or process.stdout)[-2000:]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if before is not None and fingerprint(shipped) != before:
        result["error"] = f"{shipped} changed during the build benchmark"
    return result

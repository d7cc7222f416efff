"""A killed build loses nothing; missing or corrupt processed data gives a clear message, not a crash loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from fixtures.make_raw import FIXTURE_CHECKS, make_raw, make_reference
from helpers import PROJECT_ROOT

from dashboard.data import build as build_module


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build_command(raw, out, reference):
    code = ("import sys; from dashboard.data.build import build; "
            "from dashboard.data.plausibility import AGAINST_PREVIOUS; "
            f"build(raw_dir={str(raw)!r}, out_dir={str(out)!r}, reference_dir={str(reference)!r}, "
            "checks=AGAINST_PREVIOUS)")
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("moment", ["while writing", "just before the swap"])
def test_sigkill_leaves_previous_data_and_next_build_succeeds(tmp_path, moment):
    raw, reference, out = make_raw(tmp_path / "raw"), make_reference(tmp_path / "ref"), tmp_path / "processed"
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None,
                       checks=FIXTURE_CHECKS)
    before = snapshot(out)
    env = dict(os.environ, EQUITY_ATLAS_BUILD_PAUSE_BEFORE_SWAP="30")
    process = subprocess.Popen(build_command(raw, out, reference), cwd=PROJECT_ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        staging = list(tmp_path.glob(".build-*"))
        files = [p for s in staging for p in s.rglob("*") if p.is_file()]
        ready = any(p.name == "manifest.json" for p in files) if moment == "just before the swap" else files
        if ready:
            break
        time.sleep(0.02)
    else:
        process.kill()
        pytest.fail("the build never started writing")
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert process.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None,
                       checks=FIXTURE_CHECKS)
    assert (out / "manifest.json").is_file()
    assert not list(tmp_path.glob(".build-*"))


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_app_refuses_to_start_on_bad_processed_data(tmp_path, processed_dir, damage):
    import shutil

    folder = tmp_path / "processed"
    shutil.copytree(processed_dir, folder)
    target = folder / "practices.parquet"
    if damage == "missing":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes()[: 1000])
    env = dict(os.environ, EQUITY_ATLAS_PROCESSED_DIR=str(folder))
    result = subprocess.run([sys.executable, "-m", "dashboard", "--port", "0"], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "practices.parquet" in result.stderr and "python -m dashboard.data build" in result.stderr
    assert "Traceback" not in result.stderr


def test_gunicorn_stops_instead_of_looping(tmp_path, processed_dir):
    import shutil

    folder = tmp_path / "processed"
    shutil.copytree(processed_dir, folder)
    (folder / "areas.parquet").unlink()
    env = dict(os.environ, EQUITY_ATLAS_PROCESSED_DIR=str(folder))
    gunicorn = [sys.executable, "-m", "gunicorn", "dashboard.app:server", "--bind", "127.0.0.1:0", "--workers", "2"]
    result = subprocess.run(gunicorn, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "areas.parquet" in result.stderr and "python -m dashboard.data build" in result.stderr

"""Damaged processed data never serves: the app refuses to start on it, and /healthz tells a live worker's state."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from flask import Flask
from helpers import PROJECT_ROOT

from dashboard import health
from dashboard.app import CannotStart, create_app
from dashboard.data import columns
from dashboard.data.query import Atlas


def damaged_copy(processed_dir, folder, name, damage):
    shutil.copytree(processed_dir, folder)
    frame = pd.read_parquet(folder / name)
    damage(frame).to_parquet(folder / name, index=False)
    return folder


def start(folder):
    env = dict(os.environ, EQUITY_ATLAS_PROCESSED_DIR=str(folder))
    return subprocess.run([sys.executable, "-m", "dashboard", "--port", "0"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_columns_table_is_the_schemas():
    """The app's cheap start-up check asks exactly what the build's pandera schemas guarantee."""
    from dashboard.data import schemas

    # pandas 3 names text columns "str" (pandera: "string[pyarrow]"); both are the "str" kind
    kind = {"str": "str", "string[pyarrow]": "str", "float64": "float", "Int64": "Int64"}
    declared = {name: {column: kind[str(spec.dtype)] for column, spec in schema.columns.items()}
                for name, schema in (("practices.parquet", schemas.PRACTICES), ("areas.parquet", schemas.AREAS),
                                     ("area_indicators.parquet", schemas.AREA_INDICATORS),
                                     ("area_stats.parquet", schemas.AREA_STATS))}
    assert columns.REQUIRED == declared


def test_missing_column_exits_with_plain_message(tmp_path, processed_dir):
    folder = damaged_copy(processed_dir, tmp_path / "processed", "practices.parquet",
                          lambda f: f.drop(columns=["total_payments"]))
    result = start(folder)
    assert result.returncode == 2
    assert "Equity Atlas cannot start" in result.stderr
    assert f"{folder / 'practices.parquet'}: column 'total_payments' is missing" in result.stderr
    assert "python -m dashboard.data build" in result.stderr
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr


def test_wrong_dtype_stops_the_app(tmp_path, processed_dir):
    """Money stored as text used to start fine (GET / 200) and fail every explorer render with a 500."""
    folder = damaged_copy(processed_dir, tmp_path / "processed", "practices.parquet",
                          lambda f: f.assign(total_payments=f["total_payments"].map("{:.2f}".format)))
    result = start(folder)
    assert result.returncode == 2
    assert "practices.parquet: column 'total_payments' has type str, expected float" in result.stderr
    assert "Traceback" not in result.stderr


DAMAGE = {
    "year as numbers": ("practices.parquet", lambda f: f.assign(year=f["year"].str[:4].astype("int64")),
                        "column 'year' has type int64, expected str"),
    "quintile as float": ("practices.parquet", lambda f: f.assign(imd_quintile=f["imd_quintile"].astype(float)),
                          "column 'imd_quintile' has type float64, expected Int64"),
    "area deprivation missing": ("areas.parquet", lambda f: f.drop(columns=["imd_score"]),
                                 "areas.parquet: column 'imd_score' is missing"),
    "indicator values as text": ("area_indicators.parquet", lambda f: f.assign(value=f["value"].astype(str)),
                                 "area_indicators.parquet: column 'value' has type str, expected float"),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_each_checked_table_refuses_damage(case, tmp_path, processed_dir):
    name, damage, message = DAMAGE[case]
    folder = damaged_copy(processed_dir, tmp_path / "processed", name, damage)
    with pytest.raises(CannotStart) as info:
        create_app(str(folder))
    assert message in str(info.value)


def test_healthz_answers_from_real_data(processed_dir):
    client = create_app(str(processed_dir)).server.test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "year": "2022-23", "practices": 6669}
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_query_fails(processed_dir, monkeypatch):
    atlas = Atlas(processed_dir)  # its own copy: the app's cached one stays whole for other tests
    server = Flask(__name__)
    health.install(server, atlas)
    assert server.test_client().get("/healthz").status_code == 200
    monkeypatch.setattr(atlas, "practices", atlas.practices.drop(columns=["registered_patients"]))
    response = server.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "unhealthy: the data query failed (KeyError)\n"

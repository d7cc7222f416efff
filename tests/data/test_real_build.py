"""The full build on the real published files reproduces the published national figures."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys

import pytest
from helpers import PROJECT_ROOT, require_real_data

from dashboard.data.build import build
from dashboard.data.query import Atlas

PUBLISHED_2022_23 = {
    "practices": 6669,
    "total_payments": 10.23e9,  # "£10.2bn"
    "total_payments_incl_covid_pcn": 11.01e9,  # "£11.0bn"
    "prescribing_dispensing_payments": 870.3e6,  # "£870m"
}


@pytest.fixture(scope="module")
def real_build(tmp_path_factory):
    raw = require_real_data()
    out = tmp_path_factory.mktemp("real") / "processed"
    build(raw_dir=raw, out_dir=out, progress=lambda *_: None)
    return Atlas(out)


def test_published_figures_2022_23(real_build):
    summary = real_build.national_summary("2022-23")
    assert summary["practices"] == PUBLISHED_2022_23["practices"]
    assert summary["total_payments"] == pytest.approx(PUBLISHED_2022_23["total_payments"], abs=0.005e9)
    assert round(summary["total_payments"] / 1e9, 1) == 10.2
    assert round(summary["total_payments_incl_covid_pcn"] / 1e9, 1) == 11.0
    assert summary["total_payments_incl_covid_pcn"] == pytest.approx(11.01e9, abs=0.005e9)
    assert summary["prescribing_dispensing_payments"] == pytest.approx(870.3e6, abs=0.05e6)
    dispensing, other = summary["by_dispensing"]["Yes"], summary["by_dispensing"]["No"]
    assert dispensing["practices"] == 944
    assert round(dispensing["registered_patients"] / 1e6, 1) == 9.5
    assert round(dispensing["prescribing_dispensing_payments"] / 1e6) == 625
    assert other["practices"] == 5537
    assert round(other["registered_patients"] / 1e6, 1) == 52.6
    assert round(other["prescribing_dispensing_payments"] / 1e6) == 245
    assert summary["by_dispensing"]["Unknown"]["practices"] == 188


def test_every_year_is_built(real_build):
    assert real_build.years[0] == "2014-15"
    assert real_build.years == sorted(real_build.years)
    assert len(real_build.years) == len(list((require_real_data() / "nhs_payments").glob("*.csv")))


def test_coverage_2022_23(real_build):
    coverage = real_build.national_summary("2022-23")["coverage"]
    # Code-Point Open 2014 predates some practice postcodes: SOURCES.md records 98.9% of patients exact.
    assert coverage["located_exact"] >= 0.985
    assert coverage["located"] == 1.0
    assert coverage["with_la"] == 1.0 and coverage["with_icb"] == 1.0
    assert coverage["with_imd"] >= 0.99
    practices = real_build.year_practices("2022-23")
    assert practices["region_code"].notna().all()
    assert practices["utla_code"].notna().all()


def test_areas_and_boundaries(real_build):
    areas = real_build.areas
    assert (areas["level"] == "la").sum() == 296
    assert (areas["level"] == "icb").sum() == 42
    assert (areas["level"] == "region").sum() == 7
    assert (areas["level"] == "sicbl").sum() == 106
    la_geo = real_build.folder / "geo" / "la.geojson"
    assert la_geo.stat().st_size < 600_000  # "a few hundred KB"
    features = json.loads(la_geo.read_text())["features"]
    assert {f["id"] for f in features} == set(areas.loc[areas["level"] == "la", "code"])
    coventry = areas.set_index("code").loc["E08000026"]
    assert coventry["region_code"] == "E40000008" and coventry["icb_code"] == "E54000018"
    assert 1 <= coventry["imd_rank"] <= 296


def test_shipped_processed_data_matches_a_fresh_build(real_build, processed_dir):
    """The committed data/processed must be what the committed code builds from the raw files."""
    shipped = Atlas(processed_dir)
    assert shipped.national_summary("2022-23") == real_build.national_summary("2022-23")
    assert shipped.years == real_build.years
    assert shipped.area_stats.equals(real_build.area_stats)


# Bytes the browser fetches per level (raw, gzipped): the ultra-generalised copies used before the switch to
# ONS BSC boundaries set it (la.geojson 299,551 / 79,172); the finer sources are simplified to stay within it.
GEO_BUDGET = {"la": (300_000, 80_000), "sicbl": (200_000, 60_000), "icb": (100_000, 30_000),
              "utla": (200_000, 60_000), "region": (50_000, 15_000), "marmot": (40_000, 12_000)}


def test_boundaries_stay_within_the_browser_byte_budget(processed_dir):
    for level, (raw_limit, gzip_limit) in GEO_BUDGET.items():
        data = (processed_dir / "geo" / f"{level}.geojson").read_bytes()
        assert len(data) <= raw_limit and len(gzip.compress(data, 9)) <= gzip_limit, (level, len(data))


def test_summary_cli_prints_exact_keys(processed_dir):
    out = subprocess.run([sys.executable, "-m", "dashboard.data", "summary", "--year", "2022-23", "--json"],
                         capture_output=True, text=True, cwd=PROJECT_ROOT, check=True).stdout
    figures = json.loads(out)
    assert list(figures) == ["year", "practices", "registered_patients", "weighted_patients", "total_payments",
                             "total_payments_incl_covid_pcn", "prescribing_dispensing_payments", "by_dispensing",
                             "coverage"]
    assert figures["practices"] == 6669 and isinstance(figures["registered_patients"], int)
    assert set(figures["by_dispensing"]) == {"Yes", "No", "Unknown"}
    assert set(figures["coverage"]) == {"located_exact", "located", "with_la", "with_icb", "with_imd",
                                        "with_life_expectancy"}
    years = subprocess.run([sys.executable, "-m", "dashboard.data", "years"], capture_output=True, text=True,
                           cwd=PROJECT_ROOT, check=True).stdout.split()
    assert years[0] == "2014-15" and years[-1] == "2022-23"


def test_unknown_year_is_a_clear_error():
    result = subprocess.run([sys.executable, "-m", "dashboard.data", "summary", "--year", "1999-00", "--json"],
                            capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert result.returncode != 0
    assert "no data for 1999-00" in result.stderr and "2022-23" in result.stderr

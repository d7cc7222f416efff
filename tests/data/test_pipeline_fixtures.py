"""Each ingest step, and the whole build, on the small fixture folder (tests/fixtures/make_raw.py)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fixtures.make_raw import FIXTURE_CHECKS, PRACTICES, make_raw, make_reference

from dashboard.data import build as build_module
from dashboard.data import locations, payments, practice_measures
from dashboard.data.errors import SourceDataError
from dashboard.data.query import Atlas


@pytest.fixture()
def raw(tmp_path):
    return make_raw(tmp_path / "raw")


@pytest.fixture()
def reference(tmp_path):
    return make_reference(tmp_path / "reference")


def test_payments_harmonise_both_header_styles(raw):
    years = payments.read_all_payments(raw, progress=lambda *_: None)
    assert sorted(years["year"].unique()) == ["2021-22", "2022-23"]
    latest = years[years["year"] == "2022-23"].set_index("practice_code")
    # 2022-23 layout: the PCN sits under "Code"/"CCG NAME" and the sub-ICB name under "Sub ICB NAME".
    assert latest.loc["A00001", "pcn_code"] == "U00001"
    assert latest.loc["A00001", "commissioner_name"].startswith("NHS COVENTRY")
    assert latest.loc["A00002", "postcode"] == "CV1 2AB"
    # " global sum " (odd case and spaces) still lands in the core component.
    assert latest.loc["A00001", "pay_core"] == pytest.approx(80.0 * 11000)
    delta = latest.loc["A00004"]
    assert delta["pay_prescribing_dispensing"] == pytest.approx(1000 + 20000 + 50000)
    parts = ["pay_core", "pay_qof", "pay_enhanced", "pay_premises", "pay_prescribing_dispensing", "pay_other"]
    assert (latest[parts].sum(axis=1) - latest["total_payments"]).abs().max() < 1e-6
    assert latest.loc["A00001", "pay_covid"] == pytest.approx(1000.0)
    assert latest.loc["A00001", "pay_pcn"] == pytest.approx(2000.0)
    assert latest.loc["A00005", "dispensing"] == "Unknown"


def test_newer_year_file_just_works(raw):
    (raw / "nhs_payments" / "nhs-payments-gp-2023-24.csv").write_text(
        (raw / "nhs_payments" / "nhs-payments-gp-2022-23.csv").read_text(encoding="utf-8"), encoding="utf-8")
    years = payments.read_all_payments(raw, progress=lambda *_: None)
    assert "2023-24" in set(years["year"])


def test_practice_deprivation_prefers_newest_edition(raw):
    table = practice_measures.read_practice_deprivation(raw).set_index("practice_code")
    assert table.loc["A00001", "imd_edition"] == 2019
    assert table.loc["A00001", "imd_score"] == 40.0
    assert "E92000001" not in table.index


def test_life_expectancy_rows_split_by_sex_are_combined(raw):
    table = practice_measures.read_practice_life_expectancy(raw)
    row = table[(table["practice_code"] == "A00001") & (table["le_year"] == 2020)].iloc[0]
    assert row["life_expectancy_female"] == 81 and row["life_expectancy_male"] == 77


def test_deprivation_bands_split_patients_not_practices():
    frame = pd.DataFrame({"year": "2022-23", "practice_code": list("ABCDE"),
                          "imd_score": [50.0, 40.0, 30.0, 20.0, 10.0],
                          "registered_patients": [100.0, 100.0, 100.0, 100.0, 600.0]})
    banded = practice_measures.assign_deprivation_bands(frame).set_index("practice_code")
    assert banded.loc["A", "imd_quintile"] == 1  # most deprived
    assert banded.loc["E", "imd_quintile"] == 4  # its 600 patients straddle fourth and fifth fifths; midpoint 0.7
    assert banded.loc["B", "imd_decile"] == 2


def test_postcodes_fall_back_to_sector_then_district(raw):
    codepoint = locations.read_codepoint(raw)
    found = locations.locate_postcodes(pd.Series(["CV1 1AA", "CV1 3ZZ", "CV9 9ZZ", "ZZ1 1ZZ"]), codepoint)
    quality = dict(zip(found["postcode"], found["location_quality"], strict=True))
    assert quality == {"CV1 1AA": "exact", "CV1 3ZZ": "sector", "CV9 9ZZ": "none", "ZZ1 1ZZ": "none"}


def test_full_build_on_fixtures(raw, reference, tmp_path):
    out = tmp_path / "processed"
    messages = []
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=messages.append,
                       checks=FIXTURE_CHECKS)
    assert any("coverage" in m for m in messages)
    atlas = Atlas(out)
    practices = atlas.practices
    latest = practices[practices["year"] == "2022-23"].set_index("practice_code")
    # Spatial join: the Coventry square holds the first three practices, Warwick the rest.
    assert latest.loc["A00001", "la_code"] == "E08000026"
    assert latest.loc["A00004", "la_code"] == "E07000222"
    assert latest.loc["A00004", "utla_code"] == "E10000031"
    assert set(latest["icb_code"]) == {"E54000018"}
    assert set(latest["region_code"]) == {"E40000008"}
    assert latest.loc["A00003", "location_quality"] == "sector"
    summary = atlas.national_summary("2022-23")
    assert summary["practices"] == len(PRACTICES)
    assert summary["by_dispensing"]["Yes"]["practices"] == 2
    assert summary["by_dispensing"]["Yes"]["prescribing_dispensing_payments"] == pytest.approx(2 * 71000)
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"path", "sha256", "licence", "rows", "vintage"} <= set(manifest["inputs"][0])
    assert any(o["path"] == "geo/la.geojson" for o in manifest["outputs"])
    areas = atlas.areas.set_index("code")
    assert areas.loc["E08000026", "imd_method"] == "published"
    assert areas.loc["E07000222", "imd_score"] == pytest.approx(11.0)  # recomputed from its MSOA
    assert areas.loc["marmot:coventry", "level"] == "marmot"
    places = atlas.marmot_places.set_index("slug")
    assert not places.loc["somewhere-in-wales", "mapped"]


def snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


BAD_INPUTS = {
    "renamed column": ("nhs_payments/nhs-payments-gp-2022-23.csv",
                       lambda t: t.replace("Number of Registered Patients", "Registered Patient Count"),
                       ["nhs-payments-gp-2022-23.csv", "registered_patients"]),
    "text in a number column": ("nhs_payments/nhs-payments-gp-2022-23.csv",
                                lambda t: t.replace("10000,11000", "10000,eleven thousand", 1),
                                ["nhs-payments-gp-2022-23.csv", "Number of Weighted Patients", "row 2",
                                 "eleven thousand"]),
    "duplicate practice in a year": ("nhs_payments/nhs-payments-gp-2021-22.csv",
                                     lambda t: t + t.splitlines()[1] + "\n",
                                     ["nhs-payments-gp-2021-22.csv", "A00001", "appears twice", "row 7"]),
    "negative patients": ("nhs_payments/nhs-payments-gp-2021-22.csv",
                          lambda t: t.replace("8000,7000", "-8000,7000", 1),
                          ["Number of Registered Patients", "row 3"]),
    "missing deprivation column": ("practice_deprivation/practice-imd-fingertips-93553.csv",
                                   lambda t: t.replace("Value", "Score", 1), ["93553", "Value"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_stops_build_and_keeps_previous_data(case, raw, reference, tmp_path, capsys):
    out = tmp_path / "processed"
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None,
                       checks=FIXTURE_CHECKS)
    before = snapshot(out)
    relative, corrupt, expected = BAD_INPUTS[case]
    path = raw / relative
    path.write_text(corrupt(path.read_text(encoding="utf-8-sig")), encoding="utf-8")
    with pytest.raises(SourceDataError) as info:
        build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None,
                       checks=FIXTURE_CHECKS)
    for fragment in expected:
        assert fragment in str(info.value)
    assert snapshot(out) == before
    assert not list(tmp_path.glob(".build-*"))


def test_wrong_encoding_named_with_row(raw, reference, tmp_path):
    out = tmp_path / "processed"
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None,
                       checks=FIXTURE_CHECKS)
    before = snapshot(out)
    path = raw / "nhs_payments" / "nhs-payments-gp-2022-23.csv"
    path.write_bytes(path.read_text(encoding="utf-8-sig").replace("Beta Practice", "Béta Practice").encode("cp1252"))
    with pytest.raises(SourceDataError) as info:
        build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None,
                       checks=FIXTURE_CHECKS)
    assert "not valid UTF-8" in str(info.value) and "row 3" in str(info.value)
    assert snapshot(out) == before


def test_cli_exits_non_zero_with_message(raw, reference, tmp_path, monkeypatch, capsys):
    from dashboard.data.__main__ import main

    monkeypatch.setattr(build_module.config, "reference_dir", lambda: reference)
    (raw / "nhs_payments" / "nhs-payments-gp-2022-23.csv").write_text("not,a,payments\nfile,at,all\n")
    code = main(["build", "--raw-dir", str(raw), "--out-dir", str(tmp_path / "out")])
    assert code != 0
    err = capsys.readouterr().err
    assert "nhs-payments-gp-2022-23.csv" in err and "previous data left untouched" in err

"""Damaged raw data never ships: cut rows are named, implausible builds are refused unless accepted."""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest
from fixtures.make_raw import FIXTURE_CHECKS, make_raw, make_reference
from helpers import PROJECT_ROOT, require_real_data

from dashboard.data import build as build_module
from dashboard.data import payments, plausibility
from dashboard.data.__main__ import main
from dashboard.data.errors import SourceDataError
from dashboard.data.query import Atlas

YEAR_FILE = "nhs_payments/nhs-payments-gp-2022-23.csv"


def digest(folder) -> str:
    """One hash over every file's path and bytes: equal digests mean a byte-identical folder."""
    total = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        total.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return total.hexdigest()


def quiet(*_):
    pass


# --- a row cut short ------------------------------------------------------------------------------

def cut_last_line(path, keep) -> None:
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join(lines[:-1] + [keep(lines[-1])]), encoding="utf-8")


CUT_ROWS = {
    # The last practice keeps 20 whole fields and half of its QOF figure: "Minor Surgery" is the first lost.
    "payments": (YEAR_FILE, lambda line: ",".join(line.split(",")[:21])[:-2],
                 ["nhs-payments-gp-2022-23.csv", "column 'Minor Surgery'", "row 6", "21 of the header's 35 fields"]),
    "practice deprivation": ("practice_deprivation/practice-imd-fingertips-93553.csv", lambda line: line[:14],
                             ["practice-imd-fingertips-93553.csv", "column 'AreaName'", "row 9", "3 of"]),
}


@pytest.mark.parametrize("case", sorted(CUT_ROWS))
def test_row_cut_short_names_file_column_and_row(case, tmp_path):
    raw, reference, out = make_raw(tmp_path / "raw"), make_reference(tmp_path / "ref"), tmp_path / "processed"
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=quiet, checks=FIXTURE_CHECKS)
    before = digest(out)
    relative, keep, expected = CUT_ROWS[case]
    cut_last_line(raw / relative, keep)
    with pytest.raises(SourceDataError) as info:
        build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=quiet,
                           checks=FIXTURE_CHECKS)
    for fragment in expected:
        assert fragment in str(info.value)
    assert digest(out) == before


def test_real_payments_file_cut_mid_row_is_named(tmp_path):
    """The publisher's own 2022-23 file, cut halfway through its last line (no trailing newline, as published)."""
    source = require_real_data() / YEAR_FILE
    copy = tmp_path / source.name
    data = source.read_bytes()
    copy.write_bytes(data[: data.rfind(b"\n") + (len(data) - data.rfind(b"\n")) // 2])
    with pytest.raises(SourceDataError) as info:
        payments.read_payments_file(copy)
    message = str(info.value)
    assert str(copy) in message and "column '" in message and "row 6670" in message and "fields" in message


# --- plausibility: the checks as data -------------------------------------------------------------

def measures(practices=6669.0, total=10.23e9, covid_pcn=11.01e9, prescribing=870.3e6, dispensing=944.0):
    return {"practices": practices, "total_payments": total, "total_incl_covid_pcn": covid_pcn,
            "prescribing_dispensing": prescribing, "dispensing_practices": dispensing}


def failed(new, previous, new_rows=None, previous_rows=None):
    rows = {YEAR_FILE: 6669}
    found = plausibility.evaluate(new, new_rows or rows, previous, previous_rows or rows)
    return sorted(failure.check.name for failure in found)


def test_tolerances_separate_damage_from_revision():
    year = {"2022-23": measures()}
    assert failed(year, year) == []
    assert failed({"2022-23": measures(total=10.20e9)}, year) == []  # -0.3%: within 1%, and still "£10.2bn"
    assert failed({"2022-23": measures(practices=6369)}, year) == ["practices_vs_previous", "published_practices"]
    assert failed({"2022-23": measures(total=10.4e9)}, year) == ["published_total", "total_vs_previous"]
    assert failed({"2022-23": measures(dispensing=943)}, year) == ["published_dispensing_practices"]
    assert failed(year, year, new_rows={YEAR_FILE: 6000}) == ["input_rows_vs_previous"]
    assert failed(year, year, new_rows={YEAR_FILE: 7000}) == []  # a file may grow
    assert failed(year, {**year, "2021-22": measures()}) == ["years_kept"]
    assert failed({}, None) == sorted(c.name for c in plausibility.CHECKS if c.against == plausibility.PUBLICATION)


def test_shipped_data_passes_every_check(processed_dir):
    """The published figures' tolerances accept the real 2022-23 data (and a build compared with itself)."""
    previous, rows = plausibility.read_previous(processed_dir)
    assert plausibility.evaluate(previous, rows, previous, rows) == []


def test_readme_lists_the_checks():
    assert plausibility.markdown_table() in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


# --- plausibility in the build: fixture folder ----------------------------------------------------

def test_fixture_build_missing_a_practice_is_refused_then_accepted(tmp_path):
    raw, reference, out = make_raw(tmp_path / "raw"), make_reference(tmp_path / "ref"), tmp_path / "processed"
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=quiet, checks=FIXTURE_CHECKS)
    before = digest(out)
    path = raw / YEAR_FILE
    path.write_text("\n".join(path.read_text(encoding="utf-8-sig").splitlines()[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(plausibility.ImplausibleChangeError) as info:
        build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=quiet,
                           checks=FIXTURE_CHECKS)
    assert "practices_vs_previous: nhs_payments/nhs-payments-gp-2022-23.csv (2022-23): practices 5 in the " \
           "previous build, 4 now (-20.0%; tolerance: may change by at most 1%)" in str(info.value)
    assert digest(out) == before and not list(tmp_path.glob(".build-*"))
    build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=quiet, checks=FIXTURE_CHECKS,
                       accept_changes=True)
    assert Atlas(out).national_summary("2022-23")["practices"] == 4
    accepted = json.loads((out / "manifest.json").read_text())["accepted_changes"]
    assert any(line.startswith("practices_vs_previous") for line in accepted)


# --- plausibility in the build: the real publication, 300 rows short ------------------------------

@pytest.fixture(scope="module")
def truncated(tmp_path_factory):
    """The real raw folder with 2022-23 missing its last 300 practices, and a copy of the shipped build.

    The tables of one build are shared by the refused and the accepted run (what is under test is the
    comparison and the swap, not the ingest), so the module costs one real build, not two.
    """
    real = require_real_data()
    root = tmp_path_factory.mktemp("truncated")
    raw = root / "raw"
    (raw / "nhs_payments").mkdir(parents=True)
    for item in real.iterdir():
        if item.name != "nhs_payments":
            (raw / item.name).symlink_to(item)
    for item in (real / "nhs_payments").iterdir():
        if item.name != "nhs-payments-gp-2022-23.csv":
            (raw / "nhs_payments" / item.name).symlink_to(item)
    lines = (real / YEAR_FILE).read_bytes().splitlines(keepends=True)
    (raw / YEAR_FILE).write_bytes(b"".join(lines[:-300]))
    out = root / "processed"
    shutil.copytree(PROJECT_ROOT / "data" / "processed", out)
    built = {}
    original = build_module.build_tables

    def build_once(raw_dir, reference_dir, progress=print):
        key = (str(raw_dir), str(reference_dir))
        if key not in built:
            built[key] = original(raw_dir, reference_dir, progress=progress)
        return built[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build_module, "build_tables", build_once)
        yield raw, out


def test_real_year_300_rows_short_is_refused(truncated, capsys):
    raw, out = truncated
    before = digest(out)
    code = main(["build", "--raw-dir", str(raw), "--out-dir", str(out)])
    err = capsys.readouterr().err
    assert code == 3
    assert "build refused, previous data left untouched" in err
    assert ("practices_vs_previous: nhs_payments/nhs-payments-gp-2022-23.csv (2022-23): practices 6,669 in the "
            "previous build, 6,369 now (-4.5%; tolerance: may change by at most 1%)") in err
    assert "published_practices: nhs_payments/nhs-payments-gp-2022-23.csv (2022-23): practices 6,369, " \
           "published 6,669 (tolerance: ±0)" in err
    assert "input_rows_vs_previous: nhs_payments/nhs-payments-gp-2022-23.csv: rows 6,669" in err
    assert "--accept-changes" in err
    assert digest(out) == before
    assert not list(out.parent.glob(".build-*"))


def test_real_year_300_rows_short_goes_in_with_accept_changes(truncated):
    raw, out = truncated
    assert main(["build", "--raw-dir", str(raw), "--out-dir", str(out), "--accept-changes"]) == 0
    assert Atlas(out).national_summary("2022-23")["practices"] == 6369
    assert Atlas(out).national_summary("2021-22")["practices"] == 6758
    accepted = json.loads((out / "manifest.json").read_text())["accepted_changes"]
    assert {line.split(":")[0] for line in accepted} >= {"practices_vs_previous", "published_practices"}
    assert pd.read_parquet(out / "practices.parquet", columns=["year"])["year"].eq("2022-23").sum() == 6369

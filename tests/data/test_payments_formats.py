"""The publisher's 2023-24 and 2024-25 payments format, read from the real header and first five practices.

The samples (../shared/data/nhs_payments/schema-samples) are the publisher's own header row and rows, so the
checks below compare what we read with what the file itself says: its totals, and its own "Average payments
per ..." columns, which the publisher computed from the same average patient counts.
"""

from __future__ import annotations

import csv
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from helpers import require_real_data

from dashboard.data import payments
from dashboard.data.errors import SourceDataError

SAMPLES = {"2023-24": "nhs-payments-gp-2023-24-SAMPLE-5-practices.csv",
           "2024-25": "nhs-payments-gp-2024-25-SAMPLE-5-practices.csv"}
PER_PATIENT = {  # the file's own per-patient column -> (our money column, our patient column)
    "Average payments per registered patient": ("total_payments", "registered_patients"),
    "Average payments per weighted patient": ("total_payments", "weighted_patients"),
    "Average payments per registered patient including covid vaccination and covid support and long covid "
    "payments": ("total_incl_covid", "registered_patients"),
    "Average payments per weighted patient including covid vaccination, covid support and long covid payments":
        ("total_incl_covid", "weighted_patients"),
}
TOTALS = {  # the file's total column -> ours
    "Total NHS Payments to General Practice": "total_payments",
    "Total NHS Payments to General Practice Minus Deductions": "total_minus_deductions",
    "Total NHS Payments to General Practice including covid vaccination, covid support and long covid payments":
        "total_incl_covid",
}


def sample_file(year: str, folder: Path, edit=None) -> Path:
    """The sample under the name a full year's file has (the year is read from the name)."""
    source = require_real_data() / "nhs_payments" / "schema-samples" / SAMPLES[year]
    target = folder / f"nhs-payments-gp-{year}.csv"
    if edit is None:
        shutil.copyfile(source, target)
    else:
        target.write_text(edit(source.read_text(encoding="utf-8-sig")), encoding="utf-8")
    return target


def published_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return {row["Practice Code"]: row for row in csv.DictReader(handle)}


def penny(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("year", sorted(SAMPLES))
def test_sample_reads_with_the_files_own_totals_and_averages(year, tmp_path):
    path = sample_file(year, tmp_path)
    published = published_rows(path)
    tidy = payments.read_payments_file(path).set_index("practice_code")
    assert len(tidy) == 5 and set(tidy.index) == set(published)
    assert set(tidy["year"]) == {year}
    for code, row in published.items():
        ours = tidy.loc[code]
        for column, name in TOTALS.items():
            assert penny(ours[name]) == Decimal(row[column]), (code, column)
        # The total including COVID after deductions must not have overwritten the total including COVID.
        covid_minus = Decimal(row["Total NHS Payments to General Practice including Covid minus deductions"])
        assert penny(ours["total_incl_covid"]) != covid_minus
        assert ours["registered_patients"] == float(row["Average Number of Registered Patients"])
        assert ours["weighted_patients"] == float(row["Average Number of Weighted Patients"])
        for column, (money, patients) in PER_PATIENT.items():
            assert penny(ours[money] / ours[patients]) == Decimal(row[column]), (code, column)
        assert ours["commissioner_code"] == row["Sub ICB Code"].strip()
        assert ours["commissioner_name"] == row["Sub ICB Name"].strip()
        assert ours["pcn_code"] == row["PCN Code"].strip()
    assert set(tidy["patients_basis"]) == {payments.YEAR_AVERAGE}
    parts = ["pay_core", "pay_qof", "pay_enhanced", "pay_premises", "pay_prescribing_dispensing", "pay_other"]
    assert (tidy[parts].sum(axis=1) - tidy["total_payments"]).abs().max() < 1e-6
    # No PCN columns any more: the "including PCN" totals fall back to the totals they extend.
    assert (tidy["pay_pcn"] == 0).all()
    assert (tidy["total_incl_covid_pcn"] - tidy["total_incl_covid"]).abs().max() < 1e-6


def test_older_years_say_last_known_figure(tmp_path):
    from fixtures.make_raw import make_raw

    years = payments.read_all_payments(make_raw(tmp_path / "raw"), progress=lambda *_: None)
    assert set(years["patients_basis"]) == {payments.LAST_KNOWN}


def test_respiratory_syncytial_virus_is_an_enhanced_service(tmp_path):
    """RSV vaccination (2024-25) is counted with the other vaccination programmes, not as 'other'."""
    path = sample_file("2024-25", tmp_path)
    tidy = payments.read_payments_file(path).set_index("practice_code")
    assert "Respiratory Syncytial Virus" not in tidy.attrs["unknown_lines"]
    rsv = {code: float(row["Respiratory Syncytial Virus"]) for code, row in published_rows(path).items()}
    assert any(rsv.values())

    def without_rsv(text: str) -> str:
        rows = list(csv.reader(text.splitlines()))
        column = rows[0].index("Respiratory Syncytial Virus")
        return "\n".join(",".join(f'"{c}"' if "," in c else c for c in row[:column] + row[column + 1:])
                         for row in rows) + "\n"

    other = tmp_path / "other"
    other.mkdir()
    reduced = payments.read_payments_file(sample_file("2024-25", other, without_rsv)).set_index("practice_code")
    for code, amount in rsv.items():
        assert tidy.loc[code, "pay_enhanced"] - reduced.loc[code, "pay_enhanced"] == pytest.approx(amount)
        assert tidy.loc[code, "total_payments"] == reduced.loc[code, "total_payments"]


def test_two_columns_meaning_one_thing_stop_the_build(tmp_path):
    """A new header that maps onto a column already read must not overwrite it silently."""
    def duplicate_covid_total(text: str) -> str:
        return text.replace("Total NHS Payments to General Practice including Covid minus deductions",
                            '"Total NHS Payments to General Practice including Covid, after deductions"', 1)

    path = sample_file("2023-24", tmp_path, duplicate_covid_total)
    with pytest.raises(SourceDataError) as info:
        payments.read_payments_file(path)
    message = str(info.value)
    assert "total_incl_covid" in message and "after deductions" in message
    assert "including covid vaccination" in message

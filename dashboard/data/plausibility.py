"""Plausibility checks: refuse a build whose figures moved too far from the last build or the publication.

Schemas and row checks catch files that are malformed. They cannot catch a file that is well formed but
incomplete: a 2022-23 file missing its last 300 rows parses cleanly and would swap in 6,369 practices and
£0.4bn less money. Such damage shows in the headline figures, so the build compares them, per year, with
the build it is about to replace and with the figures the publisher stated, and refuses to swap when any
moves by more than its tolerance. A real change (a revised publication, a refreshed lookup) goes through
with `--accept-changes`, and the manifest records what was accepted.

The checks are data (CHECKS), so the README table (markdown_table) and the tests read the same list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

PREVIOUS = "previous build"
PUBLICATION = "publication"
YEAR = re.compile(r"20\d\d-\d\d")


@dataclass(frozen=True)
class Check:
    """One comparison. Against the previous build the tolerance is a fraction of the previous value; against
    the publication it is an absolute amount in the measure's unit (half the unit the figure was rounded to)."""

    name: str
    against: str
    measure: str
    tolerance: float
    description: str
    year: str | None = None
    expected: float | None = None
    falls_only: bool = False


CHECKS: tuple[Check, ...] = (
    Check("years_kept", PREVIOUS, "years", 0,
          "Every year in the previous build is still built (a missing or renamed payments file loses a year)."),
    Check("practices_vs_previous", PREVIOUS, "practices", 0.01,
          "A year's practice count may not change by more than 1% either way against the previous build of the "
          "same year."),
    Check("total_vs_previous", PREVIOUS, "total_payments", 0.01,
          "A year's total NHS payments (£) may not change by more than 1% either way against the previous build "
          "of the same year."),
    Check("input_rows_vs_previous", PREVIOUS, "rows", 0.01,
          "A raw input file's rows may not fall by more than 1% against the previous build's manifest (more rows "
          "are allowed: a refreshed lookup may grow).", falls_only=True),
    Check("published_practices", PUBLICATION, "practices", 0,
          "2022-23 has the published 6,669 practices, exactly.", year="2022-23", expected=6669),
    Check("published_total", PUBLICATION, "total_payments", 0.05e9,
          "2022-23 total NHS payments round to the published £10.2bn (within £0.05bn).", year="2022-23",
          expected=10.2e9),
    Check("published_total_covid_pcn", PUBLICATION, "total_incl_covid_pcn", 0.05e9,
          "2022-23 total including COVID and PCN payments rounds to the published £11.0bn (within £0.05bn).",
          year="2022-23", expected=11.0e9),
    Check("published_prescribing_dispensing", PUBLICATION, "prescribing_dispensing", 0.5e6,
          "2022-23 prescribing and dispensing payments round to the published £870m (within £0.5m).",
          year="2022-23", expected=870e6),
    Check("published_dispensing_practices", PUBLICATION, "dispensing_practices", 0,
          "2022-23 has the published 944 dispensing practices, exactly.", year="2022-23", expected=944),
)

# For folders that are not the publication (the test fixtures): compare with the previous build only.
AGAINST_PREVIOUS: tuple[Check, ...] = tuple(check for check in CHECKS if check.against == PREVIOUS)

MONEY = {"total_payments", "total_incl_covid_pcn", "prescribing_dispensing"}


@dataclass(frozen=True)
class Failure:
    check: Check
    file: str
    year: str | None
    previous: float | None
    new: float | None

    def __str__(self) -> str:
        check = self.check
        where = self.file + (f" ({self.year})" if self.year else "")
        if check.measure == "years":
            return f"{check.name}: {where}: year {self.year} was in the previous build and is missing now"
        if check.against == PREVIOUS:
            change = (self.new - self.previous) / self.previous if self.previous else float("inf")
            limit = f"may fall by at most {check.tolerance:.0%}" if check.falls_only else \
                f"may change by at most {check.tolerance:.0%}"
            return (f"{check.name}: {where}: {check.measure} {show(check.measure, self.previous)} in the previous "
                    f"build, {show(check.measure, self.new)} now ({change:+.1%}; tolerance: {limit})")
        return (f"{check.name}: {where}: {check.measure} {show(check.measure, self.new)}, published "
                f"{show(check.measure, self.previous)} (tolerance: ±{show(check.measure, check.tolerance)})")


class ImplausibleChangeError(Exception):
    """The new build differs from the previous one or the publication by more than a check allows."""

    def __init__(self, failures: list[Failure]):
        self.failures = failures
        lines = "\n".join(f"  - {failure}" for failure in failures)
        super().__init__(f"{len(failures)} plausibility check(s) failed:\n{lines}\n"
                         "If the change is real, rebuild with --accept-changes.")


def show(measure: str, value: float | None) -> str:
    if value is None:
        return "none"
    if measure in MONEY:
        return f"£{value / 1e9:,.3f}bn" if abs(value) >= 1e9 else f"£{value / 1e6:,.1f}m"
    return f"{value:,.0f}"


def year_measures(practices: pd.DataFrame) -> dict[str, dict[str, float]]:
    """The headline figures of each year, as the publication states them."""
    measures = {}
    for year, group in practices.groupby("year", observed=True):
        measures[str(year)] = {
            "practices": float(len(group)),
            "total_payments": float(group["total_payments"].sum()),
            "total_incl_covid_pcn": float(group["total_incl_covid_pcn"].sum()),
            "prescribing_dispensing": float(group["pay_prescribing_dispensing"].sum()),
            "dispensing_practices": float((group["dispensing"].astype(str) == "Yes").sum()),
        }
    return measures


def input_rows(manifest: dict) -> dict[str, int]:
    return {entry["path"]: entry["rows"] for entry in manifest.get("inputs", []) if entry.get("rows") is not None}


def read_previous(folder: Path) -> tuple[dict | None, dict | None]:
    """(year measures, input rows) of the build in folder; None for what is absent or unreadable.

    Only the columns the measures need are read, so the check costs a fraction of a second. An unreadable
    previous build has nothing to compare with: the build replacing it still faces the publication checks.
    """
    folder = Path(folder)
    try:
        frame = pd.read_parquet(folder / "practices.parquet", columns=[
            "year", "total_payments", "total_incl_covid_pcn", "pay_prescribing_dispensing", "dispensing"])
        measures = year_measures(frame)
    except Exception:  # missing or damaged: nothing to compare with
        measures = None
    try:
        rows = input_rows(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
    except Exception:
        rows = None
    return measures, rows


def payments_file(year: str, paths: list[str]) -> str:
    """The input a year's figures come from, so a failure names the file to look at."""
    for path in paths:
        if path.startswith("nhs_payments/") and year in path:
            return path
    return f"nhs_payments/*{year}*.csv"


def evaluate(new_measures: dict, new_rows: dict, previous_measures: dict | None, previous_rows: dict | None,
             checks=CHECKS) -> list[Failure]:
    """Every failed check; empty when the build is plausible."""
    failures = []
    paths = sorted(set(new_rows) | set(previous_rows or {}))
    for check in checks:
        if check.against == PUBLICATION:
            figures = new_measures.get(check.year)
            value = figures[check.measure] if figures else None
            if value is None or abs(value - check.expected) > check.tolerance:
                failures.append(Failure(check, payments_file(check.year, paths), check.year, check.expected, value))
            continue
        if check.measure == "years":
            for year in sorted(previous_measures or {}):
                if year not in new_measures:
                    failures.append(Failure(check, payments_file(year, paths), year, None, None))
            continue
        if check.measure == "rows":
            pairs = [(path, None, previous_rows[path], new_rows[path])
                     for path in sorted(previous_rows or {}) if path in new_rows]
        else:
            pairs = [(payments_file(year, paths), year, previous_measures[year][check.measure],
                      new_measures[year][check.measure])
                     for year in sorted(previous_measures or {}) if year in new_measures]
        for file, year, before, after in pairs:
            change = (after - before) / before if before else (0.0 if after == before else float("inf"))
            if change < -check.tolerance or (not check.falls_only and change > check.tolerance):
                failures.append(Failure(check, file, year, before, after))
    return failures


def markdown_table(checks=CHECKS) -> str:
    """The checks as the README shows them (a test keeps the README in step with CHECKS)."""
    lines = ["| check | against | tolerance | rule |", "| --- | --- | --- | --- |"]
    for check in checks:
        if check.against == PREVIOUS:
            tolerance = "none" if check.measure == "years" else f"{check.tolerance:.0%}"
        else:
            tolerance = "exact" if check.tolerance == 0 else f"±{show(check.measure, check.tolerance)}"
        lines.append(f"| `{check.name}` | {check.against} | {tolerance} | {check.description} |")
    return "\n".join(lines)

"""NHS Payments to General Practice: every published year into one tidy practice-year table.

Headers change between years (case, trailing spaces, dots for spaces, columns that moved or were
renamed), so columns are matched by meaning after normalising their names, never by position.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from . import sources
from .errors import SourceDataError, check_complete_rows, read_text_strict, to_number

YEAR_IN_NAME = re.compile(r"(20\d\d)-(\d\d)")

# Identity fields: normalised header -> tidy name.
IDENTITY_COLUMNS = {
    "nhs england (region) code": "published_region_code",
    "nhs england (region) name": "published_region_name",
    "ccg code": "commissioner_code",
    "ccg name": "commissioner_name",
    "sub icb code": "commissioner_code",
    "sub icb name": "commissioner_name",
    "pcn code": "pcn_code",
    "pcn name": "pcn_name",
    "practice code": "practice_code",
    "practice name": "practice_name",
    "practice address": "practice_address",
    "practice postcode": "postcode",
    "practice open date": "open_date",
    "practice close date": "close_date",
    "contract type": "contract_type",
    "dispensing practice": "dispensing",
    "practice type": "practice_type",
    "practicetype": "practice_type",
    "practice rurality": "rurality",
    "practicerurality": "rurality",
    "atypical characteristics": "atypical",
    "atypicalcharacteristics": "atypical",
    "number of registered patients (last known figure)": "registered_patients",
    "number of weighted patients (last known figure)": "weighted_patients",
    "average number of registered patients": "registered_patients",
    "average number of weighted patients": "weighted_patients",
}
PATIENT_COLUMNS = ("registered_patients", "weighted_patients")

# What a year's patient counts are: up to 2022-23 the list size on one day (the "last known figure"),
# from 2023-24 the average over the year. Per-patient figures of the two kinds differ a little for a
# practice whose list grew or shrank, so each practice-year records which one it has.
LAST_KNOWN = "last known figure"
YEAR_AVERAGE = "average over the year"
PATIENTS_BASIS = {
    "number of registered patients (last known figure)": LAST_KNOWN,
    "average number of registered patients": YEAR_AVERAGE,
}

# In 2022-23 the publisher relabelled the commissioner columns: "CCG Code" holds the sub-ICB code,
# "Sub ICB NAME" its name, and the PCN code and name sit under "Code" and "CCG NAME". (From 2023-24 the
# headers say what they hold: "Sub ICB Code", "Sub ICB Name", "PCN Code", "PCN Name".)
SUB_ICB_LAYOUT = {"code": "pcn_code", "ccg name": "pcn_name", "sub icb name": "commissioner_name"}

TOTAL_COLUMNS = {
    "total nhs payments to general practice": "total_payments",
    "deductions for pensions, levies and prescription charge income": "deductions",
    "total nhs payments to general practice minus deductions": "total_minus_deductions",
    "total nhs payments including pcn workforce, leadership and support": "total_incl_pcn",
    "total nhs payments to general practice including covid and pcn payments": "total_incl_covid_pcn",
    "total nhs payments to general practice including covid and pcn payments minus deductions":
        "total_incl_covid_pcn_minus_deductions",
    # 2023-24 onwards: the total including COVID after deductions. It also starts "total nhs payments" and
    # names covid, so without this line it would be taken for the total including COVID.
    "total nhs payments to general practice including covid minus deductions": "total_incl_covid_minus_deductions",
}

# Payment lines grouped by what the money is for. Lines not named here fall into "other",
# which is computed as the remainder of the published total so the parts always add up.
LINE_GROUPS = {
    "global sum": "core",
    "mpig correction factor": "core",
    "balance of pms expenditure": "core",
    "total qof payments": "qof",
    "premises payments": "premises",
    "prescribing fee payments": "prescribing_fee",
    "dispensing fee payments": "dispensing_fee",
    "reimbursement of drugs": "drug_reimbursement",
}
ENHANCED_SERVICE_WORDS = (
    "vaccin", "immunis", "extended hours", "learning disabilities", "meningitis", "minor surgery",
    "respiratory syncytial virus",  # RSV: a vaccination programme, a line of its own from 2024-25
    "out of area", "pertussis", "violent patients", "medical assessment", "weight management",
    "local incentive", "local enhanced", "national enhanced", "alcohol", "dementia", "online access",
    "patient participation", "remote care", "risk profiling", "unplanned admissions",
)
# Sub-lines that the same file also reports inside a total line: counting them would double count.
DETAIL_LINES = {"localenhancedservices nhais", "localenhancedservices isfe"}

REQUIRED = [
    "practice_code", "practice_name", "postcode", "registered_patients", "weighted_patients",
    "total_payments", "contract_type", "dispensing", "published_region_code", "commissioner_code",
]
REQUIRED_LINES = ["prescribing_fee", "dispensing_fee", "drug_reimbursement"]

COMPONENTS = ["core", "qof", "enhanced", "premises", "prescribing_dispensing", "other", "covid", "pcn"]


def normalise_header(name: str) -> str:
    name = name.replace("\ufeff", "").replace(".", " ").replace("_", " ")
    return re.sub(r"\s+", " ", name).strip().lower()


def financial_year_from_name(path: Path) -> str:
    match = YEAR_IN_NAME.search(path.name)
    if not match:
        raise SourceDataError(path, "file name does not contain a financial year such as 2022-23")
    start, end = match.groups()
    if (int(start) + 1) % 100 != int(end):
        raise SourceDataError(path, f"{match.group(0)} is not a financial year")
    return match.group(0)


def classify_line(header: str) -> str | None:
    """Which component a payment line belongs to; None for lines that are not money lines."""
    if header in LINE_GROUPS:
        return LINE_GROUPS[header]
    if header.startswith("average payments") or header.startswith("total nhs payments"):
        return None
    if header in DETAIL_LINES or header.startswith("quarter used"):
        return None
    if header.startswith("pcn ") and header != "pcn participation":
        return "pcn"
    if "covid" in header:
        return "covid"
    if any(word in header for word in ENHANCED_SERVICE_WORDS):
        return "enhanced"
    return "other"


def tidy_code(text: pd.Series) -> pd.Series:
    return text.astype("string").str.strip().str.upper()


def normalise_postcode(text: pd.Series) -> pd.Series:
    """'sk116jl' and 'SK11 6JL' are one postcode: upper case, single space before the inward code."""
    compact = text.astype("string").str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    return compact.str[:-3].str.cat(compact.str[-3:], sep=" ").mask(compact.str.len() < 5)


def tidy_category(text: pd.Series, allowed: dict[str, str], default: str = "Unknown") -> pd.Series:
    key = text.astype("string").str.strip().str.lower()
    return key.map(allowed).fillna(default).astype("string")


def read_payments_file(path: Path) -> pd.DataFrame:
    """One year's file -> tidy rows; raises SourceDataError naming file, column and row."""
    path = Path(path)
    year = financial_year_from_name(path)
    text = read_text_strict(path)
    check_complete_rows(text, path)
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as exc:
        raise SourceDataError(path, f"is not a readable CSV: {exc}") from None
    headers = {column: normalise_header(column) for column in raw.columns}
    normalised = set(headers.values())
    mapping = dict(IDENTITY_COLUMNS)
    if "sub icb name" in normalised and "ccg code" in normalised:
        mapping.update(SUB_ICB_LAYOUT)
    mapping.update(TOTAL_COLUMNS)

    tidy = pd.DataFrame(index=raw.index)
    lines: dict[str, pd.Series] = {}
    unknown_lines: list[str] = []
    source_of: dict[str, str] = {}  # tidy name -> the column it came from
    basis = [PATIENTS_BASIS[h] for h in normalised if h in PATIENTS_BASIS]

    def take(name: str, column: str, values: pd.Series) -> None:
        """Two columns meaning one thing would silently overwrite each other: stop and name both."""
        if name in source_of:
            raise SourceDataError(path, f"columns {source_of[name]!r} and {column!r} both read as {name}; "
                                  "the header mapping in payments.py needs a line for the new header",
                                  column=column)
        source_of[name] = column
        tidy[name] = values

    for column, header in headers.items():
        if header in mapping:
            name = mapping[header]
            if name in PATIENT_COLUMNS or name in TOTAL_COLUMNS.values():
                take(name, column, to_number(raw[column], path, column))
            else:
                take(name, column, raw[column].astype("string").str.strip())
            continue
        if ("covid" in header and header.startswith("total nhs payments")
                and not header.endswith("minus deductions")):
            take("total_incl_covid", column, to_number(raw[column], path, column))
            continue
        group = classify_line(header)
        if group is None:
            continue
        amount = to_number(raw[column], path, column).fillna(0.0)
        lines[group] = lines.get(group, 0.0) + amount
        if group == "other" and header not in KNOWN_OTHER_LINES:
            unknown_lines.append(column)

    missing = [name for name in REQUIRED if name not in tidy.columns]
    missing += [name for name in REQUIRED_LINES if name not in lines]
    if missing:
        raise SourceDataError(path, f"required column(s) missing or renamed: {', '.join(missing)}",
                              column=missing[0])

    tidy["year"] = year
    tidy["practice_code"] = tidy_code(tidy["practice_code"])
    tidy["practice_name"] = tidy["practice_name"].str.strip()
    tidy["postcode"] = normalise_postcode(tidy["postcode"])
    tidy["published_region_code"] = tidy_code(tidy["published_region_code"])
    tidy["commissioner_code"] = tidy_code(tidy["commissioner_code"])
    tidy["contract_type"] = tidy_category(tidy["contract_type"], {"gms": "GMS", "pms": "PMS", "apms": "APMS"})
    tidy["dispensing"] = tidy_category(tidy["dispensing"], {"yes": "Yes", "no": "No"})
    if "rurality" in tidy:
        tidy["rurality"] = tidy_category(tidy["rurality"], {"urban": "Urban", "rural": "Rural"})
    else:
        tidy["rurality"] = pd.Series("Unknown", index=tidy.index, dtype="string")
    for optional in ("pcn_code", "pcn_name", "practice_type", "atypical", "commissioner_name",
                     "published_region_name", "practice_address", "open_date", "close_date"):
        if optional not in tidy:
            tidy[optional] = pd.Series(pd.NA, index=tidy.index, dtype="string")

    check_rows(tidy, path, source_of)
    if len(set(basis)) != 1:
        raise SourceDataError(path, "cannot tell whether patient counts are the last known figure or an "
                              "average over the year", column=source_of["registered_patients"])
    tidy["patients_basis"] = pd.Series(basis[0], index=tidy.index, dtype="string")

    for group in ("core", "qof", "enhanced", "premises", "prescribing_fee", "dispensing_fee",
                  "drug_reimbursement"):
        tidy[f"pay_{group}"] = lines.get(group, 0.0)
    tidy["pay_prescribing_dispensing"] = (
        tidy["pay_prescribing_fee"] + tidy["pay_dispensing_fee"] + tidy["pay_drug_reimbursement"]
    )
    named = ["pay_core", "pay_qof", "pay_enhanced", "pay_premises", "pay_prescribing_dispensing"]
    tidy["pay_other"] = tidy["total_payments"] - tidy[named].sum(axis=1)
    fill_covid_and_pcn_totals(tidy)
    tidy["pay_covid"] = tidy["total_incl_covid"] - tidy["total_payments"]
    tidy["pay_pcn"] = tidy["total_incl_pcn"] - tidy["total_payments"]
    tidy.attrs["unknown_lines"] = unknown_lines
    tidy.attrs["source_rows"] = len(raw)
    return tidy[TIDY_COLUMNS]


def fill_covid_and_pcn_totals(tidy: pd.DataFrame) -> None:
    """Years before a total existed had no such payments; 2020-21 lacks only the combined total."""
    for name in ("total_incl_covid", "total_incl_pcn"):
        if name not in tidy:
            tidy[name] = tidy["total_payments"]
    if "total_incl_covid_pcn" not in tidy:
        tidy["total_incl_covid_pcn"] = (
            tidy["total_incl_covid"] + tidy["total_incl_pcn"] - tidy["total_payments"]
        )
    if "deductions" not in tidy:
        tidy["deductions"] = 0.0
    if "total_minus_deductions" not in tidy:
        tidy["total_minus_deductions"] = tidy["total_payments"] + tidy["deductions"]


def check_rows(tidy: pd.DataFrame, path: Path, source_of: dict[str, str]) -> None:
    """Row-level checks that must name the offending row (header is row 1)."""
    codes = tidy["practice_code"]
    blank = codes.isna() | (codes == "")
    if blank.any():
        raise SourceDataError(path, "practice code is blank", column="Practice Code",
                              row=int(blank.to_numpy().nonzero()[0][0]) + 2)
    duplicated = codes.duplicated(keep="first")
    if duplicated.any():
        position = int(duplicated.to_numpy().nonzero()[0][0])
        first = int((codes == codes.iloc[position]).to_numpy().nonzero()[0][0])
        raise SourceDataError(
            path, f"practice {codes.iloc[position]} appears twice in one year (rows {first + 2} and "
            f"{position + 2})", column="Practice Code", row=position + 2,
        )
    for name in PATIENT_COLUMNS:
        values, label = tidy[name], source_of[name]
        bad = values.isna() | (values < 0)
        if bad.any():
            position = int(bad.to_numpy().nonzero()[0][0])
            raise SourceDataError(path, f"patients must be a number >= 0, found {values.iloc[position]}",
                                  column=label, row=position + 2)


KNOWN_OTHER_LINES = {
    "seniority", "doctors retainer scheme payments", "total locum allowances", "prolonged study leave",
    "appraisal costs", "appraisal - appraiser costs in respect of locums", "pco admin other",
    "information management and technology", "general practice forward view",
    "general practice transformation", "pcn participation", "winter access fund", "other payments",
}

TIDY_COLUMNS = [
    "year", "practice_code", "practice_name", "practice_address", "postcode", "open_date", "close_date",
    "published_region_code", "published_region_name", "commissioner_code", "commissioner_name",
    "pcn_code", "pcn_name", "contract_type", "dispensing", "practice_type", "rurality", "atypical",
    "registered_patients", "weighted_patients", "patients_basis",
    "pay_core", "pay_qof", "pay_enhanced", "pay_premises", "pay_prescribing_fee", "pay_dispensing_fee",
    "pay_drug_reimbursement", "pay_prescribing_dispensing", "pay_other", "pay_covid", "pay_pcn",
    "total_payments", "total_incl_covid", "total_incl_pcn", "total_incl_covid_pcn", "deductions",
    "total_minus_deductions",
]


def payment_files(raw_dir: Path) -> list[Path]:
    """Every yearly file present, so a newly published year needs no code change."""
    files = sources.locate_all(raw_dir, "nhs_payments")
    if not files:
        raise SourceDataError(Path(raw_dir) / sources.source("nhs_payments").path,
                              "no NHS payments files (expected names like nhs-payments-gp-2022-23.csv)")
    return files


def read_all_payments(raw_dir: Path, progress=print) -> pd.DataFrame:
    frames = []
    for path in payment_files(raw_dir):
        frame = read_payments_file(path)
        progress(f"  payments {frame['year'].iloc[0]}: {len(frame):,} practices from {path.name}"
                 + (f" (unrecognised lines counted as other: {frame.attrs['unknown_lines']})"
                    if frame.attrs["unknown_lines"] else ""))
        frames.append(frame)
    years = [f["year"].iloc[0] for f in frames]
    if len(set(years)) != len(years):
        raise SourceDataError(Path(raw_dir) / sources.source("nhs_payments").path, f"two files for one year: {sorted(years)}")
    return pd.concat(frames, ignore_index=True)

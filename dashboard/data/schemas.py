"""Explicit schemas for what the build writes: the app may trust anything that passes them."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.pandas import Check, Column, DataFrameSchema

from .payments import LAST_KNOWN, YEAR_AVERAGE

YEAR = r"^20\d\d-\d\d$"
MONEY_TOTALS = ["total_payments", "total_incl_covid", "total_incl_pcn", "total_incl_covid_pcn"]
# Payment lines the app sums (metrics.SUMMED) beyond the totals: declared so the app may rely on them.
PAYMENT_LINES = ["pay_core", "pay_qof", "pay_enhanced", "pay_premises", "pay_prescribing_dispensing", "pay_other",
                 "pay_covid", "pay_pcn"]

PRACTICES = DataFrameSchema(
    {
        "year": Column(str, Check.str_matches(YEAR)),
        "practice_code": Column(str, Check.str_matches(r"^[A-Z0-9]{6}$")),
        "practice_name": Column(str),
        "postcode": Column(str, nullable=True),
        "contract_type": Column(str, Check.isin(["GMS", "PMS", "APMS", "Unknown"])),
        "dispensing": Column(str, Check.isin(["Yes", "No", "Unknown"])),
        "rurality": Column(str, Check.isin(["Urban", "Rural", "Unknown"])),
        "registered_patients": Column(float, Check.ge(0)),
        "weighted_patients": Column(float, Check.ge(0)),
        # Which kind of count the patients are (the publisher switched in 2023-24): pages say so per year.
        "patients_basis": Column(str, Check.isin([LAST_KNOWN, YEAR_AVERAGE])),
        **{name: Column(float) for name in MONEY_TOTALS},
        **{name: Column(float) for name in PAYMENT_LINES},
        "size_band": Column(str),
        "location_quality": Column(str, Check.isin(["exact", "sector", "district", "none"])),
        "lon": Column(float, Check.in_range(-7, 2.1), nullable=True),
        "lat": Column(float, Check.in_range(49.8, 56), nullable=True),
        "la_code": Column(str, Check.str_matches(r"^E0[6-9]\d{6}$"), nullable=True),
        "utla_code": Column(str, Check.str_matches(r"^E(0[6-9]|10)\d{6}$"), nullable=True),
        "icb_code": Column(str, Check.str_matches(r"^E54\d{6}$"), nullable=True),
        "sicbl_code": Column(str, Check.str_matches(r"^E38\d{6}$"), nullable=True),
        # The publisher's PCN code from 2019-20 (no PCN before): a filter and a column, never a boundary.
        "pcn_code": Column(str, nullable=True),
        "pcn_name": Column(str, nullable=True),
        "region_code": Column(str, Check.str_matches(r"^E40\d{6}$"), nullable=True),
        "imd_score": Column(float, Check.in_range(0, 100), nullable=True),
        "imd_quintile": Column("Int64", Check.in_range(1, 5), nullable=True),
        "imd_decile": Column("Int64", Check.in_range(1, 10), nullable=True),
        "life_expectancy_female": Column(float, Check.in_range(60, 100), nullable=True),
        "life_expectancy_male": Column(float, Check.in_range(60, 100), nullable=True),
    },
    unique=["year", "practice_code"],
    strict=False,
    coerce=False,
)

AREAS = DataFrameSchema(
    {
        "code": Column(str, unique=True),
        "name": Column(str),
        "level": Column(str, Check.isin(["country", "region", "icb", "sicbl", "utla", "la", "marmot"])),
        "imd_score": Column(float, Check.in_range(0, 100), nullable=True),
        "min_lon": Column(float, nullable=True),
        "max_lat": Column(float, nullable=True),
    },
    strict=False,
)

AREA_INDICATORS = DataFrameSchema(
    {
        "area_code": Column(str),
        "indicator": Column(str, Check.isin(["life_expectancy", "healthy_life_expectancy", "life_expectancy_sii"])),
        "sex": Column(str, Check.isin(["Male", "Female", "Persons"])),
        "period": Column(str),
        "value": Column(float),
    },
    unique=["area_code", "indicator", "sex", "period"],
    strict=False,
)

AREA_STATS = DataFrameSchema(
    {
        "area_code": Column(str),
        "level": Column(str, Check.isin(["country", "region", "icb", "sicbl", "utla", "la", "marmot"])),
        "measure": Column(str),
        "edition": Column(str, Check.isin(["2019", "2025", "2019-2025", "2021"])),
        "value": Column(float),
        "rank": Column("Int64", Check.ge(1), nullable=True),
        "rank_of": Column("Int64", Check.ge(1), nullable=True),
        "method": Column(str),
    },
    unique=["area_code", "measure", "edition"],
    checks=[Check(lambda f: (f["rank"].isna() | (f["rank"] <= f["rank_of"])).all(), error="rank beyond rank_of")],
    strict=True,
)


def validate(schema: DataFrameSchema, frame, name: str):
    """Validate lazily so every failure is reported at once, naming the output."""
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.head(10).to_string()
        raise ValueError(f"processed output {name} failed its schema:\n{cases}") from None

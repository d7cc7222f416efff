"""The columns and dtypes the app relies on in each processed file, checkable at start-up without pandera.

The build validates every value with the pandera schemas (schemas.py). The app cannot afford that at each
worker's start: importing pandera and validating only the schema level costs ~0.55 s, full validation of
practices ~0.5 s more, against a budget of ~0.3 s. A wrong-typed column is what breaks the app after it has
started (GET / is fine, every explorer render fails), so the app checks what is cheap and catches that:
every column the schemas declare is present, with a dtype of the declared kind (~1 ms). Values are the
build's job. tests/data/test_app_start.py keeps this table equal to the schemas' columns.
"""

from __future__ import annotations

import pandas as pd

# file -> column -> kind ("str": text, object or string dtype; "float": float; "Int64": an integer dtype)
REQUIRED: dict[str, dict[str, str]] = {
    "practices.parquet": {
        "year": "str", "practice_code": "str", "practice_name": "str", "postcode": "str", "contract_type": "str",
        "dispensing": "str", "rurality": "str", "registered_patients": "float", "weighted_patients": "float",
        "patients_basis": "str",
        "total_payments": "float", "total_incl_covid": "float", "total_incl_pcn": "float",
        "total_incl_covid_pcn": "float", "pay_core": "float", "pay_qof": "float", "pay_enhanced": "float",
        "pay_premises": "float", "pay_prescribing_dispensing": "float", "pay_other": "float", "pay_covid": "float",
        "pay_pcn": "float", "size_band": "str", "location_quality": "str", "lon": "float", "lat": "float",
        "la_code": "str", "utla_code": "str", "icb_code": "str", "sicbl_code": "str", "region_code": "str", "imd_score": "float",
        "imd_quintile": "Int64", "imd_decile": "Int64", "life_expectancy_female": "float",
        "life_expectancy_male": "float", "pcn_code": "str", "pcn_name": "str",
    },
    "areas.parquet": {"code": "str", "name": "str", "level": "str", "imd_score": "float", "min_lon": "float",
                      "max_lat": "float"},
    "area_indicators.parquet": {"area_code": "str", "indicator": "str", "sex": "str", "period": "str",
                                "value": "float"},
    "area_stats.parquet": {"area_code": "str", "level": "str", "measure": "str", "edition": "str", "value": "float",
                           "rank": "Int64", "rank_of": "Int64", "method": "str"},
}

KIND_CHECKS = {
    "str": pd.api.types.is_string_dtype,  # object counts: parquet text reads back as object
    "float": pd.api.types.is_float_dtype,
    "Int64": pd.api.types.is_integer_dtype,
}


def problems(name: str, frame: pd.DataFrame) -> list[str]:
    """What is wrong with a processed table as read from disk, one plain sentence per column."""
    found = []
    for column, kind in REQUIRED.get(name, {}).items():
        if column not in frame.columns:
            found.append(f"column {column!r} is missing")
        elif not KIND_CHECKS[kind](frame[column].dtype):
            found.append(f"column {column!r} has type {frame[column].dtype}, expected {kind}")
    return found

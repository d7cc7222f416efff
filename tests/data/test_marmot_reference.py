"""The hand-compiled list of Marmot Places (data/reference/marmot_places.csv) is well formed.

No network: the CSV is checked against itself and against the ONS 2024 district lookup in
../shared/data/lookups (or $EQUITY_ATLAS_RAW_DIR/lookups).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CSV_PATH = PROJECT_ROOT / "data" / "reference" / "marmot_places.csv"

COLUMNS = ["slug", "name", "country", "status", "year_joined", "member_la_codes", "member_la_names", "source_url", "notes"]
COUNTRIES = {"England", "Wales", "Scotland", "Northern Ireland", "other"}
REQUIRED_SLUGS = {
    "coventry",
    "greater-manchester",
    "cheshire-and-merseyside",
    "lancashire-and-cumbria",
    "luton",
    "somerset",
    "waltham-forest",
    "leeds",
}
CHESHIRE_AND_MERSEYSIDE = {
    "Cheshire East",
    "Cheshire West and Chester",
    "Halton",
    "Knowsley",
    "Liverpool",
    "St. Helens",
    "Sefton",
    "Warrington",
    "Wirral",
}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()] if value else []


def _raw_data_dir() -> Path:
    env = os.environ.get("EQUITY_ATLAS_RAW_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[3] / "shared" / "data"


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    assert CSV_PATH.is_file(), f"{CSV_PATH} is missing"
    return pd.read_csv(CSV_PATH, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def ltla24() -> dict[str, str]:
    lookup = _raw_data_dir() / "lookups" / "lookup_ltla24_region24.csv"
    if not lookup.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but the LTLA 2024 lookup {lookup} is missing")
        pytest.skip(f"LTLA 2024 lookup not found at {lookup} (set EQUITY_ATLAS_RAW_DIR)")
    frame = pd.read_csv(lookup, dtype=str, encoding="utf-8-sig")
    return dict(zip(frame["ltla24_code"], frame["ltla24_name"], strict=True))


def _members(places: pd.DataFrame, slug: str) -> tuple[list[str], list[str]]:
    row = places.loc[places["slug"] == slug].iloc[0]
    return _split(row["member_la_codes"]), _split(row["member_la_names"])


def test_columns(places):
    assert list(places.columns) == COLUMNS


def test_slugs_unique_and_well_formed(places):
    assert places["slug"].is_unique, places.loc[places["slug"].duplicated(), "slug"].tolist()
    bad = [s for s in places["slug"] if not re.fullmatch(r"[a-z0-9-]+", s)]
    assert not bad, bad


def test_required_fields_filled(places):
    for column in ("name", "country", "year_joined", "source_url"):
        assert (places[column].str.strip() != "").all(), f"empty {column}"
    assert set(places["country"]) <= COUNTRIES, set(places["country"]) - COUNTRIES


def test_every_row_has_a_web_source(places):
    bad = places.loc[~places["source_url"].str.match(r"^https?://\S+$"), "slug"].tolist()
    assert not bad, bad


def test_year_joined_is_a_plausible_integer(places):
    assert places["year_joined"].str.fullmatch(r"\d{4}").all(), places["year_joined"].tolist()
    years = places["year_joined"].astype(int)
    assert years.between(2010, 2026).all(), places.loc[~years.between(2010, 2026), ["slug", "year_joined"]]


def test_names_match_codes_in_count(places):
    for _, row in places.iterrows():
        codes, names = _split(row["member_la_codes"]), _split(row["member_la_names"])
        assert len(codes) == len(names), row["slug"]
        assert len(set(codes)) == len(codes), f"duplicate member code in {row['slug']}"


def test_english_rows_have_members_and_others_none(places):
    for _, row in places.iterrows():
        codes = _split(row["member_la_codes"])
        if row["country"] == "England":
            assert codes, f"{row['slug']} has no member LA codes"
            assert all(re.fullmatch(r"E0[6-9]\d{6}", c) for c in codes), (row["slug"], codes)
        else:
            assert not codes, f"{row['slug']} is outside England but lists LA codes"


def test_member_codes_exist_in_ltla24_lookup(places, ltla24):
    for _, row in places.iterrows():
        codes, names = _split(row["member_la_codes"]), _split(row["member_la_names"])
        unknown = [c for c in codes if c not in ltla24]
        assert not unknown, (row["slug"], unknown)
        mismatched = [(c, n, ltla24[c]) for c, n in zip(codes, names, strict=True) if ltla24[c] != n]
        assert not mismatched, (row["slug"], mismatched)


def test_required_places_present(places):
    missing = REQUIRED_SLUGS - set(places["slug"])
    assert not missing, missing
    assert places.loc[places["slug"] == "coventry", "year_joined"].item() == "2013"


def test_greater_manchester_has_its_ten_boroughs(places):
    codes, _ = _members(places, "greater-manchester")
    assert len(codes) == 10
    assert set(codes) == {f"E080000{n:02d}" for n in range(1, 11)}


def test_cheshire_and_merseyside_has_its_nine_authorities(places):
    _, names = _members(places, "cheshire-and-merseyside")
    assert set(names) == CHESHIRE_AND_MERSEYSIDE


def test_lancashire_and_cumbria_uses_post_2023_cumbria(places):
    codes, _ = _members(places, "lancashire-and-cumbria")
    assert {"E06000063", "E06000064", "E06000008", "E06000009"} <= set(codes)
    assert len(codes) == 16


def test_status_is_stated(places):
    assert set(places["status"]) <= {"Marmot Place",
                                     "Early Marmot network member (c.2015); current status unconfirmed"}
    assert (places.set_index("slug").loc[["coventry", "luton", "leeds"], "status"] == "Marmot Place").all()

"""Marmot Places: compiled by hand from public sources (data/reference), one source per row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .errors import SourceDataError

COLUMNS = ["slug", "name", "country", "status", "year_joined", "member_la_codes", "member_la_names", "source_url", "notes"]


def read_marmot_places(path: Path, known_la_codes: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(places, members): members has one row per place and English authority it covers."""
    if not Path(path).is_file():
        raise SourceDataError(path, "Marmot Places reference file is missing")
    places = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in places.columns]
    if missing:
        raise SourceDataError(path, "required column missing", column=missing[0])
    for position, row in places.iterrows():
        if not row["source_url"].startswith(("http://", "https://")):
            raise SourceDataError(path, "every Marmot Place needs a source address", column="source_url",
                                  row=position + 2)
    if places["slug"].duplicated().any():
        raise SourceDataError(path, "slug used twice", column="slug",
                              row=int(places.index[places["slug"].duplicated()][0]) + 2)
    places["year_joined"] = pd.to_numeric(places["year_joined"], errors="coerce").astype("Int64")
    rows = []
    for position, row in places.iterrows():
        codes = [c.strip() for c in row["member_la_codes"].split(";") if c.strip()]
        for code in codes:
            if code not in known_la_codes:
                raise SourceDataError(path, f"{code} is not a current English local authority",
                                      column="member_la_codes", row=position + 2)
            rows.append({"slug": row["slug"], "la_code": code})
    members = pd.DataFrame(rows, columns=["slug", "la_code"])
    places["mapped"] = places["slug"].isin(members["slug"])
    return places[COLUMNS + ["mapped"]], members

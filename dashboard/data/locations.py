"""Place practices on the map from their postcodes (OS Code-Point Open, August 2014).

Postcodes created after 2014 are missing from the file, so we fall back to the centroid of the
postcode sector, then the district, and flag those practices as approximately located.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
from pyproj import Transformer

from . import sources
from .errors import SourceDataError

REQUIRED = ["postcode", "easting", "northing"]


def read_codepoint(raw_dir: Path) -> pd.DataFrame:
    path = sources.locate(raw_dir, "codepoint_open")
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
        text = raw.decode("utf-8-sig")
    except (OSError, EOFError) as exc:
        raise SourceDataError(path, f"cannot be read as gzip: {exc}") from None
    except UnicodeDecodeError as exc:
        raise SourceDataError(path, f"is not valid UTF-8 at byte {exc.start}",
                              row=raw[: exc.start].count(b"\n") + 1) from None
    frame = pd.read_csv(io.StringIO(text), dtype={"postcode": str}, usecols=lambda c: c in REQUIRED)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise SourceDataError(path, f"required column(s) missing: {', '.join(missing)}", column=missing[0])
    for column in ("easting", "northing"):
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna()
        if bad.any():
            raise SourceDataError(path, f"expected a number, found {frame[column][bad].iloc[0]!r}",
                                  column=column, row=int(frame.index[bad][0]) + 2)
        frame[column] = values
    compact = frame["postcode"].str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)
    frame["postcode"] = compact.str[:-3] + " " + compact.str[-3:]
    # Some Code-Point rows have no grid reference (0, 0): they cannot place anything.
    return frame[(frame["easting"] > 0) & (frame["northing"] > 0)].drop_duplicates("postcode")


def postcode_sector(postcodes: pd.Series) -> pd.Series:
    return postcodes.str[:-2]


def postcode_district(postcodes: pd.Series) -> pd.Series:
    return postcodes.str.split(" ").str[0]


def locate_postcodes(postcodes: pd.Series, codepoint: pd.DataFrame) -> pd.DataFrame:
    """Easting/northing (EPSG:27700) and lon/lat for each postcode, with how it was found."""
    wanted = pd.DataFrame({"postcode": postcodes.dropna().unique()})
    exact = codepoint.set_index("postcode")[["easting", "northing"]]
    sectors = codepoint.assign(key=postcode_sector(codepoint["postcode"])).groupby("key")[
        ["easting", "northing"]].mean()
    districts = codepoint.assign(key=postcode_district(codepoint["postcode"])).groupby("key")[
        ["easting", "northing"]].mean()
    wanted["location_quality"] = pd.Series(pd.NA, dtype="string")
    wanted["easting"] = float("nan")
    wanted["northing"] = float("nan")
    for quality, table, key in (
        ("exact", exact, wanted["postcode"]),
        ("sector", sectors, postcode_sector(wanted["postcode"])),
        ("district", districts, postcode_district(wanted["postcode"])),
    ):
        todo = wanted["location_quality"].isna()
        found = table.reindex(key[todo])
        hit = found["easting"].notna().to_numpy()
        index = wanted.index[todo][hit]
        wanted.loc[index, "easting"] = found["easting"].to_numpy()[hit]
        wanted.loc[index, "northing"] = found["northing"].to_numpy()[hit]
        wanted.loc[index, "location_quality"] = quality
    wanted["location_quality"] = wanted["location_quality"].fillna("none")
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    located = wanted["easting"].notna()
    lon, lat = to_wgs84.transform(wanted.loc[located, "easting"].to_numpy(),
                                  wanted.loc[located, "northing"].to_numpy())
    wanted["lon"] = float("nan")
    wanted["lat"] = float("nan")
    wanted.loc[located, "lon"] = lon.round(5)
    wanted.loc[located, "lat"] = lat.round(5)
    return wanted

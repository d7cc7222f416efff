"""Boundaries and the areas practices belong to, worked out by geometry rather than by names.

Practices are placed in local authorities, ICBs and Sub-ICB locations by a point-in-polygon join; a point just outside
a generalised coastline goes to the nearest polygon within a few kilometres. Regions, upper-tier
authorities and Marmot Places are built from their members so that every level nests.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import sources
from .errors import SourceDataError

# Property names for code and name: the shipped geographr copies' first, then the ONS portal's own (what
# `fetch` downloads), so a refreshed file reads without a code change.
LA_FIELDS = (("ltla24_code", "LAD24CD"), ("ltla24_name", "LAD24NM"))
ICB_FIELDS = (("ICB23CD", "icb22_code", "ICB22CD"), ("ICB23NM", "icb22_name", "ICB22NM"))
SICBL_FIELDS = (("SICBL23CD", "SICBL24CD"), ("SICBL23NM", "SICBL24NM"))

BRITISH_NATIONAL_GRID = "EPSG:27700"
NEAREST_FALLBACK_METRES = 5_000
ENGLAND = ("E92000001", "England")

# NHS England's regions: the ODS code used in the payments files and the ONS code used on maps.
NHS_REGIONS = {
    "Y56": ("E40000003", "London"),
    "Y58": ("E40000006", "South West"),
    "Y59": ("E40000005", "South East"),
    "Y60": ("E40000008", "Midlands"),
    "Y61": ("E40000007", "East of England"),
    "Y62": ("E40000010", "North West"),
    "Y63": ("E40000009", "North East and Yorkshire"),
}


def read_boundaries(raw_dir: Path, source_id: str, fields: tuple[tuple[str, ...], tuple[str, ...]]
                    ) -> gpd.GeoDataFrame:
    path = sources.locate(raw_dir, source_id)
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for one cause: an unreadable file
        raise SourceDataError(path, f"cannot be read as GeoJSON: {exc}") from None
    found = []
    for candidates in fields:
        present = [name for name in candidates if name in frame.columns]
        if not present:
            raise SourceDataError(path, "required property missing", column=" or ".join(candidates))
        found.append(present[0])
    code_field, name_field = found
    frame = frame.rename(columns={code_field: "code", name_field: "name"})[["code", "name", "geometry"]]
    frame = frame[frame["code"].str.startswith("E")].reset_index(drop=True)
    if frame["code"].duplicated().any():
        raise SourceDataError(path, f"area code {frame['code'][frame['code'].duplicated()].iloc[0]} appears twice",
                              column=code_field)
    frame["geometry"] = polygonal(frame.geometry.values)
    return frame.set_crs("EPSG:4326", allow_override=True)


def polygonal(geoms) -> np.ndarray:
    """Valid (Multi)Polygons only: repairing a ring can leave stray lines or points behind."""
    repaired = shapely.make_valid(np.asarray(geoms))
    out = []
    for geom in repaired:
        if geom.geom_type in ("Polygon", "MultiPolygon"):
            out.append(geom)
        else:
            parts = [g for g in getattr(geom, "geoms", []) if g.geom_type in ("Polygon", "MultiPolygon")]
            out.append(shapely.union_all(parts) if parts else shapely.Polygon())
    return np.array(out, dtype=object)


def assign_points(points: pd.DataFrame, polygons: gpd.GeoDataFrame, prefix: str) -> pd.DataFrame:
    """Code of the polygon each lon/lat point falls in, and how it was matched."""
    located = points.dropna(subset=["lon", "lat"])
    gdf = gpd.GeoDataFrame(
        located[["postcode"]], geometry=gpd.points_from_xy(located["lon"], located["lat"]), crs="EPSG:4326",
    ).to_crs(BRITISH_NATIONAL_GRID)
    shapes = polygons[["code", "geometry"]].to_crs(BRITISH_NATIONAL_GRID)
    inside = gpd.sjoin(gdf, shapes, how="left", predicate="within").drop(columns="index_right")
    inside = inside[~inside.index.duplicated(keep="first")]
    result = pd.DataFrame({"postcode": inside["postcode"], f"{prefix}_code": inside["code"]})
    result[f"{prefix}_match"] = np.where(result[f"{prefix}_code"].notna(), "within", None)
    outside = result[f"{prefix}_code"].isna()
    if outside.any():
        near = gpd.sjoin_nearest(gdf[outside.to_numpy()], shapes, how="left",
                                 max_distance=NEAREST_FALLBACK_METRES, distance_col="distance")
        near = near[~near.index.duplicated(keep="first")]
        result.loc[near.index, f"{prefix}_code"] = near["code"]
        result.loc[near.index[near["code"].notna()], f"{prefix}_match"] = "nearest"
    return result.reset_index(drop=True)


# Simplification for the browser, in degrees (coverage_simplify's tolerance is area-based: ~0.01 removes
# bends below a few hundred metres). The ONS BSC sources hold far more detail than a map of England can
# show; these keep each /geo file near the budget the coarser copies set (la.geojson ~300 KB, ~80 KB
# gzipped), measured in tests/data/test_real_build.py. Larger areas take a larger tolerance.
WEB_TOLERANCE = {"la": 0.01, "sicbl": 0.01, "icb": 0.015}


def web_geometry(frame: gpd.GeoDataFrame, tolerance: float = 0.01) -> gpd.GeoDataFrame:
    """Snap to ~10 m and simplify as a coverage, so neighbours still share their edges."""
    geoms = polygonal(shapely.set_precision(frame.geometry.values, 0.0001))
    try:
        geoms = shapely.coverage_simplify(geoms, tolerance)
    except (shapely.errors.GEOSException, TypeError):
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    return frame.set_geometry(polygonal(geoms))


def dissolve(members: gpd.GeoDataFrame, key: str, names: dict[str, str]) -> gpd.GeoDataFrame:
    grouped = members.dissolve(by=key, as_index=False)[[key, "geometry"]].rename(columns={key: "code"})
    grouped["name"] = grouped["code"].map(names)
    grouped["geometry"] = polygonal(shapely.set_precision(grouped.geometry.values, 0.0001))
    return grouped[["code", "name", "geometry"]]


def geojson_text(frame: gpd.GeoDataFrame) -> str:
    """Compact GeoJSON with the area code as each feature's id (what Plotly joins on)."""
    features = []
    for row in frame.itertuples(index=False):
        features.append({
            "type": "Feature", "id": row.code, "properties": {"code": row.code, "name": row.name},
            "geometry": shapely.geometry.mapping(row.geometry),
        })
    text = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    return round_coordinates(text)


def round_coordinates(text: str) -> str:
    import re

    return re.sub(r"(-?\d+\.\d{4})\d+", r"\1", text)


def bounding_boxes(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    bounds = frame.geometry.bounds
    centroid = frame.to_crs(BRITISH_NATIONAL_GRID).geometry.representative_point().to_crs("EPSG:4326")
    return pd.DataFrame({
        "code": frame["code"].to_numpy(),
        "min_lon": bounds["minx"].round(4).to_numpy(), "min_lat": bounds["miny"].round(4).to_numpy(),
        "max_lon": bounds["maxx"].round(4).to_numpy(), "max_lat": bounds["maxy"].round(4).to_numpy(),
        "centre_lon": centroid.x.round(4).to_numpy(), "centre_lat": centroid.y.round(4).to_numpy(),
    })


def la_to_icb(las: gpd.GeoDataFrame, icbs: gpd.GeoDataFrame) -> pd.Series:
    """Each authority's ICB: the one covering most of its area (a few districts straddle two)."""
    a = las[["code", "geometry"]].to_crs(BRITISH_NATIONAL_GRID)
    b = icbs[["code", "geometry"]].rename(columns={"code": "icb_code"}).to_crs(BRITISH_NATIONAL_GRID)
    pieces = gpd.overlay(a, b, how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.geometry.area
    best = pieces.sort_values("area", ascending=False).drop_duplicates("code").set_index("code")["icb_code"]
    # Islands the generalised ICB outlines leave out (the Isles of Scilly) take the nearest ICB.
    alone = a[~a["code"].isin(best.index)]
    if len(alone):
        near = gpd.sjoin_nearest(alone, b, how="left").drop_duplicates("code").set_index("code")["icb_code"]
        best = pd.concat([best, near])
    return best


def icb_to_region(practices: pd.DataFrame) -> pd.Series:
    """The NHS region of each ICB, from where the publisher placed the practices it contains."""
    latest = practices[practices["year"] == practices["year"].max()]
    latest = latest[latest["published_region_code"].isin(NHS_REGIONS)]
    counts = latest.groupby(["icb_code", "published_region_code"]).size().reset_index(name="n")
    best = counts.sort_values("n", ascending=False).drop_duplicates("icb_code")
    return best.set_index("icb_code")["published_region_code"].map(lambda c: NHS_REGIONS[c][0])

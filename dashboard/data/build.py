"""Build data/processed from the raw published files, atomically.

Everything is built in a temporary folder next to the target and swapped in only after every output
has passed its schema, so a bad input or a killed build never leaves half-written data behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .. import config
from ..dimensions import GEO_LEVELS
from . import (
    area_lenses,
    area_measures,
    geography,
    locations,
    marmot,
    payments,
    plausibility,
    practice_measures,
    schemas,
    sources,
)
from .errors import SourceDataError
from .fetch import sha256_file as sha256

SIZE_BANDS = [(0, 5_000, "Under 5,000"), (5_000, 10_000, "5,000 to 9,999"), (10_000, 15_000, "10,000 to 14,999"),
              (15_000, 20_000, "15,000 to 19,999"), (20_000, float("inf"), "20,000 or more")]


def size_band(patients: pd.Series) -> pd.Series:
    labels = pd.Series("Unknown", index=patients.index, dtype="string")
    for low, high, label in SIZE_BANDS:
        labels[(patients >= low) & (patients < high)] = label
    return labels


class Step:
    """Prints what the build is doing and how long each step took."""

    def __init__(self, progress):
        self.progress = progress
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        self.progress(f"[{time.perf_counter() - self.start:5.1f}s] {message}")


def build_tables(raw_dir: Path, reference_dir: Path, progress=print) -> dict:
    """All processed tables and geometries, in memory; raises SourceDataError on bad input."""
    step = Step(progress)
    raw_dir = Path(raw_dir)
    step("reading NHS payments")
    practices = payments.read_all_payments(raw_dir, progress=progress)
    years = sorted(practices["year"].unique())

    step("reading practice deprivation and life expectancy")
    deprivation = practice_measures.read_practice_deprivation(raw_dir)
    life = practice_measures.read_practice_life_expectancy(raw_dir)

    step("locating postcodes (Code-Point Open)")
    codepoint = locations.read_codepoint(raw_dir)
    located = locations.locate_postcodes(practices["postcode"], codepoint)
    del codepoint

    step("reading boundaries and joining practices to areas (points in polygons)")
    las = geography.read_boundaries(raw_dir, "la_boundaries", geography.LA_FIELDS)
    icbs = geography.read_boundaries(raw_dir, "icb_boundaries", geography.ICB_FIELDS)
    sicbls = geography.read_boundaries(raw_dir, "sicbl_boundaries", geography.SICBL_FIELDS)
    for frame, prefix in ((las, "la"), (icbs, "icb"), (sicbls, "sicbl")):
        located = located.merge(geography.assign_points(located, frame, prefix), on="postcode", how="left")
    practices = practices.merge(located[["postcode", "location_quality", "lon", "lat", "la_code", "la_match",
                                         "icb_code", "icb_match", "sicbl_code", "sicbl_match"]],
                                on="postcode", how="left")
    practices["location_quality"] = practices["location_quality"].fillna("none")

    la_icb = geography.la_to_icb(las, icbs)
    no_icb = practices["icb_code"].isna() & practices["la_code"].notna()
    practices.loc[no_icb, "icb_code"] = practices.loc[no_icb, "la_code"].map(la_icb)
    practices.loc[no_icb, "icb_match"] = "via local authority"

    utla_lookup = practice_measures.read_csv_checked(sources.locate(raw_dir, "la_utla_lookup"),
                                                     ["ltla23_code", "utla23_code", "utla23_name"])
    utla_of = dict(zip(utla_lookup["ltla23_code"], utla_lookup["utla23_code"], strict=True))
    utla_names = dict(zip(utla_lookup["utla23_code"], utla_lookup["utla23_name"], strict=False))
    practices["utla_code"] = practices["la_code"].map(utla_of)
    region_of_icb = geography.icb_to_region(practices)
    practices["region_code"] = practices["icb_code"].map(region_of_icb)

    step("joining deprivation and life expectancy")
    practices = practices.merge(deprivation, on="practice_code", how="left")
    practices = practice_measures.assign_deprivation_bands(practices)
    practices = practices.merge(practice_measures.life_expectancy_for_years(life, years),
                                on=["practice_code", "year"], how="left")
    practices["size_band"] = size_band(practices["registered_patients"])
    practices = practices.drop(columns=["practice_address"], errors="ignore")

    step("Marmot Places")
    places, members = marmot.read_marmot_places(sources.locate(reference_dir, "marmot_places"), set(las["code"]))

    step("area deprivation, life expectancy and boundaries for the web")
    region_names = {code: name for code, name in geography.NHS_REGIONS.values()}
    shapes = {level: geography.web_geometry(frame, geography.WEB_TOLERANCE[level])
              for level, frame in (("la", las), ("icb", icbs), ("sicbl", sicbls))}
    la_members = shapes["la"].assign(utla=lambda f: f["code"].map(utla_of))
    shapes["utla"] = geography.dissolve(la_members, "utla", utla_names)
    icb_members = shapes["icb"].assign(region=lambda f: f["code"].map(region_of_icb))
    shapes["region"] = geography.dissolve(icb_members.dropna(subset=["region"]), "region", region_names)
    marmot_members = shapes["la"].merge(members, left_on="code", right_on="la_code")
    shapes["marmot"] = geography.dissolve(
        marmot_members.drop(columns=["code"]).rename(columns={"slug": "marmot"}), "marmot",
        dict(zip(places["slug"], places["name"], strict=True)))
    shapes["marmot"]["code"] = "marmot:" + shapes["marmot"]["code"]

    lsoas = area_measures.lsoa_table(raw_dir)
    la_imd = area_measures.la_deprivation(raw_dir, list(las["code"]), lsoas)
    sicbl_icb = area_lenses.read_sicbl_icb(raw_dir)
    areas = area_table(shapes, las, la_icb, region_of_icb, utla_of, members, la_imd, lsoas, sicbl_icb)
    indicators = area_measures.area_indicators(raw_dir)

    step("area lenses: IMD 2025 and 2019, Census 2021 ethnicity")
    lsoas21 = area_lenses.read_lsoas(raw_dir)
    parents = {"icb": sicbl_icb, "region": region_of_icb, "la_icb": la_icb,
               "utla": pd.Series({la: utla for la, utla in utla_of.items() if la != utla}, dtype=object)}
    stats = area_lenses.area_stats(raw_dir, lsoas21, parents, members, list(las["code"]),
                                   dict(zip(areas["code"], areas["level"], strict=True)))

    step("validating outputs")
    practices = schemas.validate(schemas.PRACTICES, practices, "practices.parquet")
    areas = schemas.validate(schemas.AREAS, areas, "areas.parquet")
    indicators = schemas.validate(schemas.AREA_INDICATORS, indicators, "area_indicators.parquet")
    stats = schemas.validate(schemas.AREA_STATS, stats, "area_stats.parquet")
    return {"practices": practices, "areas": areas, "area_indicators": indicators, "area_stats": stats,
            "marmot_places": places, "marmot_members": members, "shapes": shapes}


def area_table(shapes, las, la_icb, region_of_icb, utla_of, members, la_imd, lsoas, sicbl_icb) -> pd.DataFrame:
    """One row per area at every level, with its parents, bounding box and IMD 2019 summary."""
    frames = []
    for level, frame in shapes.items():
        rows = frame[["code", "name"]].copy()
        rows["level"] = level
        frames.append(rows.merge(geography.bounding_boxes(frame), on="code"))
    england_box = geography.bounding_boxes(gpd.GeoDataFrame(
        {"code": [geography.ENGLAND[0]]}, geometry=[las.geometry.union_all()], crs=las.crs))
    frames.append(pd.DataFrame({"code": [geography.ENGLAND[0]], "name": [geography.ENGLAND[1]],
                                "level": ["country"]}).merge(england_box, on="code"))
    areas = pd.concat(frames, ignore_index=True)
    # A unitary authority is both tiers under one code: keep it once, as a district, and mark it.
    areas = areas[~((areas["level"] == "utla") & areas["code"].isin(las["code"]))].reset_index(drop=True)
    areas["upper_tier"] = areas["code"].isin(set(utla_of.values()))

    la_rows = areas["level"] == "la"
    areas["icb_code"] = areas["code"].map(la_icb).where(la_rows)
    areas.loc[areas["level"] == "icb", "icb_code"] = areas["code"]
    sicbl_rows = areas["level"] == "sicbl"  # a Sub-ICB location lies in one ICB (ONS lookup)
    areas.loc[sicbl_rows, "icb_code"] = areas.loc[sicbl_rows, "code"].map(sicbl_icb)
    areas["utla_code"] = areas["code"].map(utla_of).where(la_rows)
    areas["region_code"] = areas["icb_code"].map(region_of_icb)
    areas.loc[areas["level"] == "region", "region_code"] = areas["code"]
    utla_region = areas[la_rows].groupby("utla_code")["region_code"].agg(lambda s: s.mode().iat[0])
    utla_rows = areas["level"] == "utla"
    areas.loc[utla_rows, "region_code"] = areas.loc[utla_rows, "code"].map(utla_region)

    # Deprivation: published for authorities; above them an LSOA-weighted mean of member authorities.
    areas = areas.merge(la_imd.rename(columns={"code": "la"}), left_on="code", right_on="la", how="left")
    areas = areas.drop(columns="la")
    lsoa_count = lsoas.groupby("la_code").size()
    weights = la_imd.assign(lsoas=la_imd["code"].map(lsoa_count)).dropna(subset=["lsoas"])
    la_parent = pd.DataFrame({"code": las["code"]})
    la_parent["utla"] = la_parent["code"].map(utla_of)
    la_parent["icb"] = la_parent["code"].map(la_icb)
    la_parent["region"] = la_parent["icb"].map(region_of_icb)
    la_parent["country"] = geography.ENGLAND[0]
    marmot_parent = members.rename(columns={"la_code": "code"}).assign(marmot=lambda f: "marmot:" + f["slug"])
    for level, table in (("utla", la_parent), ("icb", la_parent), ("region", la_parent),
                         ("country", la_parent), ("marmot", marmot_parent)):
        joined = table[["code", level]].merge(weights, on="code")
        score = joined.groupby(level).apply(
            lambda g: (g["imd_score"] * g["lsoas"]).sum() / g["lsoas"].sum(), include_groups=False)
        rows = areas["level"] == level
        areas.loc[rows, "imd_score"] = areas.loc[rows, "code"].map(score)
        areas.loc[rows, "imd_method"] = "LSOA-weighted mean of member authorities"
        if level in ("utla", "icb"):
            ranked = areas.loc[rows, "imd_score"].rank(ascending=False, method="min")
            areas.loc[rows, "imd_rank"] = ranked
            areas.loc[rows, "imd_rank_of"] = int(rows.sum())
    areas["imd_rank"] = areas["imd_rank"].astype("Int64")
    areas["imd_rank_of"] = areas["imd_rank_of"].astype("Int64")
    return areas


def coverage_report(practices: pd.DataFrame) -> pd.DataFrame:
    """Per year: share of practices and of registered patients placed and matched at each step."""
    checks = {
        "located_exact": practices["location_quality"] == "exact",
        "located": practices["location_quality"] != "none",
        "with_la": practices["la_code"].notna(),
        "with_icb": practices["icb_code"].notna(),
        "with_region": practices["region_code"].notna(),
        "with_imd": practices["imd_score"].notna(),
        "with_life_expectancy": practices["life_expectancy_female"].notna(),
    }
    rows = []
    for year, group in practices.groupby("year"):
        patients = group["registered_patients"]
        row = {"year": year, "practices": len(group), "registered_patients": float(patients.sum())}
        for name, mask in checks.items():
            mask = mask.loc[group.index]
            row[f"{name}_practices"] = float(mask.mean())
            row[f"{name}_patients"] = float(patients[mask].sum() / patients.sum()) if patients.sum() else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def print_coverage(report: pd.DataFrame, progress=print) -> None:
    names = ["located_exact", "located", "with_la", "with_icb", "with_region", "with_imd", "with_life_expectancy"]
    progress("coverage (share of registered patients; share of practices in brackets)")
    progress("year     practices " + " ".join(f"{n:>18}" for n in names))
    for row in report.itertuples(index=False):
        cells = " ".join(f"{getattr(row, n + '_patients'):>9.1%} ({getattr(row, n + '_practices'):>5.1%})"
                         for n in names)
        progress(f"{row.year}  {row.practices:>8,} {cells}")


def count_lines(path: Path) -> int | None:
    """Rows as the plausibility check compares them between builds (lines, header included); None for
    compressed and GeoJSON files, whose line counts mean nothing."""
    if path.name.endswith((".gz", ".geojson")):
        return None
    with open(path, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda h=handle: h.read(1 << 20), b""))


def input_files(reads: list[sources.Read], raw_dir: Path, reference_dir: Path) -> list[dict]:
    """The manifest's inputs: exactly the files the build read, each described by its catalogue entry.

    Listing what was read (not what a pattern finds in the folder) makes the manifest the build's
    provenance; a file that sits in the raw folder unread is not credited.
    """
    entries = []
    for read in reads:
        entry = sources.source(read.source_id)
        relative = sources.relative_path(read, raw_dir, reference_dir)
        download = entry.download_for(relative)
        entries.append({
            "id": entry.id, "path": relative, "title": entry.title, "publisher": entry.publisher,
            "vintage": entry.vintage, "licence": entry.licence, "caveat": entry.caveat, "reader": entry.reader,
            "credit": entry.credit, "url": download.url if download else None,
            "shipped": None if download else entry.shipped,
            "sha256": sha256(read.path), "bytes": read.path.stat().st_size, "rows": count_lines(read.path),
        })
    return entries


def write_outputs(tables: dict, folder: Path, raw_dir: Path, reference_dir: Path,
                  reads: list[sources.Read]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "geo").mkdir(exist_ok=True)
    written = {}
    for name in ("practices", "areas", "area_indicators", "area_stats", "marmot_places", "marmot_members"):
        path = folder / f"{name}.parquet"
        tables[name].to_parquet(path, index=False, compression="zstd")
        written[path.name] = len(tables[name])
    missing = sorted(set(GEO_LEVELS) - set(tables["shapes"]))
    if missing:  # a level declared with boundaries (dimensions.LEVELS) needs its build step
        raise RuntimeError(f"no boundaries were built for the declared level(s) {', '.join(missing)}")
    for level in GEO_LEVELS:
        frame = tables["shapes"][level]
        path = folder / "geo" / f"{level}.geojson"
        path.write_text(geography.geojson_text(frame), encoding="utf-8")
        written[f"geo/{level}.geojson"] = len(frame)
    report = coverage_report(tables["practices"])
    report.to_json(folder / "coverage.json", orient="records", indent=1)
    manifest = {
        "built_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "years": sorted(tables["practices"]["year"].unique().tolist()),
        "attribution": config.OGL_ATTRIBUTION,
        "inputs": input_files(reads, Path(raw_dir), Path(reference_dir)),
        "outputs": [{"path": p, "rows": n, "sha256": sha256(folder / p), "bytes": (folder / p).stat().st_size}
                    for p, n in sorted(written.items())],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def swap_in(new: Path, target: Path) -> None:
    """Replace target with new: two renames, with recover_interrupted_swap() mending a crash between."""
    old = target.with_name(target.name + ".previous")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    if old.exists():
        shutil.rmtree(old)


def recover_interrupted_swap(target: Path) -> None:
    """Mend what a killed build left: put back a folder moved aside, drop half-written staging folders."""
    old = target.with_name(target.name + ".previous")
    if old.exists() and not target.exists():
        os.replace(old, target)
    for staging in target.parent.glob(".build-*"):
        shutil.rmtree(staging, ignore_errors=True)


def check_plausible(tables: dict, staging: Path, out_dir: Path, checks, accept_changes: bool, progress) -> None:
    """Compare the staged build with the one in out_dir and the publication before anything is swapped.

    Runs on the staged manifest, so input rows are counted exactly as the previous build counted them.
    Accepted changes are written into the new manifest: whoever reads the data later can see what moved.
    """
    manifest_path = staging / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    previous_measures, previous_rows = plausibility.read_previous(out_dir)
    if previous_measures is None:
        progress("no readable previous build: checking against the publication only")
    failures = plausibility.evaluate(plausibility.year_measures(tables["practices"]),
                                     plausibility.input_rows(manifest), previous_measures, previous_rows, checks)
    if not failures:
        return
    if not accept_changes:
        raise plausibility.ImplausibleChangeError(failures)
    for failure in failures:
        progress(f"accepted change: {failure}")
    manifest["accepted_changes"] = [str(failure) for failure in failures]
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def build(raw_dir: Path | None = None, out_dir: Path | None = None, reference_dir: Path | None = None,
          progress=print, *, accept_changes: bool = False, checks=plausibility.CHECKS) -> dict:
    """Build and swap in data/processed; raise SourceDataError, ValueError or ImplausibleChangeError instead.

    `checks` defaults to every plausibility check; a folder that is not the publication (the test fixtures)
    passes plausibility.AGAINST_PREVIOUS. `accept_changes` swaps in a build that fails them, recording why.
    """
    raw_dir = Path(raw_dir or config.raw_dir())
    out_dir = Path(out_dir or config.processed_dir())
    reference_dir = Path(reference_dir or config.reference_dir())
    if not raw_dir.is_dir():
        raise SourceDataError(raw_dir, "raw data folder not found (set EQUITY_ATLAS_RAW_DIR or --raw-dir)")
    recover_interrupted_swap(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with sources.recording() as reads:
        tables = build_tables(raw_dir, reference_dir, progress=progress)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir.parent))
    staging.chmod(0o755)
    try:
        write_outputs(tables, staging, raw_dir, reference_dir, reads)
        check_plausible(tables, staging, out_dir, checks, accept_changes, progress)
        pause = float(os.environ.get("EQUITY_ATLAS_BUILD_PAUSE_BEFORE_SWAP", "0"))
        if pause:  # lets the fault tests kill a build while its outputs are half in place
            progress(f"pausing {pause}s before the swap")
            time.sleep(pause)
        swap_in(staging, out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    print_coverage(coverage_report(tables["practices"]), progress)
    progress(f"wrote {out_dir}")
    return tables

"""The catalogue (dashboard/data/sources.py) tells the truth about what fetch writes and what build reads.

The reads are instrumented: readers locate files only through the catalogue, which records them, so after a
build on the fixture folder the recorded reads can be compared with the catalogue's declarations.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest
from fixtures.make_raw import FIXTURE_CHECKS, make_raw, make_reference
from helpers import PROJECT_ROOT

from dashboard.data import build as build_module
from dashboard.data import sources
from dashboard.data.fetch import SOURCES as FETCHED

INGEST_MODULES = ["payments", "practice_measures", "locations", "geography", "area_measures", "area_lenses", "marmot",
                  "build"]


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory):
    """(reads, raw folder, reference folder, processed folder) of one build on the fixture folder."""
    root = tmp_path_factory.mktemp("sources")
    raw, reference, out = make_raw(root / "raw"), make_reference(root / "reference"), root / "processed"
    with sources.recording() as reads:
        build_module.build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None,
                           checks=FIXTURE_CHECKS)
    return list(reads), raw, reference, out


def unread_or_undeclared(reads, raw, reference, fetched=FETCHED, catalogue=sources.CATALOGUE) -> list[str]:
    """What a build's reads contradict in the catalogue, one sentence each; empty when all agree."""
    by_id = {entry.id: entry for entry in catalogue}
    read_paths = {(r.source_id, sources.relative_path(r, raw, reference)) for r in reads}
    problems = []
    for entry in catalogue:
        if not any(source_id == entry.id for source_id, _ in read_paths):
            problems.append(f"{entry.id} is declared but the build never read it")
    for source_id, relative in sorted(read_paths):
        entry = by_id[source_id]
        if not entry.download_for(relative) and not entry.shipped:
            problems.append(f"{relative} was read but is neither fetchable nor declared as shipped")
    for download in fetched:
        readers = [e for e in catalogue if e.root == sources.RAW and e.matches(download.dest)]
        if not readers:
            problems.append(f"fetch writes {download.dest} but no source of the build reads that path")
        elif (raw / download.dest).exists() and not any(path == download.dest for _, path in read_paths):
            problems.append(f"fetch wrote {download.dest} but the build did not read it")
    return problems


def test_every_read_is_declared_and_every_declaration_read(fixture_build):
    reads, raw, reference, _out = fixture_build
    assert unread_or_undeclared(reads, raw, reference) == []


def test_a_lying_catalogue_is_caught(fixture_build):
    """The check above is not vacuous: each kind of lie it exists for is reported."""
    reads, raw, reference, _out = fixture_build
    fetched_elsewhere = FETCHED[0].__class__("stray", "a file nobody reads", "https://example.invalid/x.csv",
                                             "boundaries/ons-lad24-buc.geojson")
    assert unread_or_undeclared(reads, raw, reference, fetched=[*FETCHED, fetched_elsewhere]) == [
        "fetch writes boundaries/ons-lad24-buc.geojson but no source of the build reads that path"]
    undeclared = [dataclasses.replace(e, shipped="") if e.id == "codepoint_open" else e
                  for e in sources.CATALOGUE]
    assert unread_or_undeclared(reads, raw, reference, catalogue=undeclared) == [
        "practice_locations/codepoint-open-2014-england.csv.gz was read but is neither fetchable nor declared "
        "as shipped"]
    dead = [*sources.CATALOGUE, sources.Source("onspd", "ONSPD", "ONS", "practice_locations/onspd.zip", "2020",
                                               sources.OGL, "nobody", shipped="x")]
    assert unread_or_undeclared(reads, raw, reference, catalogue=dead) == [
        "onspd is declared but the build never read it"]
    # A file fetch wrote that the build then skips (a series pattern that misses it) is reported too.
    (raw / "nhs_payments" / "nhs-payments-gp-2023-24.csv").write_text("written by fetch\n")
    try:
        assert unread_or_undeclared(reads, raw, reference) == [
            "fetch wrote nhs_payments/nhs-payments-gp-2023-24.csv but the build did not read it"]
    finally:
        (raw / "nhs_payments" / "nhs-payments-gp-2023-24.csv").unlink()


def test_manifest_lists_exactly_the_reads_with_their_catalogue_entry(fixture_build):
    reads, raw, reference, out = fixture_build
    manifest = json.loads((out / "manifest.json").read_text())
    listed = [(item["id"], item["path"]) for item in manifest["inputs"]]
    assert listed == [(r.source_id, sources.relative_path(r, raw, reference)) for r in reads]
    for item in manifest["inputs"]:
        entry = sources.source(item["id"])
        assert (item["title"], item["vintage"], item["reader"]) == (entry.title, entry.vintage, entry.reader)
        assert bool(item["url"]) != bool(item["shipped"])  # each file either fetchable or shipped, never both
    assert "lookups/ruc21_ltla24.csv" not in {path for _, path in listed}  # in the folder, never read


def test_check_catalogue_names_each_inconsistency():
    good = sources.source("la_boundaries")
    wrong_dest = dataclasses.replace(good, downloads=(
        sources.Download("ons", "https://example.invalid/lad.geojson", "boundaries/ons-lad24-buc.geojson"),))
    nothing = sources.Source("x", "X", "P", "a/b.csv", "2020", sources.OGL, "r")
    assert sources.check_catalogue((wrong_dest, nothing)) == [
        "ons: fetch writes boundaries/ons-lad24-buc.geojson but the build reads boundaries/lad24_bsc_uk.geojson "
        "(la_boundaries)",
        "x: neither fetchable nor declared as shipped (say why there is no URL)"]
    assert sources.check_catalogue() == []


def string_constants(module: str) -> list[str]:
    tree = ast.parse((PROJECT_ROOT / "dashboard" / "data" / f"{module}.py").read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


@pytest.mark.parametrize("module", INGEST_MODULES)
def test_ingest_modules_hold_no_input_paths(module):
    """A path written into a reader would bypass the catalogue (and the recorded reads)."""
    suffixes = (".csv", ".csv.gz", ".geojson", ".zip", ".xlsx")
    paths = [text for text in string_constants(module) if text.endswith(suffixes) and not text.startswith(".")]
    for entry in sources.CATALOGUE:
        paths += [text for text in string_constants(module) if Path(entry.path).name in text]
    assert paths == []

"""The methods page is generated from the registry and manifest, so it documents every measure and source."""

from __future__ import annotations

import pytest
from dash import html

from dashboard import config
from dashboard.data.query import load_atlas
from dashboard.metrics import REGISTRY
from dashboard.pages import resolve
from dashboard.pages.about import about_content, located_phrase


def text_of(node) -> str:
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(node)
    if isinstance(node, list | tuple):
        return " ".join(text_of(n) for n in node)
    return text_of(getattr(node, "children", None))


def find(node, predicate) -> list:
    found = [node] if predicate(node) else []
    children = getattr(node, "children", None) if not isinstance(node, list | tuple) else node
    if isinstance(children, list | tuple):
        for child in children:
            found += find(child, predicate)
    elif children is not None and not isinstance(children, str | int | float):
        found += find(children, predicate)
    return found


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


@pytest.fixture(scope="module")
def page(atlas):
    return about_content(atlas)


def test_every_measure_is_documented(page):
    text = text_of(page)
    for metric in REGISTRY.values():
        assert metric.label in text
        assert metric.formula in text
        assert metric.id in text
        if metric.caveat:
            assert metric.caveat in text


def test_every_input_and_the_build_date_are_listed(page, atlas):
    text = text_of(page)
    for item in atlas.manifest["inputs"]:
        assert item["title"] in text
        assert item["sha256"][:12] in text
    assert atlas.manifest["built_at"][:10] in text
    assert config.OGL_ATTRIBUTION in text


def test_url_keys_table(page):
    [table] = find(page, lambda n: getattr(n, "id", None) == "about-url-keys")
    keys = [text_of(row.children[0]) for row in find(table, lambda n: isinstance(n, html.Tr))[1:]]
    for key in ("year", "level", "area", "metric", "region", "icb", "la", "marmot", "rurality", "dispensing",
                "contract", "quintile", "size", "band"):
        assert key in keys
    text = text_of(table)
    for value in ("E08000026", "E54000030", "E40000007", "marmot:", "lt5k", "20k+", "decile", "APMS"):
        assert value in text


def test_structure_is_accessible(page):
    assert len(find(page, lambda n: isinstance(n, html.H1))) == 1
    headings = [text_of(h) for h in find(page, lambda n: isinstance(n, html.H2))]
    from dashboard.pages.about import SECTIONS

    assert headings[:len(SECTIONS)] == [title for _, title in SECTIONS]
    assert "How comparisons are made, and when a difference is clear" in headings
    assert "Known caveats" in headings and "Data sources" in headings
    for header in find(page, lambda n: isinstance(n, html.Th)):
        assert header.scope in ("col", "row")


def test_caveats_and_coverage(page):
    text = text_of(page)
    for phrase in ("unknown for some practices", "from 2020-21", "derived estimate", "no registered patients",
                   "approximately"):
        assert phrase in text
    assert find(page, lambda n: getattr(n, "href", None) == "/marmot")  # the list of Marmot Places


def test_located_phrase_uses_the_coverage_report():
    coverage = [{"year": "2021-22", "located_exact_patients": 0.99}, {"year": "2022-23",
                                                                      "located_exact_patients": 0.98}]
    phrase = located_phrase(coverage, "2022-23")
    assert "2.0%" in phrase and "1.0% to 2.0%" in phrase
    assert "not available" in located_phrase([], "2022-23")


def test_page_is_routed_and_renders_without_a_coverage_file(atlas):
    route, _ = resolve("/about")
    assert route is not None and route.title == "Methods and sources · Equity Atlas"
    assert "Known caveats" in text_of(about_content(atlas, coverage=[]))


def test_methods_are_the_engines_own_words(page):
    from dashboard.inequality import MIN_PATIENTS, MIN_PRACTICES

    text = text_of(page)
    assert "Welch–Satterthwaite" in text and "Slope index of inequality (SII)" in text
    assert f"at least {MIN_PRACTICES} practices with data and {MIN_PATIENTS:,} registered patients" in text


def test_editions_and_credits_come_from_the_recorded_vintage(atlas, monkeypatch):
    """Edition text follows the manifest the data was built with, not words typed into the pages."""
    from dashboard.app import footer
    from dashboard.pages.area import official_table

    manifest = {**atlas.manifest, "inputs": [
        {**item, "vintage": "May 2031"} if item.get("id") in ("codepoint_open", "la_imd", "msoa_imd") else item
        for item in atlas.manifest["inputs"]]}
    monkeypatch.setattr(atlas, "manifest", manifest)
    page_text = text_of(about_content(atlas))
    assert "OS Code-Point Open (May 2031)" in page_text and "August 2014" not in page_text
    footer_text = text_of(footer(atlas))
    assert "Ordnance Survey Code-Point Open, May 2031" in footer_text
    assert "MHCLG English Indices of Deprivation, May 2031" in footer_text
    data = {"name": "Coventry", "official": {"imd_score": 20.0, "imd_rank": 5, "imd_rank_of": 296},
            "england_official": {}}
    assert "May 2031 average score" in text_of(official_table(data, "May 2031"))


def test_sources_say_where_each_file_comes_from(page, atlas):
    rows = find(page, lambda n: getattr(n, "id", None) == "about-sources")[0]
    text = text_of(rows)
    for item in atlas.manifest["inputs"]:
        assert (item["url"] or item["shipped"]) in text
    assert "are the publisher's last known figure in 2014-15 to 2022-23" in text_of(page)

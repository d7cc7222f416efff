"""Search finds practices (by code, name and postcode district or sector) and sends them to their own pages.

Checked against the shipped data: SE5 holds five practices paid in 2022-23 (four in Southwark, The Corner
Surgery G85127 in Lambeth) and two that closed (G85050, last paid 2019-20; G85112 in SE5 8HL, last paid
2018-19).
"""

from __future__ import annotations

import pytest
from dash import dcc, html

from dashboard.components.search import find, place_summary, postcode_place
from dashboard.data.query import load_atlas

SE5_NOW = {"G85013", "G85030", "G85042", "G85127", "G85726"}


@pytest.fixture(scope="module")
def atlas(processed_dir):
    return load_atlas(str(processed_dir))


def practices(results):
    return {r["code"]: r for r in results if r["kind"] == "practice"}


def test_a_practice_code_finds_its_page_and_the_search_page_goes_there(atlas, processed_dir):
    from dashboard.pages import search

    results = find(atlas, "g85013")
    assert [r["href"] for r in results] == ["/practice/G85013"]
    page = search.layout("?q=G85013")
    redirect = [n for n in page.children if isinstance(n, dcc.Location)]
    assert redirect and redirect[0].href == "/practice/G85013"


def test_a_name_fragment_finds_the_practice(atlas):
    found = practices(find(atlas, "durston"))
    assert found["G85013"]["href"] == "/practice/G85013"
    assert "SE5 7AF" in found["G85013"]["label"] and "Southwark" in found["G85013"]["label"]


@pytest.mark.parametrize("text", ["SE5", "se5", "  Se5 "])
def test_a_postcode_district_lists_its_practices_and_their_areas(atlas, text):
    results = find(atlas, text)
    found = practices(results)
    assert set(found) == SE5_NOW | {"G85050", "G85112"}
    assert all(r["href"] == f"/practice/{code}" for code, r in found.items())
    codes = [r["code"] for r in results]
    assert set(codes[:5]) == SE5_NOW, "practices paid in the latest year come before closed ones"
    assert "last paid in 2018-19" in found["G85112"]["label"]
    place = postcode_place(atlas, text)
    assert (place["kind"], place["name"]) == ("district", "SE5")
    assert {a["name"] for a in place["areas"]} == {"Southwark", "Lambeth", "NHS South East London Integrated Care Board"}


@pytest.mark.parametrize("text", ["se58", "SE5 8", "se5  8"])
def test_a_postcode_sector_in_any_spacing(atlas, text):
    place = postcode_place(atlas, text)
    assert (place["kind"], place["name"]) == ("sector", "SE5 8")
    assert list(place["practices"]["practice_code"]) == ["G85112"]
    assert set(practices(find(atlas, text))) == {"G85112"}


def test_a_district_is_read_before_a_sector(atlas):
    """SE18 is Woolwich, not the sector SE1 8 (Waterloo); with a space the sector is meant."""
    assert postcode_place(atlas, "se18")["name"] == "SE18"
    assert all(r["label"].count("SE18 ") for r in practices(find(atlas, "SE18")).values())
    assert postcode_place(atlas, "SE1 8")["name"] == "SE1 8"


def test_the_search_page_says_where_a_district_is(processed_dir):
    from dashboard.pages import search

    page = search.layout("?q=SE5")
    summary = next(n for n in page.children if getattr(n, "id", None) == "search-postcode")
    links = {c.href for c in summary.children if isinstance(c, dcc.Link)}
    assert links == {"/area/E09000028", "/area/E09000022", "/area/E54000030"}
    assert summary.children[0].startswith("Postcode district SE5: 7 practices (5 of them paid in 2022-23)")


@pytest.mark.parametrize("text", ["xqzzy", "zz9 9", "£££"])
def test_nonsense_finds_nothing_and_says_so(atlas, processed_dir, text):
    from dashboard.pages import search

    assert find(atlas, text) == [] and postcode_place(atlas, text) is None
    page = search.layout(f"?q={text}")
    said = [n.children for n in page.children if isinstance(n, html.P)]
    assert any(str(s).startswith("Nothing matched") for s in said)
    assert place_summary(None) is None

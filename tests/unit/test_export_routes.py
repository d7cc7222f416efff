"""Briefings and packs as GET downloads: checked against the Atlas before any work, cached, linkable."""

from __future__ import annotations

import io
import zipfile

import pytest


@pytest.fixture(scope="module")
def client(processed_dir, tmp_path_factory):
    import os

    os.environ["EQUITY_ATLAS_JOBS_DIR"] = str(tmp_path_factory.mktemp("jobs"))
    from dashboard.app import create_app

    return create_app(str(processed_dir)).server.test_client()


@pytest.mark.parametrize("url, says", [
    ("/download/briefing/E99999999.pdf", b"No such area"),
    ("/download/briefing/E08000026.pdf?year=1999-00", b"No such year"),
    ("/download/briefing/E08000026.zip", b"No such download"),
    ("/download/everything/E08000026.pdf", b"No such download"),
    ("/download/pack/%3Cscript%3E.zip", b"&lt;script&gt;"),
])
def test_unknown_downloads_are_a_friendly_404(client, url, says):
    response = client.get(url)
    assert response.status_code == 404 and says in response.data
    assert b"<script>" not in response.data


def test_a_briefing_is_a_named_pdf_and_asking_again_is_free(client):
    from dashboard.data.query import load_atlas

    year = load_atlas().years[-2]
    first = client.get(f"/download/briefing/E08000026.pdf?year={year}")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    disposition = first.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"equity-atlas-coventry-{year}-briefing" in disposition
    assert first.headers["Cache-Control"] == "private, max-age=3600" and first.headers["ETag"]
    again = client.get(f"/download/briefing/E08000026.pdf?year={year}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_pack_for_a_marmot_place_holds_its_briefing_and_data(client):
    response = client.get("/download/pack/marmot:coventry.zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    names = set(zipfile.ZipFile(io.BytesIO(response.data)).namelist())
    assert {"briefing.pdf", "README.txt", "practices.csv", "trend.csv"} <= names


def test_the_area_page_links_follow_its_year():
    from dashboard.exports import download_path
    from dashboard.pages.area import change_year

    assert download_path("pack", "marmot:coventry", "2019-20") == "/download/pack/marmot:coventry.zip?year=2019-20"
    body, search, briefing, pack = change_year("2019-20", "E08000026")
    assert search == "?year=2019-20"
    assert briefing == "/download/briefing/E08000026.pdf?year=2019-20"
    assert pack == "/download/pack/E08000026.zip?year=2019-20"


def test_a_chart_drawn_twice_gives_the_same_bytes():
    """Two workers building the same pack must not produce two different files (SVG ids were random)."""
    import pandas as pd

    from dashboard.figures import print_charts

    trend = pd.DataFrame({"year": ["2021-22", "2022-23"], "area": [150.0, 160.0], "england": [155.0, 158.0]})
    first = print_charts.trend_lines(trend, "Coventry", "payments_per_weighted_patient", "Payments")
    second = print_charts.trend_lines(trend, "Coventry", "payments_per_weighted_patient", "Payments")
    assert first == second


def test_a_briefing_states_the_comparison_in_the_fifths_of_the_page_it_came_from(client):
    """?fifths=practices on the area page goes into its download links, and the PDF then says the same thing."""
    import pypdf

    from dashboard.exports import download_path
    from dashboard.pages.area import change_year

    _, _, briefing, pack = change_year("2022-23", "E09000028", "?year=2022-23&fifths=practices")
    assert briefing == download_path("briefing", "E09000028", "2022-23", "practices")
    assert briefing.endswith("year=2022-23&fifths=practices") and pack.endswith("&fifths=practices")
    texts = {}
    for fifths, url in (("practices", briefing), ("patients", download_path("briefing", "E09000028", "2022-23"))):
        response = client.get(url)
        assert response.status_code == 200
        reader = pypdf.PdfReader(io.BytesIO(response.data))
        texts[fifths] = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "fifths of practices within Southwark" in texts["practices"]
    assert "fifths of patients within Southwark" in texts["patients"]
    assert client.get("/download/briefing/E09000028.pdf?fifths=households").status_code == 404

"""A data manager's refresh, end to end and offline: fetch from "the publishers", build, and the app shows it.

A loopback HTTP server started here plays every publisher in the catalogue, serving files in the
publishers' own shapes: the payments files in the 2023-24/2024-25 format (the real sample rows), the
Fingertips API's CSV layout, and ONS GeoJSON property names. `fetch` rewrites their URLs to it through
$EQUITY_ATLAS_FETCH_BASE_URL, so nothing here touches the internet.
"""

from __future__ import annotations

import csv
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from fixtures.make_raw import (FIXTURE_CHECKS, ICB, LA, PRACTICES, SICBL, feature_collection, make_raw,
                               make_reference)
from helpers import require_real_data

from dashboard.data import fetch as fetch_module
from dashboard.data import sources
from dashboard.data.build import build
from dashboard.data.query import Atlas

FINGERTIPS_HEADER = [
    "Indicator ID", "Indicator Name", "Parent Code", "Parent Name", "Area Code", "Area Name", "Area Type", "Sex",
    "Age", "Category Type", "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit",
    "Lower CI 99.8 limit", "Upper CI 99.8 limit", "Count", "Denominator", "Value note", "Recent Trend",
    "Compared to England value or percentiles", "Compared to percentiles", "Time period Sortable", "New data",
    "Compared to goal", "Time period range"]


def csv_text(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def fingertips_row(indicator: str, code: str, name: str, area_type: str, sex: str, period: str, value: float,
                   category_type: str = "", category: str = "") -> list[str]:
    row = dict.fromkeys(FINGERTIPS_HEADER, "")
    row.update({"Indicator ID": indicator, "Indicator Name": "test", "Parent Code": "E92000001",
                "Parent Name": "England", "Area Code": code, "Area Name": name, "Area Type": area_type, "Sex": sex,
                "Age": "All ages", "Category Type": category_type, "Category": category, "Time period": period,
                "Value": f"{value}", "Compared to England value or percentiles": "Similar",
                "Time period Sortable": period[:4] + "0000"})
    return [row[column] for column in FINGERTIPS_HEADER]


def practice_imd_api() -> bytes:
    """Indicator 93553 as the API serves it: an England row, one row per practice, a breakdown row."""
    rows = [FINGERTIPS_HEADER, fingertips_row("93553", "E92000001", "England", "England", "Persons", "2019", 21.7),
            fingertips_row("93553", "E92000001", "England", "England", "Persons", "2019", 45.0,
                           "GP deprivation deciles in England (IMD2019)", "Most deprived decile")]
    rows += [fingertips_row("93553", code, "Practice", "GPs", "Persons", "2019", imd + 0.5)
             for code, _name, _pc, _lon, _lat, _disp, _reg, _w, imd in PRACTICES]
    return csv_text(rows)


def area_indicator_api(indicator: str, period: str) -> bytes:
    rows = [FINGERTIPS_HEADER]
    for code, name, area_type in (("E92000001", "England", "England"), ("E08000026", "Coventry", "District"),
                                  ("E07000222", "Warwick", "District")):
        rows += [fingertips_row(indicator, code, name, area_type, sex, period, value)
                 for sex, value in (("Male", 79.1), ("Female", 83.0))]
    rows.append(fingertips_row(indicator, "E92000001", "England", "England", "Male", period, 74.0,
                               "LSOA11 deprivation deciles in England", "Most deprived decile"))
    return csv_text(rows)


def payments_in_publisher_format(year: str) -> bytes:
    """The publisher's sample file for a year, moved onto the fixture's map.

    Header, money and patient columns are the publisher's own five rows; only who and where each practice
    is (code, name, postcode, region) are swapped for the fixture practices, so the build can place them
    on the fixture's boundaries and postcodes.
    """
    name = {"2023-24": "nhs-payments-gp-2023-24-SAMPLE-5-practices.csv",
            "2024-25": "nhs-payments-gp-2024-25-SAMPLE-5-practices.csv"}[year]
    path = require_real_data() / "nhs_payments" / "schema-samples" / name
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    header = rows[0]
    for row, practice in zip(rows[1:], PRACTICES, strict=True):
        code, practice_name, postcode = practice[:3]
        for column, value in (("Practice Code", code), ("Practice Name", practice_name),
                              ("Practice Postcode", postcode), ("NHS England (Region) code", "Y60")):
            row[header.index(column)] = value
    return csv_text(rows)


def publisher_files() -> dict[str, bytes]:
    """Every default download of the catalogue, by the path and query its URL asks for."""
    bodies = {
        "nhs_payments_2023_24": payments_in_publisher_format("2023-24"),
        "nhs_payments_2024_25": payments_in_publisher_format("2024-25"),
        "fingertips_practice_imd_93553": practice_imd_api(),
        "fingertips_life_expectancy_ltla_90366": area_indicator_api("90366", "2021 - 23"),
        "fingertips_healthy_life_expectancy_utla_90362": area_indicator_api("90362", "2021 - 23"),
        "ons_lad24_bsc": json.dumps(feature_collection(LA, "LAD24CD", "LAD24NM")).encode(),
        "ons_icb23_bsc": json.dumps(feature_collection([ICB], "ICB23CD", "ICB23NM")).encode(),
        "ons_sicbl23_bsc": json.dumps(feature_collection([SICBL], "SICBL23CD", "SICBL23NM")).encode(),
    }
    served = {}
    for source in fetch_module.select_sources(None):
        parts = urlsplit(source.full_url)
        served[parts.path + ("?" + parts.query if parts.query else "")] = (source.dest, bodies.pop(source.id))
    assert not bodies, f"fixtures for sources no longer in the catalogue: {sorted(bodies)}"
    return served


class Publisher:
    """A loopback server answering GET/HEAD for exact path-and-query keys (Fingertips differs only by query)."""

    def __init__(self, files: dict[str, tuple[str, bytes]]):
        self.files = {key: body for key, (_dest, body) in files.items()}
        self.by_dest = dict(files.values())
        self.requested: list[str] = []
        publisher = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5

            def log_message(self, *args):
                pass

            def do_HEAD(self):
                self.answer(head=True)

            def do_GET(self):
                self.answer(head=False)

            def answer(self, head: bool) -> None:
                publisher.requested.append(self.path)
                body = publisher.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                body = body if body is not None else b"not found"
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"


@pytest.fixture()
def publisher():
    server = Publisher(publisher_files())
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    server.thread.join(timeout=5)


def test_fetch_then_build_then_the_app_shows_the_new_years(publisher, tmp_path, monkeypatch, capsys):
    raw, reference, out = make_raw(tmp_path / "raw"), make_reference(tmp_path / "reference"), tmp_path / "processed"
    monkeypatch.setattr(fetch_module, "TIMEOUT", (2, 5))
    monkeypatch.setenv(fetch_module.BASE_URL_ENV, publisher.base_url)

    assert fetch_module.main(["--raw-dir", str(raw)]) == 0
    fetched = set(publisher.by_dest)
    for dest, body in publisher.by_dest.items():
        assert (raw / dest).read_bytes() == body, dest

    with sources.recording() as reads:
        build(raw_dir=raw, out_dir=out, reference_dir=reference, progress=lambda *_: None, checks=FIXTURE_CHECKS)
    read = {sources.relative_path(r, raw, reference) for r in reads}
    assert fetched <= read, f"fetched but not read by the build: {sorted(fetched - read)}"

    atlas = Atlas(out)
    assert atlas.years == ["2021-22", "2022-23", "2023-24", "2024-25"]
    summary = atlas.national_summary("2023-24")
    sample = list(csv.DictReader(io.StringIO(
        publisher.by_dest["nhs_payments/nhs-payments-gp-2023-24.csv"].decode())))
    assert summary["practices"] == 5
    assert summary["total_payments"] == pytest.approx(
        sum(float(row["Total NHS Payments to General Practice"]) for row in sample), abs=0.005)
    latest = atlas.year_practices("2023-24").set_index("practice_code")
    assert latest.loc["A00001", "imd_score"] == 40.5  # the fetched API value, not the shipped 40.0
    assert latest.loc["A00004", "la_code"] == "E07000222"  # placed on the fetched ONS boundaries
    assert set(latest["patients_basis"].astype(str)) == {"average over the year"}
    indicators = atlas.indicators
    fetched_indicators = indicators[indicators["indicator"].isin(["life_expectancy", "healthy_life_expectancy"])]
    assert set(fetched_indicators["period"]) == {"2021 - 23"}
    assert 74.0 not in set(fetched_indicators["value"])  # the API's breakdown rows are left out
    assert len(fetched_indicators) == 2 * 3 * 2  # two indicators, England and two districts, two sexes
    assert ICB[0] in set(atlas.areas["code"])

    from dashboard.app import create_app

    client = create_app(str(out)).server.test_client()
    assert client.get("/healthz").get_json() == {"status": "ok", "year": "2024-25", "practices": 5}
    from dashboard.app import footer
    from dashboard.components.headline import patients_basis_note
    from dashboard.pages.about import about_content

    about = json.dumps(about_content(atlas).to_plotly_json(), default=lambda node: node.to_plotly_json())
    assert "the average over the year in 2023-24 to 2024-25" in about
    assert "the publisher's last known figure in 2021-22 to 2022-23" in about
    assert patients_basis_note(atlas, "2022-23") == []
    assert "average over the year" in patients_basis_note(atlas, "2023-24")[0].children
    assert "NHS Payments to General Practice (NHS England)" in json.dumps(footer(atlas).to_plotly_json(),
                                                                        default=lambda node: node.to_plotly_json())
    manifest = json.loads((out / "manifest.json").read_text())
    fetched_inputs = {item["path"]: item["url"] for item in manifest["inputs"] if item["url"]}
    assert set(fetched_inputs) == fetched

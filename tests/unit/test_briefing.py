"""Briefing sentences, PDF and zip pack: numbers in the text come from the inputs, and files open."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from dashboard import config, metrics
from dashboard.briefing import briefing_pdf, briefing_sentences, pack_readme, pack_zip
from dashboard.inequality import Comparison, fifth_gap, sentence

ENGLAND = {"payments_per_weighted_patient": 159.10, "practice_imd_score": 21.7,
           "share_patients_dispensing": 9.8, "life_expectancy_female": 83.1, "life_expectancy_male": 79.4}
AREA = {"payments_per_weighted_patient": 163.20, "practice_imd_score": 28.44,
        "share_patients_dispensing": 1.25, "life_expectancy_female": 81.2, "life_expectancy_male": 79.9}


def png(width=320, height=200, colour=(40, 90, 160)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


# --- sentences --------------------------------------------------------------------------------------------
def test_payment_sentence_numbers_from_inputs():
    sentences = briefing_sentences("Coventry", "2022-23", AREA, ENGLAND, None, None)
    # 163.20 − 159.10 = 4.10; 4.10 / 159.10 = 2.577…% → 2.6%
    assert sentences[0] == ("In 2022-23, practices in Coventry received £163.20 per weighted patient, "
                            "£4.10 (2.6%) more than England (£159.10).")


def test_payment_sentence_flips_to_less():
    area = {**AREA, "payments_per_weighted_patient": 150.00}
    first = briefing_sentences("Coventry", "2022-23", area, ENGLAND, None, None)[0]
    # 150.00 − 159.10 = −9.10; 9.10 / 159.10 = 5.72% → 5.7%
    assert "£9.10 (5.7%) less than England (£159.10)" in first
    assert "more" not in first


def gap_of(most, least) -> Comparison:
    """A within-area gap from five practices of 2,500 patients in each end fifth (values in £ per weighted patient)."""
    rows = [{"year": "2022-23", "practice_code": f"P{i}", "dispensing": "No", "registered_patients": 2500.0,
             "weighted_patients": 2500.0, "total_payments": v * 2500.0, "total_incl_covid_pcn": v * 2500.0,
             "pay_prescribing_dispensing": 0.0, "pay_dispensing_fee": 0.0, "imd_score": 60.0 - i,
             "life_expectancy_female": np.nan, "life_expectancy_male": np.nan}
            for i, v in enumerate(list(most) + [150.0] * 15 + list(least))]
    for column in metrics.SUMMED:
        for row in rows:
            row.setdefault(column, 0.0)
    return fifth_gap(pd.DataFrame(rows), "payments_per_weighted_patient", scope="area", area_name="Coventry")


def test_gap_sentence_is_the_engine_sentence_caveats_included():
    clear = gap_of([170.0, 171, 172, 173, 174], [150.0, 151, 152, 153, 154])
    unclear = gap_of([100.0, 150, 200, 250, 300], [150.0, 175, 200, 225, 250])
    for gap in (clear, unclear):
        sentences = briefing_sentences("Coventry", "2022-23", AREA, ENGLAND, gap, None)
        assert sentence(gap) in sentences
    assert clear.certainty == "clear" and "£20.00 (13%) more" in sentence(clear)
    text = " ".join(briefing_sentences("Coventry", "2022-23", AREA, ENGLAND, unclear, None))
    assert "no clear difference" in text and "fifths of patients within Coventry" in text


def test_imd_dispensing_and_life_expectancy_sentences():
    sentences = briefing_sentences("Coventry", "2022-23", AREA, ENGLAND, None, None)
    text = " ".join(sentences)
    assert "28.4 against 21.7 for England, so they were more deprived than England as a whole" in text
    assert "In Coventry, 1.2% of patients were registered with a practice that dispenses medicines, against 9.8%" in text
    # 81.2 − 83.1 = −1.9 (women shorter); 79.9 − 79.4 = +0.5 (men longer)
    assert "81.2 years for women (1.9 years shorter than England's 83.1)" in text
    assert "79.9 years for men (0.5 years longer than England's 79.4)" in text
    assert 3 <= len(sentences) <= 5


def test_life_expectancy_override_with_period():
    le = {"female": 80.0, "male": 76.0, "england_female": 83.0, "england_male": 79.0, "period": "2016 to 2020"}
    sentence = next(s for s in briefing_sentences("X", "2022-23", AREA, ENGLAND, None, le) if "life expectancy" in s)
    assert "(2016 to 2020)" in sentence
    assert "80.0 years for women (3.0 years shorter than England's 83.0)" in sentence


def test_missing_values_omit_their_sentence():
    area = {**AREA, "payments_per_weighted_patient": float("nan"), "practice_imd_score": None}
    area.pop("share_patients_dispensing")
    sentences = briefing_sentences("Coventry", "2022-23", area, ENGLAND, None, None)
    text = " ".join(sentences)
    assert "per weighted patient" not in text  # no payment figure and no gap to state
    assert "IMD" not in text and "dispenses" not in text
    assert len(sentences) == 1 and "life expectancy" in sentences[0]
    assert briefing_sentences("Coventry", "2022-23", {}, {}, None, None) == []


def test_area_without_england_still_says_its_number():
    sentences = briefing_sentences("Coventry", "2022-23", {"payments_per_weighted_patient": 163.2}, {}, None, None)
    assert sentences == ["In 2022-23, practices in Coventry received £163.20 per weighted patient."]


def test_equal_figures_say_the_same():
    area = {**AREA, "payments_per_weighted_patient": 159.101}
    assert "the same as England" in briefing_sentences("X", "2022-23", area, ENGLAND, None, None)[0]


# --- PDF --------------------------------------------------------------------------------------------------
def make_pdf(**overrides) -> bytes:
    arguments = dict(
        area_name="Brighton & Hove", area_code="E06000043", year="2022-23",
        headline_rows=[("Payments per weighted patient", "£163.20", "£159.10"),
                       ("Registered patients", "312,456", "62,000,000")],
        sentences=briefing_sentences("Brighton & Hove", "2022-23", AREA, ENGLAND, None, None),
        chart_pngs=[("Payments by deprivation fifth", png()), ("Trend", png(600, 300))],
        map_png=png(400, 400, (200, 220, 240)),
        sources=["NHS Payments to General Practice, NHS England", "OHID Fingertips"],
        attribution=config.OGL_ATTRIBUTION, made_on=date(2025, 3, 5))
    arguments.update(overrides)
    return briefing_pdf(**arguments)


def test_pdf_opens_and_text_is_extractable():
    pdf = make_pdf()
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    assert 1 <= len(reader.pages) <= 2
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split())
    assert "Brighton & Hove" in flat
    assert "£163.20" in flat
    assert "Open Government Licence v3.0" in flat
    assert "5 March 2025" in flat
    assert "E06000043" in flat and "2022-23" in flat
    assert reader.metadata.title.startswith("Equity Atlas briefing: Brighton & Hove")


def test_pdf_without_images_and_deterministic():
    first = make_pdf(chart_pngs=[], map_png=None)
    assert first == make_pdf(chart_pngs=[], map_png=None)
    reader = PdfReader(io.BytesIO(first))
    assert len(reader.pages) == 1


# --- zip pack ---------------------------------------------------------------------------------------------
def test_zip_holds_the_listed_files_and_readme_mentions_licence():
    files = [("briefing.pdf", "this briefing"), "map.png", "map.svg", "quintiles.csv"]
    readme = pack_readme("Coventry", "2022-23", files, config.OGL_ATTRIBUTION,
                         "Equity Atlas (2025). Coventry briefing, 2022-23.")
    pack = pack_zip(pdf=b"%PDF-1.4 test", pngs={"map.png": png()}, svgs={"map": b"<svg/>"},
                    csvs={"quintiles": b"band,value\n1,150\n"}, readme=readme)
    with zipfile.ZipFile(io.BytesIO(pack)) as archive:
        assert sorted(archive.namelist()) == ["README.txt", "briefing.pdf", "map.png", "map.svg", "quintiles.csv"]
        assert archive.read("briefing.pdf") == b"%PDF-1.4 test"
        assert archive.read("map.svg") == b"<svg/>"
        text = archive.read("README.txt").decode("utf-8")
    assert "Open Government Licence v3.0" in text
    assert "Coventry" in text and "2022-23" in text
    assert "- briefing.pdf: this briefing" in text and "- quintiles.csv" in text
    assert "Equity Atlas (2025). Coventry briefing, 2022-23." in text


def test_zip_rejects_unsafe_and_duplicate_names():
    with pytest.raises(ValueError):
        pack_zip(pdf=b"", pngs={"../evil.png": b""}, svgs={}, csvs={}, readme="")
    with pytest.raises(ValueError):
        pack_zip(pdf=b"", pngs={"dir/x.png": b""}, svgs={}, csvs={}, readme="")
    with pytest.raises(ValueError):
        pack_zip(pdf=b"", pngs={}, svgs={}, csvs={"README.txt.csv": b"", "README.txt": b""}, readme="")


def test_life_expectancy_gap_is_subtracted_before_rounding():
    # 81.24 − 80.16 = 1.08 → 1.1 years, as the page's "minus England" column shows; rounding each side
    # first (81.2 − 80.2) would have said 1.0.
    area = {**AREA, "life_expectancy_female": 81.24}
    england = {**ENGLAND, "life_expectancy_female": 80.16}
    text = " ".join(briefing_sentences("X", "2022-23", area, england, None, None))
    assert "81.2 years for women (1.1 years longer than England's 80.2)" in text

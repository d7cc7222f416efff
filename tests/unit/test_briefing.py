"""Briefing sentences, PDF and zip pack: numbers in the text come from the inputs, and files open."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from dashboard import config
from dashboard.briefing import briefing_pdf, briefing_sentences, pack_readme, pack_zip

ENGLAND = {"payments_per_weighted_patient": 159.10, "practice_imd_score": 21.7,
           "share_patients_dispensing": 9.8, "life_expectancy_female": 83.1, "life_expectancy_male": 79.4}
AREA = {"payments_per_weighted_patient": 163.20, "practice_imd_score": 28.44,
        "share_patients_dispensing": 1.25, "life_expectancy_female": 81.2, "life_expectancy_male": 79.9}


def quintiles(values) -> pd.DataFrame:
    return pd.DataFrame({"band": [1, 2, 3, 4, 5], "value": values})


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


def test_quintile_gap_sentence_both_ways():
    less = briefing_sentences("Coventry", "2022-23", AREA, ENGLAND, quintiles([150.0, 152, 155, 158, 162.5]), None)
    gap = next(s for s in less if "most deprived fifth" in s)
    # 150 − 162.50 = −12.50; 12.5 / 162.5 = 7.69% → 7.7%
    assert "£12.50 (7.7%) less per weighted patient" in gap
    assert "(£150.00 against £162.50)" in gap
    more = briefing_sentences("Coventry", "2022-23", AREA, ENGLAND, quintiles([170.0, 1, 1, 1, 160.0]), None)
    gap = next(s for s in more if "most deprived fifth" in s)
    assert "£10.00 (6.2%) more per weighted patient" in gap  # 10 / 160 = 6.25% → 6.2% (round half even)


def test_quintile_table_from_by_deprivation_uses_all_practices():
    table = pd.concat([quintiles([150.0, 1, 1, 1, 160.0]).assign(group="All practices"),
                       quintiles([500.0, 1, 1, 1, 100.0]).assign(group="Dispensing")])
    gap = next(s for s in briefing_sentences("X", "2022-23", AREA, ENGLAND, table, None) if "fifth" in s)
    assert "£10.00" in gap and "less" in gap


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
    sentences = briefing_sentences("Coventry", "2022-23", area, ENGLAND, quintiles([150.0, 1, 1, 1, np.nan]), None)
    text = " ".join(sentences)
    assert "per weighted patient" not in text  # no payment figure and no quintile 5 to compare with
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

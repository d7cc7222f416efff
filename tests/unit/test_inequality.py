"""The inequality engine on examples worked out on paper, and on the shipped data for Southwark and Coventry.

Each hand example states its arithmetic beside the assertion, so a change to a formula shows up as a
disagreement with the paper, not as a silently updated number.
"""

from __future__ import annotations

import dataclasses
import math
import pickle

import numpy as np
import pandas as pd
import pytest

from dashboard import inequality, metrics, stats
from dashboard.inequality import Comparison, fifth_gap, fitted_line, sentence

SPLIT = {"pay_core": 0.6, "pay_qof": 0.1, "pay_enhanced": 0.1, "pay_premises": 0.05,
         "pay_prescribing_dispensing": 0.1, "pay_other": 0.05}
PAY = "payments_per_weighted_patient"


def practice(code, per_patient, patients=2500.0, quintile=None, score=None, year="2022-23", le=np.nan):
    """A practice whose payments per weighted patient are `per_patient` (weighted list = registered list)."""
    total = per_patient * patients
    row = {"year": year, "practice_code": code, "practice_name": f"Practice {code}", "dispensing": "No",
           "registered_patients": float(patients), "weighted_patients": float(patients),
           "total_payments": float(total), "pay_covid": 0.0, "pay_pcn": 0.0, "total_incl_covid_pcn": float(total),
           "pay_dispensing_fee": 0.0, "imd_quintile": quintile,
           "imd_decile": None if quintile is None else 2 * quintile - 1,
           "imd_score": score if score is not None else (np.nan if quintile is None else 55.0 - 10 * quintile),
           "life_expectancy_female": le, "life_expectancy_male": np.nan}
    row.update({column: share * total for column, share in SPLIT.items()})
    return row


def frame(rows) -> pd.DataFrame:
    out = pd.DataFrame(rows)
    for column in ("imd_quintile", "imd_decile"):
        out[column] = out[column].astype("Int64")
    return out


def two_fifths(most, least, patients=2500.0) -> pd.DataFrame:
    """Practices in England's most deprived fifth (values `most`) and least deprived fifth (values `least`)."""
    rows = [practice(f"M{i}", v, patients, quintile=1) for i, v in enumerate(most)]
    rows += [practice(f"L{i}", v, patients, quintile=5) for i, v in enumerate(least)]
    rows += [practice("C0", 500.0, patients, quintile=3)]  # a middle fifth that must not move the gap
    return frame(rows)


def welch(v1, n1, v2, n2):
    return (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))


# --- the gap's interval, by hand -----------------------------------------------------------------------------
def test_clear_gap_matches_the_ratio_estimator_worked_by_hand():
    # Most deprived: £100…£140 on equal lists of 2,500 → R = £120. Linearised values (y − R·x)/X
    # = 2,500·(v − 120)/12,500 = (−4, −2, 0, 2, 4); variance = 5/4 · 40 = 50.
    # Least deprived: £90…£110 → R = £100; (−2, −1, 0, 1, 2); variance = 5/4 · 10 = 12.5.
    # Gap £20, variance 62.5, Welch df = 62.5² / (50²/4 + 12.5²/4) = 5.882…
    c = fifth_gap(two_fifths([100, 110, 120, 130, 140], [90, 95, 100, 105, 110]), PAY)
    df = welch(50, 5, 12.5, 5)
    assert df == pytest.approx(5.88235, rel=1e-5)
    margin = stats.t_quantile(0.975, df) * math.sqrt(62.5)
    assert c.estimate == pytest.approx(20.0)
    assert (c.low, c.high) == (pytest.approx(20 - margin, rel=1e-6), pytest.approx(20 + margin, rel=1e-6))
    assert c.low > 0 and c.certainty == "clear"
    assert [(g.label, g.practices, g.patients, g.value) for g in c.groups] == [
        ("most deprived fifth", 5, 12_500, pytest.approx(120)), ("least deprived fifth", 5, 12_500, pytest.approx(100))]
    assert c.relative == pytest.approx(20.0)  # 120 / 100 − 1
    assert c.basis == "England-wide fifths of patients"
    text = sentence(c)
    low, high = metrics.format_value(20 - margin, "£ per patient"), metrics.format_value(20 + margin, "£ per patient")
    assert text == ("Using England-wide fifths of patients, practices serving the most deprived fifth received "
                    "£120.00 per weighted patient, £20.00 (20%) more than those serving the least deprived fifth "
                    f"(£100.00; 95% confidence interval {low} to {high} more).")
    assert "no clear" not in text


def test_gap_whose_interval_spans_zero_says_no_clear_difference_and_still_gives_it():
    # Least deprived now £60…£140 around £100: (−8, −4, 0, 4, 8), variance 5/4 · 160 = 200; total 250.
    c = fifth_gap(two_fifths([100, 110, 120, 130, 140], [60, 80, 100, 120, 140]), PAY)
    margin = stats.t_quantile(0.975, welch(50, 5, 200, 5)) * math.sqrt(250)
    assert c.estimate == pytest.approx(20.0)
    assert c.low == pytest.approx(20 - margin) and c.low < 0 < c.high
    assert c.certainty == "not clear"
    text = sentence(c)
    assert text.startswith("Using England-wide fifths of patients, there is no clear difference in payments per "
                           "weighted patient between practices serving the most deprived fifth (£120.00) and the "
                           "least deprived fifth (£100.00): most minus least deprived is £20.00 (95% confidence "
                           f"interval {metrics.format_value(20 - margin, '£ per patient')} to ")
    assert text.endswith("), an interval that includes zero.")
    assert "−£" in text and "-" not in text.replace("England-wide", "")  # one minus sign, never a hyphen
    assert "%" not in text.replace("95% confidence", "")  # no quotable percentage for an unclear gap


def test_the_variance_follows_the_registry_formula_not_practice_averages():
    # A tiny practice with a huge figure: 400 patients at £1,000 with four of 2,500 at £100. The fifth's
    # value is a ratio of sums (£136 000 + …) and the practice moves it only by its share of patients.
    most = frame([practice("T", 1000.0, 400, quintile=1)] + [practice(f"M{i}", 100.0, 2500, quintile=1)
                                                             for i in range(4)])
    value = (1000 * 400 + 4 * 100 * 2500) / (400 + 4 * 2500)  # = 134.615…
    estimate = inequality._estimate(most, PAY)
    assert estimate.value == pytest.approx(value)
    linear = np.array([1000 * 400 - value * 400] + [100 * 2500 - value * 2500] * 4) / 10_400
    assert estimate.variance == pytest.approx(5 / 4 * float(np.sum(linear ** 2)), rel=1e-6)


# --- empty and too-small fifths ------------------------------------------------------------------------------
def test_an_empty_fifth_is_named():
    rows = frame([practice(f"M{i}", 120, quintile=1) for i in range(5)]
                 + [practice(f"Q{i}", 110, quintile=4) for i in range(5)])
    c = fifth_gap(rows, PAY, area_name="Testshire")
    assert c.certainty == "empty" and math.isnan(c.estimate)
    assert c.extra["empty"] == ("least deprived fifth",)
    assert sentence(c) == ("For practices in Testshire, using England-wide fifths of patients, payments per weighted "
                           "patient cannot be compared between the most and least deprived fifths: none of "
                           "Testshire's practices is in the least deprived fifth.")


def test_too_few_practices_in_a_fifth_gives_no_gap():
    # Four practices of 5,000 (20,000 patients) in the least deprived fifth: enough patients, too few practices.
    c = fifth_gap(frame([practice(f"M{i}", 120, quintile=1) for i in range(5)]
                        + [practice(f"L{i}", 60, 5000, quintile=5) for i in range(4)]), PAY)
    assert c.certainty == "too small" and math.isnan(c.estimate)
    text = sentence(c)
    assert "the least deprived fifth has 4 practices and 20,000 registered patients" in text
    assert "a fifth needs at least 5 practices and 10,000 registered patients" in text
    assert text.endswith("so no gap is given.")
    assert "£60" not in text and "£120" not in text and "more" not in text and "less" not in text


def test_too_few_patients_in_a_fifth_gives_no_gap():
    # Five practices but 1,500 patients each (7,500 < 10,000) in the most deprived fifth.
    c = fifth_gap(frame([practice(f"M{i}", 120, 1500, quintile=1) for i in range(5)]
                        + [practice(f"L{i}", 60, quintile=5) for i in range(5)]), PAY)
    assert c.certainty == "too small"
    assert "the most deprived fifth has 5 practices and 7,500 registered patients" in sentence(c)
    assert inequality.MIN_PRACTICES == 5 and inequality.MIN_PATIENTS == 10_000  # the rule METHODS states
    assert "at least 5 practices with data and 10,000 registered patients" in inequality.METHODS


def test_a_fifth_without_values_is_no_data_not_a_gap():
    c = fifth_gap(two_fifths([100] * 5, [100] * 5).assign(life_expectancy_female=np.nan), "life_expectancy_female")
    assert c.certainty == "no data"
    assert "no data" in sentence(c)


# --- fifths of practices against fifths of patients ------------------------------------------------------
def uneven() -> pd.DataFrame:
    """Ten practices ranked by score 100 (P0, most deprived) … 10 (P9): five small (1,000) then five large (9,000)."""
    return frame([practice(f"P{i}", 100 + 10 * i, 1000 if i < 5 else 9000, score=100.0 - 10 * i)
                  for i in range(10)])


def test_fifths_of_practices_and_of_patients_differ_on_uneven_lists():
    # Of patients (50,000): cumulative midpoints 500, 1,500, … 4,500, then 9,500, 18,500, 27,500, 36,500,
    # 45,500 → shares .01 .03 .05 .07 .09 .19 .37 .55 .73 .91 → fifths 1 1 1 1 1 1 2 3 4 5.
    # Of practices: midpoints (i + ½)/10 = .05 … .95 → fifths 1 1 2 2 3 3 4 4 5 5.
    rows = uneven()
    assert inequality.deprivation_bands(rows, "patients").tolist() == [1, 1, 1, 1, 1, 1, 2, 3, 4, 5]
    assert inequality.deprivation_bands(rows, "practices").tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert inequality.deprivation_bands(rows, "practices", bands=10).tolist() == list(range(1, 11))
    by_patients = fifth_gap(rows, PAY, scope="area", fifths_of="patients", area_name="Uneven")
    by_practices = fifth_gap(rows, PAY, scope="area", fifths_of="practices", area_name="Uneven")
    assert [g.practices for g in by_patients.groups] == [6, 1]
    assert [g.practices for g in by_practices.groups] == [2, 2]
    assert by_patients.basis == "fifths of patients within Uneven"
    assert by_practices.basis == "fifths of practices within Uneven"
    # (100 + 110 + 120 + 130 + 140)·1,000 + 150·9,000 over 14,000 patients = 132.14…; P9 alone is £190.
    assert by_patients.groups[0].value == pytest.approx((600_000 + 1_350_000) / 14_000)
    assert by_practices.groups[1].value == pytest.approx((180 + 190) * 9000 / 18_000)
    assert "fifths of practices within Uneven" in sentence(by_practices)


def test_the_area_page_bars_are_banded_as_its_sentence_for_either_fifths():
    """The area page's bars (profiles.gradient_tables) and its sentence (profiles.payment_gap) share the bands:
    on `uneven` the bars count 6,1,1,1,1 practices by patients and 2,2,2,2,2 by practices, as the sentence's
    groups do, and the end bars carry the sentence's values."""
    from types import SimpleNamespace

    from dashboard.data import profiles

    rows = uneven()
    atlas = SimpleNamespace(england_sums=lambda year: metrics.group_sums(rows, None))
    for fifths, counts in (("patients", [6, 1, 1, 1, 1]), ("practices", [2, 2, 2, 2, 2])):
        pay, _ = profiles.gradient_tables(atlas, rows, "2022-23", fifths)
        bars = pay[pay["group"] == "All practices"].set_index("band")
        gap = profiles.payment_gap(rows, "Uneven", fifths)
        assert bars["practices"].tolist() == counts
        assert [bars.at[1, "value"], bars.at[5, "value"]] == pytest.approx([g.value for g in gap.groups])
        assert f"fifths of {fifths} within Uneven" in sentence(gap)


def test_england_wide_fifths_of_practices_come_from_the_national_ranking():
    # England: 20 practices scored 100 … 5 → four per fifth of practices. The area holds the top six of
    # them: four in England's most deprived fifth and two in the next, so none in the least deprived.
    national = frame([practice(f"N{i}", 100, score=100.0 - 5 * i) for i in range(20)])
    area = national.iloc[:6]
    c = fifth_gap(area, PAY, scope="england", fifths_of="practices", area_name="Top", national=national)
    assert c.certainty == "empty" and c.groups[0].practices == 4
    assert "England-wide fifths of practices" in sentence(c)
    with pytest.raises(ValueError, match="national"):
        fifth_gap(area, PAY, scope="england", fifths_of="practices", area_name="Top")


# --- the Coventry case: within-area fifths when England's fifths leave one empty --------------------------
def coventry_like() -> pd.DataFrame:
    """25 practices of 2,500 patients, all in England's fifths 1-4; scores 60 … 12 so they rank within the area."""
    rows = []
    for i in range(25):
        quintile = 1 + i // 7  # 1, 1, … 4: no practice in England's least deprived fifth
        rows.append(practice(f"C{i}", 150 - i, quintile=quintile, score=60.0 - 2 * i))
    return frame(rows)


def test_within_area_fifths_exist_where_england_wide_fifths_are_empty():
    rows = coventry_like()
    national = fifth_gap(rows, PAY, scope="england", area_name="Coventry-like")
    local = fifth_gap(rows, PAY, scope="area", area_name="Coventry-like")
    assert national.certainty == "empty"
    assert "none of Coventry-like's practices is in the least deprived fifth" in sentence(national)
    assert "not enough practices" not in sentence(national)  # the old, wrong reason
    # Within the area: five practices per fifth; most deprived £150…£146 (mean 148), least £130…£126 (128).
    assert local.certainty == "clear"
    assert [g.practices for g in local.groups] == [5, 5]
    assert local.estimate == pytest.approx(20.0)
    assert sentence(local).startswith("Using fifths of patients within Coventry-like, practices serving the most "
                                      "deprived fifth received £148.00 per weighted patient, £20.00 (16%) more")


# --- slope index and fitted lines --------------------------------------------------------------------------
def test_slope_index_wraps_stats_and_refuses_a_handful_of_practices():
    rows = frame([practice(f"S{i}", 100 + 5 * i, score=10.0 + i) for i in range(12)])
    c = inequality.slope_index(rows, PAY, area_name="Slopeshire")
    expected = stats.slope_index(rows.assign(v=[100 + 5 * i for i in range(12)]), "v")
    assert (c.estimate, c.low, c.high) == (pytest.approx(expected["sii"]), pytest.approx(expected["sii_low"]),
                                          pytest.approx(expected["sii_high"]))
    assert c.relative == pytest.approx(expected["rii"])
    assert c.certainty == "clear" and c.estimate > 0  # more deprived, more money: a perfect line
    assert sentence(c).startswith("Across the 12 practices in Slopeshire, the slope index of inequality in "
                                  "payments per weighted patient is £")
    few = inequality.slope_index(rows.iloc[:4], PAY, area_name="Slopeshire")
    assert few.certainty == "too small" and math.isnan(few.estimate)
    assert "too few practices" in sentence(few) and "£" not in sentence(few)


def test_two_practices_get_no_line_and_no_r_squared():
    fit, reason = fitted_line([10.0, 20.0], [100.0, 140.0], [5000, 6000])
    assert fit is None
    assert reason == "No line is fitted: 2 practices with data, and a line needs at least 10."
    fit, reason = fitted_line(np.arange(10.0), 3 + 2 * np.arange(10.0))
    assert reason == "" and fit["slope"] == pytest.approx(2) and fit["n"] == 10


# --- against a reference ----------------------------------------------------------------------------------
def test_against_reference_subtracts_before_rounding():
    # Area female life expectancy 81.24 against England 80.16: difference 1.08 → "1.1 years", whereas
    # rounding first (81.2 − 80.2) would say 1.0. Five practices at 80.24 … 82.24 (weighted mean 81.24).
    rows = frame([practice(f"A{i}", 100, quintile=1, le=80.24 + 0.5 * i) for i in range(5)])
    england = metrics.group_sums(frame([practice("E", 100, 10_000, quintile=1, le=80.16)]), None)
    c = inequality.against_reference(rows, "life_expectancy_female", england, "Placeshire")
    assert c.estimate == pytest.approx(1.08)
    # Linearised values (v − 81.24)·2,500/12,500 = (−0.2, −0.1, 0, 0.1, 0.2): variance 5/4 · 0.1 = 0.125.
    margin = stats.t_quantile(0.975, 4) * math.sqrt(0.125)
    assert c.low == pytest.approx(1.08 - margin) and c.high == pytest.approx(1.08 + margin)
    assert c.certainty == "clear"
    text = sentence(c)
    assert "81.2 years, 1.1 years longer than England (80.2 years;" in text
    # the gap metric compares the same thing: the same answer in the same words
    gap = inequality.against_reference(rows, "life_expectancy_gap_female", england, "Placeshire")
    assert sentence(gap) == text


# --- one writer ---------------------------------------------------------------------------------------------
def test_sentence_is_the_same_text_whoever_asks():
    c = fifth_gap(two_fifths([100, 110, 120, 130, 140], [60, 80, 100, 120, 140]), PAY,
                  scope="area", area_name="Anywhere")
    copied = dataclasses.replace(c)
    cached = pickle.loads(pickle.dumps(c))  # the area page caches its body pickled
    assert sentence(c) == sentence(copied) == sentence(cached)
    # the same numbers computed again from the same practices, as a second page or the PDF would
    again = fifth_gap(two_fifths([100, 110, 120, 130, 140], [60, 80, 100, 120, 140]), PAY,
                      scope="area", area_name="Anywhere")
    assert sentence(again) == sentence(c)
    assert isinstance(c, Comparison) and c.certainty in inequality.CERTAINTIES


def test_methods_text_covers_what_the_sentences_rely_on():
    text = inequality.METHODS
    for phrase in ("slope index of inequality", "RII", "delta-method", "Welch", "fifths of practices",
                   "fifths of patients", "England-wide fifths", "fifths within an area", "no clear difference"):
        assert phrase.lower() in text.lower(), phrase


def test_totals_are_refused_as_gaps():
    with pytest.raises(ValueError, match="total"):
        fifth_gap(two_fifths([100] * 5, [100] * 5), "total_payments")


# --- the shipped data ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def atlas():
    from dashboard.data.query import load_atlas

    return load_atlas()


def consistent(c: Comparison) -> None:
    """The certainty the engine reports is the one its interval implies."""
    if c.certainty in ("clear", "not clear"):
        assert c.low <= c.estimate <= c.high
        assert c.certainty == ("clear" if (c.low > 0 or c.high < 0) else "not clear")
        assert ("no clear" in sentence(c)) == (c.certainty == "not clear")
    else:
        assert math.isnan(c.estimate) and "confidence interval" not in sentence(c)


@pytest.mark.parametrize("code", ["E09000028", "E08000026"])
def test_real_areas_report_certainty_consistent_with_their_intervals(atlas, code):
    from dashboard.data import profiles

    year = atlas.latest_year
    practices = profiles.area_practices(atlas, code, year)
    name = atlas.area(code)["name"]
    national = atlas.year_practices(year)
    for scope in ("england", "area"):
        for fifths_of in ("patients", "practices"):
            consistent(fifth_gap(practices, PAY, scope, fifths_of, name, national=national))
    sii = inequality.slope_index(practices, PAY, name)
    assert sii.certainty in ("clear", "not clear") and sii.low <= sii.estimate <= sii.high
    assert ("no clear" in sentence(sii)) == (sii.certainty == "not clear")


def test_southwark_gap_and_slope_both_say_the_difference_is_not_clear(atlas):
    from dashboard.data import profiles

    year = atlas.latest_year
    practices = profiles.area_practices(atlas, "E09000028", year)
    gap = fifth_gap(practices, PAY, scope="area", area_name="Southwark")
    # the figures the page showed, now with their interval: £167.52 against £164.08, a gap of £3.44
    pay_table, _ = profiles.gradient_tables(atlas, practices, year)
    bars = pay_table[pay_table["group"] == "All practices"].set_index("band")["value"]
    assert (gap.groups[0].value, gap.groups[1].value) == (pytest.approx(bars[1]), pytest.approx(bars[5]))
    assert gap.certainty == "not clear" and "2.1%" not in sentence(gap)
    assert "fifths of patients within Southwark" in sentence(gap)
    assert inequality.slope_index(practices, PAY, "Southwark").certainty == "not clear"


def test_coventry_gets_a_within_area_comparison(atlas):
    from dashboard.data import profiles

    practices = profiles.area_practices(atlas, "E08000026", atlas.latest_year)
    national = fifth_gap(practices, PAY, scope="england", area_name="Coventry")
    assert national.certainty == "empty" and national.extra["empty"] == ("least deprived fifth",)
    local = fifth_gap(practices, PAY, scope="area", area_name="Coventry")
    assert local.certainty in ("clear", "not clear")
    assert all(g.practices >= inequality.MIN_PRACTICES and g.patients >= inequality.MIN_PATIENTS
               for g in local.groups)
    assert "fifths of patients within Coventry" in sentence(local)


def test_the_area_page_and_the_briefing_state_the_same_gap(atlas):
    """Southwark's page and PDF once disagreed ("2.1% more" against no caveat): both now print one sentence."""
    from dashboard.briefing import briefing_sentences
    from dashboard.data import profiles
    from dashboard.pages import area

    year = atlas.latest_year
    data = profiles.profile(atlas, "E09000028", year)
    practices = profiles.area_practices(atlas, "E09000028", year)
    # as dashboard/exports.briefing_materials builds the PDF's sentences
    pdf = briefing_sentences(data["name"], year, data["values"], data["england"],
                             profiles.payment_gap(practices, data["name"]))
    page = area.cached_body(atlas, "E09000028", year)

    def find(node, wanted):
        if getattr(node, "id", None) == wanted:
            return node
        children = getattr(node, "children", None) if not isinstance(node, list) else node
        for child in children if isinstance(children, list) else [children]:
            if child is not None and not isinstance(child, str) and (hit := find(child, wanted)) is not None:
                return hit
        return None

    shown = find(page, "area-gap").children
    assert shown in pdf
    assert "no clear difference" in shown and "fifths of patients within Southwark" in shown


def test_the_briefing_pdf_carries_the_engine_sentences(atlas):
    """The PDF itself (as downloaded) states Southwark's gap with its caveat and no bare '2.1% more'."""
    import io

    from pypdf import PdfReader

    from dashboard import exports
    from dashboard.briefing import _plain
    from dashboard.data import profiles

    year = atlas.latest_year
    practices = profiles.area_practices(atlas, "E09000028", year)
    materials = exports.briefing_materials(atlas, "E09000028", year)
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(materials["pdf"])).pages)
    gap = sentence(profiles.payment_gap(practices, "Southwark"))
    england = sentence(inequality.against_reference(practices, PAY, atlas.england_sums(year), "Southwark"))
    assert gap in materials["sentences"] and england in materials["sentences"]
    assert _plain(gap) in text and _plain(england) in text
    assert "2.1%" not in text
    assert "1.1 years longer than England's 83.3" in text  # the page's +1.1, not 1.2


# --- fifths of practices change the bands, the bars and the sentence together -------------------------------
def small_and_large() -> pd.DataFrame:
    """England of 50 practices, ranked by score 100 (most deprived) down: 25 small ones (1,000 patients, £100 per
    weighted patient), then 25 large (9,000 patients, £150). The shipped national fifths are fifths of patients."""
    rows = frame([practice(f"S{i:02}", 100.0, 1000, score=100.0 - i) for i in range(25)]
                 + [practice(f"L{i:02}", 150.0, 9000, score=75.0 - i) for i in range(25)])
    rows["imd_quintile"] = inequality.deprivation_bands(rows, "patients").astype("Int64")
    return rows


def test_fifths_of_practices_change_bands_bars_and_sentence_by_hand():
    # Of patients (250,000; 50,000 a fifth): every small practice (midpoints up to 24,500, share < .1) and the
    # first three large ones (midpoints 29,500 + 9,000j: 29,500, 38,500, 47,500) are in fifth 1; then large
    # j = 3 … 7 (midpoints < 100,000), 8 … 13 (< 150,000), 14 … 18 (< 200,000) and 19 … 24: 28, 5, 6, 5, 6.
    # Of practices: ten a fifth, so fifth 1 is ten small practices (10,000 patients) and fifth 5 ten large ones.
    from dashboard.data import aggregates

    rows = small_and_large()
    by_patients = inequality.bands_of(rows, "england", "patients")
    by_practices = inequality.bands_of(rows, "england", "practices")
    assert [int((by_patients == b).sum()) for b in range(1, 6)] == [28, 5, 6, 5, 6]
    assert [int((by_practices == b).sum()) for b in range(1, 6)] == [10] * 5

    patients_bars = aggregates.by_deprivation(rows, bands=by_patients).query("group == 'All practices'")
    practices_bars = aggregates.by_deprivation(rows, bands=by_practices).query("group == 'All practices'")
    # fifth 1 of patients: (25 × 1,000 × £100 + 3 × 9,000 × £150) / 52,000 = £125.96; of practices: £100 flat
    assert patients_bars["value"].iloc[0] == pytest.approx(6_550_000 / 52_000)
    assert practices_bars["value"].tolist()[0] == pytest.approx(100.0)
    assert practices_bars["value"].tolist()[4] == pytest.approx(150.0)

    said_patients = sentence(fifth_gap(rows, PAY, scope="england", fifths_of="patients"))
    gap = fifth_gap(rows, PAY, scope="england", fifths_of="practices")
    said_practices = sentence(gap)
    # the sentence's fifths are the bars' fifths: same values, same basis in its words
    assert [g.value for g in gap.groups] == pytest.approx([practices_bars["value"].iloc[0],
                                                           practices_bars["value"].iloc[4]])
    assert said_practices.startswith("Using England-wide fifths of practices, practices serving the most deprived "
                                     "fifth received £100.00 per weighted patient, £50.00 (33%) less than those "
                                     "serving the least deprived fifth (£150.00;")
    assert said_patients.startswith("Using England-wide fifths of patients, practices serving the most deprived "
                                    "fifth received £125.96 per weighted patient")

    # the trend and the components chart take the same bands
    trend = aggregates.trend_by_quintile(rows, PAY, bands=by_practices)
    assert trend["practices"].tolist() == [10] * 5 and trend["value"].iloc[0] == pytest.approx(100.0)
    parts = aggregates.components_by_quintile(rows, bands=by_practices)
    assert parts.groupby("band")["amount_per_weighted_patient"].sum()[1] == pytest.approx(100.0)


def test_a_money_sentence_names_the_variant_of_the_measure():
    """The explorer states the gap for whichever money measure is on the map, so the words say which."""
    rows = small_and_large()
    said = sentence(fifth_gap(rows, "payments_per_weighted_patient_excl_prescribing", fifths_of="practices"))
    assert "per weighted patient (excluding prescribing and dispensing)" in said

"""The one inequality engine: every comparison the Atlas states is computed here and written by `sentence`.

Why one module: the area page, the briefing PDF and the explorer used to compute "the gap" three ways (fifths
of England or of the area, rounding before or after subtracting) and to describe it three ways, so one place
said "2.1% more" while the slope index beside it said "£57.85 less" and neither said the difference was not
clear. Here a comparison is data (a `Comparison`) carrying its interval, its certainty and the rule that
decided it, and `sentence` is the only function that turns one into words. No Dash: it is tested on paper
examples and used by pages, exports and downloads alike.

Values are computed only through metrics.group_sums / metrics.compute, so the figure inside a sentence is
the figure on the bar, the map and in the download.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import metrics, stats

NAN = float("nan")
LEVEL = 0.95

# --- the small-number rule ---------------------------------------------------------------------------------
# A compared group needs at least this many practices with data and this many registered patients.
# Why 5 practices: the interval of a group is estimated from the scatter between its practices; with 2-4 the
# scatter itself is guesswork (1-3 degrees of freedom) and one unusual practice decides the answer (Southwark's
# middle fifth of patients is 2 practices, one of them 77,000 patients). Why 10,000 patients: about one
# average practice list; below it a "fifth" is a handful of tiny or atypical practices (walk-in centres,
# practices that closed in the year), whose money per patient is no guide to the patients of an area.
MIN_PRACTICES = 5
MIN_PATIENTS = 10_000
# A line (slope index, fitted trend on a scatter) needs at least this many practices: two points always fit a
# line perfectly ("R² = 1.00") and a handful cannot separate a gradient from one outlier.
MIN_LINE_PRACTICES = 10

CERTAINTIES = ("clear", "not clear", "too small", "empty", "no data", "exact")
KINDS = ("fifth_gap", "slope_index", "reference", "practice", "standardised")
BAND_NAMES = {5: ("fifth", "fifths"), 10: ("tenth", "tenths")}

SMALL_NUMBER_RULE = (
    f"A group is compared only if it has at least {MIN_PRACTICES} practices with data and "
    f"{MIN_PATIENTS:,} registered patients; a line (slope index or fitted trend) needs at least "
    f"{MIN_LINE_PRACTICES} practices. Below that the Atlas says the group is too small and gives no gap.")

METHODS = f"""\
How the Atlas compares the most and least deprived

Two ways of forming deprivation fifths. Practices are ranked by the deprivation (IMD score) of the \
neighbourhoods their patients live in. "Fifths of patients" cut that ranking so each fifth holds the same \
number of registered patients; "fifths of practices" cut it so each holds the same number of practices, as \
the Health Equity Evidence Centre's published analyses do. The two give different fifths when large and \
small practices sit at different ends of the ranking. "England-wide fifths" rank every practice in England \
in the year, so an area may have no practice in one of them (Coventry has none in England's least deprived \
fifth of patients); "fifths within an area" rank only that area's practices, so they always compare the \
area's own most and least deprived patients. Every statement names which fifths it uses. Tenths work the \
same way.

The gap between fifths. The value for a fifth is a ratio of sums: for payments per weighted patient, the \
money paid to the fifth's practices divided by their weighted patients (not an average of practice \
figures), the same number as on the bar chart. The gap is the most deprived fifth's value minus the least \
deprived fifth's. Its 95% confidence interval treats the practices of each fifth as a sample of practices \
like them: the variance of each fifth's ratio comes from how far each practice's money sits from what the \
ratio predicts for its list (the linearised, or delta-method, variance of a ratio estimator, with the usual \
n/(n − 1) correction); the two fifths' variances are added, and Student's t with Welch–Satterthwaite degrees \
of freedom gives the interval. A percentage gap is given only for money per patient and only when the \
difference is clear; shares are compared in percentage points, and life expectancy and deprivation scores \
in their own units.

An area against England or its region. The area's value is computed the same way and its interval is the \
ratio estimator's interval over the area's practices (Student's t on practices − 1 degrees of freedom). \
England's or the region's value is treated as known: it rests on many more practices.

Slope index of inequality (SII) and relative index (RII). These use every practice, not only the two end \
fifths. Practices are ordered from least to most deprived and each is placed at the midpoint of its share \
of registered patients (0 = least deprived patient, 1 = most deprived). A straight line is fitted through \
the practices' values, weighted by their registered patients; the SII is the line's value at the most \
deprived end minus its value at the least deprived end, so a negative SII means less for the more deprived. \
Its 95% interval uses the weighted least-squares standard error with Student's t on practices − 2 degrees \
of freedom. The RII is the SII divided by the average value.

When a difference is clear. A difference is called clear when its whole 95% interval is on one side of \
zero. When the interval includes zero the Atlas says there is no clear difference, and still gives the \
estimate with its interval. The intervals describe how much practices differ from one another, not errors \
in the published payments, which are complete counts.

Small numbers. {SMALL_NUMBER_RULE} If one of the compared fifths has no practice at all, the Atlas says \
which one, rather than comparing with the next fifth along.
"""


@dataclass(frozen=True)
class Group:
    """One side of a comparison, with what the small-number rule is judged on."""

    label: str  # "most deprived fifth", "Southwark", "England", "all practices"
    practices: int  # practices with data for the metric
    patients: float  # their registered patients
    value: float
    band: int | None = None


@dataclass(frozen=True)
class Comparison:
    """A stated comparison as data: what `sentence` writes, what a table shows, what a test pins.

    estimate/low/high are on the metric's scale (most minus least deprived; area minus reference; SII).
    relative/relative_low/relative_high: the percentage gap (fifth gap, reference) or the RII (slope index),
    NaN where not meaningful. certainty is one of CERTAINTIES and `reason` says why in words.
    """

    kind: str
    metric_id: str
    estimate: float
    low: float
    high: float
    level: float
    certainty: str
    reason: str
    groups: tuple[Group, ...]
    basis: str  # "England-wide fifths of patients", "fifths of practices within Southwark", ...
    area_name: str | None = None
    band_name: str = "fifth"
    relative: float = NAN
    relative_low: float = NAN
    relative_high: float = NAN
    practices: int = 0  # every practice used (slope index: the whole selection)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def metric(self) -> metrics.Metric:
        return metrics.REGISTRY[self.metric_id]

    @property
    def is_clear(self) -> bool:
        return self.certainty == "clear"


# --- deprivation bands -------------------------------------------------------------------------------------
def deprivation_bands(practices: pd.DataFrame, fifths_of: str = "patients", bands: int = 5) -> pd.Series:
    """Band 1 (most deprived) to `bands` for each practice, ranked among the practices given, year by year.

    Reuses the data build's own banding (cumulative midpoint share of the ranking) so "fifths of patients" here
    are exactly the fifths on the area page's charts; "fifths of practices" are the same cut with every
    practice counted as one. Practices without a score or without patients get no band (NaN).
    """
    from .data.practice_measures import assign_deprivation_bands

    _check_bands(bands)
    if fifths_of not in ("patients", "practices"):
        raise ValueError(f"fifths_of must be 'patients' or 'practices', not {fifths_of!r}")
    patients = pd.to_numeric(practices["registered_patients"], errors="coerce").fillna(0.0).astype(float)
    narrow = pd.DataFrame({
        "year": practices["year"].astype(str),
        "practice_code": practices["practice_code"].astype(str),
        "imd_score": pd.to_numeric(practices["imd_score"], errors="coerce").astype(float),
        # a practice counts once when forming fifths of practices, by its list when forming fifths of patients
        "registered_patients": patients if fifths_of == "patients" else (patients > 0).astype(float),
    }, index=practices.index)
    banded = assign_deprivation_bands(narrow)
    column = "imd_quintile" if bands == 5 else "imd_decile"
    return banded[column].astype("Float64").astype(float)


def bands_of(practices: pd.DataFrame, scope: str = "england", fifths_of: str = "patients", bands: int = 5,
             national: pd.DataFrame | None = None) -> pd.Series:
    """Each practice's band as the statements form it: the one rule every chart and sentence bands by.

    scope="england" of patients: the shipped imd_quintile/imd_decile (the data build's own England-wide
    fifths). scope="england" of practices: formed from `national` (every practice in England, any years; the
    ranking is year by year), or from the practices given when they are England. scope="area": the practices
    given, re-ranked among themselves. A chart that banded its bars any other way could disagree with the
    sentence printed under it; fifth_gap calls this too.
    """
    _check_bands(bands)
    if scope not in ("england", "area"):
        raise ValueError(f"scope must be 'england' or 'area', not {scope!r}")
    if scope == "area":
        return deprivation_bands(practices, fifths_of, bands)
    if fifths_of == "patients":
        band = pd.to_numeric(practices["imd_quintile" if bands == 5 else "imd_decile"], errors="coerce")
        return band.astype("Float64").astype(float)
    if fifths_of != "practices":
        raise ValueError(f"fifths_of must be 'patients' or 'practices', not {fifths_of!r}")
    national = practices if national is None else national
    return deprivation_bands(national, "practices", bands).reindex(practices.index)


def _check_bands(bands: int) -> None:
    if bands not in BAND_NAMES:
        raise ValueError(f"bands must be 5 (fifths) or 10 (tenths), not {bands!r}")


def basis_text(scope: str, fifths_of: str, bands: int = 5, area_name: str | None = None) -> str:
    """Which fifths a statement uses, in the words every statement uses."""
    plural = BAND_NAMES[bands][1]
    if scope == "england":
        return f"England-wide {plural} of {fifths_of}"
    return f"{plural} of {fifths_of} within {area_name or 'the selected practices'}"


# --- per-group values and their variance --------------------------------------------------------------------
def _base_metric(metric_id: str) -> str:
    """A gap-to-England metric compared between groups is its base metric: England's value cancels out."""
    if metric_id not in metrics.REGISTRY:
        raise KeyError(f"unknown metric {metric_id!r}")
    metric = metrics.REGISTRY[metric_id]
    if metric.unit in ("£", "count"):
        raise ValueError(f"{metric_id} is a total, not a rate: a gap between groups of different sizes means "
                         "nothing")
    return metric.gap_to or metric_id


@dataclass(frozen=True)
class _Estimate:
    value: float
    variance: float
    practices: int
    patients: float


def _estimate(practices: pd.DataFrame, metric_id: str) -> _Estimate:
    """A group's value (through metrics.row_sums/compute) and the linearised variance of that ratio of sums."""
    if practices.empty:
        return _Estimate(NAN, NAN, 0, 0.0)
    rows, patients = _rows(practices, metric_id)
    return _estimate_rows(rows, patients, metric_id)


def _rows(practices: pd.DataFrame, metric_id: str) -> tuple[np.ndarray, np.ndarray]:
    """Each practice's sums that `metric_id` reads (a row per practice) and its registered patients."""
    reads = list(metrics.REGISTRY[metric_id].reads)
    parts = metrics.row_sums(practices, {*reads, "registered_patients"})
    return parts[reads].to_numpy(dtype=float), parts["registered_patients"].to_numpy(dtype=float)


def _estimate_rows(rows: np.ndarray, patients: np.ndarray, metric_id: str) -> _Estimate:
    """_estimate on the group's rows of _rows: the group's sums are their column totals (exactly what
    group_sums adds up), so a comparison builds England's rows once rather than once per fifth, which keeps a
    comparison of every practice in England inside an interaction's time budget.

    The linearisation is taken from metrics.compute itself (a numerical gradient of the formula with respect
    to the group's sums), so the variance follows whatever formula the registry declares rather than a second
    copy of it. For a ratio A/B it is the textbook n/(n−1)·Σ((a_i − R·b_i)/B)².
    """
    reads = list(metrics.REGISTRY[metric_id].reads)
    if not len(rows):
        return _Estimate(NAN, NAN, 0, 0.0)
    contributing = (rows != 0).any(axis=1)
    n = int(contributing.sum())
    group_patients = float(patients[contributing].sum())
    base = rows.sum(axis=0)
    value = float(metrics.compute(metric_id, pd.DataFrame(base[None, :], columns=reads)).iloc[0])
    if n == 0 or not math.isfinite(value):
        return _Estimate(NAN, NAN, n, group_patients)
    if n < 2:
        return _Estimate(value, NAN, n, group_patients)
    steps = 1e-6 * np.maximum(np.abs(base), 1.0)
    shifted = np.repeat(base[None, :], 2 * len(reads), axis=0)
    for k, step in enumerate(steps):
        shifted[2 * k, k] += step
        shifted[2 * k + 1, k] -= step
    values = metrics.compute(metric_id, pd.DataFrame(shifted, columns=reads)).to_numpy(dtype=float)
    gradient = (values[0::2] - values[1::2]) / (2 * steps)
    z = rows[contributing] @ gradient
    variance = n / (n - 1) * float(np.sum((z - z.mean()) ** 2))
    return _Estimate(value, variance, n, group_patients)


def _t_interval(estimate: float, variance: float, df: float, level: float) -> tuple[float, float]:
    if not (math.isfinite(estimate) and math.isfinite(variance) and math.isfinite(df) and df > 0):
        return NAN, NAN
    margin = stats.t_quantile(0.5 + level / 2, df) * math.sqrt(max(variance, 0.0))
    return estimate - margin, estimate + margin


def _certainty_of_interval(low: float, high: float) -> tuple[str, str]:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no data", "the interval could not be computed"
    if low > 0 or high < 0:
        return "clear", "the whole interval is on one side of zero"
    return "not clear", "the interval includes zero"


def _too_small(groups: tuple[Group, ...]) -> str:
    small = [g for g in groups if g.practices < MIN_PRACTICES or g.patients < MIN_PATIENTS]
    return "; ".join(f"the {g.label} has {g.practices:,} practice{'' if g.practices == 1 else 's'} and "
                     f"{g.patients:,.0f} registered patients" for g in small)


def _percent_meaningful(metric: metrics.Metric) -> bool:
    """A percentage of money per patient reads naturally; of a share, a score or years it misleads."""
    return metric.unit == "£ per patient"


# --- most against least deprived fifth -------------------------------------------------------------------
def fifth_gap(practices: pd.DataFrame, metric_id: str = metrics.MAP_DEFAULT, scope: str = "england",
              fifths_of: str = "patients", area_name: str | None = None, bands: int = 5,
              national: pd.DataFrame | None = None, level: float = LEVEL) -> Comparison:
    """Most minus least deprived fifth (or tenth) of one year's practices, with its interval and certainty.

    scope="england": England-wide bands; of patients they are the shipped imd_quintile/imd_decile columns,
    of practices they are formed from every practice in England that year, so pass `national` (that year's
    practices) unless `practices` is England itself. scope="area": the practices given are re-ranked among
    themselves. The answer says which, so two pages using different fifths cannot look like a contradiction.
    """
    _check_bands(bands)
    if scope not in ("england", "area"):
        raise ValueError(f"scope must be 'england' or 'area', not {scope!r}")
    if fifths_of not in ("patients", "practices"):
        raise ValueError(f"fifths_of must be 'patients' or 'practices', not {fifths_of!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level!r}")
    if "year" in practices.columns and practices["year"].nunique() > 1:
        raise ValueError("fifth_gap compares one year: pass one year's practices")
    base = _base_metric(metric_id)
    single, plural = BAND_NAMES[bands]
    basis = basis_text(scope, fifths_of, bands, area_name)
    common = {"kind": "fifth_gap", "metric_id": metric_id, "level": level, "basis": basis,
              "area_name": area_name, "band_name": single,
              "extra": {"scope": scope, "fifths_of": fifths_of, "bands": bands}}

    if scope == "england" and fifths_of == "practices" and national is None and area_name is not None:
        raise ValueError("England-wide fifths of practices need `national`: every practice in England that year")
    if national is not None and "year" in practices.columns and len(practices):
        national = national[national["year"].astype(str) == str(practices["year"].iloc[0])]
    band = bands_of(practices, scope, fifths_of, bands, national)

    most_label, least_label = f"most deprived {single}", f"least deprived {single}"
    rows, patients = _rows(practices, base) if len(practices) else (np.zeros((0, 1)), np.zeros(0))
    band_values = band.to_numpy(dtype=float)
    most = _estimate_rows(rows[band_values == 1], patients[band_values == 1], base)
    least = _estimate_rows(rows[band_values == bands], patients[band_values == bands], base)
    groups = (Group(most_label, most.practices, most.patients, most.value, 1),
              Group(least_label, least.practices, least.patients, least.value, bands))
    n_banded = int(band.notna().sum())
    if n_banded == 0 or not (rows[~np.isnan(band_values)] != 0).any():
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="no data",
                          reason=f"no practice has both a deprivation {single} and a value for this measure",
                          groups=groups, practices=0, **common)
    empty = [label for label, b in ((most_label, 1), (least_label, bands)) if not (band == b).any()]
    if empty:
        where = f"{area_name}'s practices" if area_name else "the selected practices"
        common["extra"]["empty"] = tuple(empty)
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="empty",
                          reason=f"none of {where} is in the {' or the '.join(empty)}",
                          groups=groups, practices=n_banded, **common)
    missing = [g.label for g in groups if g.practices == 0]
    if missing:
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="no data",
                          reason=f"no practice in the {' or the '.join(missing)} has a value for this measure",
                          groups=groups, practices=n_banded, **common)
    small = _too_small(groups)
    if small:
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="too small", reason=small, groups=groups,
                          practices=n_banded, **common)

    gap = most.value - least.value
    variance = most.variance + least.variance
    denominator = (most.variance ** 2 / (most.practices - 1) + least.variance ** 2 / (least.practices - 1))
    df = variance ** 2 / denominator if denominator > 0 else float(most.practices + least.practices - 2)
    common["extra"]["df"] = df
    low, high = _t_interval(gap, variance, df, level)
    certainty, reason = _certainty_of_interval(low, high)
    relative = relative_low = relative_high = NAN
    if _percent_meaningful(metrics.REGISTRY[base]) and least.value > 0 and most.value > 0:
        # delta method on the ratio of the two fifths: Var(R1/R5) ≈ (R1/R5)²·(v1/R1² + v5/R5²)
        quotient = most.value / least.value
        spread = quotient * math.sqrt(most.variance / most.value ** 2 + least.variance / least.value ** 2)
        r_low, r_high = _t_interval(quotient, spread ** 2, df, level)
        relative, relative_low, relative_high = 100 * (quotient - 1), 100 * (r_low - 1), 100 * (r_high - 1)
    return Comparison(estimate=gap, low=low, high=high, certainty=certainty, reason=reason, groups=groups,
                      relative=relative, relative_low=relative_low, relative_high=relative_high,
                      practices=n_banded, **common)


# --- slope index -----------------------------------------------------------------------------------------
def slope_index(practices: pd.DataFrame, metric_id: str = metrics.MAP_DEFAULT, area_name: str | None = None,
                level: float = LEVEL) -> Comparison:
    """The slope index (and relative index) across every practice given, as a Comparison.

    Wraps stats.slope_index (the formula lives there) over each practice's own registry value, and applies the
    line rule, so a slope is never reported from a handful of practices.
    """
    from .data.aggregates import practice_values

    base = _base_metric(metric_id)
    frame = practices.assign(_value=practice_values(practices, base)) if len(practices) else \
        practices.assign(_value=pd.Series(dtype=float))
    result = stats.slope_index(frame, "_value", confidence=level) if len(frame) else {"n": 0, "sii": NAN}
    n = int(result["n"])
    used = frame[np.isfinite(pd.to_numeric(frame["_value"], errors="coerce").astype(float))
                 & np.isfinite(pd.to_numeric(frame["imd_score"], errors="coerce").astype(float))
                 & (pd.to_numeric(frame["registered_patients"], errors="coerce") > 0)] if len(frame) else frame
    patients = float(used["registered_patients"].sum()) if len(used) else 0.0
    label = area_name or "selected practices"
    groups = (Group(f"practices in {label}" if area_name else "selected practices", n, patients,
                    float(result.get("mean", NAN))),)
    common = {"kind": "slope_index", "metric_id": metric_id, "level": level,
              "basis": f"all practices in {area_name}" if area_name else "all selected practices",
              "area_name": area_name, "groups": groups, "practices": n,
              "extra": {"method": result.get("method", "")}}
    if n == 0:
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="no data",
                          reason="no practice has a deprivation score, patients and a value for this measure",
                          **common)
    if n < MIN_LINE_PRACTICES:
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="too small",
                          reason=f"{n:,} practice{'' if n == 1 else 's'}; a slope needs at least "
                                 f"{MIN_LINE_PRACTICES}", **common)
    if not math.isfinite(result["sii"]):
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="no data", reason=result["reason"], **common)
    certainty, reason = _certainty_of_interval(result["sii_low"], result["sii_high"])
    return Comparison(estimate=result["sii"], low=result["sii_low"], high=result["sii_high"], certainty=certainty,
                      reason=reason, relative=result["rii"], relative_low=result["rii_low"],
                      relative_high=result["rii_high"], **common)


# --- an area against a reference ---------------------------------------------------------------------------
def against_reference(practices: pd.DataFrame, metric_id: str, reference: pd.DataFrame,
                      area_name: str, reference_name: str = "England", level: float = LEVEL) -> Comparison:
    """An area's value minus England's (or its region's), subtracted before rounding, with an interval.

    `reference` is the reference's group sums (one row, e.g. Atlas.england_sums(year)). The interval is the
    ratio estimator's over the area's practices; the reference is treated as known (it rests on many more).
    Subtracting unrounded values once, here, is what stops a page showing +1.1 years and a PDF 1.2.
    """
    base = _base_metric(metric_id)
    area = _estimate(practices, base)
    reference_value = float(metrics.compute(base, reference).iloc[0])
    groups = (Group(area_name, area.practices, area.patients, area.value),
              Group(reference_name, 0, float(reference["registered_patients"].iloc[0]), reference_value))
    common = {"kind": "reference", "metric_id": metric_id, "level": level, "groups": groups,
              "basis": f"{area_name} against {reference_name}", "area_name": area_name,
              "practices": area.practices, "extra": {"reference_name": reference_name}}
    if area.practices == 0 or not (math.isfinite(area.value) and math.isfinite(reference_value)):
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="no data",
                          reason=f"{area_name if area.practices == 0 else reference_name} has no value for this "
                                 "measure", **common)
    small = _too_small(groups[:1])
    if small:
        return Comparison(estimate=area.value - reference_value, low=NAN, high=NAN, certainty="too small",
                          reason=small, **common)
    gap = area.value - reference_value
    low, high = _t_interval(gap, area.variance, area.practices - 1, level)
    certainty, reason = _certainty_of_interval(low, high)
    relative = relative_low = relative_high = NAN
    if _percent_meaningful(metrics.REGISTRY[base]) and reference_value > 0:
        relative, relative_low, relative_high = (100 * x / reference_value for x in (gap, low, high))
    return Comparison(estimate=gap, low=low, high=high, certainty=certainty, reason=reason, relative=relative,
                      relative_low=relative_low, relative_high=relative_high, **common)


# --- one practice against a group ---------------------------------------------------------------------------
def practice_against_reference(practice: pd.DataFrame, metric_id: str, reference: pd.DataFrame,
                               practice_name: str, reference_name: str) -> Comparison:
    """One practice's value minus a group's (its ICB, England, its peers), subtracted before rounding.

    Why not against_reference: that treats an area's practices as a sample and refuses groups under the
    small-number rule, so for one practice it would only ever say "too small". A practice's payments are a
    complete count, not an estimate, so its difference from a group is stated as it is ("exact"), with no
    interval; the group's value is a ratio of its sums, the same figure as on its area page.
    """
    base = _base_metric(metric_id)
    sums = metrics.group_sums(practice, None, [base])
    value = float(metrics.compute(base, sums).iloc[0]) if len(practice) else NAN
    reference_value = float(metrics.compute(base, reference).iloc[0])
    groups = (Group(practice_name, int(len(practice)), float(sums["registered_patients"].iloc[0]), value),
              Group(reference_name, 0, float(reference["registered_patients"].iloc[0]), reference_value))
    common = {"kind": "practice", "metric_id": metric_id, "level": NAN, "groups": groups,
              "basis": f"{practice_name} against {reference_name}", "area_name": practice_name,
              "practices": int(len(practice)), "extra": {"reference_name": reference_name}}
    if not (math.isfinite(value) and math.isfinite(reference_value)):
        who = practice_name if not math.isfinite(value) else reference_name
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="no data",
                          reason=f"{who} has no value for this measure", **common)
    gap = value - reference_value
    relative = 100 * gap / reference_value if _percent_meaningful(metrics.REGISTRY[base]) and reference_value > 0 \
        else NAN
    return Comparison(estimate=gap, low=gap, high=gap, certainty="exact",
                      reason="one practice's payments are a complete count, not an estimate", relative=relative,
                      **common)


# --- a fitted line on a scatter ------------------------------------------------------------------------------
def fitted_line(x, y, weights=None, min_practices: int = MIN_LINE_PRACTICES,
                noun: str = "practice") -> tuple[dict | None, str]:
    """(fit, "") or (None, why not): below `min_practices` points no line is drawn and no R² is shown.

    Two practices always lie on a line (R² = 1.00) and a few cannot tell a gradient from one unusual practice,
    so the refusal is part of the answer rather than left to each chart.
    """
    from .data.aggregates import fit_line

    fit = fit_line(x, y, weights)
    n = int(fit["n"])
    if n < min_practices:
        return None, (f"No line is fitted: {n:,} {noun}{'' if n == 1 else 's'} with data, and a line needs at "
                      f"least {min_practices}.")
    if not math.isfinite(fit["slope"]):
        return None, f"No line is fitted: every {noun} has the same deprivation score."
    return fit, ""


# --- the one writer -----------------------------------------------------------------------------------------
def fmt(metric: metrics.Metric, value: float) -> str:
    """A value in the metric's own format (registry decimals, one minus sign)."""
    return metric.format(value)


def fmt_difference(metric: metrics.Metric, value: float) -> str:
    """A difference: shares in percentage points, everything else in the metric's own format."""
    if metric.unit == "%":
        return metrics.format_value(value, "score", max(metric.decimals, 1)) + " percentage points"
    return metric.format(value)


def _percent(value: float) -> str:
    size = abs(value)
    return f"{size:.0f}%" if round(size) >= 10 else f"{size:.1f}%"


def _name(metric: metrics.Metric) -> str:
    """'payments per weighted patient', 'female life expectancy': the measure inside a sentence."""
    head, _, qualifier = metric.label.partition(", ")
    lower = head[0].lower() + head[1:] if not head[:3].isupper() else head
    if metric.unit == "£ per patient" or not qualifier:
        return lower + (f", {qualifier}" if qualifier else "")
    return f"{qualifier} {lower}"


def _per(metric: metrics.Metric) -> str:
    """'per weighted patient', or 'per registered patient (excluding prescribing and dispensing)': a money
    sentence names the variant of the measure, since the explorer states one for whichever measure is chosen."""
    qualifier = metric.label.partition(", ")[2]
    return f"{metric.per} ({qualifier})" if qualifier else metric.per


def _words(metric: metrics.Metric, value: float) -> str:
    if metric.unit == "£ per patient":
        return "more" if value > 0 else "less"
    if metric.id.startswith("life_expectancy"):
        return "longer" if value > 0 else "shorter"
    return "higher" if value > 0 else "lower"


def _interval(metric: metrics.Metric, low: float, high: float, level: float) -> str:
    return f"{level * 100:g}% confidence interval {fmt_difference(metric, low)} to {fmt_difference(metric, high)}"


def _same_side_interval(metric: metrics.Metric, low: float, high: float, level: float) -> str:
    """A clear interval in the direction of the estimate ('£1.00 to £6.00 less'), no signs to untangle."""
    a, b = sorted((abs(low), abs(high)))
    return (f"{level * 100:g}% confidence interval {fmt_difference(metric, a)} to {fmt_difference(metric, b)} "
            f"{_words(metric, low)}")


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def sentence(comparison: Comparison) -> str:
    """The one sentence for a comparison: every page, PDF and download calls this and nothing else.

    It names the fifths used, says "no clear difference" when the interval includes zero (still giving the
    estimate and its interval), says a group is too small rather than giving a gap, and names an empty fifth.
    """
    writer = {"fifth_gap": _fifth_sentence, "slope_index": _slope_sentence, "reference": _reference_sentence,
              "practice": _practice_sentence, "standardised": _standardised_sentence}
    return writer[comparison.kind](comparison)


def _fifth_sentence(c: Comparison) -> str:
    metric = metrics.REGISTRY[_base_metric(c.metric_id)]
    most, least = c.groups
    scope = c.extra.get("scope")
    opening = f"Using {c.basis}"
    if scope == "england" and c.area_name:
        opening = f"For practices in {c.area_name}, using {c.basis}"
    part = c.band_name
    if c.certainty == "no data":
        return f"{opening}, there are no data to compare the most and least deprived {part}s: {c.reason}."
    if c.certainty == "empty":
        return (f"{opening}, {_name(metric)} cannot be compared between the most and least deprived {part}s: "
                f"{c.reason}.")
    if c.certainty == "too small":
        return (f"{opening}, {_name(metric)} cannot be compared between the most and least deprived {part}s "
                f"because too few practices are in them: {c.reason} (a {part} needs at least "
                f"{_plural(MIN_PRACTICES, 'practice')} and {MIN_PATIENTS:,} registered patients), so no gap is "
                f"given.")
    if c.certainty == "not clear":
        return (f"{opening}, there is no clear difference in {_name(metric)} between practices serving the most "
                f"deprived {part} ({fmt(metric, most.value)}) and the least deprived {part} "
                f"({fmt(metric, least.value)}): most minus least deprived is {fmt_difference(metric, c.estimate)} "
                f"({_interval(metric, c.low, c.high, c.level)}), an interval that includes zero.")
    size, word = fmt_difference(metric, abs(c.estimate)), _words(metric, c.estimate)
    share = f" ({_percent(c.relative)})" if math.isfinite(c.relative) else ""
    interval = _same_side_interval(metric, c.low, c.high, c.level)
    if metric.unit == "£ per patient":
        return (f"{opening}, practices serving the most deprived {part} received {fmt(metric, most.value)} "
                f"{_per(metric)}, {size}{share} {word} than those serving the least deprived {part} "
                f"({fmt(metric, least.value)}; {interval}).")
    return (f"{opening}, {_name(metric)} for practices serving the most deprived {part} was "
            f"{fmt(metric, most.value)}, {size}{share} {word} than for those serving the least deprived {part} "
            f"({fmt(metric, least.value)}; {interval}).")


def _slope_sentence(c: Comparison) -> str:
    metric = metrics.REGISTRY[_base_metric(c.metric_id)]
    where = f"the {_plural(c.practices, 'practice')} in {c.area_name}" if c.area_name else \
        f"the {_plural(c.practices, 'selected practice')}"
    if c.certainty == "no data":
        return f"There are no data for a slope index of inequality in {_name(metric)}: {c.reason}."
    if c.certainty == "too small":
        return (f"With only {where}, there are too few practices for a slope index of inequality in "
                f"{_name(metric)} (at least {MIN_LINE_PRACTICES} are needed), so none is given.")
    head = (f"Across {where}, the slope index of inequality in {_name(metric)} is "
            f"{fmt_difference(metric, c.estimate)} ({_interval(metric, c.low, c.high, c.level)})")
    if c.certainty == "not clear":
        return f"{head}, an interval that includes zero, so there is no clear gradient with deprivation."
    return (f"{head}: the fitted line is {fmt_difference(metric, abs(c.estimate))} {_words(metric, c.estimate)} "
            f"at the most deprived end than at the least deprived end.")


def _reference_sentence(c: Comparison) -> str:
    metric = metrics.REGISTRY[_base_metric(c.metric_id)]
    area, reference = c.groups
    if c.certainty == "no data":
        return f"There are no data to compare {_name(metric)} in {area.label} with {reference.label}: {c.reason}."
    if c.certainty == "too small":
        return (f"{area.label} is too small to compare {_name(metric)} with {reference.label} ({c.reason}; at least "
                f"{_plural(MIN_PRACTICES, 'practice')} and {MIN_PATIENTS:,} registered patients are needed).")
    if c.certainty == "not clear":
        return (f"There is no clear difference in {_name(metric)} between practices in {area.label} "
                f"({fmt(metric, area.value)}) and {reference.label} ({fmt(metric, reference.value)}): "
                f"{area.label} minus {reference.label} is {fmt_difference(metric, c.estimate)} "
                f"({_interval(metric, c.low, c.high, c.level)}), an interval that includes zero.")
    size, word = fmt_difference(metric, abs(c.estimate)), _words(metric, c.estimate)
    share = f" ({_percent(c.relative)})" if math.isfinite(c.relative) else ""
    interval = _same_side_interval(metric, c.low, c.high, c.level)
    if metric.unit == "£ per patient":
        return (f"Practices in {area.label} received {fmt(metric, area.value)} {metric.per}, {size}{share} {word} "
                f"than {reference.label} ({fmt(metric, reference.value)}; {interval}).")
    name = _name(metric)
    return (f"{name[0].upper()}{name[1:]} for practices in {area.label} was {fmt(metric, area.value)}, {size} "
            f"{word} than {reference.label} ({fmt(metric, reference.value)}; {interval}).")


def _practice_sentence(c: Comparison) -> str:
    """No interval and no "clear": a single practice's money is counted, not sampled (see
    practice_against_reference). A difference that rounds to nothing is said to be about the same."""
    metric = metrics.REGISTRY[_base_metric(c.metric_id)]
    practice, reference = c.groups
    if c.certainty == "no data":
        return f"There are no data to compare {_name(metric)} at {practice.label} with {reference.label}: {c.reason}."
    said = (f"{practice.label} received {fmt(metric, practice.value)} {metric.per}" if metric.unit == "£ per patient"
            else f"{_name(metric)[0].upper()}{_name(metric)[1:]} at {practice.label} was {fmt(metric, practice.value)}")
    than = f"{reference.label} ({fmt(metric, reference.value)})"
    if fmt_difference(metric, abs(c.estimate)) == fmt_difference(metric, 0.0):
        return f"{said}, about the same as {than}."
    share = f" ({_percent(c.relative)})" if math.isfinite(c.relative) else ""
    return f"{said}, {fmt_difference(metric, abs(c.estimate))}{share} {_words(metric, c.estimate)} than {than}."


# === Comparisons added for the fairness page and the spine chart (issue 12, items 4-6) ========================
# Kept together at the end so they read as one addition: areas against the value expected for their
# deprivation, dispensing against non-dispensing practices like for like, and an area's mark against England.

# --- dispensing against non-dispensing practices, like for like -------------------------------------------
STANDARDISED_STRATA = ("rurality", "imd_quintile")

STANDARDISED_METHOD = (
    "Dispensing practices are compared with non-dispensing practices of the same rurality (the publisher's urban "
    "or rural flag) and the same England-wide deprivation fifth of patients, so the comparison is not just "
    "between rural, affluent practices and urban, deprived ones. This is direct standardisation: in each "
    "rurality × fifth cell both groups' values are computed as ratios of sums, and the non-dispensing values are "
    "averaged with the weights of the dispensing practices' own patients in each cell (the measure's "
    "denominator, weighted patients), which gives what non-dispensing practices would receive with the "
    "dispensing practices' mix. The dispensing practices' value over the same cells is their ordinary value. "
    f"A cell is used only if each group in it has at least {MIN_PRACTICES} practices with data and "
    f"{MIN_PATIENTS:,} registered patients; cells that fail are left out of both sides and the share of "
    "dispensing practices' patients covered is stated. The 95% interval adds each cell's ratio-estimator "
    "variances with the squared cell weights (Welch–Satterthwaite degrees of freedom), treating practices as a "
    "sample of practices like them. Practices whose dispensing status is unknown are left out.")


def _cell_key(practices: pd.DataFrame, strata) -> pd.Series:
    """'Rural|1' for each practice with every stratum known, missing otherwise."""
    present = np.ones(len(practices), dtype=bool)
    key = pd.Series("", index=practices.index, dtype=object)
    for number, stratum in enumerate(strata):
        column = practices[stratum]
        present &= column.notna().to_numpy()
        key = key + ("|" if number else "") + column.astype(object).astype(str)
    return key.where(present)


def standardised_difference(practices: pd.DataFrame, metric_id: str = metrics.MAP_DEFAULT,
                            area_name: str | None = None, strata: tuple[str, ...] = STANDARDISED_STRATA,
                            level: float = LEVEL) -> Comparison:
    """Dispensing practices' value minus non-dispensing practices' value at the dispensing practices' own mix
    of rurality and deprivation fifth (direct standardisation), with its interval and certainty.

    Why: the Health Equity Evidence Centre argue that the gap between deprivation fifths is driven by
    dispensing practices, which are mostly rural and in affluent areas. A crude dispensing against
    non-dispensing difference cannot separate dispensing from rurality and deprivation; comparing within the
    same cells, weighted to one group's patients, can. The cells, which were used and why not, and the crude
    difference ride along in `extra` so the page's table is the arithmetic behind the sentence.
    """
    base = _base_metric(metric_id)
    reads = metrics.REGISTRY[base].reads
    weight_column = reads[-1]  # the measure's denominator: the dispensing group's value is then its own ratio
    status = practices["dispensing"].astype(str)
    known = practices[status.isin(["Yes", "No"])]
    key = _cell_key(known, strata)
    known = known[key.notna()]
    key = key[key.notna()]
    rows = []
    for cell in sorted(key.unique()):
        in_cell = known[key == cell]
        row = dict(zip(strata, cell.split("|"), strict=True))
        for group, flag in (("dispensing", "Yes"), ("non_dispensing", "No")):
            part = in_cell[in_cell["dispensing"].astype(str) == flag]
            estimate = _estimate(part, base)
            weight = float(metrics.group_sums(part, None, [base])[weight_column].iloc[0]) if len(part) else 0.0
            row.update({f"{group}_value": estimate.value, f"{group}_variance": estimate.variance,
                        f"{group}_practices": estimate.practices, f"{group}_patients": estimate.patients,
                        f"{group}_weight": weight})
        small = [label for label, group in (("dispensing", "dispensing"), ("non-dispensing", "non_dispensing"))
                 if row[f"{group}_practices"] < MIN_PRACTICES or row[f"{group}_patients"] < MIN_PATIENTS]
        row["used"] = not small and all(math.isfinite(row[f"{g}_value"]) for g in ("dispensing", "non_dispensing"))
        row["why_not"] = "" if row["used"] else (f"too few {' and '.join(small)} practices" if small else "no value")
        rows.append(row)
    cells = pd.DataFrame(rows)
    crude = {}
    for group, flag in (("dispensing", "Yes"), ("non_dispensing", "No")):
        crude[group] = _estimate(known[known["dispensing"].astype(str) == flag], base).value
    total_weight = float(cells["dispensing_weight"].sum()) if len(cells) else 0.0
    used = cells[cells["used"]] if len(cells) else cells
    weight = float(used["dispensing_weight"].sum()) if len(used) else 0.0
    coverage = weight / total_weight if total_weight > 0 else NAN
    where = f"in {area_name}" if area_name else "in the selection"
    extra = {"cells": cells, "crude": crude, "coverage": coverage, "strata": strata,
             "cells_used": int(len(used)), "cells_total": int(len(cells))}
    n_d = int(used["dispensing_practices"].sum()) if len(used) else 0
    n_n = int(used["non_dispensing_practices"].sum()) if len(used) else 0
    common = {"kind": "standardised", "metric_id": metric_id, "level": level, "area_name": area_name,
              "basis": "dispensing against non-dispensing practices within the same rurality and England-wide "
                       "deprivation fifth of patients", "extra": extra, "practices": n_d + n_n}
    if not len(cells) or not (cells["dispensing_practices"] > 0).any():
        groups = (Group("dispensing practices", 0, 0.0, NAN), Group("non-dispensing practices", 0, 0.0, NAN))
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="no data", groups=groups,
                          reason=f"there are no dispensing practices with data {where}", **common)
    if used.empty or weight <= 0:
        groups = (Group("dispensing practices", int(cells["dispensing_practices"].sum()),
                        float(cells["dispensing_patients"].sum()), crude["dispensing"]),
                  Group("non-dispensing practices", int(cells["non_dispensing_practices"].sum()),
                        float(cells["non_dispensing_patients"].sum()), crude["non_dispensing"]))
        return Comparison(estimate=NAN, low=NAN, high=NAN, certainty="too small", groups=groups,
                          reason=f"no rurality and deprivation-fifth cell {where} has enough of both kinds of "
                                 "practice", **common)
    share = used["dispensing_weight"].to_numpy(dtype=float) / weight
    dispensing = float(np.sum(share * used["dispensing_value"].to_numpy(dtype=float)))
    standardised = float(np.sum(share * used["non_dispensing_value"].to_numpy(dtype=float)))
    groups = (Group("dispensing practices", n_d, float(used["dispensing_patients"].sum()), dispensing),
              Group("non-dispensing practices at the dispensing practices' mix", n_n,
                    float(used["non_dispensing_patients"].sum()), standardised))
    parts = np.concatenate([share ** 2 * used["dispensing_variance"].to_numpy(dtype=float),
                            share ** 2 * used["non_dispensing_variance"].to_numpy(dtype=float)])
    counts = np.concatenate([used["dispensing_practices"].to_numpy(dtype=float),
                             used["non_dispensing_practices"].to_numpy(dtype=float)])
    variance = float(np.sum(parts))
    denominator = float(np.sum(parts ** 2 / (counts - 1)))
    df = variance ** 2 / denominator if denominator > 0 else float(np.sum(counts) - 2)
    extra["df"] = df
    gap = dispensing - standardised
    low, high = _t_interval(gap, variance, df, level)
    certainty, reason = _certainty_of_interval(low, high)
    relative = relative_low = relative_high = NAN
    if _percent_meaningful(metrics.REGISTRY[base]) and standardised > 0:
        relative, relative_low, relative_high = (100 * x / standardised for x in (gap, low, high))
    return Comparison(estimate=gap, low=low, high=high, certainty=certainty, reason=reason, groups=groups,
                      relative=relative, relative_low=relative_low, relative_high=relative_high, **common)


def _standardised_sentence(c: Comparison) -> str:
    metric = metrics.REGISTRY[_base_metric(c.metric_id)]
    where = f" in {c.area_name}" if c.area_name else ""
    if c.certainty == "no data":
        return f"Dispensing practices{where} cannot be compared like for like on {_name(metric)}: {c.reason}."
    if c.certainty == "too small":
        return (f"Dispensing practices{where} cannot be compared like for like with non-dispensing practices on "
                f"{_name(metric)}: {c.reason} (each group in a rurality and deprivation-fifth cell needs at least "
                f"{_plural(MIN_PRACTICES, 'practice')} and {MIN_PATIENTS:,} registered patients), so no "
                f"difference is given.")
    dispensing, standardised = c.groups
    crude = c.extra["crude"]
    crude_gap = crude["dispensing"] - crude["non_dispensing"]
    coverage = c.extra["coverage"]
    cover = (f" The comparison uses {c.extra['cells_used']} of {c.extra['cells_total']} rurality and "
             f"deprivation-fifth cells, holding {_percent(100 * coverage)} of dispensing practices' patients.")
    unadjusted = (f" Without matching, dispensing practices received {fmt(metric, crude['dispensing'])} and "
                  f"non-dispensing practices {fmt(metric, crude['non_dispensing'])}, a difference of "
                  f"{fmt_difference(metric, crude_gap)}." if math.isfinite(crude_gap) else "")
    opening = (f"Comparing like with like{where} (the same rurality and England-wide deprivation fifth, weighted "
               f"to the dispensing practices' own mix)")
    if c.certainty == "not clear":
        return (f"{opening}, there is no clear difference in {_name(metric)} between dispensing practices "
                f"({fmt(metric, dispensing.value)}) and non-dispensing practices ({fmt(metric, standardised.value)}): "
                f"dispensing minus non-dispensing is {fmt_difference(metric, c.estimate)} "
                f"({_interval(metric, c.low, c.high, c.level)}), an interval that includes zero.{unadjusted}{cover}")
    size, word = fmt_difference(metric, abs(c.estimate)), _words(metric, c.estimate)
    share = f" ({_percent(c.relative)})" if math.isfinite(c.relative) else ""
    interval = _same_side_interval(metric, c.low, c.high, c.level)
    if metric.unit == "£ per patient":
        said = (f"dispensing practices received {fmt(metric, dispensing.value)} {metric.per}, {size}{share} {word} "
                f"than non-dispensing practices would at the same mix ({fmt(metric, standardised.value)}; {interval})")
    else:
        said = (f"{_name(metric)} for dispensing practices was {fmt(metric, dispensing.value)}, {size} {word} than "
                f"for non-dispensing practices at the same mix ({fmt(metric, standardised.value)}; {interval})")
    return f"{opening}, {said}.{unadjusted}{cover}"


# --- areas against the value expected for their deprivation ---------------------------------------------
# What a line's slope is per: (the words for one step along it, the size of that step).
DEPRIVATION_ALONG = ("each point of deprivation (IMD score)", 1.0)
MINORITY_ALONG = ("each 10 percentage points more residents in ethnic groups other than White (Census 2021)", 10.0)


def expected_sentence(fit: dict | None, reason: str, metric_id: str, areas: str, below: tuple | None = None,
                      above: tuple | None = None, along: tuple[str, float] = DEPRIVATION_ALONG) -> str:
    """What the line through the areas says, and which areas sit furthest below and above it.

    `areas` is the plural noun with its count ("42 Integrated Care Boards"); below/above are (name,
    difference) for the areas furthest from their expected value. The expected value is a description of
    how funding and deprivation go together across areas, not a target, so the sentence says "expected for
    its deprivation" and never "should".
    """
    metric = metrics.REGISTRY[_base_metric(metric_id)]
    if fit is None:
        return f"Across the {areas}, {reason[0].lower()}{reason[1:]} So no value is expected for any area."
    step, size = along
    slope = fit["slope"] * size
    per_point = fmt_difference(metric, abs(slope))
    direction = ("more" if slope > 0 else "less") if metric.unit == "£ per patient" else \
        ("higher" if slope > 0 else "lower")
    text = (f"Across the {areas}, {step} goes with {per_point} {direction} in "
            f"{_name(metric)} on the line weighted by registered patients (R² = {fit['r2']:.2f}).")
    if below is not None and below[1] < 0:
        text += (f" {below[0]} is furthest below the value expected for its deprivation, by "
                 f"{fmt_difference(metric, abs(below[1]))}.")
    if above is not None and above[1] > 0:
        text += (f" {above[0]} is furthest above it, by {fmt_difference(metric, abs(above[1]))}.")
    return text


# --- an area's mark against England (Fingertips-style) ----------------------------------------------------
MARKS = ("better", "similar", "worse", "higher", "lower", "not compared")


def mark(comparison: Comparison) -> str:
    """Better / similar / worse than the reference where the measure has a direction (Metric.higher_is), higher
    / similar / lower where it has none (money is not better for being more), "not compared" where the engine
    gives no interval (too small, no data), as Fingertips marks an area against England."""
    if comparison.certainty == "not clear":
        return "similar"
    if comparison.certainty != "clear":
        return "not compared"
    up = comparison.estimate > 0
    direction = metrics.REGISTRY[comparison.metric_id].higher_is
    if direction == "better":
        return "better" if up else "worse"
    if direction == "worse":
        return "worse" if up else "better"
    return "higher" if up else "lower"

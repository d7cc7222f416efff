"""Funding what-if: how one year's money would fall under a simpler rule. An illustration, not a proposal.

Pure pandas (no Dash). Each rule gives every practice a `scenario` amount beside its `baseline`; the
redistributing rules share out exactly the money that was paid, so areas can only gain what others
lose. Per-weighted-patient figures count practices with weighted patients, as the registry's
per-patient metrics count practices with patients, so a baseline here is the number on the map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .dimensions import LEVELS

QUINTILES = range(1, 6)
# The page's slider: an uplift outside it is still computable but is not what anyone asked the page for.
UPLIFT_MIN, UPLIFT_MAX, UPLIFT_DEFAULT = 0, 20, 5
AREA_COLUMNS = tuple(level.code_column for level in LEVELS if level.code_column)  # dimensions.LEVELS

RULES: dict[str, dict] = {
    "national_average": {
        "label": "Same amount per weighted patient everywhere",
        "description": (
            "Every practice with weighted patients is paid England's average per weighted patient for the "
            "year (the money paid to those practices ÷ their weighted patients). The total is unchanged: "
            "money moves from practices paid above the average to those paid below it."),
        "caveats": (
            "Weighted patients come from the Carr-Hill formula, which already adjusts list size for age, "
            "sex, need and rurality; this rule trusts it completely. It ignores why payments differ today "
            "(premises costs, dispensing, enhanced services chosen locally, QOF achievement, PMS and APMS "
            "contracts), so it shows the size of today's differences rather than a fair allocation. "
            "Practices with no weighted patients (mostly those that closed during the year) keep what "
            "they were paid and take no part."),
        "conserves_total": True,
    },
    "exclude_prescribing": {
        "label": "Leave out prescribing and dispensing",
        "description": (
            "Each practice keeps its payments minus prescribing fees, dispensing fees and reimbursement of "
            "drugs. The total falls by exactly that money; nothing is shared out again."),
        "caveats": (
            "This money pays for supplying medicines, mostly by dispensing practices in rural areas, where "
            "patients would otherwise use a pharmacy that is paid separately. Leaving it out compares "
            "the money for general medical services, not what the NHS spends on those patients."),
        "conserves_total": False,
    },
    "deprivation_uplift": {
        "label": "Extra weight for deprivation",
        "description": (
            "Like the national average rule, but each weighted patient counts for more the more deprived "
            "their practice: the least deprived fifth (quintile 5) has factor 1 and each fifth more "
            "deprived multiplies it by (1 + uplift), so quintile q has factor (1 + uplift)^(5 − q). "
            "Practices without a deprivation fifth get factor 1. The amounts are then scaled so the "
            "national total is unchanged."),
        "caveats": (
            "The uplift is a dial to explore, not an estimate of extra need: Carr-Hill already adds some "
            "weight for need, so this counts deprivation again. Fifths are national, patient-weighted and "
            "based on the practice's IMD score, which averages over patients who differ. Practices with no "
            "weighted patients keep what they were paid and take no part."),
        "conserves_total": True,
    },
}


def apply_rule(practices: pd.DataFrame, rule: str, uplift_percent: float = 0.0,
               base: str = "total_payments") -> pd.DataFrame:
    """A copy of one year's practices with `baseline` (the `base` column), `scenario` and `change` (£).

    uplift_percent is used only by deprivation_uplift (per quintile step; must exceed −100). A missing
    base amount counts as £0. attrs: rule, uplift_percent, base, pot (money shared out; NaN when the
    rule shares nothing out) and rate (£ per weighted patient at factor 1).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    if "year" in practices.columns and practices["year"].astype(str).nunique() > 1:
        raise ValueError("apply_rule works on one year's practices; select a single year first")
    uplift = float(uplift_percent)
    if rule == "deprivation_uplift" and not (np.isfinite(uplift) and uplift > -100):
        raise ValueError(f"uplift_percent must be a number above -100, not {uplift_percent!r}")

    result = practices.copy()
    baseline = pd.to_numeric(result[base], errors="coerce").astype(float).fillna(0.0)
    result["baseline"] = baseline
    pot, rate = np.nan, np.nan
    if rule == "exclude_prescribing":
        prescribing = pd.to_numeric(result["pay_prescribing_dispensing"], errors="coerce").astype(float)
        scenario = baseline - prescribing.fillna(0.0)
    else:
        weighted = _weighted(result)
        eligible = weighted > 0
        factor = _uplift_factor(result, uplift) if rule == "deprivation_uplift" else pd.Series(1.0, result.index)
        share = (weighted * factor).where(eligible, 0.0)
        pot = float(baseline[eligible].sum())
        total_share = float(share.sum())
        rate = pot / total_share if total_share > 0 else np.nan
        scenario = baseline.copy()
        if total_share > 0:  # each practice's fraction of the pot first, so tiny or huge lists cannot overflow
            scenario[eligible] = pot * (share[eligible] / total_share)
    result["scenario"] = scenario
    result["change"] = result["scenario"] - result["baseline"]
    result.attrs.update(rule=rule, uplift_percent=uplift if rule == "deprivation_uplift" else 0.0, base=base,
                        pot=pot, rate=rate)
    return result


def clamp_uplift(value, default: int = UPLIFT_DEFAULT) -> tuple[int | None, str | None]:
    """(whole-percent uplift within the slider's range, notice) for any value a URL or a browser sends.

    A link or a tampered request may carry 250, -100, 5.5, "1e9", "abc" or NaN; the page shows what it
    computed for, not a nonsense figure or an error. Out of range: clamped, and the notice says so.
    Not a number: (None, notice); the caller decides what to show instead (the URL parser: `default`).
    None or "" means "not given": (default, None), no notice.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default, None
    number = None
    if not isinstance(value, bool):
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            number = None
    if number is None or not np.isfinite(number):
        return None, f"The uplift must be a number from {UPLIFT_MIN}% to {UPLIFT_MAX}%; “{str(value)[:20]}” is not."
    clamped = int(np.floor(min(max(number, UPLIFT_MIN), UPLIFT_MAX) + 0.5))  # halves up, as people round
    if clamped == number:
        return clamped, None
    if number < UPLIFT_MIN or number > UPLIFT_MAX:
        shown = f"{number:,.0f}" if abs(number) < 1e12 else f"{number:.3g}"
        return clamped, (f"An uplift of {shown}% is outside the range this page covers "
                         f"({UPLIFT_MIN}% to {UPLIFT_MAX}%); showing {clamped}%.")
    return clamped, f"The uplift goes in whole percents; showing {clamped}% for {number:g}%."


def _weighted(practices: pd.DataFrame) -> pd.Series:
    weighted = pd.to_numeric(practices["weighted_patients"], errors="coerce").astype(float)
    return weighted.where(np.isfinite(weighted), 0.0)


def _uplift_factor(practices: pd.DataFrame, uplift_percent: float) -> pd.Series:
    """(1 + u/100)^(5 − quintile); 1 for practices without a quintile (or outside 1–5)."""
    quintile = pd.to_numeric(practices["imd_quintile"], errors="coerce").astype(float)
    steps = (5 - quintile).where(quintile.isin(list(QUINTILES)), 0.0)
    return (1 + uplift_percent / 100) ** steps


def summarise(result: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Baseline, scenario and change (£ and £ per weighted patient) per area code or per quintile.

    by: "la_code", "icb_code", "region_code" (or "utla_code"), "imd_quintile" (always five rows, 1 =
    most deprived) or None (one row, "England"). Returns a frame with the `by` column first (or
    "area" for None), then practices, weighted_patients, baseline, scenario, change,
    baseline_per_weighted, scenario_per_weighted, change_per_weighted. Per-weighted figures count
    practices with weighted patients only. Practices with no code for `by` are left out (attrs:
    excluded_practices).
    """
    if by is not None and by not in (*AREA_COLUMNS, "imd_quintile"):
        raise ValueError(f"by must be an area code column, 'imd_quintile' or None, not {by!r}")
    frame = pd.DataFrame({
        "baseline": result["baseline"].astype(float),
        "scenario": result["scenario"].astype(float),
        "weighted_patients": _weighted(result),
    })
    listed = frame["weighted_patients"] > 0
    frame["practices"] = 1
    frame["baseline_listed"] = frame["baseline"].where(listed, 0.0)
    frame["scenario_listed"] = frame["scenario"].where(listed, 0.0)
    frame["weighted_patients"] = frame["weighted_patients"].where(listed, 0.0)
    excluded = 0
    if by is None:
        key, label = pd.Series("England", index=frame.index), "area"
    elif by == "imd_quintile":
        key, label = pd.to_numeric(result[by], errors="coerce").astype(float), by
        key = key.where(key.isin(list(QUINTILES)))
    else:
        key, label = result[by].astype(object).where(result[by].notna()), by
    has = key.notna()
    excluded = int((~has).sum())
    sums = frame[has].groupby(key[has].to_numpy()).sum()
    if by == "imd_quintile":
        sums = sums.reindex([float(q) for q in QUINTILES], fill_value=0.0)
        sums.index = sums.index.astype(int)
    with np.errstate(divide="ignore", invalid="ignore"):
        patients = sums["weighted_patients"].where(sums["weighted_patients"] > 0)
        baseline_per = sums["baseline_listed"] / patients
        scenario_per = sums["scenario_listed"] / patients
    table = pd.DataFrame({
        label: sums.index.to_numpy(),
        "practices": sums["practices"].astype(int).to_numpy(),
        "weighted_patients": sums["weighted_patients"].to_numpy(),
        "baseline": sums["baseline"].to_numpy(),
        "scenario": sums["scenario"].to_numpy(),
        "change": (sums["scenario"] - sums["baseline"]).to_numpy(),
        "baseline_per_weighted": baseline_per.to_numpy(),
        "scenario_per_weighted": scenario_per.to_numpy(),
        "change_per_weighted": (scenario_per - baseline_per).to_numpy(),
    })
    if by not in (None, "imd_quintile"):
        table = table.sort_values(label, ignore_index=True)
    table.attrs.update(result.attrs, by=by, excluded_practices=excluded)
    return table


def quintile_gap_before_after(result: pd.DataFrame) -> dict:
    """Most minus least deprived fifth, £ per weighted patient, before and after the rule.

    Returns most_deprived_before/after, least_deprived_before/after, gap_before/after (quintile 1 −
    quintile 5; positive means the most deprived get more), relative_gap_before/after (fractions of
    the least deprived value) and gap_change (after − before; positive moves money towards the
    most deprived).
    """
    table = summarise(result, "imd_quintile").set_index("imd_quintile")
    out = {}
    for when, column in (("before", "baseline_per_weighted"), ("after", "scenario_per_weighted")):
        gap = stats.quintile_gap(table[column].to_dict(), bands=5)
        out[f"most_deprived_{when}"] = gap["most_deprived"]
        out[f"least_deprived_{when}"] = gap["least_deprived"]
        out[f"gap_{when}"] = gap["absolute_gap"]
        out[f"relative_gap_{when}"] = gap["relative_gap"]
    out["gap_change"] = out["gap_after"] - out["gap_before"]
    return out

"""Inequality statistics: a gap between deprivation fifths and the slope index of inequality.

Pure numpy/pandas (no scipy, no Dash) so the numbers on the page can be checked by hand in the
unit tests. A fifth-to-fifth gap ignores the middle three fifths and depends on how many patients
fall in each; the slope index uses every practice and every patient, which is why both are shown.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd

NAN = float("nan")

SII_METHOD = (
    "Slope index of inequality (SII): practices are sorted from least to most deprived by {score} "
    "and each is given the midpoint of its cumulative share of {weight} as its relative rank, so rank 0 "
    "is the least deprived patient and rank 1 the most deprived (practices with the same score share "
    "one rank). {value} is regressed on that rank by weighted least squares with {weight} as weights. "
    "SII is the fitted slope: the value at rank 1 minus the value at rank 0, so a positive SII means "
    "the value is higher for the most deprived patients than for the least deprived. "
    "Its {level:g}% confidence interval uses the weighted least-squares standard error of the slope "
    "(residual variance on n - 2 degrees of freedom) with Student's t quantile on n - 2 degrees of "
    "freedom. RII = SII / weighted mean of {value}; its interval divides the SII bounds by the mean, "
    "an approximation that treats the mean as known (it ignores the mean's own uncertainty). "
    "The interval reflects scatter between practices, not error in the published figures."
)


# --- fifth against fifth ----------------------------------------------------------------------------------
def quintile_gap(values_by_band: Mapping[int, float], bands: int | None = None) -> dict:
    """Most- minus least-deprived band: band 1 is the most deprived, band `bands` the least.

    `bands` defaults to the highest band given; pass 5 (or 10) so a missing top band reads as missing
    rather than silently comparing with the next one down.
    Returns most_deprived, least_deprived, absolute_gap (most − least) and relative_gap
    ((most − least) / least, a fraction: 0.1 means the most deprived band has 10% more). Missing or
    non-finite values give NaN, as does a relative gap against a zero least-deprived value.
    """
    clean = {int(band): _float(value) for band, value in values_by_band.items() if band is not None}
    if not clean:
        return {"most_deprived": NAN, "least_deprived": NAN, "absolute_gap": NAN, "relative_gap": NAN}
    most = clean.get(1, NAN)
    top = bands if bands is not None else max(clean)
    least = clean.get(top, NAN) if top > 1 else NAN
    gap = most - least
    relative = gap / least if math.isfinite(gap) and least != 0 else NAN
    return {"most_deprived": most, "least_deprived": least, "absolute_gap": gap, "relative_gap": relative}


def _float(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return NAN
    return number if math.isfinite(number) else NAN


# --- slope index of inequality ----------------------------------------------------------------------------
def relative_rank(score: pd.Series, weight: pd.Series) -> pd.Series:
    """Patient-weighted rank from 0 (least deprived) to 1 (most deprived), aligned to the input index.

    Each practice gets the midpoint of its cumulative share of patients once sorted by ascending score
    (higher score = more deprived). Tied scores are pooled and share the midpoint of their joint share,
    so the answer does not depend on the order the rows arrive in.
    """
    score = pd.Series(score, dtype=float)
    weight = pd.Series(np.asarray(weight, dtype=float), index=score.index)  # by position, not by label
    pooled = weight.groupby(score.to_numpy()).sum().sort_index()
    total = float(pooled.sum())
    upper = pooled.cumsum() / total
    midpoint = upper - pooled / (2 * total)
    return pd.Series(midpoint.reindex(score.to_numpy()).to_numpy(), index=score.index)


def slope_index(practices: pd.DataFrame, value: str, weight: str = "registered_patients",
                score: str = "imd_score", confidence: float = 0.95) -> dict:
    """SII and RII of a practice-level value against patient-weighted deprivation rank.

    Returns sii, sii_low, sii_high, rii, rii_low, rii_high, mean (weighted), n (practices used),
    method (how it was done, the sign convention included) and reason ("" when computed; otherwise
    why every number is NaN). Practices lacking the value, score or a positive weight are left out.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence!r}")
    method = SII_METHOD.format(score=score, weight=weight, value=value, level=100 * confidence)
    frame = pd.DataFrame({
        "y": pd.to_numeric(practices[value], errors="coerce").astype(float),
        "w": pd.to_numeric(practices[weight], errors="coerce").astype(float),
        "s": pd.to_numeric(practices[score], errors="coerce").astype(float),
    })
    keep = np.isfinite(frame["y"]) & np.isfinite(frame["w"]) & np.isfinite(frame["s"]) & (frame["w"] > 0)
    frame = frame[keep]
    n = len(frame)
    result = {"sii": NAN, "sii_low": NAN, "sii_high": NAN, "rii": NAN, "rii_low": NAN, "rii_high": NAN,
              "mean": NAN, "n": n, "method": method, "reason": ""}
    if n < 3:
        result["reason"] = (f"needs at least 3 practices with {value}, {score} and a positive {weight}; "
                            f"found {n}")
        return result

    y, w = frame["y"].to_numpy(), frame["w"].to_numpy()
    x = relative_rank(frame["s"], frame["w"]).to_numpy()
    mean = float(np.average(y, weights=w))
    result["mean"] = mean
    x_mean = float(np.average(x, weights=w))
    sxx = float(np.sum(w * (x - x_mean) ** 2))
    if not sxx > 0:
        result["reason"] = f"every practice has the same {score}, so there is no deprivation gradient to fit"
        return result
    slope = float(np.sum(w * (x - x_mean) * (y - mean)) / sxx)
    residual = y - (mean + slope * (x - x_mean))
    variance = float(np.sum(w * residual ** 2)) / (n - 2)
    margin = t_quantile(0.5 + confidence / 2, n - 2) * math.sqrt(variance / sxx)
    result.update(sii=slope, sii_low=slope - margin, sii_high=slope + margin)
    if mean != 0:
        bounds = sorted(((slope - margin) / mean, (slope + margin) / mean))
        result.update(rii=slope / mean, rii_low=bounds[0], rii_high=bounds[1])
    else:
        result["reason"] = "the weighted mean is zero, so the relative index is undefined"
    return result


# --- Student's t, without scipy ---------------------------------------------------------------------------
def t_quantile(p: float, df: float) -> float:
    """Quantile of Student's t with df degrees of freedom (two-sided intervals use p = 0.5 + level/2).

    Found by bisection on the t distribution function, written via the regularised incomplete beta
    function; accurate to about 1e-10, far finer than any interval shown. Large df tends to the normal.
    """
    if not 0 < p < 1:
        raise ValueError(f"p must be between 0 and 1, not {p!r}")
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive, not {df!r}")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    if df > 1e7:
        return NormalDist().inv_cdf(p)
    # Newton's method on the distribution function first: for t > 0 it is concave, so from t = 0 each step
    # lands below the root and the steps rise to it, usually in a handful of evaluations (bisection took
    # about forty, and every stated gap needs one or two quantiles inside an interaction's time budget).
    log_density = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    t = 0.0
    for _ in range(60):
        density = math.exp(log_density - (df + 1) / 2 * math.log1p(t * t / df))
        step = (p - t_cdf(t, df)) / density
        t += step
        if abs(step) <= 1e-12 * max(1.0, t):
            return t
    low, high = 0.0, max(1.0, NormalDist().inv_cdf(p))
    while t_cdf(high, df) < p:
        low, high = high, high * 2
    for _ in range(200):
        middle = (low + high) / 2
        if t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


def t_cdf(t: float, df: float) -> float:
    """P(T ≤ t) for Student's t with df degrees of freedom."""
    tail = 0.5 * _betainc(df / 2, 0.5, df / (df + t * t))
    return 1 - tail if t >= 0 else tail


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b) by Lentz's continued fraction (Numerical Recipes §6.4)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _betacf(a, b, x) / a
    return 1 - math.exp(log_front) * _betacf(b, a, 1 - x) / b


def _betacf(a: float, b: float, x: float) -> float:
    tiny, eps = 1e-300, 1e-15
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < eps:
            break
    return h

"""An area against England and against every area of its kind, Fingertips-style, for the area page's spine chart.

Why here and pure: the mark (better / similar / worse, or higher / lower for money, which is not better for
being more) must come from the engine's interval, not from how far a dot sits from a line, and the chart,
its table and its text alternative must show the same numbers. So this module computes them once: the area
and England through metrics.compute, the comparison through inequality.against_reference and inequality.mark,
and the spread of all areas at the same level through Atlas.metric_by_area.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import inequality, metrics
from ..dimensions import LEVEL

MEASURES = ["payments_per_registered_patient", "payments_per_weighted_patient",
            "payments_per_registered_patient_excl_prescribing", "payments_per_weighted_patient_excl_prescribing",
            "share_patients_dispensing", "practice_imd_score", "life_expectancy_female", "life_expectancy_male"]
SPREAD_LEVELS = ("la", "icb", "region", "utla", "marmot")  # levels whose areas can be ranged against each other


def rows(atlas, code: str, year: str, practices: pd.DataFrame) -> pd.DataFrame:
    """One row per headline measure: the area, England, the mark and the engine's sentence, and the range of
    all areas at the area's level (minimum, 25th and 75th percentiles, maximum; NaN where it has no peers)."""
    area = atlas.area(code)
    level = area["level"]
    england = atlas.england_sums(year)
    year_practices = atlas.year_practices(year)
    out = []
    for metric_id in MEASURES:
        metric = metrics.REGISTRY[metric_id]
        england_value = float(metrics.compute(metric_id, england, england).iloc[0])
        if level == "country":
            value = england_value
            comparison, mark, said = None, "not compared", "England is the reference for every other area."
        else:
            comparison = inequality.against_reference(practices, metric_id, england, area["name"])
            value = comparison.groups[0].value
            mark, said = inequality.mark(comparison), inequality.sentence(comparison)
        spread = {"minimum": math.nan, "p25": math.nan, "p75": math.nan, "maximum": math.nan, "areas": 0}
        if level in SPREAD_LEVELS:
            peers = atlas.metric_by_area(year_practices, level, metric_id, year).astype(float)
            peers = peers[np.isfinite(peers)]
            if len(peers):
                spread = {"minimum": float(peers.min()), "p25": float(peers.quantile(0.25)),
                          "p75": float(peers.quantile(0.75)), "maximum": float(peers.max()), "areas": int(len(peers))}
        out.append({"metric_id": metric_id, "label": metric.label, "value": value, "england": england_value,
                    "mark": mark, "sentence": said, "higher_is": metric.higher_is,
                    "level_plural": LEVEL[level].plural, **spread})
    return pd.DataFrame(out)

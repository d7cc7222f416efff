"""The one registry of metrics: every map, chart, table, download and the methods page reads it.

A metric is computed from sums over a group of practices (an area, a quintile, a selection), so
the same definition gives the same number wherever it is shown. Adding a metric is one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data import sources

# Columns summed per group; weighted means carry their weight column beside them.
SUMMED = [
    "registered_patients", "weighted_patients", "total_payments", "total_incl_covid_pcn",
    "pay_prescribing_dispensing", "pay_core", "pay_qof", "pay_enhanced", "pay_premises", "pay_other",
    "pay_covid", "pay_pcn",
]


@dataclass(frozen=True)
class Denominator:
    """What a "per patient" measure divides by, said the same way in every hover, sentence and table."""

    id: str
    sum: str  # the group sum it reads
    noun: str  # "weighted patient": reads after "per"
    definition: str


DENOMINATORS: dict[str, Denominator] = {d.id: d for d in (
    Denominator("registered", "registered_patients__listed", "registered patient",
                "Patients on the practice's list (last known figure in the year; from 2023-24 the year's average)."),
    Denominator("weighted", "weighted_patients__listed", "weighted patient",
                "Registered patients weighted by the Carr-Hill formula (age, sex, additional needs, list turnover, "
                "rurality and staff costs; it has no direct deprivation term), as used to share the global sum."),
    Denominator("dispensing", "dispensing_patients__listed", "patient of a dispensing practice",
                "Registered patients of dispensing practices. The file does not say how many of them each practice "
                "dispenses to (only those living far from a pharmacy may be), so this is the widest possible base."),
)}


@dataclass(frozen=True)
class Metric:
    """One measure, declared: what it reads, what it divides by, which way is better, what a gap is to."""

    id: str
    label: str
    unit: str  # "£", "£ per patient", "%", "years", "score", "count"
    formula: str
    description: str
    compute: callable = field(repr=False, compare=False)
    reads: tuple[str, ...] = ()  # the group sums compute() reads (a gap metric also reads its base's)
    denominator: str | None = None  # a DENOMINATORS id for "per patient" measures
    decimals: int = 0
    caveat: str = ""
    higher_is: str = ""  # "better", "worse" or "" (neutral): colour direction of gap maps, and wording
    gap_to: str | None = None  # a gap measure: the base metric it compares with England's value of

    def format(self, value) -> str:
        return format_value(value, self.unit, self.decimals)

    @property
    def per(self) -> str:
        """'per weighted patient', or '' for a measure with no denominator."""
        return f"per {DENOMINATORS[self.denominator].noun}" if self.denominator else ""

    @property
    def centred(self) -> bool:
        """A difference (a gap to England, a change between editions): coloured either side of zero."""
        return bool(self.gap_to) or self.unit.endswith(" change")

    @property
    def direction_note(self) -> str:
        return {"better": "higher is better", "worse": "higher is worse"}.get(self.higher_is, "")


def denominator_definition(metric_id: str) -> str:
    """'Weighted patient: registered patients weighted by the Carr-Hill formula …', or '' for a measure with no
    denominator: the one sentence shown beside a per-patient value, so a reader need not guess what a weighted
    patient is (and that it has no deprivation term) and no page retypes it."""
    metric = REGISTRY.get(metric_id)
    if metric is None or not metric.denominator:
        return ""
    denominator = DENOMINATORS[metric.denominator]
    return f"{denominator.noun[0].upper()}{denominator.noun[1:]}: {denominator.definition}"


def format_value(value, unit: str, decimals: int = 0) -> str:
    """The one way a number is written: a real minus sign (−, not a hyphen) and never "−0" (a value that
    rounds to zero has no sign), so a page, a PDF and a sentence cannot show the same number two ways."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or pd.isna(value):
        return "n/a"
    if unit == "£":
        return format_money(value)
    if unit == "£ per patient":
        return f"{_sign(value, 2)}£{abs(value):,.2f}"
    if unit == "%":
        places = max(decimals, 1)
        return f"{_sign(value, places)}{abs(value):.{places}f}%"
    if unit == "years":
        places = 1 if decimals <= 1 else decimals
        return f"{_sign(value, places)}{abs(value):.{places}f} years"
    if unit == "count":
        return f"{_sign(value, 0)}{abs(value):,.0f}"
    if unit in ("score change", "rank change"):  # a change reads with its direction, "+" included
        sign = _sign(value, decimals) or ("+" if round(float(value), decimals) > 0 else "")
        places = " places" if unit == "rank change" else ""
        return f"{sign}{abs(value):,.{decimals}f}{places}"
    return f"{_sign(value, decimals)}{abs(value):,.{decimals}f}"


def _sign(value: float, places: int) -> str:
    """"−" for a value that is still negative once rounded to `places` decimals, else nothing."""
    return "−" if round(float(value), places) < 0 else ""


def format_money(value: float) -> str:
    size = abs(value)
    if size >= 1e9:
        return f"{_sign(value, 2 - 9)}£{size / 1e9:,.2f}bn"
    if size >= 1e6:
        return f"{_sign(value, 1 - 6)}£{size / 1e6:,.1f}m"
    if size >= 1e3:
        return f"{_sign(value, -3)}£{size / 1e3:,.0f}k"
    return f"{_sign(value, 0)}£{size:,.0f}"


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (numerator / denominator).where(denominator > 0)


def per_patient(money: str, denominator: str, less: str | None = None) -> dict:
    """Pounds per patient over practices that had patients (closed practices would dilute it): the
    formula and the sums it reads, declared together."""
    top = [f"{money}__listed"] + ([f"{less}__listed"] if less else [])
    bottom = DENOMINATORS[denominator].sum

    def compute(s: pd.DataFrame) -> pd.Series:
        return ratio(s[top[0]] - (s[top[1]] if less else 0), s[bottom])

    return {"compute": compute, "reads": (*top, bottom), "denominator": denominator}


def weighted_mean(column: str) -> dict:
    numerator, weight = f"{column}__wsum", f"{column}__weight"
    return {"compute": lambda s: ratio(s[numerator], s[weight]), "reads": (numerator, weight)}


def total_of(column: str) -> dict:
    return {"compute": lambda s: s[column], "reads": (column,)}


def share_of(part: str, whole: str) -> dict:
    return {"compute": lambda s: 100 * ratio(s[part], s[whole]), "reads": (part, whole)}


REGISTRY: dict[str, Metric] = {}


def register(metric: Metric) -> Metric:
    REGISTRY[metric.id] = metric
    return metric


for base in ("registered", "weighted"):
    noun = DENOMINATORS[base].noun
    register(Metric(
        f"payments_per_{base}_patient", f"Payments per {noun}", "£ per patient",
        f"Total NHS payments to general practice ÷ {noun}s",
        f"Money paid to practices in the year divided by their {base} list size"
        + (" (weighted by the Carr-Hill formula for age, sex, need and rurality)" if base == "weighted" else "")
        + ". Excludes COVID and PCN payments, which are published separately.",
        **per_patient("total_payments", base), decimals=2))
    register(Metric(
        f"payments_per_{base}_patient_excl_prescribing",
        f"Payments per {noun}, excluding prescribing and dispensing", "£ per patient",
        f"(Total NHS payments − prescribing fees − dispensing fees − drug reimbursement) ÷ {noun}s",
        "Leaves out the money dispensing practices receive for supplying medicines, which is not paid "
        "for general medical services and inflates dispensing (mostly rural) practices.",
        **per_patient("total_payments", base, less="pay_prescribing_dispensing"), decimals=2))
    register(Metric(
        f"payments_per_{base}_patient_incl_covid_pcn",
        f"Payments per {noun}, including COVID and PCN payments", "£ per patient",
        f"Total NHS payments including COVID and PCN payments ÷ {noun}s",
        "Adds COVID vaccination and support payments and Primary Care Network payments routed via the "
        "practice (published from 2020-21; equal to the total in earlier years).",
        **per_patient("total_incl_covid_pcn", base), decimals=2))
    register(Metric(
        f"payments_per_{base}_patient_incl_covid_pcn_excl_prescribing",
        f"Payments per {noun}, including COVID and PCN, excluding prescribing and dispensing",
        "£ per patient",
        f"(Total including COVID and PCN − prescribing and dispensing payments) ÷ {noun}s",
        "Everything paid to the practice except the money for supplying medicines.",
        **per_patient("total_incl_covid_pcn", base, less="pay_prescribing_dispensing"), decimals=2))

register(Metric(
    "dispensing_fees_per_dispensing_practice_patient", "Dispensing fees per patient of a dispensing practice",
    "£ per patient", "Dispensing fee payments of dispensing practices ÷ their registered patients",
    "The fee paid for dispensing medicines (not the cost of the drugs), spread over everyone registered with "
    "the dispensing practices of the group; non-dispensing practices are left out of both sides.",
    **per_patient("pay_dispensing_fee_dispensing", "dispensing"), decimals=2,
    caveat="Only some of a dispensing practice's patients are dispensed to; the file does not say how many."))
register(Metric("total_payments", "Total payments", "£", "Sum of total NHS payments to general practice",
                "All payments to the practices in the area in the year, excluding COVID and PCN payments.",
                **total_of("total_payments")))
register(Metric("total_payments_incl_covid_pcn", "Total payments including COVID and PCN", "£",
                "Sum of total NHS payments including COVID and PCN payments",
                "All payments including COVID and Primary Care Network payments.",
                **total_of("total_incl_covid_pcn")))
register(Metric("prescribing_dispensing_payments", "Prescribing and dispensing payments", "£",
                "Prescribing fees + dispensing fees + reimbursement of drugs",
                "Money for supplying medicines; almost all goes to dispensing practices.",
                **total_of("pay_prescribing_dispensing")))
register(Metric("practices", "Practices", "count", "Number of practices in the payments file",
                "Every practice listed for the year, including practices that opened or closed during it.",
                **total_of("practices")))
register(Metric("registered_patients", "Registered patients", "count", "Sum of registered patients",
                "Patients on practice lists (last known figure in the year; from 2023-24 the year's average).",
                **total_of("registered_patients")))
register(Metric("share_practices_dispensing", "Share of practices that dispense", "%",
                "Dispensing practices ÷ practices with known status × 100",
                "Dispensing practices supply medicines themselves, usually where no pharmacy is near.",
                **share_of("dispensing_practices", "known_status_practices"), decimals=1,
                caveat="Dispensing status is unknown for some practices, mostly those that closed."))
register(Metric("share_patients_dispensing", "Share of patients in dispensing practices", "%",
                "Registered patients of dispensing practices ÷ patients of practices with known status × 100",
                "How much of the population is served by a dispensing practice.",
                **share_of("dispensing_patients", "known_status_patients"), decimals=1))
_IMD = sources.vintage("practice_imd")  # the edition, as the catalogue records it
register(Metric("practice_imd_score", "Deprivation of practice populations (IMD score)", "score",
                "Σ(practice IMD score × registered patients) ÷ Σ(registered patients with a score)",
                "Average Index of Multiple Deprivation score of the practices' patients (higher is more "
                f"deprived), from OHID Fingertips indicator 93553, {_IMD} edition where available.",
                **weighted_mean("imd_score"), decimals=1, higher_is="worse",
                caveat=f"{_IMD} scores; practices without a {_IMD} value use IMD 2015, then IMD 2010 (about 0.1% of "
                        "patients across all years)."))
for sex in ("female", "male"):
    register(Metric(f"life_expectancy_{sex}", f"Life expectancy, {sex}", "years",
                    f"Σ(practice {sex} life expectancy × registered patients) ÷ Σ(registered patients with a value)",
                    f"Life expectancy at birth of the practices' {sex} patients, estimated from where they live.",
                    **weighted_mean(f"life_expectancy_{sex}"), decimals=1, higher_is="better",
                    caveat="A derived estimate (HEEC, from OHID MSOA data), latest period up to 2020."))
    register(Metric(f"life_expectancy_gap_{sex}", f"Life expectancy gap to England, {sex}", "years",
                    f"Area {sex} life expectancy − England {sex} life expectancy (same method)",
                    "Negative means shorter lives than England as a whole.",
                    **weighted_mean(f"life_expectancy_{sex}"), decimals=1, higher_is="better",
                    gap_to=f"life_expectancy_{sex}",
                    caveat="Computed against England from the same practice estimates."))

GAP_METRICS = {m.id: m.gap_to for m in REGISTRY.values() if m.gap_to}
WEIGHTED = ["imd_score", "life_expectancy_female", "life_expectancy_male"]
MAP_DEFAULT = "payments_per_weighted_patient"


def lookup(metric_id: str) -> Metric | None:
    """A practice measure by id, or an area measure in one edition ("area:imd_score:2025", see
    area_metrics.as_metric): what the map's figures show, whichever registry declares it."""
    if metric_id in REGISTRY:
        return REGISTRY[metric_id]
    from .area_metrics import metric_for

    return metric_for(metric_id)


# Per-practice parts of the sums that are not plain columns. The Atlas adds them to its practice table once,
# at load (prefixed), so a group sum is one groupby over ready columns rather than rebuilding them per call.
DERIVED_PREFIX = "sum__"


def derived_columns(practices: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each practice's contribution to the sums that need more than a column: listed-only money, counts of
    practices and dispensing status, and the numerator and weight of every weighted mean."""
    registered = practices["registered_patients"].to_numpy(dtype=float)
    listed = registered > 0
    status = practices["dispensing"].astype(str).to_numpy()
    dispensing, known = status == "Yes", np.isin(status, ["Yes", "No"])
    columns: dict[str, np.ndarray] = {}
    for column in ("total_payments", "total_incl_covid_pcn", "pay_prescribing_dispensing", "registered_patients",
                   "weighted_patients"):
        columns[f"{column}__listed"] = np.where(listed, practices[column].to_numpy(dtype=float), 0.0)
    dispensing_fee = practices["pay_dispensing_fee"].to_numpy(dtype=float, na_value=np.nan)
    columns["pay_dispensing_fee_dispensing__listed"] = np.where(
        listed & dispensing & ~np.isnan(dispensing_fee), dispensing_fee, 0.0)
    columns["dispensing_patients__listed"] = np.where(listed & dispensing, registered, 0.0)
    columns["practices"] = np.ones(len(practices))
    columns["dispensing_practices"] = dispensing.astype(float)
    columns["known_status_practices"] = known.astype(float)
    columns["dispensing_patients"] = np.where(dispensing, registered, 0.0)
    columns["known_status_patients"] = np.where(known, registered, 0.0)
    for column in WEIGHTED:
        values = practices[column].to_numpy(dtype=float, na_value=np.nan)
        has = ~np.isnan(values) & listed
        columns[f"{column}__wsum"] = np.where(has, values * registered, 0.0)
        columns[f"{column}__weight"] = np.where(has, registered, 0.0)
    return columns


def with_derived_columns(practices: pd.DataFrame) -> pd.DataFrame:
    """The table with its derived sum columns attached (what the Atlas keeps in memory)."""
    derived = {f"{DERIVED_PREFIX}{name}": values for name, values in derived_columns(practices).items()}
    return pd.concat([practices, pd.DataFrame(derived, index=practices.index)], axis=1)


def _sum_matrix(practices: pd.DataFrame, columns=None) -> tuple[list[str], np.ndarray]:
    """The summed quantities (all, or only `columns`) as one float matrix, one row per quantity."""
    first = f"{DERIVED_PREFIX}practices"
    if first in practices.columns:
        derived_names = [c for c in practices.columns if isinstance(c, str) and c.startswith(DERIVED_PREFIX)
                         and (columns is None or c[len(DERIVED_PREFIX):] in columns)]
        derived = practices[derived_names].to_numpy(dtype=float).T
        names = [c[len(DERIVED_PREFIX):] for c in derived_names]
    else:
        computed = {k: v for k, v in derived_columns(practices).items() if columns is None or k in columns}
        names = list(computed)
        derived = np.vstack(list(computed.values())) if names else np.zeros((0, len(practices)))
    plain = [c for c in SUMMED if columns is None or c in columns]
    summed = practices[plain].to_numpy(dtype=float, na_value=np.nan).T
    matrix = np.vstack([summed, derived])
    return plain + names, np.where(np.isnan(matrix), 0.0, matrix)  # a missing amount counts as nothing


def row_sums(practices: pd.DataFrame, columns=None) -> pd.DataFrame:
    """Every practice as a group of one: the frame group_sums adds up, one row per practice (all sums, or
    only `columns`: a caller that needs a few of them, such as a comparison of England's practices, need not
    build the other ninety)."""
    names, matrix = _sum_matrix(practices, columns)
    return pd.DataFrame(matrix.T, index=practices.index, columns=names)


def _key_codes(key) -> tuple[np.ndarray, pd.Index]:
    """Integer codes for a grouping key (-1 where it is missing) and the values they stand for, sorted."""
    key = key if isinstance(key, pd.Series) else pd.Series(np.asarray(key))
    if isinstance(key.dtype, pd.CategoricalDtype):
        return key.cat.codes.to_numpy(dtype=np.int64), pd.Index(key.cat.categories)
    codes, uniques = pd.factorize(key, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def group_sums(practices: pd.DataFrame, by, metric_ids=None) -> pd.DataFrame:
    """The sums every metric is computed from, per group (by=None: one row for all).

    by: a column name, a list of column names or of arrays aligned with the rows. Groups with no
    practices, or a missing key, are left out (like pandas' groupby with observed=True). metric_ids:
    only the sums those metrics read (and the practice count), else all. Summed with numpy's
    bincount: this runs several times on every interaction.
    """
    columns = None if metric_ids is None else sums_needed(*metric_ids)
    names, matrix = _sum_matrix(practices, columns)
    if by is None:
        return pd.DataFrame(matrix.sum(axis=1)[None, :], columns=names)
    keys = by if isinstance(by, list) else [by]
    keys = [practices[k] if isinstance(k, str) else k for k in keys]
    parts = [_key_codes(k) for k in keys]
    combined = np.zeros(len(practices), dtype=np.int64)
    valid = np.ones(len(practices), dtype=bool)
    for codes, levels in parts:
        valid &= codes >= 0
        combined = combined * max(len(levels), 1) + np.where(codes >= 0, codes, 0)
    total = int(np.prod([max(len(levels), 1) for _, levels in parts]))
    if total <= 4 * len(practices) + 1024:  # few possible groups: count them, no sort
        seen = np.bincount(combined[valid], minlength=total)
        present = np.flatnonzero(seen)
        lookup = np.zeros(total, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        position = lookup[combined[valid]]
    else:
        present = np.unique(combined[valid])
        position = np.searchsorted(present, combined[valid])
    values = matrix if valid.all() else matrix[:, valid]
    sums = np.empty((len(present), len(names)))
    for row in range(len(names)):
        sums[:, row] = np.bincount(position, weights=values[row], minlength=len(present))
    labels = []
    remainder = present
    for _codes, levels in reversed(parts):
        size = max(len(levels), 1)
        labels.append(levels.take(remainder % size))
        remainder = remainder // size
    labels.reverse()
    if len(labels) == 1:
        index = pd.Index(labels[0], name=keys[0].name if isinstance(keys[0], pd.Series) else None)
    else:
        index = pd.MultiIndex.from_arrays(labels, names=[getattr(k, "name", None) for k in keys])
    return pd.DataFrame(sums, index=index, columns=names)


def sums_needed(*metric_ids: str) -> set[str]:
    """The sums these metrics read, as each declares (a gap metric's base's too). The practice and patient
    counts always come along."""
    needed = {"practices", "registered_patients"}
    for metric_id in metric_ids:
        metric = REGISTRY[metric_id]
        needed.update(metric.reads)
        if metric.gap_to:
            needed.update(REGISTRY[metric.gap_to].reads)
    return needed


def compute(metric_id: str, sums: pd.DataFrame, england: pd.DataFrame | None = None) -> pd.Series:
    """The metric for each row of sums. A gap metric is measured against `england`: one row of sums for
    every group, or one row per row of `sums` (each group's own reference, such as its year's total)."""
    metric = REGISTRY[metric_id]
    values = metric.compute(sums)
    if metric_id in GAP_METRICS:
        if england is None:
            raise ValueError(f"{metric_id} needs England's sums to compare with")
        reference = REGISTRY[GAP_METRICS[metric_id]].compute(england).to_numpy(dtype=float)
        values = values - (reference[0] if len(reference) == 1 else reference)
    return values.astype(float)

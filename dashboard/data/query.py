"""The small API the app asks: processed tables in, plain frames and dicts out. No Dash here."""

from __future__ import annotations

import json
from dataclasses import field, make_dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from .. import config, metrics
from ..dimensions import CONTRACTS, DISPENSING, FILTERS, GEO_LEVELS, LEVEL, MAP_LEVELS, RURALITY
from . import columns

REQUIRED_FILES = ["practices.parquet", "areas.parquet", "area_indicators.parquet", "area_stats.parquet",
                  "marmot_places.parquet",
                  "marmot_members.parquet", "manifest.json", *[f"geo/{level}.geojson" for level in GEO_LEVELS]]
LEVELS = {level: LEVEL[level].title for level in MAP_LEVELS}  # the map levels, with their control labels
LEVEL_COLUMN = {level.id: level.code_column for level in LEVEL.values() if level.code_column}
__all__ = ["CONTRACTS", "DISPENSING", "RURALITY", "Filters", "Atlas", "load_atlas"]


class ProcessedDataError(RuntimeError):
    """The processed data cannot be read: say which file and how to rebuild it."""


# A selection of practices: a year and one list per declared filter (dimensions.FILTERS); an empty list
# means no restriction.
Filters = make_dataclass("Filters", [("year", str | None, None)]
                         + [(f.key, list, field(default_factory=list)) for f in FILTERS])
Filters.__doc__ = "A selection of practices: a year and one list per dimensions.FILTERS entry (empty: all)."


class Atlas:
    """Processed data loaded once per process and shared by every request."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        for name in REQUIRED_FILES:
            if not (self.folder / name).is_file():
                raise ProcessedDataError(
                    f"processed data file {self.folder / name} is missing; rebuild it with "
                    f"`python -m dashboard.data build`")
        # The derived sum columns ride along in the table, so every selection carries them (metrics.row_sums).
        self.practices = metrics.with_derived_columns(self._read("practices.parquet", self._read_table))
        self.areas = self._read("areas.parquet", self._read_table)
        self.indicators = self._read("area_indicators.parquet", self._read_table)
        self.area_stats = self._read("area_stats.parquet", self._read_table)
        self.marmot_places = self._read("marmot_places.parquet", pd.read_parquet)
        self.marmot_members = self._read("marmot_members.parquet", pd.read_parquet)
        self.manifest = self._read("manifest.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
        # Text repeats across years and practices: categories keep a worker's memory small.
        for column in self.practices.columns:
            if self.practices[column].dtype == object or pd.api.types.is_string_dtype(self.practices[column]):
                self.practices[column] = self.practices[column].astype("category")
        try:  # give back the reader's scratch memory: every worker keeps the tables for its lifetime
            import pyarrow

            pyarrow.default_memory_pool().release_unused()
        except (ImportError, AttributeError):
            pass
        self.years = sorted(self.practices["year"].unique().tolist())
        self.latest_year = self.years[-1]
        self.area_by_code = self.areas.set_index("code")
        self.area_names = self.areas.drop_duplicates("code").set_index("code")["name"]  # a code, once
        self.marmot_by_la = self.marmot_members.groupby("la_code")["slug"].apply(list).to_dict()

    @staticmethod
    def _read_table(path: Path) -> pd.DataFrame:
        """A parquet table whose columns and dtypes are what the schemas promise (columns.py says why only those).

        Checked here, before anything uses the table, so a damaged file stops the app at start with its name
        and column, rather than as a KeyError, or as a 500 on every explorer render after a healthy start.
        """
        frame = pd.read_parquet(path)
        problems = columns.problems(path.name, frame)
        if problems:
            raise ProcessedDataError(f"processed data file {path}: {'; '.join(problems)}; rebuild it with "
                                     f"`python -m dashboard.data build`")
        return frame

    def _read(self, name: str, reader):
        path = self.folder / name
        try:
            return reader(path)
        except ProcessedDataError:
            raise
        except Exception as exc:  # a truncated file raises one of several arrow or json errors
            raise ProcessedDataError(
                f"processed data file {path} is corrupt ({type(exc).__name__}: {str(exc)[:200]}); rebuild it "
                f"with `python -m dashboard.data build`") from None

    def patients_basis(self, year: str) -> str:
        """Whether a year's patient counts are the publisher's last known figure or an average over the
        year (the publisher switched in 2023-24), so pages can say which per-patient figures they show."""
        values = self.practices.loc[self.practices["year"] == year, "patients_basis"].astype(str)
        return values.mode().iat[0] if len(values) else ""

    # --- selections -------------------------------------------------------------------------
    def select(self, filters: Filters, all_years: bool = False, within: pd.DataFrame | None = None) -> pd.DataFrame:
        """The practices the filters pick, in one year (filters.year, else the latest) or in every year.

        `within`: pick from these rows (an earlier selection) instead of the whole table, so narrowing a
        selection to an area costs one pass over the selection, not another over every practice.
        """
        frame = self.practices if within is None else within
        conditions = [] if all_years else [frame["year"] == (filters.year or self.latest_year)]
        for flt in FILTERS:
            values = getattr(filters, flt.key)
            if not values:
                continue
            if flt.kind == "marmot":  # a place is its member authorities
                values = set(self.marmot_members.loc[self.marmot_members["slug"].isin(values), "la_code"])
            conditions.append(frame[flt.column].isin(flt.column_values(list(values))))
        if not conditions:
            return frame  # every practice in every year: the table itself, read-only, not a copy
        mask = conditions[0]
        for condition in conditions[1:]:
            mask = mask & condition
        return frame[mask]

    def year_practices(self, year: str | None = None) -> pd.DataFrame:
        return self.practices[self.practices["year"] == (year or self.latest_year)]

    def england_sums(self, year: str | None = None) -> pd.DataFrame:
        return _england_sums(self, year or self.latest_year)

    def metric_by_area(self, practices: pd.DataFrame, level: str, metric_id: str, year: str | None = None) -> pd.Series:
        """One value per area at a map level; Marmot Places count every member authority."""
        if level == "marmot":
            frame = practices.merge(self.marmot_members, on="la_code")
            sums = metrics.group_sums(frame, "slug", [metric_id])
            sums.index = "marmot:" + sums.index.astype(str)
        else:
            sums = metrics.group_sums(practices, LEVEL_COLUMN[level], [metric_id])
        return metrics.compute(metric_id, sums, self.england_sums(year))

    def metric_value(self, practices: pd.DataFrame, metric_id: str, year: str | None = None) -> float:
        sums = metrics.group_sums(practices, None)
        return float(metrics.compute(metric_id, sums, self.england_sums(year)).iloc[0])

    # --- areas ------------------------------------------------------------------------------
    def area(self, code: str) -> dict | None:
        if code not in self.area_by_code.index:
            return None
        return {"code": code, **self.area_by_code.loc[code].to_dict()}

    def area_filters(self, code: str, year: str | None = None) -> Filters | None:
        """The filters that select an area's practices, whatever its level."""
        area = self.area(code)
        if area is None:
            return None
        filters = Filters(year=year)
        level = area["level"]
        if level == "marmot":
            filters.marmot = [code.removeprefix("marmot:")]
        elif level == "utla":  # a county is its districts
            filters.la = self.areas.loc[self.areas["utla_code"] == code, "code"].tolist()
        elif LEVEL[level].filter_key:
            setattr(filters, LEVEL[level].filter_key, [code])
        return filters

    # --- area measures (area_metrics.AREA_MEASURES: published statistics about places) -----------
    def area_measure(self, measure_id: str, level: str, edition: str) -> pd.Series:
        """One area measure for every area of a level, by area code (empty where it does not exist).

        The edition is required: IMD 2019 and IMD 2025 are different rankings and must never be mixed.
        """
        from ..area_metrics import AREA_MEASURE

        if (measure_id, edition) not in AREA_MEASURE:
            raise KeyError(f"no area measure {measure_id!r} in edition {edition!r}")
        rows = self._stats_index().get((measure_id, edition, level))
        if rows is None:
            return pd.Series(dtype=float, name=measure_id)
        return rows["value"].rename(measure_id)

    def area_measure_ranks(self, measure_id: str, level: str, edition: str) -> pd.DataFrame:
        """Rank (1 = most deprived) and rank_of per area code, for the ranked measures."""
        rows = self._stats_index().get((measure_id, edition, level))
        return rows[["rank", "rank_of"]] if rows is not None else pd.DataFrame(columns=["rank", "rank_of"])

    def area_measures_of(self, code: str) -> pd.DataFrame:
        """Every area measure of one area (all editions), as stored: measure, edition, value, rank, rank_of."""
        return self.area_stats[self.area_stats["area_code"] == code]

    def _stats_index(self) -> dict:
        if not hasattr(self, "_stats_by_key"):
            self._stats_by_key = {key: rows.set_index("area_code") for key, rows in
                                  self.area_stats.groupby(["measure", "edition", "level"], observed=True)}
        return self._stats_by_key

    def areas_at(self, level: str) -> pd.DataFrame:
        return self.areas[self.areas["level"] == level].sort_values("name")

    # --- national figures -------------------------------------------------------------------
    def national_summary(self, year: str | None = None) -> dict:
        year = year or self.latest_year
        if year not in self.years:
            raise KeyError(f"no data for {year}; years available: {', '.join(self.years)}")
        frame = self.year_practices(year)
        by_dispensing = {}
        for status in DISPENSING:
            part = frame[frame["dispensing"] == status]
            by_dispensing[status] = {
                "practices": int(len(part)),
                "registered_patients": int(round(part["registered_patients"].sum())),
                "prescribing_dispensing_payments": round(float(part["pay_prescribing_dispensing"].sum()), 2),
            }
        patients = frame["registered_patients"]

        def share(mask) -> float:
            return round(float(patients[mask].sum() / patients.sum()), 4)

        return {
            "year": year,
            "practices": int(len(frame)),
            "registered_patients": int(round(patients.sum())),
            "weighted_patients": int(round(frame["weighted_patients"].sum())),
            "total_payments": round(float(frame["total_payments"].sum()), 2),
            "total_payments_incl_covid_pcn": round(float(frame["total_incl_covid_pcn"].sum()), 2),
            "prescribing_dispensing_payments": round(float(frame["pay_prescribing_dispensing"].sum()), 2),
            "by_dispensing": by_dispensing,
            "coverage": {
                "located_exact": share(frame["location_quality"] == "exact"),
                "located": share(frame["location_quality"] != "none"),
                "with_la": share(frame["la_code"].notna()),
                "with_icb": share(frame["icb_code"].notna()),
                "with_imd": share(frame["imd_score"].notna()),
                "with_life_expectancy": share(frame["life_expectancy_female"].notna()),
            },
        }


@lru_cache(maxsize=64)
def _england_sums(atlas: Atlas, year: str) -> pd.DataFrame:
    return metrics.group_sums(atlas.year_practices(year), None)


def load_atlas(folder: str | None = None) -> Atlas:
    """The processed data, loaded once per process and folder (default: config.processed_dir()).

    `load_atlas()` and `load_atlas(<the same folder>)` are one object: every worker keeps one copy.
    """
    return _load_atlas(str(Path(folder).resolve()) if folder else str(config.processed_dir()))


@lru_cache(maxsize=4)
def _load_atlas(folder: str) -> Atlas:
    return Atlas(Path(folder))

"""The explorer's whole view as a small value that round-trips through the URL query string.

Parsing never fails: unknown or malformed values are dropped with a plain-English notice and the
default takes their place, so a mangled link still opens a sensible page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, field, fields, make_dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlencode

from .area_metrics import DEFAULT_EDITION, IMD_EDITIONS, map_options
from .data.query import Filters
from .dimensions import FILTER, FILTERS, MAP_LEVELS, SIZE_BANDS
from .metrics import MAP_DEFAULT, REGISTRY

LEVELS = MAP_LEVELS
BANDS = ("quintile", "decile")
# How the charts' and sentences' deprivation bands are formed (inequality.bands_of): equal numbers of registered
# patients (the default, as the data build's national fifths) or of practices (as the Health Equity Evidence
# Centre's published analyses form them). The "quintile" filter is not affected: it is always national fifths
# of patients.
FIFTHS = ("patients", "practices")
FIFTHS_CHOICES = {"patients": "Equal numbers of patients",
                  "practices": "Equal numbers of practices (as the Health Equity Evidence Centre)"}
SIZE_KEYS = dict(SIZE_BANDS)
LIST_KEYS = tuple(f.key for f in FILTERS)  # one URL key per declared filter, in the panel's order
MAX_VALUE_LENGTH = 400
CODE = re.compile(r"^E\d{8}$")
SLUG = re.compile(r"^[a-z0-9-]{1,60}$")


def _filters(self) -> Filters:
    """The practices this view covers (the clicked area narrows it further)."""
    return Filters(year=self.year or None, **{key: list(getattr(self, key)) for key in LIST_KEYS})


def _as_dict(self) -> dict:
    return asdict(self)


# The view: where the map looks (year, level, area, measure, band, fifths, the IMD edition of area measures)
# and one list per declared filter
# (dimensions.FILTERS), so a new filter is a new URL key, control value and stored field with no edit here.
ViewState = make_dataclass(
    "ViewState",
    [("year", str, ""), ("level", str, "la"), ("area", str, ""), ("metric", str, MAP_DEFAULT),
     ("band", str, "quintile"), ("fifths", str, FIFTHS[0]), ("imd", str, DEFAULT_EDITION),
     *[(key, list, field(default_factory=list)) for key in LIST_KEYS]],
    namespace={"filters": _filters, "as_dict": _as_dict,
               "__doc__": "The explorer's whole view: map settings and one list per declared filter."},
)


def default_state(latest_year: str) -> ViewState:
    return ViewState(year=latest_year)


def to_query(state: ViewState, latest_year: str) -> str:
    """Only what differs from the default, in a stable order, so links stay short and readable."""
    default = default_state(latest_year)
    pairs = []
    for item in fields(ViewState):
        value = getattr(state, item.name)
        if value == getattr(default, item.name) and item.name != "year":
            continue
        if isinstance(value, list):
            if value:
                pairs.append((item.name, ",".join(str(v) for v in value)))
        elif value:
            pairs.append((item.name, value))
    return "?" + urlencode(pairs, safe=",:") if pairs else ""


def field_rules(atlas) -> dict[str, Callable[[object], bool]]:
    """Which value each ViewState field accepts (for a list field: which item), as typed in the state.

    The one definition of a valid view: a link (parse_query), a control's value and a stored state
    (dashboard/boundary.py) are all checked against it, so they cannot drift apart. Each rule checks
    the type first: a tampered request can send a list or a number where a code is expected.
    """
    return _field_rules(atlas)


@lru_cache(maxsize=4)
def _field_rules(atlas) -> dict[str, Callable[[object], bool]]:
    known_areas = atlas.area_by_code.index
    area_levels = atlas.area_by_code["level"]
    marmot_slugs = frozenset(atlas.marmot_places.loc[atlas.marmot_places["mapped"], "slug"])
    years = frozenset(atlas.years)

    def area_at(level: str | None) -> Callable[[object], bool]:
        return lambda v: isinstance(v, str) and v in known_areas and (level is None or area_levels.at[v] == level)

    def member(values) -> Callable[[object], bool]:
        accepted = frozenset(values)
        return lambda v: isinstance(v, str) and v in accepted

    def declared(flt) -> Callable[[object], bool]:
        if flt.kind == "area":
            return area_at(flt.level)
        if flt.kind == "marmot":
            return lambda v: isinstance(v, str) and v in marmot_slugs
        if flt.kind == "code":  # too many to declare (PCNs): whatever the practices column holds
            return member(atlas.practices[flt.column].dropna().astype(str).unique())
        values = frozenset(value for value, _ in flt.choices)
        if flt.integer:  # True is an int, not a fifth
            return lambda v: type(v) is int and v in values  # noqa: E721
        return member(values)

    return {
        "year": lambda v: isinstance(v, str) and v in years,
        "level": member(LEVELS),
        "metric": member([*REGISTRY, *(option["value"] for option in map_options())]),
        "band": member(BANDS),
        "fifths": member(FIFTHS),
        "imd": member(IMD_EDITIONS),
        "area": area_at(None),
        **{flt.key: declared(flt) for flt in FILTERS},
    }


def _typed(key: str, text: str):
    """A link's text as the state holds it: numbered choices (fifths) are numbers, everything else stays text."""
    flt = FILTER.get(key)
    return int(text) if flt is not None and flt.integer and text.isdigit() and len(text) < 4 else text


def parse_query(search: str | None, atlas) -> tuple[ViewState, list[str]]:
    """(state, notices) from a query string such as '?year=2022-23&level=icb&metric=...'."""
    state = default_state(atlas.latest_year)
    notices: list[str] = []
    try:
        params = parse_qs((search or "").lstrip("?"), keep_blank_values=True, max_num_fields=50)
    except ValueError:
        return state, ["The link had too many settings to read, so the default view is shown."]
    rules = field_rules(atlas)

    def single(key: str) -> str | None:
        values = params.get(key)
        if not values:
            return None
        value = values[-1].strip()
        if len(value) > MAX_VALUE_LENGTH:
            notices.append(f"The value given for “{key}” was too long and was ignored.")
            return None
        return value

    # key: what to say when a value is not accepted; the default stays in place.
    singles = {
        "year": "There is no data for the year “{}”; showing " + atlas.latest_year + ".",
        "level": "“{}” is not a map level (use " + ", ".join(LEVELS[:-1]) + " or " + LEVELS[-1]
                 + "); showing local authorities.",
        "metric": "“{}” is not a measure we know; showing " + REGISTRY[MAP_DEFAULT].label + ".",
        "band": "“{}” is not a deprivation band (use quintile or decile).",
        "fifths": "“{}” is not a way of forming deprivation fifths (use patients or practices); showing fifths "
                  "of patients.",
        "imd": "“{}” is not an edition of the Indices of Deprivation (use " + " or ".join(IMD_EDITIONS) + "); showing "
               + DEFAULT_EDITION + ".",
        "area": "We could not find an area with the code “{}”; showing all of England.",
    }
    for key, complaint in singles.items():
        value = single(key)
        if value is None:
            continue
        if rules[key](value):
            setattr(state, key, value)
        else:
            notices.append(complaint.format(shorten(value)))

    for key in LIST_KEYS:
        raw = single(key)
        if raw is None:
            continue
        values = [v.strip() for v in raw.split(",") if v.strip()]
        good = list(dict.fromkeys(_typed(key, v) for v in values if rules[key](_typed(key, v))))
        bad = [v for v in values if not rules[key](_typed(key, v))]
        if bad:
            notices.append(f"Ignored unknown {key} value(s): {', '.join(shorten(b) for b in bad[:3])}"
                           + (" …" if len(bad) > 3 else "") + ".")
        setattr(state, key, good)
    unknown = sorted(k for k in params if k not in {f.name for f in fields(ViewState)})
    if unknown:
        notices.append(f"Ignored unknown setting(s) in the link: {', '.join(shorten(k) for k in unknown[:5])}.")
    return state, notices


def shorten(text: str, limit: int = 40) -> str:
    """Echo user input back as short plain text (Dash renders it as text, never as markup)."""
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"

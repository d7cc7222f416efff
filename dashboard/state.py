"""The explorer's whole view as a small value that round-trips through the URL query string.

Parsing never fails: unknown or malformed values are dropped with a plain-English notice and the
default takes their place, so a mangled link still opens a sensible page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from urllib.parse import parse_qs, urlencode

from .data.query import CONTRACTS, DISPENSING, RURALITY, Filters
from .metrics import MAP_DEFAULT, REGISTRY

LEVELS = ("la", "icb", "region")
BANDS = ("quintile", "decile")
SIZE_KEYS = {"lt5k": "Under 5,000", "5-10k": "5,000 to 9,999", "10-15k": "10,000 to 14,999",
             "15-20k": "15,000 to 19,999", "20k+": "20,000 or more"}
LIST_KEYS = ("region", "icb", "la", "marmot", "rurality", "dispensing", "contract", "quintile", "size")
MAX_VALUE_LENGTH = 400
CODE = re.compile(r"^E\d{8}$")
SLUG = re.compile(r"^[a-z0-9-]{1,60}$")


@dataclass
class ViewState:
    year: str = ""
    level: str = "la"
    area: str = ""
    metric: str = MAP_DEFAULT
    band: str = "quintile"
    region: list[str] = field(default_factory=list)
    icb: list[str] = field(default_factory=list)
    la: list[str] = field(default_factory=list)
    marmot: list[str] = field(default_factory=list)
    rurality: list[str] = field(default_factory=list)
    dispensing: list[str] = field(default_factory=list)
    contract: list[str] = field(default_factory=list)
    quintile: list[int] = field(default_factory=list)
    size: list[str] = field(default_factory=list)

    def filters(self) -> Filters:
        """The practices this view covers (the clicked area narrows it further)."""
        return Filters(year=self.year or None, region=list(self.region), icb=list(self.icb), la=list(self.la),
                       marmot=list(self.marmot), rurality=list(self.rurality), dispensing=list(self.dispensing),
                       contract=list(self.contract), quintile=list(self.quintile),
                       size=list(self.size))

    def as_dict(self) -> dict:
        return asdict(self)


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

    return {
        "year": lambda v: isinstance(v, str) and v in years,
        "level": member(LEVELS),
        "metric": member(REGISTRY),
        "band": member(BANDS),
        "area": area_at(None),
        "region": area_at("region"),
        "icb": area_at("icb"),
        "la": area_at("la"),
        "marmot": lambda v: isinstance(v, str) and v in marmot_slugs,
        "rurality": member(RURALITY),
        "dispensing": member(DISPENSING),
        "contract": member(CONTRACTS),
        "quintile": lambda v: type(v) is int and 1 <= v <= 5,  # noqa: E721 (True is an int, not a fifth)
        "size": member(SIZE_KEYS),
    }


def _typed(key: str, text: str):
    """A link's text as the state holds it: quintiles are numbers, everything else stays text."""
    return int(text) if key == "quintile" and text in {"1", "2", "3", "4", "5"} else text


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
        "level": "“{}” is not a map level (use la, icb or region); showing local authorities.",
        "metric": "“{}” is not a measure we know; showing " + REGISTRY[MAP_DEFAULT].label + ".",
        "band": "“{}” is not a deprivation band (use quintile or decile).",
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

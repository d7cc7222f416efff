"""The explorer's whole view as a small value that round-trips through the URL query string.

Parsing never fails: unknown or malformed values are dropped with a plain-English notice and the
default takes their place, so a mangled link still opens a sensible page.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
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


def parse_query(search: str | None, atlas) -> tuple[ViewState, list[str]]:
    """(state, notices) from a query string such as '?year=2022-23&level=icb&metric=...'."""
    state = default_state(atlas.latest_year)
    notices: list[str] = []
    try:
        params = parse_qs((search or "").lstrip("?"), keep_blank_values=True, max_num_fields=50)
    except ValueError:
        return state, ["The link had too many settings to read, so the default view is shown."]
    known_areas = atlas.area_by_code.index
    marmot_slugs = set(atlas.marmot_places.loc[atlas.marmot_places["mapped"], "slug"])

    def single(key: str) -> str | None:
        values = params.get(key)
        if not values:
            return None
        value = values[-1].strip()
        if len(value) > MAX_VALUE_LENGTH:
            notices.append(f"The value given for “{key}” was too long and was ignored.")
            return None
        return value

    # key: (accepted values, what to say when a value is not one of them); the default stays in place.
    singles = {
        "year": (set(atlas.years), "There is no data for the year “{}”; showing " + atlas.latest_year + "."),
        "level": (set(LEVELS), "“{}” is not a map level (use la, icb or region); showing local authorities."),
        "metric": (set(REGISTRY), "“{}” is not a measure we know; showing " + REGISTRY[MAP_DEFAULT].label + "."),
        "band": (set(BANDS), "“{}” is not a deprivation band (use quintile or decile)."),
        "area": (known_areas, "We could not find an area with the code “{}”; showing all of England."),
    }
    for key, (accepted, complaint) in singles.items():
        value = single(key)
        if value is None:
            continue
        if value in accepted:
            setattr(state, key, value)
        else:
            notices.append(complaint.format(shorten(value)))

    allowed = {
        "region": lambda v: v in known_areas and atlas.area_by_code.at[v, "level"] == "region",
        "icb": lambda v: v in known_areas and atlas.area_by_code.at[v, "level"] == "icb",
        "la": lambda v: v in known_areas and atlas.area_by_code.at[v, "level"] == "la",
        "marmot": lambda v: v in marmot_slugs,
        "rurality": lambda v: v in RURALITY,
        "dispensing": lambda v: v in DISPENSING,
        "contract": lambda v: v in CONTRACTS,
        "quintile": lambda v: v in {"1", "2", "3", "4", "5"},
        "size": lambda v: v in SIZE_KEYS,
    }
    for key in LIST_KEYS:
        raw = single(key)
        if raw is None:
            continue
        values = [v.strip() for v in raw.split(",") if v.strip()]
        good = list(dict.fromkeys(v for v in values if allowed[key](v)))
        bad = [v for v in values if not allowed[key](v)]
        if bad:
            notices.append(f"Ignored unknown {key} value(s): {', '.join(shorten(b) for b in bad[:3])}"
                           + (" …" if len(bad) > 3 else "") + ".")
        setattr(state, key, [int(v) for v in good] if key == "quintile" else good)
    unknown = sorted(k for k in params if k not in {f.name for f in fields(ViewState)})
    if unknown:
        notices.append(f"Ignored unknown setting(s) in the link: {', '.join(shorten(k) for k in unknown[:5])}.")
    return state, notices


def shorten(text: str, limit: int = 40) -> str:
    """Echo user input back as short plain text (Dash renders it as text, never as markup)."""
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= limit else text[: limit - 1] + "…"

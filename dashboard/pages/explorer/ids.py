"""The explorer's component ids, in one place: the layout, the callbacks, assets/*.js and the tests use these."""

from dashboard.dimensions import FILTERS

URL = "ex-url"
VIEW = "ex-state"  # the whole view (ViewState.as_dict)
SELECTION = "ex-selection"  # what cards, charts and table depend on (no map level or measure)
TREND_SELECTION = "ex-trend-selection"  # what the trend depends on (no year or band either)
NOTICE = "ex-notice"
DOWNLOAD = "ex-download"

MAP = "ex-map"
MAP_TITLE = "map-title"
MAP_ALT = "ex-map-alt"
SHOW_PRACTICES = "ex-show-practices"
CLEAR_AREA = "ex-clear-area"
RESET = "f-reset"

CARDS = "ex-cards"
GAP_SENTENCE = "ex-gap-sentence"
GAP_ENGLAND = "ex-gap-england"  # the comparison in England-wide bands (the explorer's default)
GAP_AREA = "ex-gap-area"  # a selected area's own bands: the sentence its profile page states
LISTS_SEEN = "ex-lists-seen"  # set once the map is drawn: the filter panel's dropdowns then get their lists
# The filter panel's dropdowns (components/controls.panel_lists holds their options).
PANEL_LISTS = ("f-year", "f-metric", *(f"f-{flt.key}" for flt in FILTERS if flt.kind != "choice"))
CHARTS_SEEN = "ex-charts-seen"
CHARTS_PART = "ex-charts"
TABLE_SEEN = "ex-table-seen"
TABLE_PART = "ex-table-part"
TABLE = "ex-table"
TABLE_SEARCH = "ex-table-search"
TABLE_REFRESH = "ex-table-refresh"

DOWNLOAD_CSV = "ex-download-csv"
DOWNLOAD_XLSX = "ex-download-xlsx"
COPY_LINK = "ex-copy-link"
COPY_STATUS = "ex-copy-status"

# Charts below the map, by id, with the title each shows.
CHARTS = {
    "chart-deprivation": "Payments per weighted patient by national deprivation band",
    "chart-scatter-pay": "Practice deprivation against payments per weighted patient",
    "chart-scatter-le": "Practice deprivation against life expectancy",
    "chart-trend": "Payments per weighted patient by deprivation fifth, every year",
    "chart-components": "What the money is made of, by deprivation fifth",
}


def chart_button(kind: str, chart_id: str) -> dict:
    """A chart's download button id (pattern-matching: one callback serves every chart)."""
    return {"type": f"chart-{kind}", "chart": chart_id}

"""The rules for the explorer's three stores, each the shape it is written with (view.py)."""

from dashboard import boundary

from .view import MAP_ONLY

VIEW_STORE = boundary.view_store()
# The selection and trend keep the measure the charts show (view.chart_metric), not the map's level.
SELECTION_STORE = boundary.view_store(without=MAP_ONLY)
TREND_STORE = boundary.view_store(without=(*MAP_ONLY, "year", "band"))

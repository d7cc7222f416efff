"""The rules for the explorer's three stores, each the shape it is written with (view.py)."""

from dashboard import boundary

VIEW_STORE = boundary.view_store()
SELECTION_STORE = boundary.view_store(without=("level", "metric"))
TREND_STORE = boundary.view_store(without=("level", "metric", "year", "band"))

"""Pure figure builders: chart-ready frames in, go.Figure out (no Dash, no data loading)."""

from .components import component_bars
from .deprivation import deprivation_bars
from .map import (
           AREA_TRACE,
           HIGHLIGHT_TRACE,
           MARMOT_TRACE,
           PRACTICE_TRACE,
           SELECTED_TRACE,
           choropleth_map,
           practice_points,
)
from .scatter import deprivation_scatter
from .trend import trend_lines

__all__ = ["AREA_TRACE", "HIGHLIGHT_TRACE", "MARMOT_TRACE", "PRACTICE_TRACE", "SELECTED_TRACE", "choropleth_map", "component_bars",
           "deprivation_bars", "deprivation_scatter", "practice_points", "trend_lines"]

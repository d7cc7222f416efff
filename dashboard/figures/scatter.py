"""Every practice by deprivation against money or life expectancy, with the list-size-weighted line."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from . import palette

NAMED_POINTS_LIMIT = 1000  # an ICB has at most ~430 practices, a region 570-1,320
X_TITLE = "Practice IMD score (higher = more deprived)"


def deprivation_scatter(frame, fit: dict | None, y_label: str | None = None, metric_id: str | None = None,
                        no_fit: str = "") -> go.Figure:
    """One WebGL point per practice from aggregates.scatter_frame, symbol by dispensing status, plus the fit.

    y_label overrides the registry's axis title; metric_id defaults to frame.attrs["metric_id"]. fit None (from
    inequality.fitted_line, which refuses a line through a handful of practices) draws no line and no R², and
    `no_fit`, its reason, is written on the chart and in the alternative text: a missing line is explained.
    """
    metric_id = metric_id or frame.attrs.get("metric_id")
    metric = palette.metric_of(metric_id)
    y_label = y_label or palette.axis_title(metric_id)
    value = palette.hover_value(metric_id)
    traces, notes = [], []
    named = len(frame) <= NAMED_POINTS_LIMIT
    # Points in IMD order: the x values then repeat and rise, and compress to a tenth of their size.
    ordered = frame.sort_values("imd_score", kind="stable")
    for status in ("No", "Yes", "Unknown"):
        part = ordered[ordered["dispensing"] == status]
        if part.empty:
            continue
        # Short, rounded lists compress well. Names, codes and list sizes only when there are few points:
        # for all of England they would be most of what every interaction sends (the alt text says so).
        trace = {
            "type": "scattergl", "name": palette.DISPENSING_LABELS[status],
            "x": part["imd_score"].round(1).tolist(), "y": part["y"].round(max(metric.decimals, 1)).tolist(),
            "mode": "markers",
            "marker": {"symbol": palette.DISPENSING_SYMBOLS[status], "color": palette.DISPENSING_COLOURS[status],
                       "size": 6, "opacity": 0.55, "line": {"width": 0}},
        }
        kind = f"{palette.DISPENSING_LABELS[status]} practice"
        if named:
            trace["text"] = (part["practice_name"].astype(str) + " (" + part["practice_code"].astype(str)
                             + ")").tolist()
            trace["customdata"] = part["registered_patients"].round(0).tolist()
            trace["hovertemplate"] = (f"<b>%{{text}}</b><br>{kind}<br>IMD score %{{x:.1f}}<br>{value}"
                                      "<br>%{customdata:,.0f} registered patients<extra></extra>")
        else:
            trace["hovertemplate"] = f"<b>{kind}</b><br>IMD score %{{x:.1f}}<br>{value}<extra></extra>"
        traces.append(trace)
    has_fit = fit is not None and bool(np.isfinite(fit.get("slope", np.nan)))
    if has_fit and len(frame):
        xs = np.array([frame["imd_score"].min(), frame["imd_score"].max()], dtype=float)
        traces.append({
            "type": "scatter", "name": "Fitted line (weighted by list size)", "x": xs.round(2).tolist(),
            "y": (fit["intercept"] + fit["slope"] * xs).round(3).tolist(), "mode": "lines",
            "line": {"color": palette.INK, "width": 3, "dash": "dash"}, "hoverinfo": "skip",
        })
        notes.append(dict(
            text=_fit_text(fit, metric), xref="paper", yref="paper", x=0.01, y=0.99, xanchor="left",
            yanchor="top", showarrow=False, align="left", bgcolor="rgba(255,255,255,0.85)",
            bordercolor="#8c8c8c", borderwidth=1, font={"size": 12},
        ))
    if not has_fit and no_fit:
        notes.append(dict(
            text=no_fit, xref="paper", yref="paper", x=0.01, y=0.99, xanchor="left", yanchor="top", showarrow=False,
            align="left", bgcolor="rgba(255,255,255,0.85)", bordercolor="#8c8c8c", borderwidth=1, font={"size": 12},
        ))
    y_range, off_chart = _view_range(frame["y"].to_numpy(dtype=float))
    if off_chart:
        notes.append(dict(
            text=f"{off_chart:,} practice{'s' if off_chart != 1 else ''} with extreme values "
                 f"{'are' if off_chart != 1 else 'is'} off the chart: use Autoscale to show all",
            xref="paper", yref="paper", x=1, y=-0.01, xanchor="right", yanchor="bottom", showarrow=False,
            font={"size": 11, "color": palette.GREY}, bgcolor="rgba(255,255,255,0.85)",
        ))
    return palette.new_figure(data=traces, layout=dict(
        template=palette.TEMPLATE, uirevision="scatter", annotations=notes,
        xaxis={"title": {"text": X_TITLE}}, yaxis={"title": {"text": y_label}, "range": y_range},
        meta={"alt": _alt(frame, fit, metric, has_fit, no_fit)},
    ))


def _view_range(y: np.ndarray) -> tuple[list[float] | None, int]:
    """A y-range from the 1st to 99th percentile (padded): a few practices with tiny lists get thousands of
    pounds per patient and would otherwise squash everyone else into a line. Returns (range, points outside)."""
    y = y[np.isfinite(y)]
    if y.size < 50:
        return None, 0
    low, high = np.percentile(y, [1, 99])
    pad = 0.1 * (high - low) or 1.0
    low, high = float(low - pad), float(high + pad)
    return [round(low, 3), round(high, 3)], int(((y < low) | (y > high)).sum())


def _slope_text(fit: dict, metric) -> str:
    """The slope in the metric's own unit per IMD point, e.g. '−£0.49 per weighted patient per IMD point'."""
    slope = fit["slope"]
    sign = "−" if slope < 0 else "+"
    if metric.unit == "£ per patient":
        patient = "weighted" if "weighted" in metric.id else "registered"
        amount = f"£{abs(slope):,.2f} per {patient} patient"
    elif metric.unit == "years":
        amount = f"{abs(slope):.2f} years"
    else:
        amount = f"{abs(slope):,.3g}"
    return f"{sign}{amount} per IMD point"


def _r2(r2: float) -> str:
    """Two decimals, or three when the fit explains almost nothing (0.00 would hide that it is not zero)."""
    return f"{r2:.2f}" if r2 >= 0.01 else f"{r2:.3f}"


def _fit_text(fit: dict, metric) -> str:
    return (f"Slope: {_slope_text(fit, metric)}<br>R² = {_r2(fit['r2'])} "
            f"(n = {fit['n']:,} practices, weighted by list size)")


def _alt(frame, fit: dict | None, metric, has_fit: bool, no_fit: str = "") -> str:
    head = (f"Scatter plot of {len(frame):,} practices: deprivation (IMD score) against "
            f"{palette.plain_label(metric.id)}, with dispensing practices drawn as diamonds.")
    if len(frame) > NAMED_POINTS_LIMIT:
        head += (f" Hovering a point names the practice when the selection has {NAMED_POINTS_LIMIT:,} practices "
                 "or fewer.")
    if not has_fit:
        return head + " " + (no_fit or "There are too few practices to fit a line.")
    direction = "falls" if fit["slope"] < 0 else "rises"
    slope = _slope_text(fit, metric).lstrip("−+")
    return (f"{head} The list-size-weighted line {direction} by {slope} "
            f"(R² = {_r2(fit['r2'])}).")

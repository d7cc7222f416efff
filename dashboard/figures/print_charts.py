"""Static PNG and SVG versions of an area's charts for briefings and packs, drawn offline with matplotlib.

The browser draws the interactive charts; a PDF made on the server needs pictures made on the server,
and a headless browser is not something a web worker should depend on.
"""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from .. import config
from . import palette

SOURCE = ("Source: NHS Payments to General Practice (NHS England), with OHID, ONS and MHCLG data; compiled by "
          "Equity Atlas. " + config.OGL_ATTRIBUTION)
MUTED = "#505a5f"
BAND_NAMES = {1: "1\nmost\ndeprived", 2: "2", 3: "3", 4: "4", 5: "5\nleast\ndeprived"}


def render(fig) -> tuple[bytes, bytes]:
    """(PNG, SVG) of a matplotlib figure, with fixed metadata and SVG ids so the same chart gives the same bytes."""
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    with matplotlib.rc_context({"svg.hashsalt": "equity-atlas"}):  # else element ids are random per drawing
        fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    return png.getvalue(), svg.getvalue()


def frame(fig, title: str, subtitle: str = "", source: str = SOURCE, width: int = 95) -> None:
    """Title, subtitle (area and year) and a source line on the picture itself: a chart lifted out of the
    pack into a slide or a report still says what, where, when and whose data, under which licence."""
    fig.suptitle(title, x=0.01, y=1.0, ha="left", va="bottom", fontsize=11, fontweight="bold")
    if subtitle:
        fig.text(0.01, 0.995, "\n".join(textwrap.wrap(subtitle, width)), ha="left", va="top", fontsize=8.5,
                 color=MUTED)
    fig.text(0.01, -0.01, "\n".join(textwrap.wrap(source, int(width * 1.25))), ha="left", va="top", fontsize=6.5,
             color=MUTED)


def quintile_bars(table: pd.DataFrame, metric_id: str, title: str, subtitle: str = "") -> tuple[bytes, bytes]:
    """All practices' value per deprivation fifth, with the practice count on each bar."""
    metric = palette.metric_of(metric_id)
    rows = table[table["group"] == "All practices"].sort_values("band")
    fig = Figure(figsize=(6.4, 3.8))
    ax = fig.subplots()
    fig.subplots_adjust(top=0.84, bottom=0.2)
    colours = [palette.QUINTILE_COLOURS.get(int(b), palette.GREY) for b in rows["band"]]
    values = rows["value"].fillna(0).to_numpy()
    bars = ax.bar([BAND_NAMES.get(int(b), str(b)) for b in rows["band"]], values, color=colours,
                  edgecolor="#1b1b1b", linewidth=0.6)
    for bar, value, count in zip(bars, rows["value"], rows["practices"], strict=True):
        label = "no data" if pd.isna(value) else f"{metric.format(value)}\nn={int(count):,}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize=8, xytext=(0, 2), textcoords="offset points")
    units = {"£ per patient": "£", "£": "£"}.get(metric.unit, metric.unit)
    if metric.unit != "years":
        ax.set_ylim(0, max(values.max() * 1.25, 1))
    else:
        finite = rows["value"].dropna()
        if len(finite):  # years of life differ by a few; from zero every bar would look the same
            bottom = float(int(finite.min()) - 3)
            ax.set_ylim(bottom, finite.max() + 2)
            ax.text(0.99, 0.98, f"The axis starts at {bottom:.0f} years, not zero", transform=ax.transAxes,
                    ha="right", va="top", fontsize=7, color=MUTED)
    ax.set_ylabel(f"{palette.plain_label(metric_id).capitalize()} ({units})", fontsize=9)
    ax.set_xlabel("Deprivation fifth of the area's patients", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    frame(fig, title, subtitle)
    return render(fig)


def trend_lines(table: pd.DataFrame, area_name: str, metric_id: str, title: str,
                subtitle: str = "") -> tuple[bytes, bytes]:
    fig = Figure(figsize=(6.4, 3.6))
    ax = fig.subplots()
    fig.subplots_adjust(top=0.84, bottom=0.25)
    ax.plot(table["year"], table["area"], marker="o", color=palette.OKABE_ITO["blue"], linewidth=2.4, label=area_name)
    ax.plot(table["year"], table["england"], marker="D", linestyle="--", color=palette.GREY, linewidth=1.6,
            label="England")
    ax.set_ylabel(palette.plain_label(metric_id).capitalize() + " (£, cash terms)", fontsize=9)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    frame(fig, title, subtitle)
    return render(fig)


LEGEND_SIZES = (2_000, 10_000, 30_000)


def dot_size(patients):
    """Marker area for a list size: the same rule for the dots and for the legend's examples."""
    return (patients.clip(lower=0) / 400).clip(4, 120) if hasattr(patients, "clip") else min(max(patients / 400, 4), 120)


def area_map(geojson_path: Path, code: str, practices: pd.DataFrame, title: str,
             subtitle: str = "") -> tuple[bytes, bytes]:
    """The area's outline with its practices as dots sized by list size (no tiles, no network), with a
    legend: printed, nobody can hover to learn what a black dot or a big one means."""
    from matplotlib.lines import Line2D

    features = json.loads(Path(geojson_path).read_text(encoding="utf-8"))["features"]
    fig = Figure(figsize=(5.5, 4.2))
    ax = fig.subplots()
    for feature in features:
        if code != "E92000001" and feature["id"] != code:  # England: draw every region
            continue
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            ring = polygon[0]
            ax.fill([p[0] for p in ring], [p[1] for p in ring], facecolor="#e8eef5", edgecolor="#1b1b1b", linewidth=1.2)
    located = practices.dropna(subset=["lon", "lat"])
    status = located["dispensing"].astype(str)
    colours = [palette.MAP_DISPENSING_COLOURS.get(s, palette.GREY) for s in status]
    sizes = dot_size(located["registered_patients"])
    ax.scatter(located["lon"], located["lat"], s=sizes, c=colours, edgecolors="white", linewidths=0.4, zorder=3)
    ax.set_aspect(1 / 0.62)  # roughly true shape at England's latitudes
    ax.axis("off")
    handles = [Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=colour, markeredgecolor="white",
                      label=palette.DISPENSING_LABELS[status])
               for status, colour in palette.MAP_DISPENSING_COLOURS.items()]
    handles += [Line2D([], [], marker="o", linestyle="", markersize=dot_size(n) ** 0.5, markerfacecolor="#bdbdbd",
                       markeredgecolor="#1b1b1b", markeredgewidth=0.4, label=f"{n:,} patients")
                for n in LEGEND_SIZES]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=7, frameon=False,
              title="Each dot is a practice: colour for dispensing, size for registered patients",
              title_fontsize=7)
    frame(fig, title, subtitle, width=80)
    return render(fig)

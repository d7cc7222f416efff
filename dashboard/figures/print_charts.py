"""Static PNG and SVG versions of an area's charts for briefings and packs, drawn offline with matplotlib.

The browser draws the interactive charts; a PDF made on the server needs pictures made on the server,
and a headless browser is not something a web worker should depend on.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from . import palette

BAND_NAMES = {1: "1\nmost\ndeprived", 2: "2", 3: "3", 4: "4", 5: "5\nleast\ndeprived"}


def render(fig) -> tuple[bytes, bytes]:
    """(PNG, SVG) of a matplotlib figure, with fixed metadata and SVG ids so the same chart gives the same bytes."""
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(png, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    with matplotlib.rc_context({"svg.hashsalt": "equity-atlas"}):  # else element ids are random per drawing
        fig.savefig(svg, format="svg", bbox_inches="tight", metadata={"Date": None})
    return png.getvalue(), svg.getvalue()


def quintile_bars(table: pd.DataFrame, metric_id: str, title: str) -> tuple[bytes, bytes]:
    """All practices' value per deprivation fifth, with the practice count on each bar."""
    metric = palette.metric_of(metric_id)
    rows = table[table["group"] == "All practices"].sort_values("band")
    fig = Figure(figsize=(6.4, 3.4))
    ax = fig.subplots()
    colours = [palette.QUINTILE_COLOURS.get(int(b), palette.GREY) for b in rows["band"]]
    values = rows["value"].fillna(0).to_numpy()
    bars = ax.bar([BAND_NAMES.get(int(b), str(b)) for b in rows["band"]], values, color=colours,
                  edgecolor="#1b1b1b", linewidth=0.6)
    for bar, value, count in zip(bars, rows["value"], rows["practices"], strict=True):
        label = "no data" if pd.isna(value) else f"{metric.format(value)}\nn={int(count):,}"
        ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                    fontsize=8, xytext=(0, 2), textcoords="offset points")
    if metric.unit != "years":
        ax.set_ylim(0, max(values.max() * 1.25, 1))
    else:
        finite = rows["value"].dropna()
        if len(finite):
            ax.set_ylim(finite.min() - 3, finite.max() + 2)
    ax.set_ylabel(palette.plain_label(metric_id).capitalize(), fontsize=9)
    ax.set_xlabel("Deprivation fifth of the area's patients", fontsize=9)
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return render(fig)


def trend_lines(table: pd.DataFrame, area_name: str, metric_id: str, title: str) -> tuple[bytes, bytes]:
    fig = Figure(figsize=(6.4, 3.2))
    ax = fig.subplots()
    ax.plot(table["year"], table["area"], marker="o", color=palette.OKABE_ITO["blue"], linewidth=2.4, label=area_name)
    ax.plot(table["year"], table["england"], marker="D", linestyle="--", color=palette.GREY, linewidth=1.6,
            label="England")
    ax.set_ylabel(palette.plain_label(metric_id).capitalize() + " (£, cash terms)", fontsize=9)
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(title, fontsize=10, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return render(fig)


def area_map(geojson_path: Path, code: str, practices: pd.DataFrame, title: str) -> tuple[bytes, bytes]:
    """The area's outline with its practices as dots sized by list size (no tiles, no network)."""
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
    sizes = (located["registered_patients"].clip(lower=0) / 400).clip(4, 120)
    ax.scatter(located["lon"], located["lat"], s=sizes, c=colours, edgecolors="white", linewidths=0.4, zorder=3)
    ax.set_aspect(1 / 0.62)  # roughly true shape at England's latitudes
    ax.axis("off")
    ax.set_title(title, fontsize=10, loc="left")
    return render(fig)

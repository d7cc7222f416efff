"""Taking the explorer's view away: the practices as CSV or Excel, each chart's data, images, the link."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    no_update,
)

from dashboard import boundary, config, downloads
from dashboard.data.query import load_atlas
from dashboard.metrics import REGISTRY
from dashboard.state import ViewState

from . import ids
from .charts import chart_settings, chart_tables
from .stores import VIEW_STORE
from .view import selection, selection_name


@boundary.accepts({f"{ids.DOWNLOAD_CSV}.n_clicks": boundary.n_clicks, f"{ids.DOWNLOAD_XLSX}.n_clicks": boundary.n_clicks,
                   "chart-csv.n_clicks": boundary.n_clicks, f"{ids.VIEW}.data": VIEW_STORE},
                  ids={"chart-csv": {"chart": boundary.one_of(ids.CHARTS)}})
@callback(Output(ids.DOWNLOAD, "data"), Input(ids.DOWNLOAD_CSV, "n_clicks"), Input(ids.DOWNLOAD_XLSX, "n_clicks"),
          Input({"type": "chart-csv", "chart": ALL}, "n_clicks"), State(ids.VIEW, "data"),
          prevent_initial_call=True)
def download(csv_clicks, xlsx_clicks, chart_clicks, stored):
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update
    atlas = load_atlas()
    state = ViewState(**stored)
    practices = selection(atlas, state)
    names = atlas.area_by_code["name"].to_dict()
    filters = downloads.describe_filters(state.filters(), names)
    if state.area:
        filters.append(f"Selected area: {names.get(state.area, state.area)} ({state.area})")
    filters += chart_settings(state)
    provenance = downloads.provenance_lines(filters, datetime.now(), atlas.manifest)
    table = downloads.practice_table(atlas, practices)
    columns = [(c, h) for c, h in downloads.PRACTICE_COLUMNS if c in table.columns]
    stem = f"equity-atlas-{selection_name(atlas, state)}-{state.year}"
    chart_tables = chart_data(atlas, state, practices)
    trigger = ctx.triggered_id
    if trigger == ids.DOWNLOAD_CSV:
        return dcc.send_bytes(downloads.practices_csv(table, columns, provenance),
                              downloads.safe_filename(stem, "csv"))
    if trigger == ids.DOWNLOAD_XLSX:
        from dashboard.security import ExportsBusy, export_slot

        sheets = {"Practices": table[[c for c, _ in columns]].rename(columns=dict(columns))}
        sheets.update({SHEETS[cid]: frame for cid, frame in chart_tables.items()})
        sheets["Map areas"] = map_table(atlas, state)
        try:
            with export_slot():
                book = downloads.workbook_xlsx(sheets, provenance)
        except ExportsBusy:
            return no_update
        return dcc.send_bytes(book, downloads.safe_filename(stem, "xlsx"))
    chart_id = trigger["chart"]
    return dcc.send_bytes(downloads.table_csv(chart_tables[chart_id], provenance + [f"Chart: {ids.CHARTS[chart_id]}"]),
                          downloads.safe_filename(f"{stem}-{chart_id}", "csv"))


def map_table(atlas, state: ViewState) -> pd.DataFrame:
    """The map's areas and values, headed with the measure, its unit and its year or edition (and what an
    area statistic describes)."""
    from .maps import map_metric, map_note, map_values, when

    values, names = map_values(atlas, state)
    metric = map_metric(state)
    header = f"{metric.label} ({metric.unit}), {when(state)}"
    frame = pd.DataFrame({"Area code": values.index, "Area name": names.to_numpy(),
                          header: values.round(metric.decimals + 2).to_numpy()})
    note = map_note(state)
    return frame.assign(**{"Note": [note] + [""] * (len(frame) - 1)}) if note and len(frame) else frame


# Sheet names a reader can tell apart in Excel's tabs (31 characters at most, each one different): the
# chart titles are longer than that and two of them share their first 31 characters.
SHEETS = {
    "chart-deprivation": "By deprivation band",
    "chart-scatter-pay": "Practices, payments",
    "chart-scatter-le": "Practices, life expectancy",
    "chart-trend": "Every year by fifth",
    "chart-components": "Components by fifth",
}
BAND_HEADERS = {"quintile": "Deprivation fifth (1 = most deprived)",
                "decile": "Deprivation tenth (1 = most deprived)"}


def chart_data(atlas, state: ViewState, practices) -> dict:
    """The numbers behind each chart, exactly as the figures draw them (same bands, same measure), in columns a
    reader can use unaided."""
    return labelled_chart_data(chart_tables(atlas, state, practices), state.band)


def labelled_chart_data(tables: dict, band: str = "quintile") -> dict:
    """Headers with units instead of the frames' working names (no bare "y" or "value"), patient and
    practice counts as whole numbers, values rounded as shown. Per-practice money keeps an unrounded
    column too: someone re-adding practices wants the pennies."""
    fifth = BAND_HEADERS["quintile"]
    out = {}
    dep = tables["chart-deprivation"]
    header, places = downloads.measure_header(dep.attrs.get("metric_id", "payments_per_weighted_patient"))
    out["chart-deprivation"] = downloads.labelled(dep, [
        ("band", BAND_HEADERS.get(dep.attrs.get("band", band), fifth), "count"), ("group", "Practices counted", None),
        ("practices", "Practices", "count"), ("registered_patients", "Registered patients", "count"),
        ("value", header, places)])
    for chart_id in ("chart-scatter-pay", "chart-scatter-le"):
        frame = tables[chart_id]
        metric_id = frame.attrs.get("metric_id", "payments_per_weighted_patient")
        header, places = downloads.measure_header(metric_id)
        columns = [("practice_code", "Practice code", None), ("practice_name", "Practice name", None),
                   ("imd_score", "IMD score (higher = more deprived)", 2), ("y", header, places)]
        if REGISTRY[metric_id].unit.startswith("£"):
            columns.append(("y", header.removesuffix(")") + ", unrounded)", None))
        columns += [("registered_patients", "Registered patients", "count"), ("dispensing", "Dispensing practice", None)]
        out[chart_id] = downloads.labelled(frame, columns)
    trend = tables["chart-trend"]
    header, places = downloads.measure_header(trend.attrs.get("metric_id", "payments_per_weighted_patient"), "cash terms")
    out["chart-trend"] = downloads.labelled(trend, [
        ("year", "Year", None), ("band", fifth, "count"), ("value", header, places), ("practices", "Practices", "count")])
    out["chart-components"] = downloads.labelled(tables["chart-components"], [
        ("band", fifth, "count"), ("component", "Payment component", None),
        ("amount_per_weighted_patient", "Payments per weighted patient (£)", 2),
        ("amount", "Payments in total (£)", 0)])
    return out


# --- in the browser: chart images and the link -----------------------------------------------------------
CAPTION = "ex-chart-caption"  # a dcc.Store in the explorer's layout: what an exported chart image says about itself
SOURCE = ("Source: NHS Payments to General Practice (NHS England), with OHID, ONS and MHCLG data; "
          "compiled by Equity Atlas.")


def chart_caption(atlas, state: ViewState) -> dict:
    """What a chart image needs to be read away from the page: the selection, year and filters in words,
    and the source and licence (assets/takeaway.js adds the title, units and the link to the view)."""
    names = atlas.area_by_code["name"].to_dict()
    filters = downloads.describe_filters(state.filters(), names)[1:]  # the year is in the subtitle already
    if filters == [downloads.NO_FILTERS]:
        filters = ["All practices in England"]
    return {"subtitle": f"{selection_name(atlas, state)}, {state.year}", "filters": "; ".join(filters),
            "source": [SOURCE, config.OGL_ATTRIBUTION]}


@boundary.accepts({f"{ids.VIEW}.data": VIEW_STORE})
@callback(Output(CAPTION, "data"), Input(ids.VIEW, "data"))
def update_caption(stored):
    return chart_caption(load_atlas(), ViewState(**stored))


# The images are drawn in the browser by Plotly (assets/takeaway.js): nothing is sent to the server.
for _fmt in ("png", "svg"):
    clientside_callback(
        ClientsideFunction(namespace="takeaway", function_name=_fmt),
        Output({"type": f"chart-{_fmt}", "chart": ALL}, "title"),
        Input({"type": f"chart-{_fmt}", "chart": ALL}, "n_clicks"), State(CAPTION, "data"),
        prevent_initial_call=True)

clientside_callback(
    """
    function(clicks) {
        if (!clicks) { return window.dash_clientside.no_update; }
        const link = window.location.href;
        if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(link);
            return 'Link copied: ' + link;
        }
        return 'Copy this link: ' + link;
    }
    """,
    Output(ids.COPY_STATUS, "children"), Input(ids.COPY_LINK, "n_clicks"), prevent_initial_call=True,
)

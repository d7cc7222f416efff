"""Taking the explorer's view away: the practices as CSV or Excel, each chart's data, images, the link."""

from __future__ import annotations

from datetime import datetime

from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, no_update

from dashboard import boundary
from dashboard.data.query import load_atlas
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
    from dashboard import downloads

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
        sheets.update({ids.CHARTS[cid][:31]: frame for cid, frame in chart_tables.items()})
        try:
            with export_slot():
                book = downloads.workbook_xlsx(sheets, provenance)
        except ExportsBusy:
            return no_update
        return dcc.send_bytes(book, downloads.safe_filename(stem, "xlsx"))
    chart_id = trigger["chart"]
    return dcc.send_bytes(downloads.table_csv(chart_tables[chart_id], provenance + [f"Chart: {ids.CHARTS[chart_id]}"]),
                          downloads.safe_filename(f"{stem}-{chart_id}", "csv"))


def chart_data(atlas, state: ViewState, practices) -> dict:
    """The numbers behind each chart, exactly as the figures draw them (same bands, same measure)."""
    return chart_tables(atlas, state, practices)


# --- in the browser: chart images and the link -----------------------------------------------------------
for _fmt in ("png", "svg"):
    clientside_callback(
        f"""
        function(clicks) {{
            const trigger = window.dash_clientside.callback_context.triggered_id;
            if (!trigger || !clicks.some(Boolean)) {{ return window.dash_clientside.no_update; }}
            const graph = document.querySelector('#' + trigger.chart + ' .js-plotly-plot');
            if (graph) {{ Plotly.downloadImage(graph, {{format: '{_fmt}', filename: 'equity-atlas-' + trigger.chart,
                                                         width: 1000, height: 600}}); }}
            return window.dash_clientside.no_update;
        }}""",
        Output({"type": f"chart-{_fmt}", "chart": ALL}, "title"),
        Input({"type": f"chart-{_fmt}", "chart": ALL}, "n_clicks"), prevent_initial_call=True)

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

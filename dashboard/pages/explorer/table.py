"""The explorer's practice table: rows served a block at a time, searched and sorted on the server."""

from __future__ import annotations

import json

import dash_ag_grid as dag
from dash import Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import boundary
from dashboard.cache import bytes_cache
from dashboard.components import table_rows as table_rows_module
from dashboard.data.query import load_atlas
from dashboard.state import ViewState

from . import ids
from .stores import SELECTION_STORE
from .view import selection


def table_columns() -> list[dict]:
    money = {"type": "numericColumn", "valueFormatter": {"function": "params.value == null ? '' : '£' + "
                                                                     "d3.format(',.2f')(params.value)"}}
    count = {"type": "numericColumn", "valueFormatter": {"function": "params.value == null ? '' : "
                                                                     "d3.format(',.0f')(params.value)"}}
    return [
        {"field": "practice_code", "headerName": "Code", "pinned": "left", "width": 100},
        {"field": "practice_name", "headerName": "Practice", "width": 260, "cellRenderer": "PracticeLink"},
        {"field": "postcode", "headerName": "Postcode", "width": 110},
        {"field": "la_name", "headerName": "Local authority"},
        {"field": "dispensing", "headerName": "Dispensing", "width": 120},
        {"field": "contract_type", "headerName": "Contract", "width": 110},
        {"field": "rurality", "headerName": "Rurality", "width": 110},
        {"field": "registered_patients", "headerName": "Registered patients", **count},
        {"field": "payments_per_weighted_patient", "headerName": "£ per weighted patient", **money},
        {"field": "total_payments", "headerName": "Total payments (£)", **money},
        {"field": "imd_score", "headerName": "IMD score", "type": "numericColumn"},
        {"field": "imd_quintile", "headerName": "Deprivation fifth (1 = most)", "type": "numericColumn"},
    ]


def practice_table_part() -> list:
    return [
        html.Div(className="table-tools", children=[
            html.Label("Search practices by name, code or postcode", htmlFor=ids.TABLE_SEARCH),
            dcc.Input(id=ids.TABLE_SEARCH, type="search", debounce=0.3, placeholder="e.g. Densham, "
                      "A81001 or TS18 1HU"),
        ]),
        html.Div(id=ids.TABLE_REFRESH, hidden=True),
        dag.AgGrid(id=ids.TABLE, columnDefs=table_columns(), rowModelType="infinite",
                   defaultColDef={"sortable": True, "filter": True, "resizable": True},
                   dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                     "enableClickSelection": True},
                                    "pagination": True, "paginationPageSize": 20,
                                    "paginationPageSizeSelector": False, "cacheBlockSize": 20,
                                    "maxBlocksInCache": 20, "animateRows": False},
                   getRowId="params.data.practice_code", style={"height": "560px"}),
    ]


@bytes_cache("tables")
def table_for(state_json: str):
    """The selection's practice table, kept for the blocks the grid will ask for next."""
    from dashboard.downloads import practice_table

    atlas = load_atlas()
    return practice_table(atlas, selection(atlas, ViewState(**json.loads(state_json))))


def table_fields() -> set[str]:
    """Every column a practice-table row can carry (dashboard.downloads.practice_table), as sent to the grid."""
    from dashboard import downloads

    return ({c for c, _ in downloads.PRACTICE_COLUMNS} | set(downloads.EXTRA_COLUMNS) | set(downloads.AREA_NAMES)
            | set(downloads.PER_PATIENT))


@boundary.accepts({f"{ids.TABLE}.getRowsRequest": boundary.grid_rows_request(
                       lambda: [c["field"] for c in table_columns()]),
                   f"{ids.SELECTION}.data": SELECTION_STORE, f"{ids.TABLE_SEARCH}.value": boundary.text(200)})
@callback(Output(ids.TABLE, "getRowsResponse"), Input(ids.TABLE, "getRowsRequest"), State(ids.SELECTION, "data"),
          State(ids.TABLE_SEARCH, "value"), prevent_initial_call=True)
def table_rows(request, stored, text):
    """Only the rows the grid is about to show travel to the browser."""
    if not stored:
        return no_update
    # The table does not depend on the charts' measure: keyed without it, a new measure reuses the table.
    practices_only = {k: v for k, v in stored.items() if k not in ("metric", "fifths")}
    return table_rows_module.block(table_for(json.dumps(practices_only, sort_keys=True)), request, text)


# A new selection or search empties the grid's cache, so it asks again for the rows it shows.
clientside_callback(
    f"""
    function(state, text) {{
        const grid = window.dash_ag_grid && dash_ag_grid.getApi && dash_ag_grid.getApi('{ids.TABLE}');
        if (grid) {{ grid.purgeInfiniteCache(); }}
        return '';
    }}
    """,
    Output(ids.TABLE_REFRESH, "children"), Input(ids.SELECTION, "data"), Input(ids.TABLE_SEARCH, "value"),
    prevent_initial_call=True,
)

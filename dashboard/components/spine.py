"""The area page's "Against England" section: the spine chart, a table of the same numbers, the engine's words.

Why a component module and one call in area_body: the area page is shared work; this section is added to it
whole, so its layout, ids and wording live in one file and the page gains one line.
"""

from __future__ import annotations

from dash import dcc, html

from dashboard import inequality
from dashboard.data import spine
from dashboard.figures import spine as spine_figures
from dashboard.metrics import REGISTRY


def spine_section(atlas, code: str, year: str, practices) -> html.Section:
    area = atlas.area(code)
    table = spine.rows(atlas, code, year, practices)
    figure = spine_figures.spine_chart(table, area["name"], year)
    plural = table["level_plural"].iloc[0]
    body = []
    for row in table.itertuples(index=False):
        metric = REGISTRY[row.metric_id]
        body.append(html.Tr([
            html.Th(row.label, scope="row"), html.Td(metric.format(row.value)), html.Td(metric.format(row.england)),
            html.Td(spine_figures.MARK_STYLE[row.mark][0]),
            *[html.Td(metric.format(getattr(row, key)) if row.areas else "") for key in
              ("minimum", "p25", "p75", "maximum")],
        ]))
    return html.Section(id="area-spine", **{"aria-labelledby": "area-spine-title"}, children=[
        html.H2(f"Against England and all {plural}", id="area-spine-title"),
        html.P(f"Each measure is marked better, similar or worse than England only where the difference is clear: "
               f"its 95% confidence interval, over the area's practices, is wholly on one side of England's value. "
               f"Money is marked higher or lower, not better or worse. “Not compared” means the area is too small "
               f"for an interval or has no value. {inequality.SMALL_NUMBER_RULE}", className="control-hint"),
        html.P(figure.layout.meta["alt"], className="chart-alt"),
        dcc.Graph(id="area-spine-chart", figure=figure, config={"displaylogo": False, "responsive": True,
                                                                "staticPlot": False}),
        html.Div(className="table-scroll", tabIndex="0", role="region", **{"aria-labelledby": "area-spine-caption"},
                 children=html.Table(className="data-table", id="area-spine-table", children=[
                     html.Caption(f"{area['name']} against England and the range of all {plural}, {year}",
                                  id="area-spine-caption"),
                     html.Thead(html.Tr([html.Th(h, scope="col") for h in (
                         "Measure", area["name"], "England", "Compared with England", f"Lowest of {plural}",
                         "25th percentile", "75th percentile", f"Highest of {plural}")])),
                     html.Tbody(body)])),
        html.Details([html.Summary("The comparisons in words"),
                      html.Ul([html.Li(s) for s in table["sentence"]], id="area-spine-sentences")]),
    ])

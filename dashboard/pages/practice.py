"""/practice/<code>: one practice's payments, against its ICB, England and practices like it.

Why a page per practice: community groups and commissioners talk about *their* practice, and until now a
practice code led only to its local authority. Everything shown is computed by data/practice_profile.py
(registry metrics over a group of one) and worded by dashboard.inequality, so the figures match the explorer
table, the area pages and the CSV the reader takes away.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs

from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import boundary, inequality
from dashboard.components.headline import patients_basis_note
from dashboard.components.notice import missing
from dashboard.data import practice_profile as profile
from dashboard.data.aggregates import COMPONENTS
from dashboard.data.query import load_atlas
from dashboard.figures import practice as practice_figures
from dashboard.metrics import REGISTRY, format_value
from dashboard.pages import route

GRAPH_CONFIG = {"displaylogo": False, "responsive": True}
PER_PATIENT = profile.PER_PATIENT


def no_such_practice(code: str) -> html.Div:
    return missing("No such practice", "practice", code, "None of the yearly NHS payments files lists it. Practice "
                   "codes look like G85013: a letter and five letters or digits.", "practice-missing")


@route("/practice/<practice>", "Practice · Equity Atlas")
def layout(search: str = "", practice: str = "", **_params):
    atlas = load_atlas()
    rows = profile.rows(atlas, practice)
    if rows.empty:
        return no_such_practice(practice)
    code = str(rows["practice_code"].iloc[0])
    requested = (parse_qs((search or "").lstrip("?")).get("year") or [""])[-1]
    year, _problem = profile.shown_year(atlas, rows, requested)
    info = profile.identity(atlas, rows, year)
    return html.Div(className="practice-page", children=[
        dcc.Location(id="practice-url", refresh="callback-nav"),
        dcc.Store(id="practice-code", data=code),
        html.Div(className="area-head", children=[
            html.H1(info["name"], id="practice-name"),
            html.Div(className="control", children=[
                html.Label("Year", htmlFor="practice-year", className="control-label"),
                dcc.Dropdown(id="practice-year", options=[{"label": y, "value": y} for y in reversed(info["years"])],
                             value=year, clearable=False, searchable=False, style={"width": "10rem"}),
            ]),
        ]),
        html.Div(className="area-actions", children=[
            html.A("Download payments by year (CSV)", id="practice-csv", href=profile.csv_path(code),
                   className="button"),
            *([dcc.Link(f"Open {info['la_name']}", href=f"/area/{info['la_code']}", className="button-link")]
              if info["la_code"] and info["la_name"] else []),
        ]),
        html.Div(id="practice-body", children=practice_body(atlas, rows, requested)),
    ])


def practice_body(atlas, rows, requested: str | None) -> list:
    year, problem = profile.shown_year(atlas, rows, requested)
    info = profile.identity(atlas, rows, year)
    row = rows[rows["year"].astype(str) == year].iloc[-1]
    table = profile.payments_by_year(rows)
    distribution = profile.local_distribution(atlas, info)
    return [
        html.Div(role="status", id="practice-notice",
                 children=html.Div(problem, className="notice") if problem else None),
        html.P(lede(info), className="lede"),
        *patients_basis_note(atlas, year),
        html.Section(**{"aria-labelledby": "practice-about-title"}, children=[
            html.H2("The practice", id="practice-about-title"),
            about_table(info),
        ]),
        html.Section(**{"aria-labelledby": "practice-compare-title"}, children=[
            html.H2(f"Payments per patient in {year}, against other practices", id="practice-compare-title"),
            *comparison_part(atlas, rows, info),
        ]),
        html.Section(**{"aria-labelledby": "practice-patients-title"}, children=[
            html.H2("Its patients", id="practice-patients-title"),
            patients_table(atlas, info, profile.deprivation(row)),
        ]),
        html.Section(**{"aria-labelledby": "practice-local-title"}, children=[
            html.H2(f"Among the practices of {info['la_name'] or 'its local authority'}", id="practice-local-title"),
            *local_part(info, distribution),
        ]),
        html.Section(**{"aria-labelledby": "practice-payments-title"}, children=[
            html.H2("Payments by component and year", id="practice-payments-title"),
            html.P("Cash terms, as published. COVID and PCN payments are published from 2020-21; per-patient "
                   "figures leave them out, as everywhere in the Atlas.", className="control-hint"),
            payments_table(atlas, info, table),
            chart_block("practice-chart-payments", practice_figures.payments_by_year(table, info["name"])),
        ]),
    ]


def lede(info: dict) -> list:
    parts = [f"Practice {info['code']}"]
    if info["postcode"]:
        parts.append(f", {info['postcode']}")
    places = [(info["la_name"], info["la_code"]), (info["icb_name"], info["icb_code"])]
    links = [dcc.Link(name, href=f"/area/{code}") for name, code in places if name and code]
    out: list = ["".join(parts)]
    if links:
        out.append(", in ")
        for index, link in enumerate(links):
            out += ([" and "] if index else []) + [link]
    out.append(f". Figures for {info['year']}.")
    return out


def about_table(info: dict) -> html.Table:
    basis = info["patients_basis"] or ""
    rows = [
        ("Practice code", info["code"]),
        ("Postcode", info["postcode"] or "not published"),
        ("Primary Care Network", f"{info['pcn_name']} ({info['pcn_code']})" if info["pcn_name"] else
         "none recorded for this year"),
        ("Contract type", info["contract_type"] or "unknown"),
        ("Dispensing practice", {"Yes": "Yes: it supplies medicines to some of its patients",
                                 "No": "No"}.get(info["dispensing"], "Unknown")),
        ("Rurality (publisher's flag)", info["rurality"]),
        (f"Registered patients ({basis})" if basis else "Registered patients",
         format_value(info["registered_patients"], "count")),
        ("Weighted patients (Carr-Hill)", format_value(info["weighted_patients"], "count")),
        ("Local authority, ICB and NHS region",
         ", ".join(n for n in (info["la_name"], info["icb_name"], info["region_name"]) if n) or "not placed"),
    ]
    return html.Table(className="data-table", id="practice-about", children=[
        html.Caption(f"{info['name']}, {info['year']}"),
        html.Thead(html.Tr([html.Th("Item", scope="col"), html.Th("Value", scope="col")])),
        html.Tbody([html.Tr([html.Th(label, scope="row"), html.Td(value)]) for label, value in rows]),
    ])


def comparison_part(atlas, rows, info: dict) -> list:
    own = profile.own_values(rows, info["year"])
    groups = profile.comparisons(atlas, rows, info["year"])
    registered, weighted = (REGISTRY[m] for m in PER_PATIENT)
    body = [html.Tr([html.Th(f"{info['name']} (this practice)", scope="row"), html.Td("1"),
                     html.Td(registered.format(own[PER_PATIENT[0]])), html.Td(weighted.format(own[PER_PATIENT[1]])),
                     html.Td("")])]
    sentences = []
    for group in groups:
        if group["missing"]:
            body.append(html.Tr([html.Th(capital(group["name"]), scope="row"),
                                 html.Td(f"Not compared: {group['missing']}", colSpan=4)]))
            continue
        comparison = group["comparisons"][PER_PATIENT[1]]
        difference = "" if not math.isfinite(comparison.estimate) else \
            ("+" if comparison.estimate >= 0 else "−") + weighted.format(abs(comparison.estimate))
        body.append(html.Tr([html.Th(capital(group["name"]), scope="row"), html.Td(f"{group['practices']:,}"),
                             html.Td(registered.format(group["values"][PER_PATIENT[0]])),
                             html.Td(weighted.format(group["values"][PER_PATIENT[1]])), html.Td(difference)]))
        sentences.append(html.Li(inequality.sentence(comparison)))
    return [
        html.Table(className="data-table", id="practice-compare", children=[
            html.Caption(f"Payments per patient (excluding COVID and PCN), {info['year']}: {info['name']} against "
                         "its ICB, England and practices like it"),
            html.Thead(html.Tr([html.Th("Practices", scope="col"), html.Th("Number of practices", scope="col"),
                                html.Th(f"£ {registered.per}", scope="col"), html.Th(f"£ {weighted.per}", scope="col"),
                                html.Th(f"This practice minus the group, £ {weighted.per}", scope="col")])),
            html.Tbody(body)]),
        html.Ul(sentences, id="practice-sentences"),
        html.P("A group's figure is all its practices' payments divided by all their patients (practices with "
               "patients only), the same figure as on its area page; every group includes this practice. One "
               "practice's payments are a complete count, so no confidence interval is given. Weighted patients "
               "adjust for age, sex, need and rurality (Carr-Hill), not directly for deprivation.",
               className="control-hint"),
    ]


def capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def patients_table(atlas, info: dict, dep: dict) -> html.Table:
    england = atlas.england_sums(info["year"])

    def england_value(metric_id):
        return REGISTRY[metric_id].format(float(REGISTRY[metric_id].compute(england).iloc[0]))

    edition = f"IMD {dep['imd_edition']}" if dep["imd_edition"] else "IMD"
    fifth = (f"{dep['imd_quintile']} of 5 (1 = most deprived); tenth {dep['imd_decile']} of 10"
             if dep["imd_quintile"] else "no deprivation score")
    period = f"estimate for {dep['le_year']}" if dep["le_year"] else "no estimate"
    rows = [
        (f"Deprivation of its patients' neighbourhoods ({edition} score; higher = more deprived)",
         format_value(dep["imd_score"], "score", 1), england_value("practice_imd_score")),
        (f"National deprivation fifth of patients, {info['year']}", fifth, ""),
        (f"Life expectancy, female ({period})", format_value(dep["life_expectancy_female"], "years", 1),
         england_value("life_expectancy_female")),
        (f"Life expectancy, male ({period})", format_value(dep["life_expectancy_male"], "years", 1),
         england_value("life_expectancy_male")),
    ]
    return html.Table(className="data-table", id="practice-patients", children=[
        html.Caption(f"The deprivation and life expectancy of {info['name']}'s patients, against England"),
        html.Thead(html.Tr([html.Th("Measure", scope="col"), html.Th("This practice", scope="col"),
                            html.Th("England (patient-weighted)", scope="col")])),
        html.Tbody([html.Tr([html.Th(label, scope="row"), html.Td(value), html.Td(reference)])
                    for label, value, reference in rows]),
    ])


def local_part(info: dict, distribution: dict) -> list:
    metric = REGISTRY[distribution["metric_id"]]
    if distribution["of"] == 0:
        return [html.P("The practice could not be placed in a local authority, so it is not ranked.")]
    if distribution["rank"] is None:
        said = (f"{info['name']} had no registered patients in {info['year']}, so it has no payments "
                f"{metric.per} and is not ranked among the {distribution['of']} practices of {info['la_name']}.")
    else:
        said = (f"Ranked {distribution['rank']} of {distribution['of']} practices in {info['la_name']} by payments "
                f"{metric.per} in {info['year']} (1 = highest).")
    figure = practice_figures.local_strip(distribution, info["code"], info["name"], info["year"])
    return [html.P(said, id="practice-rank"), chart_block("practice-chart-local", figure, height="260px")]


def payments_table(atlas, info: dict, table) -> html.Div:
    weighted = REGISTRY[PER_PATIENT[1]]
    averaged = [y for y in table["year"] if atlas.patients_basis(y) == "average over the year"]
    header = [html.Th("Year", scope="col"), html.Th("Registered patients", scope="col"),
              *[html.Th(label, scope="col") for label in COMPONENTS.values()],
              html.Th("Total excluding COVID and PCN", scope="col"),
              html.Th("Total including COVID and PCN", scope="col"),
              html.Th(f"Payments {weighted.per}", scope="col")]
    body = []
    for row in table.itertuples(index=False):
        marker = " *" if row.year in averaged else ""
        body.append(html.Tr([
            html.Th(row.year + marker, scope="row"), html.Td(format_value(row.registered_patients, "count")),
            *[html.Td(pounds(getattr(row, column))) for column in COMPONENTS],
            html.Td(pounds(row.total_payments)), html.Td(pounds(row.total_incl_covid_pcn)),
            html.Td(weighted.format(row.payments_per_weighted_patient)),
        ]))
    note = [html.P("* Patient counts for these years are the average over the year, as published from 2023-24; "
                   "earlier years use the last known figure.", className="control-hint")] if averaged else []
    # Focusable and named: a table wider than the screen scrolls, and keyboard users must be able to scroll it.
    return html.Div(className="table-scroll", tabIndex="0", role="region",
                    **{"aria-label": "Payments by component and year (scrolls sideways)"}, children=[
        html.Table(className="data-table", id="practice-payments", children=[
            html.Caption(f"Payments to {info['name']} by component and year (cash terms)"),
            html.Thead(html.Tr(header)), html.Tbody(body)]),
        *note,
    ])


def pounds(value: float) -> str:
    """Whole pounds, not "£1.1m": one practice's figures are checked line by line against its own accounts."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{'−' if round(value) < 0 else ''}£{abs(value):,.0f}"


def chart_block(chart_id: str, figure, height: str = "380px") -> html.Div:
    alt = figure.layout.meta.get("alt", "") if isinstance(figure.layout.meta, dict) else ""
    return html.Div(className="chart-block", children=[
        html.P(alt, className="chart-alt"),
        dcc.Graph(id=chart_id, figure=figure, config=GRAPH_CONFIG, style={"height": height}),
    ])


@boundary.accepts({"practice-year.value": boundary.one_of(boundary.years),
                   "practice-code.data": boundary.practice_code})
@callback(Output("practice-body", "children"), Output("practice-url", "search"),
          Input("practice-year", "value"), State("practice-code", "data"), prevent_initial_call=True)
def change_year(year, code):
    """A year chosen on the page redraws it and goes in the URL, so a copied link reopens that year."""
    atlas = load_atlas()
    rows = profile.rows(atlas, code)
    if rows.empty or year not in atlas.years:
        return no_update, no_update
    return practice_body(atlas, rows, year), f"?year={year}"

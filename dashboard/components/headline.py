"""National headline figures: the numbers a policymaker should see before touching anything."""

from __future__ import annotations

from dash import html

from ..metrics import format_money


def national_headline(summary: dict) -> html.Section:
    dispensing = summary["by_dispensing"]["Yes"]
    items = [
        ("Practices", f"{summary['practices']:,}"),
        ("Registered patients", f"{summary['registered_patients'] / 1e6:,.1f}m"),
        ("Total NHS payments", format_money(summary["total_payments"])),
        ("Including COVID and PCN payments", format_money(summary["total_payments_incl_covid_pcn"])),
        ("Prescribing and dispensing payments", format_money(summary["prescribing_dispensing_payments"])),
        ("Dispensing practices", f"{dispensing['practices']:,} serving {dispensing['registered_patients'] / 1e6:,.1f}m "
                                 "patients"),
    ]
    return html.Section(
        className="national-headline", id="national-headline", **{"aria-label": f"England, {summary['year']}"},
        children=[
            html.H2(f"England, {summary['year']}"),
            html.Dl(className="headline-list", children=[
                html.Div(className="headline-item", children=[html.Dt(label), html.Dd(value)])
                for label, value in items
            ]),
        ],
    )


def patients_basis_note(atlas, year: str) -> list:
    """A one-line note where a year's patient counts are averages over the year, not the last known figure.

    Per-patient figures of the two kinds are not strictly comparable (a growing list makes the average
    smaller than the year-end count), so a year on the newer basis says so where its figures are shown.
    """
    from dashboard.data.payments import YEAR_AVERAGE

    if atlas.patients_basis(year) != YEAR_AVERAGE:
        return []
    return [html.P(f"Patient counts for {year} are the average over the year, as published from 2023-24; "
                   "earlier years use the last known figure, so per-patient figures differ slightly in kind.",
                   className="control-hint patients-basis-note")]

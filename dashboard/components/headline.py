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

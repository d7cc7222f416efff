"""A page's "take this with you" block: a heading, its download buttons, what the files carry, the Download."""

from __future__ import annotations

from dash import dcc, html


def downloads_section(prefix: str, heading: str, buttons: list[tuple[str, str]], hint: str) -> html.Section:
    """buttons: (component id, label). The dcc.Download is `<prefix>-download`, the heading `<prefix>-downloads-title`."""
    return html.Section(className="downloads", **{"aria-labelledby": f"{prefix}-downloads-title"}, children=[
        html.H2(heading, id=f"{prefix}-downloads-title"),
        *[html.Button(label, id=button_id, className="button") for button_id, label in buttons],
        html.P(hint, className="control-hint"),
        dcc.Download(id=f"{prefix}-download"),
    ])

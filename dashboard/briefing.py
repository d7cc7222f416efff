"""An area briefing people can take to a meeting: plain-English sentences, a short PDF and a zip pack.

Pure functions (no Dash, no network, no browser): numbers in, text and bytes out. Every sentence is
written from the numbers it is given, so a briefing can never state a figure the page does not show;
a sentence whose numbers are missing is left out rather than filled with a placeholder.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date
from xml.sax.saxutils import escape

from . import inequality, metrics
from .inequality import Comparison

# Keys of area_values / england_values: metric ids from the registry.
PAYMENT = "payments_per_weighted_patient"
IMD = "practice_imd_score"
DISPENSING = "share_patients_dispensing"
LE_FEMALE, LE_MALE = "life_expectancy_female", "life_expectancy_male"

OGL_NAME = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
TITLE = "Equity Atlas"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same pack always has the same bytes
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]*$")


# --- sentences --------------------------------------------------------------------------------------------
def briefing_sentences(area_name: str, year: str, area_values: Mapping[str, float],
                       england_values: Mapping[str, float], gap: Comparison | None = None,
                       le: Mapping | None = None, versus_england: Comparison | None = None) -> list[str]:
    """Up to five sentences about an area against England, each written from the numbers given.

    area_values / england_values: registry metric id → value for the area and for England; used keys
    are payments_per_weighted_patient, practice_imd_score, share_patients_dispensing,
    life_expectancy_female and life_expectancy_male. gap: the area's most against least deprived fifth
    (profiles.payment_gap), written by inequality.sentence so the PDF says what the page says, caveats
    included. le: optional life expectancy override with keys female, male, england_female, england_male
    and period (text such as "2016 to 2020"); without it the life expectancy keys of the two value dicts
    are used. versus_england: the area's payments against England (inequality.against_reference); when
    given, the engine's sentence, with its interval, replaces the bare figures. A sentence is left out when
    the numbers it needs are missing or not finite.
    """
    sentences = [
        inequality.sentence(versus_england) if versus_england is not None else
        _payment_sentence(area_name, year, _get(area_values, PAYMENT), _get(england_values, PAYMENT)),
        inequality.sentence(gap) if gap is not None else "",
        _imd_sentence(_get(area_values, IMD), _get(england_values, IMD)),
        _life_sentence(area_values, england_values, le),
        _dispensing_sentence(area_name, _get(area_values, DISPENSING), _get(england_values, DISPENSING)),
    ]
    return [sentence for sentence in sentences if sentence]


def _get(values: Mapping | None, key: str) -> float | None:
    if not values or key not in values:
        return None
    try:
        number = float(values[key])
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _money(value: float) -> str:
    return metrics.format_value(value, "£ per patient")


def _percent_of(difference: float, reference: float) -> str:
    return f"{100 * abs(difference) / abs(reference):.1f}%"


def _payment_sentence(area_name: str, year: str, area: float | None, england: float | None) -> str:
    if area is None:
        return ""
    said = f"In {year}, practices in {area_name} received {_money(area)} {metrics.REGISTRY[PAYMENT].per}"
    if england is None:
        return f"{said}."
    difference = area - england
    if _money(abs(difference)) == _money(0):
        return f"{said}, the same as England."
    word = "more" if difference > 0 else "less"
    share = f" ({_percent_of(difference, england)})" if england else ""
    return f"{said}, {_money(abs(difference))}{share} {word} than England ({_money(england)})."


def _imd_sentence(area: float | None, england: float | None) -> str:
    if area is None:
        return ""
    said = f"The average deprivation score (IMD) of the practices' patients was {area:.1f}"
    if england is None:
        return f"{said} (higher is more deprived)."
    if f"{area:.1f}" == f"{england:.1f}":
        return f"{said}, the same as England."
    word = "more" if area > england else "less"
    return f"{said} against {england:.1f} for England, so they were {word} deprived than England as a whole."


def _life_sentence(area_values: Mapping, england_values: Mapping, le: Mapping | None) -> str:
    if le is not None:
        pairs = {"women": (_get(le, "female"), _get(le, "england_female")),
                 "men": (_get(le, "male"), _get(le, "england_male"))}
        period = str(le.get("period") or "").strip()
    else:
        pairs = {"women": (_get(area_values, LE_FEMALE), _get(england_values, LE_FEMALE)),
                 "men": (_get(area_values, LE_MALE), _get(england_values, LE_MALE))}
        period = ""
    clauses = []
    for who, (area, england) in pairs.items():
        if area is None:
            continue
        clause = f"{area:.1f} years for {who}"
        if england is not None:
            # subtract first, round once (as the page's "minus England" column does): rounding each side
            # first made the PDF say 1.2 where the page said 1.1
            difference = area - england
            size = metrics.format_value(abs(difference), "years", 1).removesuffix(" years")
            if size == metrics.format_value(0.0, "years", 1).removesuffix(" years"):
                clause += f" (the same as England's {england:.1f})"
            else:
                word = "longer" if difference > 0 else "shorter"
                clause += f" ({size} years {word} than England's {england:.1f})"
        clauses.append(clause)
    if not clauses:
        return ""
    when = f" ({period})" if period else ""
    return f"Estimated life expectancy at birth of the practices' patients{when} was {' and '.join(clauses)}."


def _dispensing_sentence(area_name: str, area: float | None, england: float | None) -> str:
    if area is None:
        return ""
    said = f"In {area_name}, {area:.1f}% of patients were registered with a practice that dispenses medicines"
    if england is None:
        return f"{said}."
    return f"{said}, against {england:.1f}% across England."


# --- PDF --------------------------------------------------------------------------------------------------
def briefing_pdf(*, area_name: str, area_code: str, year: str, headline_rows: list[tuple[str, str, str]],
                 sentences: list[str], chart_pngs: list[tuple[str, bytes]], map_png: bytes | None,
                 sources: list[str], attribution: str, made_on: date) -> bytes:
    """A one-to-two page A4 PDF with real (extractable) text; deterministic bytes for the same inputs.

    headline_rows: (label, area value text, England value text). chart_pngs: (title, PNG bytes),
    possibly empty; map_png optional. Two charts and a map fit on two pages.
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_LEFT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=10, leading=13.5, alignment=TA_LEFT)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=colors.HexColor("#444444"))
    heading = ParagraphStyle("heading", parent=styles["Heading2"], fontSize=12.5, spaceBefore=8, spaceAfter=4)
    title = ParagraphStyle("title", parent=styles["Title"], fontSize=19, leading=23, alignment=TA_LEFT,
                           spaceAfter=2)

    buffer = io.BytesIO()
    margin = 1.8 * cm
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=1.6 * cm, bottomMargin=1.6 * cm,
        title=_plain(f"{TITLE} briefing: {area_name}, {year}"), author=TITLE,
        subject=_plain(f"NHS payments to general practice in {area_name}, {year}"), invariant=1)
    width = doc.width

    story = [
        Paragraph(_text(f"{area_name}: NHS payments to general practice"), title),
        Paragraph(_text(f"{TITLE} briefing · financial year {year} · area code {area_code}"), small),
        Spacer(1, 0.35 * cm),
    ]
    if headline_rows:
        cell = ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12)
        head = ParagraphStyle("head", parent=cell, fontName="Helvetica-Bold")
        rows = [[Paragraph("Measure", head), Paragraph(_text(area_name), head), Paragraph("England", head)]]
        rows += [[Paragraph(_text(label), cell), Paragraph(_text(area), cell), Paragraph(_text(england), cell)]
                 for label, area, england in headline_rows]
        table = Table(rows, colWidths=[width * 0.5, width * 0.25, width * 0.25], repeatRows=1)
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef4")),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#1d3557")),
            ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ]))
        story += [Paragraph("Headline figures", heading), table]
    if sentences:
        story.append(Paragraph("What the numbers say", heading))
        story += [Paragraph(_text(sentence), body, bulletText="•") for sentence in sentences]

    images = ([(f"Map of {area_name}", map_png, 9 * cm)] if map_png else [])
    images += [(caption, png, 7.5 * cm) for caption, png in chart_pngs if png]
    for caption, png, height in images:
        story.append(KeepTogether([Paragraph(_text(caption), heading), _image(Image, png, width, height)]))

    story.append(Paragraph("Sources", heading))
    story += [Paragraph(_text(source), small, bulletText="•") for source in sources]
    story += [Spacer(1, 0.25 * cm), Paragraph(_text(attribution), small),
              Paragraph(_text(f"Made on {made_on.day} {made_on:%B %Y} with {TITLE}. Payments are in cash terms "
                              "(not adjusted for inflation)."), small)]
    doc.build(story)
    return buffer.getvalue()


def _image(image_class, png: bytes, max_width: float, max_height: float):
    """A flowable scaled to fit the box without distorting the picture."""
    from reportlab.lib.utils import ImageReader

    pixels_wide, pixels_high = ImageReader(io.BytesIO(png)).getSize()
    scale = min(max_width / pixels_wide, max_height / pixels_high)
    return image_class(io.BytesIO(png), width=pixels_wide * scale, height=pixels_high * scale)


# Characters the PDF's standard fonts cannot draw, swapped for ones they can.
_PLAIN = str.maketrans({"\u2212": "-", "\u2264": "<=", "\u2265": ">=", "\u00a0": " ", "\u202f": " "})


def _plain(text: str) -> str:
    return str(text).translate(_PLAIN)


def _text(text: str) -> str:
    """Escaped for reportlab's mini-markup, so 'Brighton & Hove' is printed rather than parsed."""
    return escape(_plain(text))


# --- zip pack ---------------------------------------------------------------------------------------------
def pack_zip(*, pdf: bytes, pngs: Mapping[str, bytes], svgs: Mapping[str, bytes], csvs: Mapping[str, bytes],
             readme: str, pdf_name: str = "briefing.pdf") -> bytes:
    """A zip of the briefing, its images and tables, and README.txt, all at the top level.

    Dict keys are file names; the extension is added when missing. Names with folders, '..' or odd
    characters, and duplicate names, raise ValueError (a pack must never write outside its folder).
    """
    entries: list[tuple[str, bytes]] = [("README.txt", readme.encode("utf-8")), (_name(pdf_name, ".pdf"), pdf)]
    for files, extension in ((pngs, ".png"), (svgs, ".svg"), (csvs, ".csv")):
        entries += [(_name(name, extension), content) for name, content in files.items()]
    names = [name for name, _ in entries]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"duplicate file names in the pack: {', '.join(duplicates)}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content if isinstance(content, bytes) else str(content).encode("utf-8"))
    return buffer.getvalue()


def _name(name: str, extension: str) -> str:
    name = str(name).strip()
    if not name.lower().endswith(extension):
        name += extension
    if not SAFE_NAME.match(name) or ".." in name:
        raise ValueError(f"unsafe file name for the pack: {name!r}")
    return name


def pack_readme(area_name: str, year: str, files: Iterable, attribution: str, citation: str) -> str:
    """README.txt text: what the pack holds, the licence (Open Government Licence v3.0) and how to cite it.

    files: names, or (name, description) pairs, in the order to list them.
    """
    lines = [f"{TITLE} briefing pack: {area_name}, financial year {year}", "", "Files", "-----"]
    for entry in files:
        name, description = (entry, "") if isinstance(entry, str) else (entry[0], entry[1])
        lines.append(f"- {name}" + (f": {description}" if description else ""))
    lines += [
        "",
        "Notes",
        "-----",
        "Payments are NHS payments to general practice in cash terms (not adjusted for inflation).",
        "Per-patient figures count practices with patients; deprivation fifths are fifths of the area's",
        "own patients, ranked by their practice's IMD score (1 = most deprived). Life expectancy is a derived estimate for the practices'",
        "patients, not a measured practice statistic.",
        "",
        "Licence",
        "-------",
        f"The data are published under the {OGL_NAME}: {OGL_URL}",
        attribution,
        "",
        "How to cite",
        "-----------",
        citation,
        "",
    ]
    return "\n".join(lines)

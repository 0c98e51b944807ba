"""Shared look of the PDFs (monthly report, patrol sheet): fonts and paragraph styles.

Fonts: Bitstream Vera, shipped with ReportLab, so the PDFs need no system fonts and show
Indonesian text the same everywhere.
"""

from __future__ import annotations

import os

import reportlab
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

_fonts_registered = False


def register_fonts() -> None:
    """Register "Vera" and "VeraBd" with ReportLab (once per process)."""
    global _fonts_registered
    if _fonts_registered:
        return
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    pdfmetrics.registerFont(TTFont("Vera", os.path.join(folder, "Vera.ttf")))
    pdfmetrics.registerFont(TTFont("VeraBd", os.path.join(folder, "VeraBd.ttf")))
    _fonts_registered = True


def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles by name: body, small, h1, h2, title, cover."""
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName="Vera", fontSize=9.5, leading=13
    )
    return {
        "body": body,
        "small": ParagraphStyle(
            "small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#555555")
        ),
        "h1": ParagraphStyle(
            "h1", parent=base["Heading1"], fontName="VeraBd", fontSize=15, spaceAfter=8
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base["Heading2"],
            fontName="VeraBd",
            fontSize=12,
            spaceBefore=10,
            spaceAfter=6,
        ),
        "title": ParagraphStyle(
            "title", parent=base["Title"], fontName="VeraBd", fontSize=24, leading=30, spaceAfter=18
        ),
        "cover": ParagraphStyle("cover", parent=body, fontSize=14, leading=20, alignment=1),
    }

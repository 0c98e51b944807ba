"""The printable week of a post's roster (PDF): the post, its kelurahan and RT/RW, the
coordinator's name, the week's nights with times and names, and the check-in QR code.

The coordinator's phone is left off on purpose: the sheet is meant to hang at the post, where
anyone passing can read it, and the coordinator's number is personal data. For the same reason
the sheet says that the QR code is the post's key, and how to revoke it if the sheet is lost.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import segno
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from kamtibmas import pdfstyle
from kamtibmas.siskamling import roster
from kamtibmas.siskamling.models import Post, RosterNight

CELL = ParagraphStyle("cell", fontName="Vera", fontSize=9.5, leading=12)
HEAD = ParagraphStyle("head", fontName="VeraBd", fontSize=9, leading=11, textColor=colors.white)
QR_SIZE = 4.2 * cm


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def qr_image(url: str) -> Image:
    """The check-in link as a QR code (segno, PNG in memory)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=2)
    out.seek(0)
    return Image(out, width=QR_SIZE, height=QR_SIZE)


def _place(post: Post) -> str:
    parts = [f"{_('Kelurahan')} {post.kelurahan.name}"]
    if post.rw or post.rt:
        parts.append(f"RT {post.rt or '-'} / RW {post.rw or '-'}")
    if post.address_text:
        parts.append(post.address_text)
    return " · ".join(_esc(p) for p in parts)


def _nights_table(nights: list[RosterNight]) -> Table:
    head = [_("Night"), _("From - until (WITA)"), _("Residents on duty"), _("Signature")]
    rows: list[list[Any]] = [[Paragraph(h, HEAD) for h in head]]
    for night in nights:
        day = formats.date_format(night.date, "l, j F Y")
        times = (
            f"{timezone.localtime(night.starts_at):%H:%M} – "
            f"{timezone.localtime(night.ends_at):%H:%M}"
        )
        names = "<br/>".join(_esc(n) for n in night.members) or "—"
        rows.append([Paragraph(day, CELL), times, Paragraph(names, CELL), ""])
    table = Table(rows, colWidths=[4.4 * cm, 3.4 * cm, 7.0 * cm, 2.6 * cm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3b5c")),
                ("FONTNAME", (0, 1), (-1, -1), "Vera"),
                ("FONTSIZE", (0, 1), (-1, -1), 9.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
                ("TOPPADDING", (0, 1), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 5),
            ]
        )
    )
    return table


def _qr_block(url: str) -> Table:
    styles = pdfstyle.styles()
    text = Paragraph(
        _(
            "Scan at the post to record the night's round (start, end, who came, what was seen). "
            "This code is the post's key: keep the sheet with the coordinator; if it is lost, ask "
            "the Bhabinkamtibmas to make a new link."
        )
        + f"<br/><font size=7>{_esc(url)}</font>",
        styles["small"],
    )
    block = Table([[qr_image(url), text]], colWidths=[QR_SIZE + 0.4 * cm, 12.6 * cm])
    block.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return block


def roster_pdf(post: Post, monday: date, checkin_url: str) -> bytes:
    """The week from ``monday`` of ``post``'s roster, in the active language."""
    pdfstyle.register_fonts()
    styles = pdfstyle.styles()
    sunday = monday + timedelta(days=6)
    nights = roster.week_nights(post, monday)
    heading = _("Siskamling roster")  # not inside an f-string: xgettext would not extract it
    # "calendar week": in Indonesian "Pekan", since "Minggu" also means Sunday.
    week = pgettext("calendar week", "Week of %(start)s - %(end)s") % {
        "start": formats.date_format(monday, "j F"),
        "end": formats.date_format(sunday, "j F Y"),
    }
    story: list[Flowable] = [
        Paragraph(f"{heading} · {_esc(post.name)}", styles["h1"]),
        Paragraph(_place(post), styles["body"]),
        Paragraph(f"{_('Coordinator')}: {_esc(post.coordinator_name or '—')}", styles["body"]),
        Paragraph(f"<b>{week}</b>", styles["body"]),
        Spacer(1, 8),
    ]
    if nights:
        story.append(_nights_table(nights))
    else:
        story.append(Paragraph(_("No nights are scheduled in this week."), styles["body"]))
    story += [
        Spacer(1, 14),
        _qr_block(checkin_url),
        Spacer(1, 8),
        Paragraph(_("In an emergency call 110."), styles["small"]),
    ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=1.5 * cm,
        rightMargin=1.5 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
        title=f"{heading} {post.name} {monday:%Y-%m-%d}",
    )
    doc.build(story)
    return out.getvalue()

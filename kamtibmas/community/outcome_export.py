"""The outcome report of a programme as CSV (tidy rows, for a spreadsheet) and PDF (ReportLab,
the look of kamtibmas/pdfstyle.py), in the active language. Neither carries personal data nor
what was said: counts, categories, kelurahan and the state of each follow-up."""

from __future__ import annotations

import csv
import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kamtibmas import pdfstyle
from kamtibmas.community.outcome import Count, Outcome, period_bounds

CSV_HEADER = ["section", "key", "label", "value"]
CELL = ParagraphStyle("outcome-cell", fontName="Vera", fontSize=8.5, leading=10)
HEAD = ParagraphStyle(
    "outcome-head", fontName="VeraBd", fontSize=8, leading=9.5, textColor=colors.white
)


def _day(value: Any) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else "-"


def period_text(outcome: Outcome) -> str:
    start, end = period_bounds(outcome)
    if start is None:
        return _("no events yet")
    return f"{_day(start)} – {_day(end)}"


def state_label(state: str) -> str:
    labels = {"done": _("done"), "overdue": _("overdue"), "open": _("open, on time")}
    return labels.get(state, state)


def figures(outcome: Outcome) -> list[tuple[str, str, Any]]:
    """The headline numbers: (key, label, value); the rate as a percentage or "-"."""
    rate = outcome.attendance_rate
    return [
        ("events_held", _("Events held"), outcome.events_held),
        ("events_cancelled", _("Events cancelled"), outcome.events_cancelled),
        ("events_planned", _("Events still planned"), outcome.events_planned),
        ("registered", _("Registrations (events held)"), outcome.registered),
        ("attended", _("Attended"), outcome.attended),
        ("attendance_rate", _("Attendance rate"), "-" if rate is None else f"{rate:.0%}"),
        ("topics", _("Topics raised"), outcome.topics),
        ("follow_ups_done", _("Follow-ups done"), outcome.done),
        ("follow_ups_resolved", _("of which resolved"), outcome.resolved),
        ("follow_ups_overdue", _("Follow-ups overdue"), outcome.overdue),
        ("follow_ups_open", _("Follow-ups open, on time"), outcome.open_on_time),
    ]


def _count_rows(section: str, counts: list[Count]) -> list[list[Any]]:
    return [[section, c.key, c.label, c.count] for c in counts]


def outcome_csv(outcome: Outcome) -> str:
    """Tidy rows: section, key (a stable code), label (for people), value."""
    start, end = period_bounds(outcome)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    writer.writerow(["programme", outcome.programme.pk, outcome.programme.name, ""])
    writer.writerow(["period", "start", _("From"), start.isoformat() if start else ""])
    writer.writerow(["period", "end", _("To"), end.isoformat() if end else ""])
    writer.writerows([["summary", key, label, value] for key, label, value in figures(outcome)])
    writer.writerows(_count_rows("topics_by_kind", outcome.by_kind))
    writer.writerows(_count_rows("topics_by_category", outcome.by_category))
    writer.writerows(_count_rows("topics_by_kelurahan", outcome.by_kelurahan))
    for line in outcome.events:
        key = line.event.uid
        label = f"{line.event.title} ({_day(timezone.localdate(line.event.starts_at))})"
        writer.writerow(["event_registered", key, label, line.registered])
        writer.writerow(["event_attended", key, label, line.attended])
        writer.writerow(["event_topics", key, label, line.topics])
    return buffer.getvalue()


def _table(head: list[str], rows: list[list[Any]], widths: list[float]) -> Table:
    body = [[Paragraph(escape(h), HEAD) for h in head]]
    body += [[Paragraph(escape(str(v)), CELL) for v in row] for row in rows]
    table = Table(body, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3b5c")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
    ]))  # fmt: skip
    return table


def _counts_table(title: str, counts: list[Count], what: str | None = None) -> list[Any]:
    """A titled table of counts; ``what`` heads the first column (a topic unless told)."""
    styles = pdfstyle.styles()
    story: list[Any] = [Paragraph(escape(title), styles["h2"])]
    if not counts:
        return [*story, Paragraph(escape(_("None.")), styles["body"])]
    rows = [[c.label, c.count] for c in counts]
    return [*story, _table([what or _("Topic"), _("Count")], rows, [13.5 * cm, 3 * cm])]


def _events_table(outcome: Outcome) -> list[Any]:
    styles = pdfstyle.styles()
    story: list[Any] = [Paragraph(escape(_("Events")), styles["h2"])]
    if not outcome.events:
        return [*story, Paragraph(escape(_("None.")), styles["body"])]
    head = [_("Date"), _("Event"), _("Status"), _("Registered"), _("Attended"), _("Topics")]
    rows = [
        [
            _day(timezone.localdate(line.event.starts_at)),
            line.event.title,
            line.event.get_status_display(),
            line.registered,
            line.attended,
            line.topics,
        ]
        for line in outcome.events
    ]
    # Wide enough that no status or heading breaks inside a word (e.g. "Direncanakan").
    widths = [2.6 * cm, 5.1 * cm, 2.9 * cm, 2.1 * cm, 1.7 * cm, 1.6 * cm]
    return [*story, _table(head, rows, widths)]


def _follow_up_table(outcome: Outcome) -> list[Any]:
    styles = pdfstyle.styles()
    story: list[Any] = [Paragraph(escape(_("Follow-up of each topic")), styles["h2"])]
    if not outcome.topic_lines:
        return [*story, Paragraph(escape(_("None.")), styles["body"])]
    head = [_("Tracking code"), _("Topic"), _("Kelurahan"), _("Status"), _("Follow-up")]
    rows = [
        [
            line.report.tracking_code,
            line.report.category.label,
            line.report.kelurahan.name if line.report.kelurahan else "-",
            line.report.get_status_display(),
            state_label(line.state),
        ]
        for line in outcome.topic_lines
    ]
    # A tracking code is never split across lines: it is read out and typed in.
    widths = [3.7 * cm, 4.3 * cm, 3.0 * cm, 2.8 * cm, 2.7 * cm]
    return [*story, _table(head, rows, widths)]


def outcome_pdf(outcome: Outcome) -> bytes:
    pdfstyle.register_fonts()
    styles = pdfstyle.styles()
    programme = outcome.programme
    title = _("Programme outcome report")
    story: list[Any] = [
        Paragraph(escape(f"{title} · {programme.name}"), styles["h1"]),
        Paragraph(
            escape(f"{programme.get_kind_display()} · {programme.organising_unit.name}"),
            styles["body"],
        ),
        Paragraph(escape(f"{_('Period')}: {period_text(outcome)}"), styles["body"]),
        Spacer(1, 6),
        _table([_("Figure"), _("Value")], [[lbl, v] for _k, lbl, v in figures(outcome)],
               [13.5 * cm, 3 * cm]),
    ]  # fmt: skip
    story += _events_table(outcome)
    story += _counts_table(_("Topics by kind"), outcome.by_kind)
    story += _counts_table(_("Topics by category"), outcome.by_category)
    story += _counts_table(_("Topics by kelurahan"), outcome.by_kelurahan, _("Kelurahan"))
    story += _follow_up_table(outcome)
    made = timezone.localtime().strftime("%d-%m-%Y %H:%M")
    story += [Spacer(1, 8), Paragraph(escape(_("Made %s WITA.") % made), styles["small"])]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm,
                            title=f"{title} {programme.name}")  # fmt: skip
    doc.build(story)
    return out.getvalue()

"""Certificates of participation (PDF, Bahasa Indonesia) for trainings.

Who gets one: registrants marked present at an event of a security training or an anti-drug
seminar (penyuluhan anti-narkoba: schools and employers often ask participants for proof).
Dialogues, patroli dialogis and school visits give none.

Number: ``KMB/<year of the event>/<event id>/<n>``, n counting the certificates of that event in
the order they were first issued. It is stored on the registration, so the same person always
gets the same number, and no two certificates share one.
"""

from __future__ import annotations

import io
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

from kamtibmas import pdfstyle
from kamtibmas.accounts import audit
from kamtibmas.community.models import Event, ProgrammeKind, Registration

CERTIFICATE_KINDS = frozenset({ProgrammeKind.SECURITY_TRAINING, ProgrammeKind.ANTI_DRUG})
MONTHS_ID = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
    "Oktober", "November", "Desember",
)  # fmt: skip
BLUE = colors.HexColor("#0b2e59")


def offers_certificates(event: Event) -> bool:
    return event.programme.kind in CERTIFICATE_KINDS and event.status != Event.Status.CANCELLED


def is_eligible(registration: Registration) -> bool:
    return (
        registration.attended_at is not None
        and registration.cancelled_at is None
        and offers_certificates(registration.event)
    )


@transaction.atomic
def ensure_number(registration: Registration, actor: Any = None) -> str:
    """The registration's certificate number, assigned (and audited) on first issue."""
    if registration.certificate_number:
        return registration.certificate_number
    event = Event.objects.select_for_update().get(pk=registration.event_id)
    issued = event.registrations.exclude(certificate_number="").count()
    year = timezone.localtime(event.starts_at).year
    registration.certificate_number = f"KMB/{year}/{event.pk}/{issued + 1}"
    registration.save(update_fields=["certificate_number"])
    audit.record(
        actor, "event_certificate_issued", registration, purpose="training certificate",
        event=event.pk, number=registration.certificate_number,
    )  # fmt: skip
    return registration.certificate_number


def indonesian_date(moment: Any) -> str:
    local = timezone.localtime(moment)
    return f"{local.day} {MONTHS_ID[local.month - 1]} {local.year}"


def _styles() -> dict[str, ParagraphStyle]:
    base = pdfstyle.styles()
    centred = {"alignment": 1}
    return {
        "title": ParagraphStyle("cert-title", parent=base["title"], textColor=BLUE, **centred),
        "body": ParagraphStyle("cert-body", parent=base["cover"], **centred),
        "name": ParagraphStyle("cert-name", parent=base["title"], fontSize=22, **centred),
        "event": ParagraphStyle("cert-event", parent=base["h1"], fontSize=16, **centred),
        "small": ParagraphStyle("cert-small", parent=base["small"], **centred),
    }


def _frame(canvas: Any, doc: Any) -> None:
    width, height = landscape(A4)
    canvas.saveState()
    canvas.setStrokeColor(BLUE)
    canvas.setLineWidth(3)
    canvas.rect(1 * cm, 1 * cm, width - 2 * cm, height - 2 * cm)
    canvas.setLineWidth(0.8)
    canvas.rect(1.3 * cm, 1.3 * cm, width - 2.6 * cm, height - 2.6 * cm)
    canvas.restoreState()


def _story(registration: Registration, number: str) -> list[Any]:
    event = registration.event
    s = _styles()
    with translation.override("id"):
        kind = str(ProgrammeKind(event.programme.kind).label)
    esc = _escape
    return [
        Paragraph("SERTIFIKAT", s["title"]),
        Paragraph(f"Nomor: {esc(number)}", s["body"]),
        Spacer(1, 0.6 * cm),
        Paragraph("diberikan kepada", s["body"]),
        Paragraph(esc(registration.name), s["name"]),
        Paragraph("yang telah hadir dan mengikuti", s["body"]),
        Paragraph(esc(event.title), s["event"]),
        Paragraph(
            f"{esc(kind)} · {esc(event.programme.name)}<br/>"
            f"{indonesian_date(event.starts_at)} · {esc(event.place_name)}",
            s["body"],
        ),
        Spacer(1, 0.8 * cm),
        Paragraph(f"Diselenggarakan oleh {esc(event.programme.organising_unit.name)}", s["body"]),
        Spacer(1, 0.8 * cm),
        Paragraph(
            "Sertifikat ini dibuat oleh sistem Kamtibmas Polres Balikpapan. Nomornya dapat "
            "diperiksa pada penyelenggara.",
            s["small"],
        ),
    ]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def certificate_pdf(registration: Registration, actor: Any = None) -> bytes:
    """The certificate (assigning its number first). Callers check ``is_eligible``."""
    number = ensure_number(registration, actor)
    pdfstyle.register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out, pagesize=landscape(A4), leftMargin=2.5 * cm, rightMargin=2.5 * cm,
        topMargin=2.2 * cm, bottomMargin=2 * cm, title=f"Sertifikat {number}",
        author=registration.event.programme.organising_unit.name, subject=registration.name,
    )  # fmt: skip
    doc.build(_story(registration, number), onFirstPage=_frame, onLaterPages=_frame)
    return out.getvalue()

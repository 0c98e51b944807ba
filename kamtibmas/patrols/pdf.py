"""The printable patrol sheet (PDF, Bahasa Indonesia): one page per team with the places in
order, planned arrival and dosage, empty boxes for the arrival and departure times, a simple
map (kelurahan outlines, the route, numbered stops) and a QR code to the officers' phone page.

Fonts: Bitstream Vera (shipped with ReportLab), as the monthly report.
"""

from __future__ import annotations

import io
import math
from datetime import timedelta
from typing import Any

from django.utils import timezone
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Circle, Drawing, Polygon, PolyLine, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kamtibmas import pdfstyle
from kamtibmas.forecasts.groups import CRIME_GROUPS
from kamtibmas.geo.models import Kelurahan
from kamtibmas.patrols.models import PatrolPlan, PatrolStop, PatrolTeam, PlanStatus

GROUP_ID = {
    "3c": "3C (curat, curas, curanmor)",
    "theft": "pencurian biasa",
    "narcotics": "narkoba",
    "violence": "kekerasan (penganiayaan, pembunuhan)",
    "disorder": "ketertiban umum dan perjudian",
}
TEAM_COLORS = ["#1f4e8c", "#b8322a", "#2a7f3f", "#8a4fb8", "#c77700", "#00707a"]
CELL = ParagraphStyle("cell", fontName="Vera", fontSize=8.5, leading=10)
HEAD = ParagraphStyle("head", fontName="VeraBd", fontSize=8, leading=9.5, textColor=colors.white)
MAP_W, MAP_H = 9.0 * cm, 7.5 * cm


def _local(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def _outlines(plan: PatrolPlan) -> list[list[tuple[float, float]]]:
    """Exterior rings (lon, lat) of the unit's kelurahan."""
    rings: list[list[tuple[float, float]]] = []
    rows = Kelurahan.objects.filter(kecamatan__in=plan.unit.kecamatan.all()).exclude(geometry=None)
    for geom in rows.values_list("geometry", flat=True):
        if not isinstance(geom, dict):
            continue
        polys = geom["coordinates"] if geom.get("type") == "MultiPolygon" else [geom["coordinates"]]
        rings += [[(float(p[0]), float(p[1])) for p in poly[0]] for poly in polys if poly]
    return rings


def _clipped(
    rings: list[list[tuple[float, float]]], box: tuple[float, float, float, float]
) -> list[list[tuple[float, float]]]:
    """The rings cut to the map's box (a drawing does not clip what spills over its edge)."""
    import shapely
    from shapely.geometry import Polygon as ShapelyPolygon

    out = []
    for ring in rings:
        if len(ring) < 4:
            continue
        part = shapely.clip_by_rect(shapely.make_valid(ShapelyPolygon(ring)), *box)
        for geom in getattr(part, "geoms", [part]):
            if isinstance(geom, ShapelyPolygon) and not geom.is_empty:
                out.append([(float(x), float(y)) for x, y in geom.exterior.coords])
    return out


def route_map(plan: PatrolPlan, stops: list[PatrolStop], color: str) -> Drawing:
    """Kelurahan outlines, the route (road path where stored) and numbered stops."""
    drawing = Drawing(MAP_W, MAP_H)
    rings = _outlines(plan)
    route = [pt for s in stops for pt in ([(p[1], p[0]) for p in s.path] or [(s.lon, s.lat)])]
    pts = route or [(s.lon, s.lat) for s in stops]
    if not pts:
        return drawing
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    pad = max(max(xs) - min(xs), max(ys) - min(ys), 0.004) * 0.15
    x0, x1, y0, y1 = min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad
    kx = math.cos(math.radians((y0 + y1) / 2))  # degrees of longitude are shorter
    scale = min(MAP_W / ((x1 - x0) * kx), MAP_H / (y1 - y0))

    def at(lon: float, lat: float) -> tuple[float, float]:
        return ((lon - x0) * kx * scale, (lat - y0) * scale)

    for ring in _clipped(rings, (x0, y0, x1, y1)):
        flat = [v for p in ring for v in at(*p)]
        drawing.add(Polygon(flat, strokeColor=colors.HexColor("#9aa7b8"), strokeWidth=0.4,
                            fillColor=None))  # fmt: skip
    if len(route) > 1:
        drawing.add(PolyLine([v for p in route for v in at(*p)], strokeWidth=1.4,
                             strokeColor=colors.HexColor(color)))  # fmt: skip
    for s in stops:
        x, y = at(s.lon, s.lat)
        drawing.add(Circle(x, y, 6, fillColor=colors.HexColor(color), strokeColor=colors.white))
        drawing.add(String(x, y - 3, str(s.order), fontName="VeraBd", fontSize=7,
                           fillColor=colors.white, textAnchor="middle"))  # fmt: skip
    drawing.add(PolyLine([6, 4, 6, 16], strokeWidth=0.8))
    drawing.add(String(6, 18, "U", fontName="VeraBd", fontSize=7, textAnchor="middle"))
    return drawing


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url)
    x0, y0, x1, y1 = widget.getBounds()
    size = 3.2 * cm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _stop_table(plan: PatrolPlan, stops: list[PatrolStop]) -> Table:
    head = ["No", "Tempat", "Perkiraan tiba", "Dosis", "Jam tiba", "Jam pergi", "Catatan"]
    rows: list[list[Any]] = [[Paragraph(h, HEAD) for h in head]]
    for s in stops:
        arrivals = s.reason.get("arrivals_min", []) if isinstance(s.reason, dict) else []
        planned = ", ".join(_local(plan.start + timedelta(minutes=float(m))) for m in arrivals)
        dosage = f"{s.planned_minutes} mnt" + (
            f" × {s.planned_visits}" if s.planned_visits > 1 else ""
        )
        place = f"{s.label or '-'}<br/><font size=7 color='#555555'>{s.lat:.5f}, {s.lon:.5f}</font>"
        rows.append([str(s.order), Paragraph(place, CELL), planned or "-", dosage, "", "", ""])
    widths = [0.9 * cm, 6.2 * cm, 2.2 * cm, 1.8 * cm, 1.7 * cm, 1.7 * cm, 3.0 * cm]
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3b5c")),
        ("FONTNAME", (0, 1), (-1, -1), "Vera"), ("FONTSIZE", (0, 1), (-1, -1), 8.5),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#888888")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
        ("TOPPADDING", (0, 1), (-1, -1), 6), ("BOTTOMPADDING", (0, 1), (-1, -1), 6),
    ]))  # fmt: skip
    return table


def _team_page(plan: PatrolPlan, team: PatrolTeam, color: str, url: str) -> list[Any]:
    styles = pdfstyle.styles()
    stops = list(plan.stops.filter(team=team).order_by("order", "pk"))
    shift = (f"Shift {plan.shift_name}, {timezone.localtime(plan.start):%d-%m-%Y} "
             f"{_local(plan.start)}–{_local(plan.end)} WITA")  # fmt: skip
    group = GROUP_ID.get(plan.group, ", ".join(CRIME_GROUPS.get(plan.group, ())))
    story: list[Any] = [
        Paragraph(f"Lembar Patroli · {plan.unit.name}", styles["h1"]),
        Paragraph(f"<b>{team.name}</b> · {shift} · sasaran: {group}", styles["body"]),
    ]
    if plan.status == PlanStatus.DRAFT:
        story.append(Paragraph("<b>KONSEP — belum diterbitkan oleh Kapolsek</b>", styles["body"]))
    members = ", ".join(m.get_full_name() or m.username for m in team.members.all())
    if members:
        story.append(Paragraph(f"Anggota: {members}", styles["small"]))
    qr = Table([[_qr(url)], [Paragraph(f"Daftar di ponsel:<br/>{url}", styles["small"])]])
    side = Table([[route_map(plan, stops, color), qr]], colWidths=[MAP_W + 0.4 * cm, 6 * cm])
    side.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Spacer(1, 6), side, Spacer(1, 8)]
    if stops:
        story.append(_stop_table(plan, stops))
    else:
        story.append(Paragraph("Tidak ada tempat untuk tim ini.", styles["body"]))
    story += [Spacer(1, 8), Paragraph(_footer(plan), styles["small"])]
    return story


def _footer(plan: PatrolPlan) -> str:
    source = plan.model_name or "-"
    run = f" #{plan.forecast_run_id}" if plan.forecast_run_id else " (dihitung saat itu)"
    issued = (f"Diterbitkan {timezone.localtime(plan.issued_at):%d-%m-%Y %H:%M} WITA"
              if plan.issued_at else "Belum diterbitkan")  # fmt: skip
    return (f"Prakiraan: {source}{run}. {issued}. Dosis 10–15 menit per kunjungan (kurva Koper); "
            "catat jam tiba dan jam pergi di setiap tempat, serta warga yang diajak bicara "
            "(jumlahnya saja).")  # fmt: skip


def plan_pdf(plan: PatrolPlan, team: PatrolTeam | None, url: str) -> bytes:
    """The sheet of ``team``, or of every team of the plan (one page each)."""
    pdfstyle.register_fonts()
    team_ids = (
        [team.pk]
        if team
        else list(
            plan.stops.filter(team__isnull=False).values_list("team_id", flat=True).distinct()
        )
    )
    teams = list(PatrolTeam.objects.filter(pk__in=team_ids).order_by("name"))
    story: list[Any] = []
    for k, t in enumerate(teams):
        if k:
            story.append(PageBreak())
        story += _team_page(plan, t, TEAM_COLORS[k % len(TEAM_COLORS)], url)
    if not story:
        story = [
            Paragraph(f"Lembar Patroli · {plan.unit.name}", pdfstyle.styles()["h1"]),
            Paragraph("Rencana ini belum memuat tempat patroli.", pdfstyle.styles()["body"]),
        ]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.5 * cm, bottomMargin=1.5 * cm,
                            title=f"Lembar Patroli {plan.unit.name} {plan.shift_key}")  # fmt: skip
    doc.build(story)
    return out.getvalue()

"""The monthly Kamtibmas report for the Kapolres: its numbers and a PDF in Indonesian.

Built on demand for the requesting officer's scope (``/analisis/laporan-bulanan/?bulan=2026-10``)
and, for the whole Polres, by the scheduler on the first days of each month (stored under
``MEDIA_ROOT/reports/monthly/``; the files themselves are the list, no model is needed).
Fonts: Bitstream Vera, shipped with ReportLab and embedded in the PDF.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kamtibmas.analytics import aggregates, charts, layers, overlays, queries
from kamtibmas.analytics.aggregates import Change
from kamtibmas.analytics.labels import CATEGORY_ID, GI_ID, MONTHS_ID, WEEKDAYS_ID
from kamtibmas.analytics.queries import Filters
from kamtibmas.incidents.models import BALIKPAPAN, Incident
from kamtibmas.pdfstyle import register_fonts, styles

logger = logging.getLogger(__name__)

POLRES_NAME = "Polres Balikpapan"
REPORTS_SUBDIR = Path("reports") / "monthly"
_NAME = re.compile(r"^laporan-kamtibmas-(\d{4})-(\d{2})\.pdf$")
TOP_N = 10


# ---- months --------------------------------------------------------------------------------


def parse_month(raw: str) -> date | None:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", raw.strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 2000 <= year <= 2100):
        return None
    return date(year, month, 1)


def month_end(month: date) -> date:
    return aggregates._add_months(month, 1) - timedelta(days=1)  # noqa: SLF001


def previous_month(now: datetime | None = None) -> date:
    """First day of the month before ``now`` (WITA)."""
    today = (now or timezone.now()).astimezone(queries.dataset_tz(BALIKPAPAN)).date()
    return aggregates._add_months(today.replace(day=1), -1)  # noqa: SLF001


def month_name(month: date) -> str:
    return f"{MONTHS_ID[month.month - 1]} {month.year}"


def month_filters(month: date, dataset: str = BALIKPAPAN) -> Filters:
    return Filters(dataset=dataset, date_from=month, date_to=month_end(month))


# ---- the report's numbers --------------------------------------------------------------------


@dataclass
class AreaRow:
    code: str
    name: str
    count: int
    previous: int
    change: int
    significant: bool
    z: float = 0.0
    p: float = 1.0
    category: int = 0


@dataclass
class ReportData:
    month: date
    unit_label: str
    total: int
    vs_previous: Change
    vs_last_year: Change
    units: list[aggregates.UnitRow]
    categories: list[aggregates.CategoryRow]
    rising: list[AreaRow]
    hot_areas: list[AreaRow]
    hot_cells: list[dict[str, Any]]
    matrix: np.ndarray
    series: Any
    density_map: bytes
    synthetic: bool
    notes: list[str] = field(default_factory=list)


def _area_counts(scope: QuerySet[Incident], filters: Filters) -> dict[str, int]:
    qs = queries.filtered(scope, filters).exclude(kelurahan_code="")
    return {k: int(n) for k, n in qs.values_list("kelurahan_code").annotate(n=Count("pk"))}


def _areas(scope: QuerySet[Incident], filters: Filters) -> tuple[list[AreaRow], list[AreaRow]]:
    """(rising kelurahan, Gi* hot kelurahan) of the month."""
    from kamtibmas.geo.models import Kelurahan
    from kamtibmas_analytics import projection
    from kamtibmas_analytics.hotspots import gi_star_areas

    kel = list(Kelurahan.objects.order_by("code").values_list("code", "name", "lat", "lon"))
    if not kel:
        return [], []
    now = _area_counts(scope, filters)
    before_month = aggregates._add_months(filters.date_from, -1)  # noqa: SLF001
    before = _area_counts(scope, month_filters(before_month, filters.dataset))
    current = [now.get(k[0], 0) for k in kel]
    previous = [before.get(k[0], 0) for k in kel]
    changes = aggregates._changes(current, previous)  # noqa: SLF001
    rows = [
        AreaRow(k[0], k[1], c.current, c.previous, c.change, c.significant)
        for k, c in zip(kel, changes, strict=True)
    ]
    rising = sorted((r for r in rows if r.change > 0), key=lambda r: (-r.change, r.code))[:5]
    if sum(current) and len(kel) >= 3:
        x, y, _crs = projection.to_metres(
            np.array([k[3] for k in kel]), np.array([k[2] for k in kel]), queries.BALIKPAPAN_CRS
        )
        gi = gi_star_areas(np.array(current, float), x, y, k=6)
        for k, row in enumerate(rows):
            row.z = float(np.asarray(gi.z)[k])
            row.p = float(np.asarray(gi.p)[k])
            row.category = int(np.asarray(gi.category)[k])
    hot = sorted((r for r in rows if r.category > 0), key=lambda r: -r.z)[:TOP_N]
    return rising, hot


def _hot_cells(result: layers.Layers) -> list[dict[str, Any]]:
    from kamtibmas.geo import lookup

    cells = [c for c in layers.hotspot_cells(result) if c["category"] > 0]
    cells.sort(key=lambda c: (-c["z"], -c["count"]))
    for cell in cells[:TOP_N]:
        area = lookup.find_area(cell["lat"], cell["lon"])
        cell["kelurahan"] = area.kelurahan_name if area else "-"
    return cells[:TOP_N]


def collect(scope: QuerySet[Incident], month: date, unit_label: str = POLRES_NAME) -> ReportData:
    filters = month_filters(month)
    units, total_row = aggregates.per_unit(scope, filters)
    prev = month_filters(aggregates._add_months(month, -1))  # noqa: SLF001
    prev_total = queries.filtered(scope, prev).count()
    vs_prev = aggregates._changes([total_row.vs_previous.current], [prev_total])  # noqa: SLF001
    # per_unit compares with the previous period of equal length; a month compares with the
    # previous calendar month, so the units' "previous" is recounted per calendar month.
    prev_units = aggregates._counts_by(queries.filtered(scope, prev), "unit_id")  # noqa: SLF001
    unit_prev = aggregates._changes(  # noqa: SLF001
        [u.vs_previous.current for u in units], [prev_units.get(u.unit_id, 0) for u in units]
    )
    units = [
        aggregates.UnitRow(u.unit_id, u.name, c, u.vs_last_year)
        for u, c in zip(units, unit_prev, strict=True)
    ]
    result = layers.compute(scope, filters, layers.DEFAULT_BANDWIDTH_M)
    rising, hot_areas = _areas(scope, filters)
    hot_cells = _hot_cells(result)
    outlines = layers.outlines()
    labels = [(x, y, str(k + 1)) for k, (x, y) in enumerate(_cell_xy(result, hot_cells))]
    grid = result.grid or _city_grid()
    density_map = (
        overlays.static_map(
            grid,
            result.density_km2,
            outlines.polygons_m,
            labels=labels,
            legend_title=f"Kepadatan: perkiraan kejadian per km² dalam {filters.days} hari",
        )
        if grid is not None
        else b""
    )
    qs = queries.filtered(scope, filters)
    return ReportData(
        month=month,
        unit_label=unit_label,
        total=total_row.vs_previous.current,
        vs_previous=vs_prev[0] if vs_prev else Change(0, 0, 0, None, 1.0, False),
        vs_last_year=total_row.vs_last_year,
        units=units,
        categories=aggregates.top_categories(scope, filters),
        rising=rising,
        hot_areas=hot_areas,
        hot_cells=hot_cells,
        matrix=aggregates.hour_weekday(qs, filters),
        series=aggregates.monthly(
            scope,
            filters.shifted(aggregates._add_months(month, -23), month_end(month)),  # noqa: SLF001
        ),
        density_map=density_map,
        synthetic=qs.filter(is_synthetic=True).exists(),
    )


def _cell_xy(result: layers.Layers, cells: list[dict[str, Any]]) -> list[tuple[float, float]]:
    if result.gi_grid is None:
        return []
    grid = result.gi_grid
    return [(float(grid.x_centers[c["col"]]), float(grid.y_centers[c["row"]])) for c in cells]


def _city_grid() -> Any:
    from kamtibmas_analytics.grid import Grid

    city = layers.outlines().city_m
    if city is None:
        return None
    return Grid.covering_polygon(city, cell_m=layers.DENSITY_CELL_M, margin_m=layers.CITY_MARGIN_M)


# ---- the PDF ---------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}%".replace(".", ",")


def _mark(change: Change) -> str:
    return "ya" if change.significant else "tidak"


def _change_text(change: Change, against: str) -> str:
    if change.previous == 0 and change.current == 0:
        return f"sama dengan {against} (nihil)"
    direction = "naik" if change.change > 0 else "turun" if change.change < 0 else "tetap"
    sig = "bermakna secara statistik" if change.significant else "tidak bermakna secara statistik"
    return (
        f"{direction} {abs(change.change)} kejadian ({_pct(change.pct_change)}) dibandingkan "
        f"{against} ({change.previous}); perubahan ini {sig} (p = {change.p_value:.3f})"
    )


def summary_text(data: ReportData) -> str:
    prev_name = month_name(aggregates._add_months(data.month, -1))  # noqa: SLF001
    year_name = month_name(date(data.month.year - 1, data.month.month, 1))
    parts = [
        f"Pada bulan {month_name(data.month)} tercatat <b>{data.total}</b> kejadian di wilayah "
        f"{data.unit_label}. Jumlah ini {_change_text(data.vs_previous, prev_name)}, dan "
        f"{_change_text(data.vs_last_year, year_name)}."
    ]
    if data.categories:
        top = ", ".join(
            f"{CATEGORY_ID.get(c.code, c.code)} ({c.count})" for c in data.categories[:3]
        )
        parts.append(f"Kategori terbanyak: {top}.")
    if data.rising:
        areas = ", ".join(
            f"{r.name} (+{r.change}{', bermakna' if r.significant else ''})" for r in data.rising
        )
        parts.append(f"Kelurahan dengan kenaikan terbesar: {areas}.")
    else:
        parts.append("Tidak ada kelurahan dengan kenaikan dibandingkan bulan sebelumnya.")
    return " ".join(parts)


HEADER_CELL = ParagraphStyle(
    "header_cell", fontName="VeraBd", fontSize=8, leading=9.5, textColor=colors.white
)
BODY_CELL = ParagraphStyle("body_cell", fontName="Vera", fontSize=8.5, leading=10)


def _wrapped(rows: list[list[Any]]) -> list[list[Any]]:
    """Headers and the first (name) column wrap instead of running into the next cell."""
    head = [Paragraph(str(cell), HEADER_CELL) for cell in rows[0]]
    body = [[Paragraph(str(row[0]), BODY_CELL), *row[1:]] for row in rows[1:]]
    return [head, *body]


def _table(rows: list[list[Any]], widths: list[float], align_right_from: int = 1) -> Table:
    table = Table(_wrapped(rows), colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Vera", 8.5),
                ("FONT", (0, 0), (-1, 0), "VeraBd", 8.5),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#0b2e59")),
                ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f1f4f8")]),
                ("ALIGN", (align_right_from, 1), (-1, -1), "RIGHT"),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c0c6cf")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _image(png: bytes, width_cm: float) -> Image:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as im:
        w, h = im.size
    return Image(io.BytesIO(png), width=width_cm * cm, height=width_cm * cm * h / w)


def _unit_rows(data: ReportData) -> list[list[Any]]:
    rows: list[list[Any]] = [
        [
            "Polsek",
            "Bulan ini",
            "Bulan lalu",
            "Selisih",
            "%",
            "Sig.*",
            "Tahun lalu",
            "%",
            "Sig.*",
        ]
    ]
    for u in data.units:
        a, b = u.vs_previous, u.vs_last_year
        rows.append(
            [
                u.name,
                a.current,
                a.previous,
                f"{a.change:+d}",
                _pct(a.pct_change),
                _mark(a),
                b.previous,
                _pct(b.pct_change),
                _mark(b),
            ]
        )
    a, b = data.vs_previous, data.vs_last_year
    rows.append(
        [
            "Jumlah",
            data.total,
            a.previous,
            f"{a.change:+d}",
            _pct(a.pct_change),
            _mark(a),
            b.previous,
            _pct(b.pct_change),
            _mark(b),
        ]
    )
    return rows


def render_pdf(data: ReportData) -> bytes:
    register_fonts()
    st = styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.8 * cm,
        bottomMargin=1.8 * cm,
        title=f"Laporan Kamtibmas {month_name(data.month)}",
        author=POLRES_NAME,
        subject="Laporan Kamtibmas bulanan",
    )
    story: list[Any] = [
        Spacer(1, 5 * cm),
        Paragraph("Laporan Situasi Kamtibmas Bulanan", st["title"]),
        Paragraph(f"<b>{data.unit_label}</b>", st["cover"]),
        Paragraph(month_name(data.month), st["cover"]),
        Spacer(1, 1 * cm),
        Paragraph("Untuk: Kapolres Balikpapan", st["cover"]),
        Paragraph(
            "Dibuat " + timezone.localtime().strftime("%d-%m-%Y %H:%M") + " WITA", st["cover"]
        ),
    ]
    if data.synthetic:
        story += [
            Spacer(1, 1 * cm),
            Paragraph("Catatan: sebagian data bulan ini adalah data sintetis (demo).", st["cover"]),
        ]
    story += [
        PageBreak(),
        Paragraph("1. Ringkasan", st["h1"]),
        Paragraph(summary_text(data), st["body"]),
    ]

    story += [
        Paragraph("2. Kejadian per Polsek", st["h2"]),
        _table(_unit_rows(data), [4.2 * cm] + [1.55 * cm] * 8),
        Paragraph(
            "* Sig. = bermakna secara statistik: uji binomial eksak dua periode, p &lt; 0,05.",
            st["small"],
        ),
    ]

    if data.categories:
        rows: list[list[Any]] = [["Kategori", "Bulan ini", "Bulan lalu*", "Porsi"]]
        rows += [
            [
                CATEGORY_ID.get(c.code, c.code),
                c.count,
                c.previous,
                f"{c.share * 100:.1f}%".replace(".", ","),
            ]
            for c in data.categories
        ]
        story += [
            Paragraph("3. Kategori terbanyak", st["h2"]),
            _table(rows, [7 * cm, 3 * cm, 3 * cm, 3 * cm]),
            Paragraph("* periode sebelumnya dengan jumlah hari yang sama.", st["small"]),
        ]

    story += [PageBreak(), Paragraph("4. Peta kepadatan dan titik rawan", st["h1"])]
    if data.density_map:
        story.append(_image(data.density_map, 17))
    story.append(
        Paragraph(
            "Permukaan kepadatan kernel (bandwidth 300 m, sel 100 m) di atas batas kelurahan; "
            "angka dalam lingkaran = peringkat sel titik panas Gi* (250 m) pada tabel berikut.",
            st["small"],
        )
    )
    if data.hot_cells:
        rows = [["#", "Kelurahan", "Kejadian", "z", "p", "Kategori Gi*"]]
        rows += [
            [
                k + 1,
                c["kelurahan"],
                c["count"],
                f"{c['z']:.2f}",
                f"{c['p']:.4f}",
                GI_ID[c["category"]],
            ]
            for k, c in enumerate(data.hot_cells)
        ]
        story += [
            Paragraph("Sel titik panas teratas", st["h2"]),
            _table(rows, [1 * cm, 5.5 * cm, 2 * cm, 2 * cm, 2 * cm, 4 * cm]),
        ]

    story += [Paragraph("5. Titik rawan per kelurahan (Gi* kelurahan)", st["h2"])]
    if data.hot_areas:
        rows = [["Kelurahan", "Kejadian", "Bulan lalu", "z", "p", "Kategori"]]
        rows += [
            [r.name, r.count, r.previous, f"{r.z:.2f}", f"{r.p:.4f}", GI_ID[r.category]]
            for r in data.hot_areas
        ]
        story.append(_table(rows, [5 * cm, 2 * cm, 2 * cm, 2 * cm, 2 * cm, 4 * cm]))
    else:
        story.append(
            Paragraph("Tidak ada kelurahan yang menjadi titik panas bermakna.", st["body"])
        )
    if data.rising:
        rows = [["Kelurahan", "Bulan ini", "Bulan lalu", "Perubahan", "Bermakna"]]
        rows += [
            [r.name, r.count, r.previous, f"{r.change:+d}", "ya" if r.significant else "tidak"]
            for r in data.rising
        ]
        story += [
            Paragraph("Kelurahan dengan kenaikan terbesar", st["h2"]),
            _table(rows, [5.5 * cm, 2.5 * cm, 2.5 * cm, 2.5 * cm, 2.5 * cm]),
        ]

    series = data.series
    labels = aggregates.month_labels(series)
    story += [
        PageBreak(),
        Paragraph("6. Tren bulanan dan pola waktu", st["h1"]),
        _image(
            charts.line_png(
                labels,
                list(np.asarray(series.counts, float)),
                list(np.asarray(series.trend, float)),
                title="Kejadian per bulan (24 bulan) dan garis tren",
            ),
            17,
        ),
        Paragraph(
            f"Kemiringan tren {float(series.slope_per_month):+.2f} kejadian per bulan "
            f"(p = {float(series.slope_p_value):.3f}); Mann-Kendall tau = "
            f"{float(series.mann_kendall_tau):.2f} (p = {float(series.mann_kendall_p):.3f}).",
            st["body"],
        ),
        Spacer(1, 0.4 * cm),
        _image(
            charts.heatmap_png(
                data.matrix, list(WEEKDAYS_ID), title="Jam x hari (WITA, pembobotan aoristik)"
            ),
            17,
        ),
        Paragraph(
            "Kejadian dengan rentang waktu dibagi rata ke setiap jam dalam rentangnya (aoristik).",
            st["small"],
        ),
    ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return out.getvalue()


def _footer(canvas: Any, doc: Any) -> None:
    canvas.saveState()
    canvas.setFont("Vera", 7.5)
    canvas.drawString(1.8 * cm, 1 * cm, f"{POLRES_NAME} · Laporan Kamtibmas bulanan · TERBATAS")
    canvas.drawRightString(A4[0] - 1.8 * cm, 1 * cm, f"Halaman {doc.page}")
    canvas.restoreState()


def build_pdf(scope: QuerySet[Incident], month: date, unit_label: str = POLRES_NAME) -> bytes:
    return render_pdf(collect(scope, month, unit_label))


def scope_label(user: Any) -> str:
    from kamtibmas.reports.scoping import sees_all

    if sees_all(user) or getattr(user, "unit", None) is None:
        return POLRES_NAME
    return str(user.unit.name)


# ---- stored reports ------------------------------------------------------------------------------


def reports_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / REPORTS_SUBDIR


def file_name(month: date) -> str:
    return f"laporan-kamtibmas-{month:%Y-%m}.pdf"


def stored_reports() -> list[dict[str, Any]]:
    folder = reports_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            month = date(int(match.group(1)), int(match.group(2)), 1)
            stat = path.stat()
            found.append(
                {
                    "name": path.name,
                    "month": month,
                    "label": month_name(month),
                    "size": stat.st_size,
                    "created": datetime.fromtimestamp(
                        stat.st_mtime, tz=timezone.get_current_timezone()
                    ),
                }
            )
    return sorted(found, key=lambda r: r["month"], reverse=True)


def stored_path(name: str) -> Path | None:
    if not _NAME.match(name):
        return None
    path = reports_dir() / name
    return path if path.is_file() else None


def store(month: date) -> Path:
    """Build the whole Polres's report of ``month`` and write it (atomically) to the folder."""
    pdf = build_pdf(Incident.objects.all(), month)
    folder = reports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name(month)
    tmp = path.with_suffix(".pdf.tmp")
    tmp.write_bytes(pdf)
    tmp.replace(path)
    logger.info("monthly report stored: %s (%d bytes)", path.name, len(pdf))
    return path


def ensure_previous_month(now: datetime | None = None) -> Path | None:
    """Store last month's report unless it exists; None when it was already there."""
    month = previous_month(now)
    if stored_path(file_name(month)) is not None:
        return None
    return store(month)

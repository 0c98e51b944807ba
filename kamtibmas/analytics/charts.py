"""Small charts: SVG for the pages (no JavaScript library), PNG (Pillow) for downloads and the
PDF. Every chart is drawn from plain lists, so pages, files and the report show the same thing."""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape

import numpy as np
from PIL import Image, ImageDraw

from kamtibmas.analytics.overlays import _font, ramp_colour

INK = "#1b1b1b"
BLUE = "#1f4e8c"
RED = "#b3261e"
GRID = "#d8d8d8"


def _hex(rgb: Sequence[int]) -> str:
    return "#" + "".join(f"{int(c):02x}" for c in rgb[:3])


def svg_document(width: int, height: int, body: list[str], title: str) -> str:
    """Wrap chart ``body`` elements in an accessible SVG document (role img, labelled)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart" font-family="sans-serif" '
        f'font-size="11"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def bar_svg(labels: Sequence[str], values: Sequence[float], *, title: str, width: int = 460) -> str:
    """Horizontal bars, one per label, largest scale = the largest value."""
    row_h, left, right = 22, 190, 50
    height = row_h * max(len(values), 1) + 10
    top = max(max(values, default=0), 1)
    body = []
    for k, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + k * row_h
        w = (width - left - right) * value / top
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end" fill="{INK}">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{BLUE}"/>'
            f'<text x="{left + w + 4:.1f}" y="{y + 15}" fill="{INK}">{value:g}</text>'
        )
    return svg_document(width, height, body, title)


def _line_geometry(
    n: int, values: Sequence[float], trend: Sequence[float], width: int, height: int
) -> tuple[list[tuple[float, float]], list[tuple[float, float]], float, tuple[int, int, int, int]]:
    pad = (44, 12, 14, 34)  # left, right, top, bottom
    top = max(max(values, default=0), max(trend, default=0), 1) * 1.1
    span_x = (width - pad[0] - pad[1]) / max(n - 1, 1)
    span_y = height - pad[2] - pad[3]

    def pt(k: int, v: float) -> tuple[float, float]:
        return (pad[0] + k * span_x, pad[2] + span_y * (1 - v / top))

    return (
        [pt(k, v) for k, v in enumerate(values)],
        [pt(k, v) for k, v in enumerate(trend)],
        top,
        pad,
    )


def line_svg(
    labels: Sequence[str],
    values: Sequence[float],
    trend: Sequence[float] | None = None,
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """Counts per period as a line with dots, the fitted trend dashed, labels every few points."""
    trend = list(trend or [])
    pts, tpts, top, pad = _line_geometry(len(values), values, trend, width, height)
    body = []
    for frac in (0, 0.5, 1):
        y = pad[2] + (height - pad[2] - pad[3]) * (1 - frac)
        body.append(
            f'<line x1="{pad[0]}" x2="{width - pad[1]}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{pad[0] - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{INK}">{top / 1.1 * frac * 1.1:.0f}</text>'
        )
    if pts:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        body.append(f'<polyline points="{path}" fill="none" stroke="{BLUE}" stroke-width="2"/>')
        body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{BLUE}"/>' for x, y in pts]
    if len(tpts) > 1:
        (x0, y0), (x1, y1) = tpts[0], tpts[-1]
        body.append(
            f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{RED}" '
            f'stroke-width="1.5" stroke-dasharray="5 4"/>'
        )
    every = max(1, len(labels) // 8)
    for k, label in enumerate(labels):
        if k % every == 0 or k == len(labels) - 1:
            x = pts[k][0] if k < len(pts) else 0
            body.append(
                f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" fill="{INK}">'
                f"{escape(label)}</text>"
            )
    return svg_document(width, height, body, title)


def lines_svg(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> str:
    """Several series over the same periods, each ``(name, values, colour)``, with a legend."""
    pad = (44, 12, 24, 34)
    top = max((max(v, default=0.0) for _n, v, _c in series), default=0.0) * 1.1 or 1.0
    span_x = (width - pad[0] - pad[1]) / max(len(labels) - 1, 1)
    span_y = height - pad[2] - pad[3]
    body = []
    for frac in (0, 0.5, 1):
        y = pad[2] + span_y * (1 - frac)
        body.append(
            f'<line x1="{pad[0]}" x2="{width - pad[1]}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}"/><text x="{pad[0] - 4}" y="{y + 4:.1f}" text-anchor="end" '
            f'fill="{INK}">{top / 1.1 * frac * 1.1:.2g}</text>'
        )
    for k, (name, values, colour) in enumerate(series):
        pts = [(pad[0] + i * span_x, pad[2] + span_y * (1 - v / top)) for i, v in enumerate(values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        body.append(
            f'<rect x="{pad[0] + k * 200}" y="6" width="12" height="4" fill="{colour}"/>'
            f'<text x="{pad[0] + k * 200 + 16}" y="12" fill="{INK}">{escape(name)}</text>'
        )
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            body.append(
                f'<text x="{pad[0] + i * span_x:.1f}" y="{height - 12}" text-anchor="middle" '
                f'fill="{INK}">{escape(label)}</text>'
            )
    return svg_document(width, height, body, title)


def heatmap_svg(
    matrix: np.ndarray, row_labels: Sequence[str], *, title: str, width: int = 640
) -> str:
    """A (rows, 24) matrix as coloured cells, hours 0..23 across, the value in each cell's title."""
    matrix = np.asarray(matrix, float)
    left, top_pad = 40, 16
    cell = (width - left - 4) / matrix.shape[1]
    height = int(top_pad + cell * matrix.shape[0] + 4)
    top = matrix.max() or 1.0
    colours = ramp_colour(matrix / top)
    body = []
    for h in range(0, matrix.shape[1], 3):
        body.append(
            f'<text x="{left + (h + 0.5) * cell:.1f}" y="11" text-anchor="middle" '
            f'fill="{INK}">{h:02d}</text>'
        )
    for r in range(matrix.shape[0]):
        y = top_pad + r * cell
        body.append(
            f'<text x="{left - 4}" y="{y + cell * 0.65:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(row_labels[r])}</text>"
        )
        for h in range(matrix.shape[1]):
            fill = _hex(colours[r, h]) if matrix[r, h] > 0 else "#f4f4f4"
            body.append(
                f'<rect x="{left + h * cell:.1f}" y="{y:.1f}" width="{cell - 1:.1f}" '
                f'height="{cell - 1:.1f}" fill="{fill}"><title>{escape(row_labels[r])} '
                f"{h:02d}:00 · {matrix[r, h]:.1f}</title></rect>"
            )
    return svg_document(width, height, body, title)


# ---- PNG ------------------------------------------------------------------------------------


def _save(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def heatmap_png(
    matrix: np.ndarray, row_labels: Sequence[str], *, title: str = "", cell_px: int = 32
) -> bytes:
    matrix = np.asarray(matrix, float)
    left, top_pad = 60, 56 if title else 30
    rows, cols = matrix.shape
    image = Image.new("RGB", (left + cols * cell_px + 10, top_pad + rows * cell_px + 10), "white")
    draw = ImageDraw.Draw(image)
    font = _font(14)
    if title:
        draw.text((10, 8), title, fill="black", font=_font(18))
    top = matrix.max() or 1.0
    colours = ramp_colour(matrix / top)
    for h in range(cols):
        if h % 3 == 0:
            draw.text((left + h * cell_px + 4, top_pad - 20), f"{h:02d}", fill="black", font=font)
    for r in range(rows):
        y = top_pad + r * cell_px
        draw.text((8, y + 8), row_labels[r], fill="black", font=font)
        for h in range(cols):
            fill = tuple(int(c) for c in colours[r, h]) if matrix[r, h] > 0 else (244, 244, 244)
            draw.rectangle(
                [left + h * cell_px, y, left + (h + 1) * cell_px - 2, y + cell_px - 2], fill=fill
            )
    return _save(image)


def line_png(
    labels: Sequence[str],
    values: Sequence[float],
    trend: Sequence[float] | None = None,
    *,
    title: str = "",
    width: int = 1200,
    height: int = 420,
) -> bytes:
    trend = list(trend or [])
    pts, tpts, top, pad = _line_geometry(len(values), values, trend, width, height)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(16)
    if title:
        draw.text((pad[0], 0), title, fill="black", font=font)
    for frac in (0, 0.5, 1):
        y = pad[2] + (height - pad[2] - pad[3]) * (1 - frac)
        draw.line([(pad[0], y), (width - pad[1], y)], fill=(216, 216, 216))
        draw.text((4, y - 8), f"{top * frac:.0f}", fill="black", font=font)
    if len(pts) > 1:
        draw.line(pts, fill=(31, 78, 140), width=3)
    for x, y in pts:
        draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=(31, 78, 140))
    if len(tpts) > 1:
        draw.line([tpts[0], tpts[-1]], fill=(179, 38, 30), width=2)
    every = max(1, len(labels) // 8)
    for k, label in enumerate(labels):
        if (k % every == 0 or k == len(labels) - 1) and k < len(pts):
            draw.text((pts[k][0], height - 24), label, fill="black", anchor="ma", font=font)
    return _save(image)

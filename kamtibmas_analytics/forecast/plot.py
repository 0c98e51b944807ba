"""Hit rate against coverage as a plain SVG (no plotting library): one panel per group, one
line per model, with the bootstrap interval of each point as a vertical bar.

>>> rows = [{"model": "a", "coverage": c, "hit_rate": 2 * c, "ci_low": c, "ci_high": 3 * c}
...         for c in (0.01, 0.05, 0.1)]
>>> svg = hit_rate_svg(rows, title="Test")
>>> svg.startswith("<svg") and "polyline" in svg and svg.count("<circle") == 3
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

__all__ = ["hit_rate_svg"]

COLOURS = ("#1b6ca8", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#555")
PANEL_W, PANEL_H = 360, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 34, 42
LEGEND_W = 170


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _panel(
    rows: list[dict[str, Any]], models: list[str], x_off: float, title: str, x_max: float
) -> list[str]:
    y_max = max([float(r.get("ci_high") or r.get("hit_rate") or 0) for r in rows] + [0.1])
    y_max = min(1.0, (int(y_max * 10) + 1) / 10)
    w, h = PANEL_W - LEFT - RIGHT, PANEL_H - TOP - BOTTOM

    def px(cov: float) -> float:
        return x_off + LEFT + w * cov / x_max

    def py(rate: float) -> float:
        return TOP + h * (1 - rate / y_max)

    out = [
        f'<text x="{_fmt(x_off + PANEL_W / 2)}" y="18" text-anchor="middle" '
        f'font-weight="bold">{escape(title)}</text>',
        f'<rect x="{_fmt(x_off + LEFT)}" y="{TOP}" width="{w}" height="{h}" fill="none" '
        'stroke="#999"/>',
    ]
    for k in range(6):
        cov, rate = x_max * k / 5, y_max * k / 5
        out.append(
            f'<text x="{_fmt(px(cov))}" y="{TOP + h + 16}" text-anchor="middle">'
            f"{100 * cov:.0f}%</text>"
        )
        out.append(
            f'<text x="{_fmt(x_off + LEFT - 6)}" y="{_fmt(py(rate) + 4)}" text-anchor="end">'
            f"{100 * rate:.0f}%</text>"
        )
    out.append(
        f'<text x="{_fmt(x_off + LEFT + w / 2)}" y="{PANEL_H - 6}" text-anchor="middle">'
        "area flagged (coverage)</text>"
    )
    for m, model in enumerate(models):
        colour = COLOURS[m % len(COLOURS)]
        points = sorted(
            (r for r in rows if r["model"] == model and r.get("hit_rate") is not None),
            key=lambda r: float(r["coverage"]),
        )
        if not points:
            continue
        line = " ".join(f"{_fmt(px(r['coverage']))},{_fmt(py(r['hit_rate']))}" for r in points)
        out.append(f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for r in points:
            x = _fmt(px(r["coverage"]))
            if r.get("ci_low") is not None and r.get("ci_high") is not None:
                out.append(
                    f'<line x1="{x}" x2="{x}" y1="{_fmt(py(r["ci_low"]))}" '
                    f'y2="{_fmt(py(r["ci_high"]))}" stroke="{colour}"/>'
                )
            out.append(f'<circle cx="{x}" cy="{_fmt(py(r["hit_rate"]))}" r="3" fill="{colour}"/>')
    return out


def hit_rate_svg(rows: Sequence[dict[str, Any]], *, title: str = "Hit rate") -> str:
    """An SVG document of the result rows (keys ``model``, ``coverage``, ``hit_rate``,
    ``ci_low``, ``ci_high`` and optionally ``group``)."""
    rows = list(rows)
    models = list(dict.fromkeys(r["model"] for r in rows))
    groups = list(dict.fromkeys(r.get("group", "") for r in rows)) or [""]
    x_max = max([float(r["coverage"]) for r in rows] + [0.01])
    width = PANEL_W * len(groups) + LEGEND_W
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{PANEL_H + 30}" '
        f'viewBox="0 0 {width} {PANEL_H + 30}" font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for g, group in enumerate(groups):
        panel_rows = [r for r in rows if r.get("group", "") == group]
        label = f"{title}: {group}" if group else title
        parts += _panel(panel_rows, models, g * PANEL_W, label, x_max)
    lx = PANEL_W * len(groups) + 10
    for m, model in enumerate(models):
        y = TOP + 10 + 18 * m
        colour = COLOURS[m % len(COLOURS)]
        parts.append(f'<rect x="{lx}" y="{y - 8}" width="14" height="4" fill="{colour}"/>')
        parts.append(f'<text x="{lx + 20}" y="{y}">{escape(str(model))}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"

"""The event-study chart of the effect page: one point per week with its interval as a
whisker, zero as a line and the patrol start marked. ``charts.lines_svg`` starts its axis at
zero; an effect is negative as often as not, so this chart spans the intervals both ways."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from kamtibmas.analytics import charts
from kamtibmas_analytics.patrol_effect import WeekEffect

WIDTH, HEIGHT = 640, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 12, 14, 34


def event_svg(weeks: Sequence[WeekEffect], labels: Sequence[str], *, title: str) -> str:
    """Weekly estimates (dots, blue after the start, grey before) with interval whiskers."""
    lows = [w.low for w in weeks] + [0.0]
    highs = [w.high for w in weeks] + [0.0]
    bottom, top = min(lows), max(highs)
    span = (top - bottom) or 1.0
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(len(weeks), 1)

    def y_of(value: float) -> float:
        return PAD_TOP + (HEIGHT - PAD_TOP - PAD_BOTTOM) * (top - value) / span

    body = [_axis_line(y_of(value), f"{value:.2g}") for value in sorted({bottom, 0.0, top})]
    every = max(1, len(weeks) // 12)  # at most about a dozen date labels
    for k, (week, label) in enumerate(zip(weeks, labels, strict=True)):
        x = PAD_LEFT + (k + 0.5) * step
        colour = charts.BLUE if week.week >= 0 else "#777777"
        if week.week == 0:
            body.append(f'<line x1="{x - step / 2:.1f}" x2="{x - step / 2:.1f}" y1="{PAD_TOP}" '
                        f'y2="{HEIGHT - PAD_BOTTOM}" stroke="{charts.RED}" '
                        f'stroke-dasharray="4 3"/>')  # fmt: skip
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y_of(week.low):.1f}" '
            f'y2="{y_of(week.high):.1f}" stroke="{colour}" stroke-width="2"/>'
            f'<circle cx="{x:.1f}" cy="{y_of(week.estimate):.1f}" r="3.5" fill="{colour}">'
            f"<title>{escape(label)}: {week.estimate:.2f} ({week.low:.2f} – {week.high:.2f})"
            f"</title></circle>"
        )
        if k % every == 0:
            body.append(f'<text x="{x:.1f}" y="{HEIGHT - 12}" text-anchor="middle" '
                        f'fill="{charts.INK}">{escape(label)}</text>')  # fmt: skip
    return charts.svg_document(WIDTH, HEIGHT, body, title)


def _axis_line(y: float, label: str) -> str:
    return (
        f'<line x1="{PAD_LEFT}" x2="{WIDTH - PAD_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
        f'stroke="{charts.GRID}"/><text x="{PAD_LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" '
        f'fill="{charts.INK}">{escape(label)}</text>'
    )

"""Why a cell is among the best of a forecast, in numbers and in plain words.

Three reasons, each computed from the incidents of the crime group before the window starts:

* **recent incidents nearby**: incidents within ``NEAR_M`` (400 m) of the cell's centre in the
  last 14 and 28 days (near-repeat: crime follows crime close by, for a few weeks);
* **long-run level**: the cell's incidents in the last 365 days against the mean of the
  unit's cells (a ratio of 3 means three times the unit's average cell);
* **time pattern**: the share of the neighbourhood's incidents of the last 365 days that
  happened in the window's hours (WITA), against the share of the day those hours make up;
  for a seven-day window, the shift with the largest share.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from django.utils.translation import gettext as _
from numpy.typing import NDArray

from kamtibmas.forecasts.shifts import ShiftSpec, configured_shifts
from kamtibmas_analytics.forecast import DAY_S, Events
from kamtibmas_analytics.grid import Grid

NEAR_M = 400.0
WITA_OFFSET_S = 8 * 3600
YEAR_S = 365 * DAY_S


def local_hours(t: NDArray[np.float64]) -> NDArray[np.int64]:
    """Hour of day in WITA (UTC+8, no daylight saving) of epoch seconds."""
    return ((np.floor((t + WITA_OFFSET_S) / 3600.0)) % 24).astype(np.int64)


def hours_of(spec: ShiftSpec) -> set[int]:
    return {(spec.start_hour + k) % 24 for k in range(spec.hours)}


def _share(by_hour: NDArray[np.int64], wanted: set[int]) -> float | None:
    total = int(by_hour.sum())
    if total == 0:
        return None
    return float(by_hour[sorted(wanted)].sum()) / total


def _time_pattern(hours: NDArray[np.int64], shift: ShiftSpec | None) -> dict[str, Any]:
    by_hour = np.bincount(hours, minlength=24)
    if shift is not None:
        return {
            "shift": shift.name,
            "share": _share(by_hour, hours_of(shift)),
            "expected": shift.hours / 24.0,
        }
    shares = [(s.name, _share(by_hour, hours_of(s)), s.hours / 24.0) for s in configured_shifts()]
    known = [s for s in shares if s[1] is not None]
    if not known:
        return {"shift": None, "share": None, "expected": None}
    name, share, expected = max(known, key=lambda s: (s[1] or 0.0) - s[2])
    return {"shift": name, "share": share, "expected": expected, "busiest": True}


def explain_cells(
    history: Events,
    grid: Grid,
    mask: NDArray[np.bool_],
    cells: list[tuple[int, int]],
    start: datetime,
    shift: ShiftSpec | None,
) -> list[dict[str, Any]]:
    """One explanation per cell ``(i, j)`` from ``history`` (events before ``start``, metres).

    ``shift`` is the window's shift, or None for a seven-day window."""
    t0 = start.timestamp()
    past = history.before(t0)
    year = past.between(t0 - YEAR_S, t0)
    yearly = year.counts(grid)
    inside = int(mask.sum())
    unit_mean = float(yearly[mask].sum()) / inside if inside else 0.0
    out = []
    for i, j in cells:
        cx, cy = float(grid.x_centers[j]), float(grid.y_centers[i])
        near = (past.x - cx) ** 2 + (past.y - cy) ** 2 <= NEAR_M**2
        near_t = past.t[near]
        near_year = near_t[near_t >= t0 - YEAR_S]
        level = float(yearly[i, j])
        out.append(
            {
                "near_m": NEAR_M,
                "recent_14": int((near_t >= t0 - 14 * DAY_S).sum()),
                "recent_28": int((near_t >= t0 - 28 * DAY_S).sum()),
                "year_count": int(level),
                "unit_mean": round(unit_mean, 3),
                "ratio": round(level / unit_mean, 2) if unit_mean > 0 else None,
                "time": _time_pattern(local_hours(near_year), shift),
                "near_year": int(near_year.size),
            }
        )
    return out


def _pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def _time_line(time: dict[str, Any], near_year: int) -> str:
    if time.get("share") is None:
        return _("Time pattern: no incident nearby in the last year.")
    values = {
        "share": _pct(time["share"]),
        "shift": time["shift"],
        "expected": _pct(time["expected"]),
        "n": near_year,
    }
    if time.get("busiest"):
        return (
            _(
                "Time pattern: the busiest shift nearby is %(shift)s with %(share)s of the "
                "%(n)d incidents of the last year (%(expected)s of the day)."
            )
            % values
        )
    return (
        _(
            "Time pattern: %(share)s of the %(n)d incidents nearby in the last year happened "
            "in the %(shift)s shift's hours, which are %(expected)s of the day."
        )
        % values
    )


def explanation_lines(expl: dict[str, Any]) -> list[str]:
    """The explanation in plain words, in the active language."""
    if not expl:
        return []
    near = {"m": int(expl["near_m"]), "n14": expl["recent_14"], "n28": expl["recent_28"]}
    lines = [
        _(
            "Recent incidents nearby: %(n14)d within %(m)d m in the last 14 days, "
            "%(n28)d in the last 28 days."
        )
        % near
    ]
    level = {"n": expl["year_count"], "mean": f"{expl['unit_mean']:.2f}"}
    if expl.get("ratio") is None:
        lines.append(_("Long-run level: no incident in the unit in the last year."))
    else:
        level["ratio"] = f"{expl['ratio']:.1f}"
        lines.append(
            _(
                "Long-run level: %(n)d incidents in this cell in the last year, %(ratio)s times "
                "the unit's average cell (%(mean)s)."
            )
            % level
        )
    lines.append(_time_line(expl["time"], expl["near_year"]))
    return lines
